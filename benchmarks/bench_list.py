"""Issues 2 and 20: one ``client.gpu_droplets.snapshots.list(per_page=200)`` call — do_gradientai vs gradientai_rs,
and the fastest plain Python: a hand-written stdlib loop (one kept-alive ``http.client.HTTPConnection``, ``json.loads``).

The fake serves 200 snapshots with zero latency (in its own process). Every variant touches every snapshot the same
way (``s.id`` and ``s.created_at``; the stdlib loop reads the two keys of its dicts, leaving ``created_at`` a string)
so that lazy conversion can't make ours look cheaper than it is.

    .venv/bin/python benchmarks/bench_list.py [--quick]
"""

from __future__ import annotations

import http.client
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 200


def touch(page):
    """Read ``id`` and ``created_at`` of every snapshot of the page (the same for both libraries)."""
    n = 0
    for s in page.snapshots:
        s.id
        s.created_at
        n += 1
    return n


def touch_dicts(page):
    """The stdlib loop's touch: the same two fields, read from the dicts ``json.loads`` made."""
    n = 0
    for s in page["snapshots"]:
        s["id"]
        s["created_at"]
        n += 1
    return n


class StdlibLoop:
    """What a user who drops the SDK writes with the standard library: one kept-alive connection, ``json.loads``."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
        self.headers = {"Authorization": f"Bearer {C.API_KEY}", "Accept": "application/json"}

    def list(self):
        self.conn.request("GET", "/v2/snapshots?per_page=200", headers=self.headers)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise AssertionError(f"stdlib loop: HTTP {resp.status}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()


def main() -> int:
    args = C.base_parser(__doc__).parse_args()
    rounds = args.reps or (30 if args.quick else 200)
    warmup = 5 if args.quick else 20
    env = C.environment()
    C.print_header(
        "bench_list: one list(per_page=200) call, 200 snapshots, 0 ms latency", env, "quick" if args.quick else "full"
    )

    import do_gradientai

    import gradientai_rs

    payload = {
        "env": env,
        "mode": "quick" if args.quick else "full",
        "rounds": rounds,
        "warmup": warmup,
        "snapshots": N_SNAPSHOTS,
        "latency_ms": 0,
    }
    with C.FakeServer(N_SNAPSHOTS, latency_ms=0) as fake:
        print(f"   fake: {fake.url} ({N_SNAPSHOTS} snapshots, pid {fake.proc.pid})\n")
        sdk = do_gradientai.GradientAI(api_key=C.API_KEY, base_url=fake.url)
        # requests_per_minute=None: our client-side limiter (default 250/min, the real API's burst limit) would
        # otherwise pause ~60 s every 250 calls; the fake has no burst limit.
        ours = gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=fake.url, requests_per_minute=None)
        stdlib = StdlibLoop(fake.url)

        def sdk_list():
            return sdk.gpu_droplets.snapshots.list(per_page=200)

        def ours_list():
            return ours.gpu_droplets.snapshots.list(per_page=200)

        def check(page):
            if len(page.snapshots) != N_SNAPSHOTS:
                raise AssertionError(f"expected {N_SNAPSHOTS} snapshots, got {len(page.snapshots)}")

        def check_dicts(page):
            if len(page["snapshots"]) != N_SNAPSHOTS:
                raise AssertionError(f"expected {N_SNAPSHOTS} snapshots, got {len(page['snapshots'])}")

        # sanity: same data from both
        try:
            a, b = sdk_list(), ours_list()
            ids_a = [(s.id, s.created_at) for s in a.snapshots]
            ids_b = [(s.id, s.created_at) for s in b.snapshots]
            same = ids_a == ids_b
            print(f"   sanity: both return {len(ids_a)}/{len(ids_b)} snapshots; ids and created_at equal: {same}")
            payload["sanity_equal"] = same
        except Exception as exc:  # reported; the interleaved runs below record the failing variant
            payload["sanity_error"] = f"{type(exc).__name__}: {exc}"
            print(f"   !! sanity check failed: {payload['sanity_error']}")

        variants = [
            C.Variant("sdk: list + touch", sdk_list, touch, check),
            C.Variant("ours: list + touch", ours_list, touch, check),
            C.Variant("stdlib: http.client + json.loads + touch", stdlib.list, touch_dicts, check_dicts),
            # informational: the call alone, results not touched
            C.Variant("sdk: list only (info)", sdk_list),
            C.Variant("ours: list only (info)", ours_list),
        ]
        recs = C.run_interleaved(variants, rounds, warmup, label="list")
        sdk.close()
        ours.close()
        stdlib.close()

    S = {name: C.summary(r) for name, r in recs.items()}
    sdk_s, our_s = S["sdk: list + touch"], S["ours: list + touch"]
    std_s = S["stdlib: http.client + json.loads + touch"]
    print("\n-- per call (list(per_page=200) + read id/created_at of 200 snapshots; medians, interquartile range)")
    C.print_table(C.TIMING_HEADERS, C.timing_rows(S, [v.name for v in variants]))
    print("   split (medians): the list() call alone, and touching id/created_at of the 200 snapshots")
    C.print_table(C.SPLIT_HEADERS, C.split_rows(S, [v.name for v in variants[:3]]))

    cpu_ratio = C.ratio(C.med(sdk_s, "cpu"), C.med(our_s, "cpu"))
    wall_ratio = C.ratio(C.med(sdk_s, "wall"), C.med(our_s, "wall"))
    std_cpu_ratio = C.ratio(C.med(std_s, "cpu"), C.med(our_s, "cpu"))
    info_cpu = C.ratio(C.med(S["sdk: list only (info)"], "cpu"), C.med(S["ours: list only (info)"], "cpu"))
    print("\n-- ratios SDK / ours (higher = ours better)")
    C.print_table(
        ["metric", "SDK / ours"],
        [
            ["client CPU per call (touched)", C.fmt_x(cpu_ratio)],
            ["client CPU per call (touched), stdlib loop / ours", C.fmt_x(std_cpu_ratio)],
            ["wall per call (touched)", C.fmt_x(wall_ratio)],
            ["client CPU per call (untouched, info)", C.fmt_x(info_cpu)],
            ["ours: touch share of CPU", f"{100 * (C.med(our_s, 'post_cpu') or 0) / (C.med(our_s, 'cpu') or 1):.0f}%"],
        ],
    )

    T = C.Targets()
    T.add(
        "client CPU per call: SDK/ours >= 15x (issue 2: 5x)",
        cpu_ratio,
        15.0,
        ">=",
        f"SDK {C.fmt_s(C.med(sdk_s, 'cpu'))} vs ours {C.fmt_s(C.med(our_s, 'cpu'))}",
    )
    T.add(
        "client CPU per call: stdlib loop/ours >= 3x (issue 20)",
        std_cpu_ratio,
        3.0,
        ">=",
        f"stdlib {C.fmt_s(C.med(std_s, 'cpu'))} vs ours {C.fmt_s(C.med(our_s, 'cpu'))}",
    )
    T.print()

    payload.update(
        {
            "results": S,
            "ratios": {
                "cpu_sdk_over_ours": cpu_ratio,
                "cpu_stdlib_over_ours": std_cpu_ratio,
                "wall_sdk_over_ours": wall_ratio,
                "cpu_untouched_sdk_over_ours": info_cpu,
            },
            "targets": T.items,
        }
    )
    C.save_json("bench_list", payload, args.no_save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
