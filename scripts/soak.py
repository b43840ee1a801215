#!/usr/bin/env python3
"""Soak test: many ``list_all`` calls in one process; memory, file descriptors and threads must stay flat.

The fake API runs in a separate process (``python -m gradientai_rs.testing``) so that only the client is measured.
After ``--warmup`` calls the baseline is recorded; then a sample every ``--every`` calls and at the end:
RSS (/proc/self/statm), open fds (/proc/self/fd), Python threads (threading.active_count()) and OS threads
(/proc/self/status ``Threads:``). Verdict: RSS growth after warm-up < ``--max-rss-growth`` (10 %), fds flat (within
``--fd-slack`` of the baseline: idle pooled connections come and go), threads exactly flat. Exits 1 on failure.

    python scripts/soak.py                      # 1,000 calls of 2,000 snapshots
    python scripts/soak.py --iterations 150 --warmup 30
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from typing import Dict, List

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def sample() -> Dict[str, float]:
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * PAGE_SIZE
    with open("/proc/self/status") as f:
        os_threads = next(int(line.split()[1]) for line in f if line.startswith("Threads:"))
    return {
        "rss_mb": rss / 2**20,
        "fds": len(os.listdir("/proc/self/fd")),
        "py_threads": threading.active_count(),
        "os_threads": os_threads,
    }


def start_fake(snapshots: int) -> "tuple[subprocess.Popen[str], str]":
    cmd = [
        sys.executable,
        "-m",
        "gradientai_rs.testing",
        "--port",
        "0",
        "--snapshots",
        str(snapshots),
        "--any-token",
        "--hourly-remaining",
        str(10**12),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    box: List[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline().strip()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=30)
    if not box or not box[0].startswith("http"):
        proc.kill()
        raise SystemExit(f"soak: the fake API did not start (got {box!r})")
    return proc, box[0]


def main(argv: "List[str] | None" = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iterations", type=int, default=1000, help="list_all calls (default 1000)")
    p.add_argument("--warmup", type=int, default=50, help="calls before the baseline is recorded (default 50)")
    p.add_argument("--every", type=int, default=100, help="sample every N calls (default 100)")
    p.add_argument("--snapshots", type=int, default=2000, help="snapshots in the fake account (default 2000)")
    p.add_argument("--max-rss-growth", type=float, default=0.10, help="allowed RSS growth after warm-up (0.10)")
    p.add_argument("--fd-slack", type=int, default=2, help="allowed fd difference from the baseline (2)")
    args = p.parse_args(argv)
    if not 0 < args.warmup < args.iterations:
        p.error("need 0 < --warmup < --iterations")

    from gradientai_rs import GradientAI

    fake, url = start_fake(args.snapshots)
    rows: List[Dict[str, float]] = []
    try:
        client = GradientAI(api_key="soak-token", base_url=url, requests_per_minute=None, timeout=60)
        snaps = client.gpu_droplets.snapshots
        last_t, last_i = time.monotonic(), 0
        for i in range(1, args.iterations + 1):
            got = snaps.list_all()
            if len(got) != args.snapshots:
                print(f"soak: call {i} returned {len(got)} snapshots, expected {args.snapshots}", file=sys.stderr)
                return 1
            del got
            if i == args.warmup or (i > args.warmup and i % args.every == 0) or i == args.iterations:
                now = time.monotonic()
                rows.append({"iteration": i, **sample(), "ms_per_call": 1000 * (now - last_t) / (i - last_i)})
                last_t, last_i = now, i
        client.close()
    finally:
        fake.terminate()
        try:
            fake.wait(timeout=10)
        except subprocess.TimeoutExpired:
            fake.kill()

    base = rows[0]
    print(f"soak: {args.iterations} x list_all() of {args.snapshots} snapshots; baseline after {args.warmup} calls")
    print(f"{'iteration':>9} {'RSS MB':>8} {'growth':>7} {'fds':>4} {'py thr':>6} {'OS thr':>6} {'ms/call':>8}")
    for r in rows:
        growth = (r["rss_mb"] - base["rss_mb"]) / base["rss_mb"]
        print(
            f"{r['iteration']:>9} {r['rss_mb']:>8.1f} {growth:>+7.1%} {r['fds']:>4} {r['py_threads']:>6} "
            f"{r['os_threads']:>6} {r['ms_per_call']:>8.1f}"
        )

    growth = (max(r["rss_mb"] for r in rows) - base["rss_mb"]) / base["rss_mb"]
    checks = {
        f"RSS growth after warm-up {growth:+.1%} < {args.max_rss_growth:.0%}": growth < args.max_rss_growth,
        f"fds flat ({min(r['fds'] for r in rows)}..{max(r['fds'] for r in rows)}, baseline {base['fds']}, "
        f"slack {args.fd_slack})": all(abs(r["fds"] - base["fds"]) <= args.fd_slack for r in rows),
        f"Python threads flat ({base['py_threads']})": all(r["py_threads"] == base["py_threads"] for r in rows),
        f"OS threads flat ({base['os_threads']})": all(r["os_threads"] == base["os_threads"] for r in rows),
    }
    for text, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    verdict = all(checks.values())
    print(f"verdict: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
