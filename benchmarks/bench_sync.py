"""Issue 18: a full sync of 100,000 snapshots into DuckDB, our dlt source against dlt's own ``rest_api`` source.

Both load the same fake account (one ``python -m gradientai_rs.testing`` process, 0 ms latency) into a fresh DuckDB
file with the same write disposition (merge, scd2; primary key ``id``):

  ours:      ``gradientai_rs.dlt.digitalocean_source(client, resources=("snapshots",))``: ``list_all`` in Rust,
             Arrow tables with a Rust row hash, written by dlt as Parquet (no per-row normalisation)
  rest_api:  ``dlt.sources.rest_api.rest_api_source`` with the obvious config a dlt user writes for this API
             (bearer token, ``per_page=200``, the ``links.pages.next`` JSON link paginator, ``data_selector``
             ``snapshots``): pages fetched one after another, rows normalised one by one as Python dicts

Each run is a fresh interpreter (``--child NAME``), so peak RSS (``ru_maxrss`` minus the child's baseline after
imports) and CPU (user + system of the whole child, extract + normalize + load) are its own. The rounds alternate
the order. Target: ours >= 5x faster (median wall).

    .venv/bin/python benchmarks/bench_sync.py [--quick] [--snapshots N]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

TOKEN = "bench-token"
VARIANTS = ("ours", "rest_api")


def _pipeline(name: str, workdir: str) -> Any:
    import dlt

    return dlt.pipeline(
        pipeline_name=f"bench_{name}",
        destination=dlt.destinations.duckdb(os.path.join(workdir, f"{name}.duckdb")),
        dataset_name="digitalocean",
        pipelines_dir=os.path.join(workdir, "pipelines"),
    )


def _source(name: str, url: str) -> Any:
    if name == "ours":
        from gradientai_rs import GradientAI
        from gradientai_rs.dlt import digitalocean_source

        client = GradientAI(api_key=TOKEN, base_url=url, requests_per_minute=None)
        return digitalocean_source(client, resources=("snapshots",))
    from dlt.sources.rest_api import rest_api_source

    return rest_api_source(
        {
            "client": {
                "base_url": url,
                "auth": {"type": "bearer", "token": TOKEN},
                "paginator": {"type": "json_link", "next_url_path": "links.pages.next"},
            },
            "resource_defaults": {
                "primary_key": "id",
                "write_disposition": {"disposition": "merge", "strategy": "scd2"},
            },
            "resources": [
                {
                    "name": "snapshots",
                    "endpoint": {"path": "v2/snapshots", "params": {"per_page": 200}, "data_selector": "snapshots"},
                }
            ],
        }
    )


def child_main(name: str, url: str, workdir: str) -> None:
    import duckdb

    pipeline = _pipeline(name, workdir)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c0, w0 = time.process_time(), time.perf_counter()
    info = pipeline.run(_source(name, url))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert not info.has_failed_jobs, info
    with duckdb.connect(os.path.join(workdir, f"{name}.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM digitalocean.snapshots").fetchall()[0][0]
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_rss_kib": peak - base_rss, "rows": rows}))


def run_child(name: str, url: str) -> Dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-sync-{name}-") as workdir:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DESTINATION__", "SOURCES__", "RUNTIME__"))}
        env["RUNTIME__LOG_LEVEL"] = "ERROR"
        # A launcher interpreter in between, so the child's ru_maxrss starts from its own (see _common's RSS notes).
        launcher = "import subprocess,sys; sys.exit(subprocess.call(sys.argv[1:]))"
        cmd = [sys.executable, "-S", "-c", launcher, sys.executable, __file__, "--child", name, "--url", url]
        cmd += ["--workdir", workdir]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"{name} child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    p = C.base_parser(__doc__)
    p.add_argument("--snapshots", type=int, default=100_000)
    p.add_argument("--child", choices=VARIANTS, help=argparse_hidden())
    p.add_argument("--url", help=argparse_hidden())
    p.add_argument("--workdir", help=argparse_hidden())
    args = p.parse_args()
    if args.child:
        child_main(args.child, args.url, args.workdir)
        return 0
    rounds = args.reps or (1 if args.quick else 3)
    n = 20_000 if args.quick and args.snapshots == 100_000 else args.snapshots
    env = C.environment()
    env["dlt"] = C._version("dlt")
    env["duckdb"] = C._version("duckdb")
    C.print_header(
        f"bench_sync: {n} snapshots into DuckDB, ours vs dlt rest_api", env, "quick" if args.quick else "full"
    )
    print(f"   dlt {env['dlt']} | duckdb {env['duckdb']} | rounds {rounds}\n", flush=True)
    records: Dict[str, List[Dict[str, Any]]] = {v: [] for v in VARIANTS}
    with C.FakeServer(n) as fake:
        for r in range(rounds):
            order = VARIANTS if r % 2 == 0 else VARIANTS[::-1]
            for name in order:
                rec = run_child(name, fake.url)
                if rec["rows"] != n:
                    raise AssertionError(f"{name} loaded {rec['rows']} rows, expected {n}")
                records[name].append(rec)
                print(
                    f"   round {r + 1} {name:9s} wall {C.fmt_s(rec['wall'])}  cpu {C.fmt_s(rec['cpu'])}"
                    f"  peak RSS +{C.fmt_mib(rec['peak_rss_kib'])}",
                    flush=True,
                )
    med = {v: {k: C.median([x[k] for x in records[v]]) for k in ("wall", "cpu", "peak_rss_kib")} for v in VARIANTS}
    print("\n-- medians")
    C.print_table(
        ["variant", "wall", "CPU", "peak RSS"],
        [[v, C.fmt_s(med[v]["wall"]), C.fmt_s(med[v]["cpu"]), C.fmt_mib(med[v]["peak_rss_kib"])] for v in VARIANTS],
    )
    wall_ratio = C.ratio(med["rest_api"]["wall"], med["ours"]["wall"])
    cpu_ratio = C.ratio(med["rest_api"]["cpu"], med["ours"]["cpu"])
    rss_ratio = C.ratio(med["ours"]["peak_rss_kib"], med["rest_api"]["peak_rss_kib"])
    rss = "n/a" if rss_ratio is None else f"{rss_ratio:.2f}"
    print(f"\n   rest_api / ours: wall {C.fmt_x(wall_ratio)}, CPU {C.fmt_x(cpu_ratio)}; peak RSS ours / rest_api {rss}")
    targets = C.Targets()
    targets.add("sync wall: rest_api / ours", wall_ratio, 5.0, ">=", f"{n} snapshots, median of {rounds}")
    targets.print()
    C.save_json(
        "bench_sync",
        {"env": env, "snapshots": n, "rounds": rounds, "records": records, "medians": med, "targets": targets.items},
        args.no_save,
    )
    return 0


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
