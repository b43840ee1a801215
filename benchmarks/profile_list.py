"""Where one ``list(per_page=200)`` spends its CPU, per thread (issue 20).

Runs N calls against the fake (its own process, 200 snapshots, 0 ms latency), touching ``id`` and ``created_at`` of
every snapshot, and reads each thread's user+system time and context switches from ``/proc/self/task/*`` before and
after: the calling (Python) thread, the runtime's worker (``gradientai-rs``) and any other thread. Linux only.

    .venv/bin/python benchmarks/profile_list.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

TICK = os.sysconf("SC_CLK_TCK")


def threads() -> Dict[int, Tuple[str, float, int]]:
    """tid -> (name, CPU seconds, context switches) of every thread of this process."""
    out: Dict[int, Tuple[str, float, int]] = {}
    for tid in os.listdir("/proc/self/task"):
        base = f"/proc/self/task/{tid}"
        try:
            with open(f"{base}/stat") as f:
                stat = f.read()
            with open(f"{base}/status") as f:
                status = f.read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
        switches = sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches:" in line)
        out[int(tid)] = (name, cpu, switches)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=2000)
    args = p.parse_args()
    import gradientai_rs

    with C.FakeServer(200, latency_ms=0) as fake:
        client = gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=fake.url, requests_per_minute=None)
        for _ in range(50):
            client.gpu_droplets.snapshots.list(per_page=200)
        gc.collect()
        gc.freeze()
        main_tid = [t for t in os.listdir("/proc/self/task") if int(t) == os.getpid()]
        before = threads()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.calls):
            page = client.gpu_droplets.snapshots.list(per_page=200)
            for s in page.snapshots:
                s.id
                s.created_at
            del page
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        after = threads()
        client.close()
    print(
        f"{args.calls} calls: wall {1e6 * wall / args.calls:.1f} us, process CPU {1e6 * cpu / args.calls:.1f} us per call"
    )
    print(f"{'thread':<24} {'CPU us/call':>12} {'switches/call':>14}")
    for tid, (name, cpu_after, sw_after) in sorted(after.items()):
        name0, cpu_before, sw_before = before.get(tid, (name, 0.0, 0))
        label = f"{name} (calling)" if str(tid) in main_tid else name
        d_cpu = 1e6 * (cpu_after - cpu_before) / args.calls
        d_sw = (sw_after - sw_before) / args.calls
        if d_cpu > 0 or d_sw > 0:
            print(f"{label:<24} {d_cpu:>12.1f} {d_sw:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
