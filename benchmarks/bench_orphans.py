"""Issue 17: the snapshots whose droplet or volume is gone, for an account of 10,000 snapshots, 2,000 droplets (some
of them GPU droplets) and 1,000 volumes, at 50 ms latency.

Variants (interleaved rounds, one fake in its own process):
  (a) sdk script      — the obvious do_gradientai script: three page loops (snapshots; droplets, both the default
                        listing and ``type="gpus"``, since the default one leaves GPU droplets out; volumes), each
                        ``list(page=p, per_page=200)`` until a short page, then a set difference
  (b) ours orphans()  — ``client.gpu_droplets.snapshots.orphans()``
  (s1..s4)            — each single listing alone with ``list_all`` (snapshots, droplets, GPU droplets, volumes):
                        the slowest of them is the floor ``orphans()`` should approach (its listings run together)

Both answers are checked against each other (the same orphans, in the same order) on every round.

    .venv/bin/python benchmarks/bench_orphans.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 10_000
N_DROPLETS = 2_000
N_GPUS = 300
N_VOLUMES = 1_000
LATENCY_MS = 50
PER_PAGE = C.PER_PAGE

SDK = "(a) sdk script"
OURS = "(b) ours orphans()"
SINGLES = {
    "(s1) ours snapshots list_all": lambda c: c.gpu_droplets.snapshots.list_all(),
    "(s2) ours droplets list_all": lambda c: c.gpu_droplets.list_all(),
    "(s3) ours GPU droplets list_all": lambda c: c.gpu_droplets.list_all(type="gpus"),
    "(s4) ours volumes list_all": lambda c: c.gpu_droplets.volumes.list_all(),
}
ORDER = [SDK, OURS, *SINGLES]


def sdk_client(url):
    import do_gradientai

    return do_gradientai.GradientAI(api_key=C.API_KEY, base_url=url)


def our_client(url):
    import gradientai_rs

    # requests_per_minute=None: the fake has no burst limit (see bench_list_all.py).
    return gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=url, requests_per_minute=None)


def sdk_script(sdk):
    """What a user writes with the SDK today (and gets right: GPU droplets included)."""

    def every(call, key):
        out, page = [], 1
        while True:
            items = getattr(call(page), key)
            out += items
            if len(items) < PER_PAGE:
                return out
            page += 1

    snapshots = every(lambda p: sdk.gpu_droplets.snapshots.list(page=p, per_page=PER_PAGE), "snapshots")
    droplets = []
    for kind in ("droplets", "gpus"):
        droplets += every(lambda p, kind=kind: sdk.gpu_droplets.list(page=p, per_page=PER_PAGE, type=kind), "droplets")
    volumes = every(lambda p: sdk.gpu_droplets.volumes.list(page=p, per_page=PER_PAGE), "volumes")
    alive = {("droplet", str(d.id)) for d in droplets} | {("volume", v.id) for v in volumes}
    return [
        s.id
        for s in snapshots
        if s.resource_id and s.resource_type in ("droplet", "volume") and (s.resource_type, s.resource_id) not in alive
    ]


def main() -> int:
    p = C.base_parser(__doc__)
    args = p.parse_args()
    quick = args.quick
    rounds = args.reps or (2 if quick else 7)
    env = C.environment()
    C.print_header(
        f"bench_orphans: {N_SNAPSHOTS} snapshots, {N_DROPLETS} droplets ({N_GPUS} GPU), {N_VOLUMES} volumes at "
        f"{LATENCY_MS} ms",
        env,
        "quick" if quick else "full",
    )
    extra = ["--droplets", str(N_DROPLETS), "--gpus", str(N_GPUS), "--volumes", str(N_VOLUMES)]
    with C.FakeServer(N_SNAPSHOTS, latency_ms=LATENCY_MS, extra_args=extra) as fake:
        sdk, ours = sdk_client(fake.url), our_client(fake.url)
        expected = sdk_script(sdk)
        counts = (
            len(ours.gpu_droplets.snapshots.list_all()),
            len(ours.gpu_droplets.list_all()) + len(ours.gpu_droplets.list_all(type="gpus")),
            len(ours.gpu_droplets.volumes.list_all()),
        )
        print(
            f"   fake {fake.url}: {counts[0]} snapshots, {counts[1]} droplets, {counts[2]} volumes; "
            f"{len(expected)} orphans",
            flush=True,
        )
        if counts != (N_SNAPSHOTS, N_DROPLETS, N_VOLUMES) or not expected:
            print("   !! the fake doesn't serve the data this benchmark expects")
            return 1

        def same(result):
            got = [s.id for s in result] if not isinstance(result, list) else result
            if got != expected:
                raise AssertionError(f"{len(got)} orphans, expected {len(expected)}")

        variants = [
            C.Variant(SDK, lambda: sdk_script(sdk), check=same),
            C.Variant(OURS, lambda: ours.gpu_droplets.snapshots.orphans(), check=same),
        ] + [C.Variant(name, (lambda f=f: f(ours))) for name, f in SINGLES.items()]
        recs = C.run_interleaved(variants, rounds, warmup=1, label=f"{LATENCY_MS}ms")
        sdk.close()
        ours.close()

    S = {name: C.summary(rec) for name, rec in recs.items()}
    print(f"\n   latency {LATENCY_MS} ms, {rounds} measured rounds (medians, [quartiles])")
    C.print_table(C.TIMING_HEADERS, C.timing_rows(S, ORDER))

    a, b = C.med(S.get(SDK)), C.med(S.get(OURS))
    singles = {name: C.med(S.get(name)) for name in SINGLES}
    known = [v for v in singles.values() if v is not None]
    slowest = max(known) if len(known) == len(singles) else None
    slowest_name = max(singles, key=lambda n: singles[n] or 0.0)
    speedup = C.ratio(a, b)
    over_slowest = C.ratio(b, slowest)
    summed = sum(known) if len(known) == len(singles) else None
    print("\n-- ratios")
    C.print_table(
        ["quantity", "value"],
        [
            ["(a) sdk script / (b) orphans() (wall)", C.fmt_x(speedup)],
            ["(a) / (b) (client CPU)", C.fmt_x(C.ratio(C.med(S.get(SDK), "cpu"), C.med(S.get(OURS), "cpu")))],
            [f"slowest single listing: {slowest_name}", C.fmt_s(slowest)],
            ["(b) orphans() / slowest single listing", C.fmt_x(over_slowest)],
            ["sum of the four single listings (what running them one after another costs)", C.fmt_s(summed)],
        ],
    )
    T = C.Targets()
    T.add("orphans() >= 10x faster (wall) than the SDK script", speedup, 10.0, ">=", f"{C.fmt_s(a)} vs {C.fmt_s(b)}")
    T.add(
        "orphans() wall <= 1.3x the slowest single listing",
        over_slowest,
        1.3,
        "<=",
        f"{C.fmt_s(b)} vs {C.fmt_s(slowest)}",
    )
    T.print()
    payload = {
        "env": env,
        "mode": "quick" if quick else "full",
        "snapshots": N_SNAPSHOTS,
        "droplets": N_DROPLETS,
        "gpu_droplets": N_GPUS,
        "volumes": N_VOLUMES,
        "orphans": len(expected),
        "latency_ms": LATENCY_MS,
        "rounds": rounds,
        "results": S,
        "sdk_over_ours": speedup,
        "ours_over_slowest_listing": over_slowest,
        "slowest_listing": slowest_name,
        "targets": T.items,
    }
    C.save_json("bench_orphans", payload, args.no_save)
    return 0 if all(t["status"] == "PASS" for t in T.items) else 1


if __name__ == "__main__":
    sys.exit(main())
