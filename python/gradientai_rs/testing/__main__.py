"""``python -m gradientai_rs.testing``: run the fake DigitalOcean API until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from ._fake import FakeDigitalOcean


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m gradientai_rs.testing",
        description="Serve a fake DigitalOcean API (/v2/snapshots, /v2/droplets, /v2/volumes) on 127.0.0.1. "
        "Prints its URL on one line, then serves until SIGINT/SIGTERM.",
    )
    p.add_argument("--port", type=int, default=0, help="port to bind (0 = any free port)")
    p.add_argument("--snapshots", type=int, default=50, help="number of generated snapshots")
    p.add_argument("--seed", type=int, default=0, help="data / error seed")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay before every answer")
    tok = p.add_mutually_exclusive_group()
    tok.add_argument("--token", default="fake-token", help="accepted bearer token (default: fake-token)")
    tok.add_argument("--any-token", action="store_true", help="accept any bearer token")
    p.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered 500/503")
    p.add_argument("--gzip", action="store_true", help="gzip bodies when the client accepts it")
    p.add_argument("--burst-limit", type=int, default=None, help="max requests per burst window")
    p.add_argument("--burst-window-s", type=float, default=60.0, help="burst window length in seconds")
    p.add_argument("--retry-after", default="1", help="retry-after value sent with burst 429s")
    p.add_argument("--hourly-remaining", type=int, default=5000, help="initial ratelimit-remaining")
    p.add_argument("--links-base", default=None, help="base URL used in pagination links")
    p.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="RESOURCES",
        help="serve realistic snapshot histories of this many resources (daily/weekly rhythms over two years, "
        "for retention plans) instead of --snapshots, and their sources: the droplets (GPU ones among them) and "
        "volumes that exist, about a third of them gone",
    )
    p.add_argument(
        "--droplets",
        type=int,
        default=None,
        metavar="N",
        help="serve N droplets made from the snapshots' sources (some sources gone, the rest fresh); "
        "default: none, or the history's",
    )
    p.add_argument("--volumes", type=int, default=None, metavar="N", help="the same for volumes")
    p.add_argument(
        "--gpus",
        type=int,
        default=None,
        metavar="N",
        help="how many of the droplets are GPU droplets, listed only under type=gpus (default: a fifth)",
    )
    p.add_argument(
        "--refuse",
        action="append",
        default=[],
        choices=("droplets", "gpus", "snapshots", "volumes"),
        help="answer these reads 403 forbidden, as for a token without the scope (repeatable; "
        "gpus: only GET /v2/droplets?type=gpus)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    fake = FakeDigitalOcean(
        args.snapshots,
        seed=args.seed,
        token=None if args.any_token else args.token,
        latency_ms=args.latency_ms,
        error_rate=args.error_rate,
        gzip=args.gzip,
        burst_limit=args.burst_limit,
        burst_window_s=args.burst_window_s,
        retry_after=args.retry_after,
        hourly_remaining=args.hourly_remaining,
        links_base=args.links_base,
        port=args.port,
        history=args.history or False,
        droplets=args.droplets,
        volumes=args.volumes,
        gpus=args.gpus,
        refuse=args.refuse,
    )
    with fake:
        sys.stdout.write(fake.url + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a signal that arrived before the handlers were installed
        sys.exit(0)
