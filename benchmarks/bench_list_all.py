"""Issue 3: every snapshot of an account (10,000), and peak memory for 100,000.

Variants (all touch ``s.id`` and ``s.created_at`` of every snapshot after fetching; the touch is timed separately
and included in the totals):
  (a) sdk page loop   — do_gradientai ``list(page=p, per_page=200)`` for p = 1, 2, ... until a short page or
                        ``p * 200 >= meta.total`` (what a user writes today)
  (b) ours page loop  — the same loop with gradientai_rs ``list()``
  (c) ours list_all   — ``list_all()`` with defaults
  (d) ours list_all64 — ``list_all(max_concurrency=64)`` (>= the 50 pages)

Scenarios: fake latency 0 ms and 50 ms (0 ms runs first: it also gives the parse-time estimate for the floor).
Peak RSS: (a) vs (c) for 100,000 snapshots, each in a fresh child process (see README.md).

    .venv/bin/python benchmarks/bench_list_all.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 10_000
N_RSS = 100_000
PER_PAGE = C.PER_PAGE


# ------------------------------------------------------------------------------------------------ the variants


def make_check(expected: int):
    def check(result):
        if len(result) != expected:
            raise AssertionError(f"expected {expected} snapshots, got {len(result)}")

    return check


def sdk_client(url):
    import do_gradientai

    return do_gradientai.GradientAI(api_key=C.API_KEY, base_url=url)


def our_client(url):
    import gradientai_rs

    # requests_per_minute=None: the fake has no burst limit, and our default client-side limiter (250 requests per
    # minute, like the real API) would pause ~60 s once a few 51-request listings have run within a minute.
    return gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=url, requests_per_minute=None)


def variants_for(url, expected):
    sdk, ours = sdk_client(url), our_client(url)
    snaps = ours.gpu_droplets.snapshots
    check = make_check(expected)
    vs = [
        C.Variant("(a) sdk page loop", lambda: C.page_loop(sdk), C.touch, check),
        C.Variant("(b) ours page loop", lambda: C.page_loop(ours), C.touch, check),
        C.Variant("(c) ours list_all()", lambda: snaps.list_all(), C.touch, check),
        C.Variant("(d) ours list_all(max_concurrency=64)", lambda: snaps.list_all(max_concurrency=64), C.touch, check),
    ]
    return vs, (sdk, ours)


ORDER = ["(a) sdk page loop", "(b) ours page loop", "(c) ours list_all()", "(d) ours list_all(max_concurrency=64)"]


def decode_time_of_pages(url, pages):
    """Median time for our Rust decoder to parse ``pages`` raw page bodies (fetched once with urllib), via the
    private ``_core._model_from_json("SnapshotListResponse", body)`` — the same ``decode_page`` the client uses."""
    from gradientai_rs import _core

    bodies = []
    for p in range(1, pages + 1):
        req = urllib.request.Request(
            f"{url}/v2/snapshots?page={p}&per_page={PER_PAGE}", headers={"Authorization": f"Bearer {C.API_KEY}"}
        )
        with urllib.request.urlopen(req) as r:
            bodies.append(r.read().decode("utf-8"))
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        for b in bodies:
            _core._model_from_json("SnapshotListResponse", b)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), sum(len(b) for b in bodies)


# ------------------------------------------------------------------------------------------------ RSS child


def rss_child(variant: str, url: str) -> None:
    import do_gradientai  # noqa: F401 - both packages imported in both children, so baselines are alike

    import gradientai_rs  # noqa: F401

    def setup():
        if variant == "a":
            c = sdk_client(url)
        else:
            c = our_client(url)
        c.gpu_droplets.snapshots.list(per_page=1)  # warm-up: lazy imports, connection, runtime threads
        return c

    def run(c):
        if variant == "a":
            return C.page_loop(c)
        if variant == "c":
            return c.gpu_droplets.snapshots.list_all()
        if variant == "d":
            return c.gpu_droplets.snapshots.list_all(max_concurrency=64)
        raise SystemExit(f"unknown variant {variant}")

    C.child_rss_main(setup, run)


# ------------------------------------------------------------------------------------------------ main


def scenario(latency_ms, rounds, warmup):
    with C.FakeServer(N_SNAPSHOTS, latency_ms=latency_ms) as fake:
        print(
            f"\n-- scenario latency {latency_ms:g} ms: fake {fake.url} ({N_SNAPSHOTS} snapshots), "
            f"{rounds} interleaved rounds after {warmup} warm-up",
            flush=True,
        )
        vs, clients = variants_for(fake.url, N_SNAPSHOTS)
        recs = C.run_interleaved(vs, rounds, warmup, label=f"{latency_ms:g}ms")
        extra = {}
        if latency_ms == 0:
            try:
                extra["decode_50_pages_s"], extra["decode_50_pages_bytes"] = decode_time_of_pages(
                    fake.url, N_SNAPSHOTS // PER_PAGE
                )
            except Exception as exc:  # a private helper: report, don't crash
                extra["decode_error"] = f"{type(exc).__name__}: {exc}"
                print(f"   !! decode measurement failed: {extra['decode_error']}")
        for c in clients:
            c.close()
    S = {name: C.summary(r) for name, r in recs.items()}
    print(
        f"\n   latency {latency_ms:g} ms — whole listing of {N_SNAPSHOTS} snapshots incl. touching them "
        "(medians, interquartile range)"
    )
    C.print_table(C.TIMING_HEADERS, C.timing_rows(S, ORDER))
    print("   split (medians): the listing call alone, and touching id/created_at of every snapshot")
    C.print_table(C.SPLIT_HEADERS, C.split_rows(S, ORDER))
    return S, extra


def main() -> int:
    p = C.base_parser(__doc__)
    p.add_argument("--rss-child", default=None, help=argparse_hidden())
    p.add_argument("--url", default=None, help=argparse_hidden())
    p.add_argument("--skip-rss", action="store_true", help="skip the 100,000-snapshot peak-RSS part")
    args = p.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, args.url)
        return 0

    quick = args.quick
    rounds0 = args.reps or (4 if quick else 20)
    rounds50 = args.reps or (2 if quick else 10)
    rss_reps = 1 if quick else 3
    env = C.environment()
    C.print_header(f"bench_list_all: {N_SNAPSHOTS} snapshots, page loop vs list_all", env, "quick" if quick else "full")
    payload = {
        "env": env,
        "mode": "quick" if quick else "full",
        "snapshots": N_SNAPSHOTS,
        "per_page": PER_PAGE,
        "rounds": {"0ms": rounds0, "50ms": rounds50},
    }

    S0, extra0 = scenario(0, rounds0, 1)
    # 50 ms: each round takes ~7 s, so --quick skips the warm-up round there (code paths are warm from 0 ms).
    S50, _ = scenario(50, rounds50, 0 if quick else 1)
    payload["latency_0ms"] = S0
    payload["latency_50ms"] = S50
    payload.update(extra0)

    # ---- floor at 50 ms
    lat = 0.050
    d0 = C.med(S0.get("(d) ours list_all(max_concurrency=64)"), "wall")
    d0_fetch = C.med(S0.get("(d) ours list_all(max_concurrency=64)"), "run_wall")
    decode = extra0.get("decode_50_pages_s")
    floor = None if d0 is None else 2 * lat + d0
    floor_strict = None if decode is None else 2 * lat + decode
    d50 = C.med(S50.get("(d) ours list_all(max_concurrency=64)"), "wall")
    d50_fetch = C.med(S50.get("(d) ours list_all(max_concurrency=64)"), "run_wall")
    c50 = C.med(S50.get("(c) ours list_all()"), "wall")
    a50 = C.med(S50.get("(a) sdk page loop"), "wall")
    a0_cpu = C.med(S0.get("(a) sdk page loop"), "cpu")
    c0_cpu = C.med(S0.get("(c) ours list_all()"), "cpu")

    print("\n-- floor at 50 ms latency")
    C.print_table(
        ["quantity", "value"],
        [
            ["floor = 2 x 50 ms + (d) wall at 0 ms (fetch+touch) [used for the target]", C.fmt_s(floor)],
            ["(d) wall at 50 ms (fetch+touch)", C.fmt_s(d50)],
            ["(d) / floor", C.fmt_x(C.ratio(d50, floor))],
            ["strict floor = 2 x 50 ms + Rust decode of the 50 page bodies (info)", C.fmt_s(floor_strict)],
            [
                "  decode of 50 pages alone",
                f"{C.fmt_s(decode)} ({extra0.get('decode_50_pages_bytes', 0) / 1e6:.1f} MB)",
            ],
            ["(d) fetch only at 50 ms / strict floor (info)", C.fmt_x(C.ratio(d50_fetch, floor_strict))],
            ["(d) fetch only at 0 ms (info)", C.fmt_s(d0_fetch)],
        ],
    )
    payload["floor"] = {
        "latency_s": lat,
        "floor_s": floor,
        "floor_strict_s": floor_strict,
        "d50_s": d50,
        "d_over_floor": C.ratio(d50, floor),
        "d_fetch_over_strict_floor": C.ratio(d50_fetch, floor_strict),
    }

    print("\n-- ratios")
    rows = []
    for label, S in (("50 ms", S50), ("0 ms", S0)):
        a = S.get("(a) sdk page loop")
        for name in ORDER[1:]:
            s = S.get(name)
            rows.append(
                [
                    label,
                    f"(a) / {name[:3]}",
                    C.fmt_x(C.ratio(C.med(a, "wall"), C.med(s, "wall"))),
                    C.fmt_x(C.ratio(C.med(a, "cpu"), C.med(s, "cpu"))),
                ]
            )
    C.print_table(["latency", "SDK loop / ours", "wall ratio", "client CPU ratio"], rows)

    # ---- peak RSS, 100,000 snapshots
    rss = {}
    if not args.skip_rss:
        print(
            f"\n-- peak RSS for {N_RSS} snapshots (fresh child process per run; {rss_reps} run(s) per variant, "
            "interleaved)",
            flush=True,
        )
        names = {"a": "(a) sdk page loop", "c": "(c) ours list_all()"}
        with C.FakeServer(N_RSS, latency_ms=0) as fake:
            runs = {v: [] for v in names}
            for _ in range(rss_reps):
                for v in names:
                    r = C.measure_rss_in_child(__file__, v, fake.url)
                    runs[v].append(r)
                    if "error" in r:
                        print(f"   !! RSS child {v}: {r['error']}")
                    elif r["count"] != N_RSS:
                        print(f"   !! RSS child {v}: got {r['count']} snapshots, expected {N_RSS}")

        def mid(rs, key):
            xs = [r[key] for r in rs if "error" not in r and r.get(key) is not None]
            return C.median(xs) if xs else None

        for v, rs in runs.items():
            rss[v] = {
                k: mid(rs, k)
                for k in (
                    "baseline_maxrss_kib",
                    "baseline_rss_kib",
                    "peak_minus_baseline_kib",
                    "hwm_minus_baseline_kib",
                    "end_minus_baseline_kib",
                    "wall_s",
                )
            }
            rss[v]["runs"] = rs
        C.print_table(
            [
                "variant",
                "baseline ru_maxrss",
                "ru_maxrss peak - baseline",
                "VmHWM peak - VmRSS base (check)",
                "RSS at end - base",
                "child wall",
            ],
            [
                [
                    names[v],
                    C.fmt_mib(x["baseline_maxrss_kib"]),
                    C.fmt_mib(x["peak_minus_baseline_kib"]),
                    C.fmt_mib(x["hwm_minus_baseline_kib"]),
                    C.fmt_mib(x["end_minus_baseline_kib"]),
                    C.fmt_s(x["wall_s"]),
                ]
                for v, x in rss.items()
            ],
        )
        payload["rss_100k"] = rss

    # ---- targets
    T = C.Targets()
    T.add(
        "50 ms: (c) list_all >= 10x faster (wall) than (a) SDK loop",
        C.ratio(a50, c50),
        10,
        ">=",
        f"(a) {C.fmt_s(a50)} vs (c) {C.fmt_s(c50)}",
    )
    T.add(
        "50 ms: (d) list_all(64) within 1.5x of floor",
        C.ratio(d50, floor),
        1.5,
        "<=",
        f"(d) {C.fmt_s(d50)} vs floor {C.fmt_s(floor)}",
    )
    T.add(
        "0 ms: (c) >= 5x less client CPU than (a)",
        C.ratio(a0_cpu, c0_cpu),
        5,
        ">=",
        f"(a) {C.fmt_s(a0_cpu)} vs (c) {C.fmt_s(c0_cpu)}",
    )
    T.add(
        "0 ms: (c) >= 15x less client CPU than (a) (issue 20)",
        C.ratio(a0_cpu, c0_cpu),
        15,
        ">=",
        f"(a) {C.fmt_s(a0_cpu)} vs (c) {C.fmt_s(c0_cpu)}",
    )
    if rss:
        pa, pc = rss["a"]["peak_minus_baseline_kib"], rss["c"]["peak_minus_baseline_kib"]
        T.add(
            "100k: peak RSS (c) <= 0.5 x (a)", C.ratio(pc, pa), 0.5, "<=", f"(a) {C.fmt_mib(pa)} vs (c) {C.fmt_mib(pc)}"
        )
    T.print()
    payload["targets"] = T.items
    C.save_json("bench_list_all", payload, args.no_save)
    return 0


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
