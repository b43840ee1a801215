"""Issue 4: the asyncio clients, at 50 ms fake latency (10,000 snapshots, fake in its own process).

Parts (each runs inside ONE event loop, variants interleaved; a part that fails is reported, not fatal):
  1. gather20  — 20 concurrent ``list(page=i, per_page=200)`` (i = 1..20) with ``asyncio.gather``:
                 do_gradientai.AsyncGradientAI vs gradientai_rs.AsyncGradientAI (every snapshot touched).
  2. list_all  — our ``await list_all()`` of 10,000 vs the SDK's async page loop (sequential ``await list(page=p)``),
                 plus (info) an SDK "smart" loop: page 1, then ``gather`` of the remaining pages.
  3. heartbeat — a coroutine ``await asyncio.sleep(0.005)`` in a loop while ``await list_all()`` runs; the lateness
                 of each wake-up beyond 5 ms is recorded; we report the worst gap per run.

    .venv/bin/python benchmarks/bench_async.py [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 10_000
PER_PAGE = C.PER_PAGE
LATENCY_MS = 50
N_GATHER = 20
TICK = 0.005


async def sdk_page_loop(client):
    out = []
    page = 1
    while True:
        r = await client.gpu_droplets.snapshots.list(page=page, per_page=PER_PAGE)
        snaps = r.snapshots or []
        out.extend(snaps)
        total = r.meta.total if r.meta is not None else None
        if len(snaps) < PER_PAGE or (total is not None and page * PER_PAGE >= total):
            return out
        page += 1


async def sdk_gather_loop(client):
    """What a careful SDK user could write: page 1 for meta.total, then all other pages at once."""
    first = await client.gpu_droplets.snapshots.list(page=1, per_page=PER_PAGE)
    total = first.meta.total or 0
    pages = -(-total // PER_PAGE)
    rest = await asyncio.gather(
        *[client.gpu_droplets.snapshots.list(page=p, per_page=PER_PAGE) for p in range(2, pages + 1)]
    )
    out = list(first.snapshots or [])
    for r in rest:
        out.extend(r.snapshots or [])
    return out


async def gather20(client):
    pages = await asyncio.gather(
        *[client.gpu_droplets.snapshots.list(page=i, per_page=PER_PAGE) for i in range(1, N_GATHER + 1)]
    )
    return [s for p in pages for s in p.snapshots]


class AsyncVariant:
    def __init__(self, name, run, post=None, expected=None):
        self.name, self.run, self.post, self.expected = name, run, post, expected


async def run_interleaved_async(variants, rounds, warmup, label):
    """The asyncio twin of ``_common.run_interleaved`` (rotation, gc outside the timed region, errors recorded)."""
    import gc

    recs = {v.name: C._new_record() for v in variants}
    gc.collect()
    gc.freeze()
    n = len(variants)
    t0 = time.perf_counter()
    for r in range(warmup + rounds):
        for k in range(n):
            v = variants[(k + r) % n]
            rec = recs[v.name]
            if rec["error"] is not None:
                continue
            gc.collect()
            try:
                w0, c0 = time.perf_counter(), time.process_time()
                result = await v.run()
                w1, c1 = time.perf_counter(), time.process_time()
                pw = pc = 0.0
                if v.post is not None:
                    _, pw, pc = C.timed(lambda: v.post(result))  # noqa: B023 (called in this iteration)
                if v.expected is not None and len(result) != v.expected:
                    raise AssertionError(f"expected {v.expected} snapshots, got {len(result)}")
            except Exception as exc:
                rec["error"] = f"{type(exc).__name__}: {exc}"
                rec["traceback"] = traceback.format_exc()
                print(f"   !! variant {v.name!r} failed: {rec['error']}", flush=True)
                continue
            finally:
                result = None
            if r >= warmup:
                rec["wall"].append(w1 - w0 + pw)
                rec["cpu"].append(c1 - c0 + pc)
                rec["run_wall"].append(w1 - w0)
                rec["run_cpu"].append(c1 - c0)
                rec["post_wall"].append(pw)
                rec["post_cpu"].append(pc)
        if (r + 1) == warmup + rounds or (r + 1) % max(1, (warmup + rounds) // 4) == 0:
            print(f"   {label} round {r + 1}/{warmup + rounds} ({time.perf_counter() - t0:.1f}s)", flush=True)
    return {name: C.summary(rec) for name, rec in recs.items()}


async def heartbeat_during(coro_factory):
    """Runs a 5 ms sleeper while awaiting ``coro_factory()``; returns (result or exception, worst lateness, ticks)."""
    done = asyncio.Event()
    late = []

    async def beat():
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(TICK)
            late.append(time.perf_counter() - t - TICK)

    hb = asyncio.create_task(beat())
    await asyncio.sleep(0)  # let the heartbeat start first
    try:
        result = await coro_factory()
    except Exception as exc:  # reported by the caller
        result = exc
    finally:
        done.set()
        await hb
    return result, (max(late) if late else None), len(late)


async def amain(url, args, payload):
    import do_gradientai

    import gradientai_rs

    quick = args.quick
    sdk = do_gradientai.AsyncGradientAI(api_key=C.API_KEY, base_url=url)
    try:
        ours = gradientai_rs.AsyncGradientAI(api_key=C.API_KEY, base_url=url, requests_per_minute=None)
    except Exception as exc:
        payload["error"] = f"constructing gradientai_rs.AsyncGradientAI failed: {type(exc).__name__}: {exc}"
        print("   !! " + payload["error"])
        return
    T = C.Targets()

    # ---- part 1: 20 concurrent list() calls
    print(
        f"\n-- part 1: {N_GATHER} concurrent list(per_page=200) via asyncio.gather, {LATENCY_MS} ms latency", flush=True
    )
    rounds = args.reps or (5 if quick else 30)
    try:
        S1 = await run_interleaved_async(
            [
                AsyncVariant("sdk AsyncGradientAI gather20", lambda: gather20(sdk), C.touch, N_GATHER * PER_PAGE),
                AsyncVariant("ours AsyncGradientAI gather20", lambda: gather20(ours), C.touch, N_GATHER * PER_PAGE),
            ],
            rounds,
            2,
            "gather20",
        )
        C.print_table(C.TIMING_HEADERS, C.timing_rows(S1, list(S1)))
        s_sdk, s_our = S1["sdk AsyncGradientAI gather20"], S1["ours AsyncGradientAI gather20"]
        cpu_r = C.ratio(C.med(s_sdk, "cpu"), C.med(s_our, "cpu"))
        wall_r = C.ratio(C.med(s_our, "wall"), C.med(s_sdk, "wall"))
        print(f"   SDK/ours client CPU: {C.fmt_x(cpu_r)}   ours/SDK wall: {C.fmt_x(wall_r)}")
        T.add(
            "gather20: SDK/ours client CPU >= 5x",
            cpu_r,
            5,
            ">=",
            f"SDK {C.fmt_s(C.med(s_sdk, 'cpu'))} vs ours {C.fmt_s(C.med(s_our, 'cpu'))}",
        )
        T.add(
            "gather20: ours wall <= SDK wall (ratio ours/SDK)",
            wall_r,
            1.0,
            "<=",
            f"SDK {C.fmt_s(C.med(s_sdk, 'wall'))} vs ours {C.fmt_s(C.med(s_our, 'wall'))}",
        )
        payload["gather20"] = S1
    except Exception as exc:
        payload["gather20_error"] = traceback.format_exc()
        print(f"   !! part 1 failed: {type(exc).__name__}: {exc}")

    # ---- part 2: list_all vs the SDK async page loop
    print(f"\n-- part 2: all {N_SNAPSHOTS} snapshots, {LATENCY_MS} ms latency", flush=True)
    rounds = args.reps or (2 if quick else 8)
    try:
        S2 = await run_interleaved_async(
            [
                AsyncVariant("sdk async page loop", lambda: sdk_page_loop(sdk), C.touch, N_SNAPSHOTS),
                AsyncVariant(
                    "ours await list_all()", lambda: ours.gpu_droplets.snapshots.list_all(), C.touch, N_SNAPSHOTS
                ),
                AsyncVariant("sdk async page1+gather (info)", lambda: sdk_gather_loop(sdk), C.touch, N_SNAPSHOTS),
            ],
            rounds,
            1,
            "list_all",
        )
        C.print_table(C.TIMING_HEADERS, C.timing_rows(S2, list(S2)))
        a, c = S2["sdk async page loop"], S2["ours await list_all()"]
        r = C.ratio(C.med(a, "wall"), C.med(c, "wall"))
        g = C.ratio(C.med(S2["sdk async page1+gather (info)"], "wall"), C.med(c, "wall"))
        print(
            f"   SDK page loop / ours wall: {C.fmt_x(r)}   (info) SDK page1+gather / ours wall: {C.fmt_x(g)}"
            f"   SDK page loop / ours CPU: {C.fmt_x(C.ratio(C.med(a, 'cpu'), C.med(c, 'cpu')))}"
        )
        T.add(
            "async list_all >= 10x faster (wall) than SDK async page loop",
            r,
            10,
            ">=",
            f"SDK {C.fmt_s(C.med(a, 'wall'))} vs ours {C.fmt_s(C.med(c, 'wall'))}",
        )
        payload["list_all"] = S2
    except Exception as exc:
        payload["list_all_error"] = traceback.format_exc()
        print(f"   !! part 2 failed: {type(exc).__name__}: {exc}")

    # ---- part 3: event-loop heartbeat
    print(
        f"\n-- part 3: event-loop heartbeat ({TICK * 1e3:g} ms sleeper) during await list_all() of {N_SNAPSHOTS}",
        flush=True,
    )
    runs = args.reps or (3 if quick else 10)
    hb = {"idle": [], "ours list_all": [], "sdk async page loop (info)": []}
    errors = {}
    for i in range(runs):
        # idle baseline: the same sleeper for ~0.3 s with nothing else running
        _, worst, _ = await heartbeat_during(lambda: asyncio.sleep(0.3))
        hb["idle"].append(worst)
        res, worst, ticks = await heartbeat_during(lambda: ours.gpu_droplets.snapshots.list_all())
        if isinstance(res, Exception):
            errors["ours list_all"] = f"{type(res).__name__}: {res}"
            print(f"   !! list_all failed during heartbeat: {errors['ours list_all']}")
            break
        hb["ours list_all"].append(worst)
        res = None
        if i < (1 if quick else 3):
            res, worst, _ = await heartbeat_during(lambda: sdk_page_loop(sdk))
            if not isinstance(res, Exception):
                hb["sdk async page loop (info)"].append(worst)
            res = None
    rows = []
    for k, xs in hb.items():
        xs = [x for x in xs if x is not None]
        rows.append([k, len(xs), C.fmt_s(C.median(xs)), C.fmt_s(max(xs) if xs else None)])
    C.print_table(["during", "runs", "median of worst gap beyond 5 ms", "worst gap beyond 5 ms"], rows)
    worst_ours = max(hb["ours list_all"]) if hb["ours list_all"] else None
    T.add(
        "heartbeat: worst gap beyond 5 ms during list_all < 20 ms (seconds)",
        worst_ours,
        0.020,
        "<=",
        f"worst {C.fmt_s(worst_ours)} over {len(hb['ours list_all'])} runs; idle worst "
        f"{C.fmt_s(max([x for x in hb['idle'] if x is not None], default=None))}",
    )
    payload["heartbeat"] = {"samples": hb, "errors": errors}

    try:
        await ours.close()
    except Exception as exc:
        print(f"   !! ours.close() failed: {type(exc).__name__}: {exc}")
    await sdk.close()
    T.print()
    payload["targets"] = T.items


def main() -> int:
    args = C.base_parser(__doc__).parse_args()
    env = C.environment()
    C.print_header(
        f"bench_async: asyncio clients, {LATENCY_MS} ms latency, {N_SNAPSHOTS} snapshots",
        env,
        "quick" if args.quick else "full",
    )
    payload = {
        "env": env,
        "mode": "quick" if args.quick else "full",
        "latency_ms": LATENCY_MS,
        "snapshots": N_SNAPSHOTS,
    }
    with C.FakeServer(N_SNAPSHOTS, latency_ms=LATENCY_MS) as fake:
        print(f"   fake: {fake.url}")
        try:
            asyncio.run(amain(fake.url, args, payload))
        except Exception as exc:
            payload["fatal"] = traceback.format_exc()
            print(f"   !! the async benchmark stopped: {type(exc).__name__}: {exc}")
    C.save_json("bench_async", payload, args.no_save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
