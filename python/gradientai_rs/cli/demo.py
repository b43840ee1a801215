"""``demo``: the SDK's example against an embedded fake API (or, with ``--live``, the real one; read-only)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .._core import GradientAI
from .._exceptions import MissingAPIKeyError
from ._command import Command
from ._common import EXIT_OK, TOKEN_ENV_VARS, client, isatty
from ._options import int_type
from ._output import Out, emit
from .snapshots import SNAPSHOT_COLUMNS, snapshot_rows

__all__ = ["DEMO"]

DEMO_COLUMNS = ("id", "name", "created_at", "regions", "resource_type", "size_gigabytes")
#: The most snapshots the embedded fake is asked to make up (it holds them all in memory).
MAX_DEMO_SNAPSHOTS = 1_000_000


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--snapshots",
        metavar="N",
        type=int_type(0, MAX_DEMO_SNAPSHOTS),
        default=250,
        help=f"snapshots in the fake API, 0..{MAX_DEMO_SNAPSHOTS:,} (default: 250)",
    )
    p.add_argument(
        "--seed", metavar="S", type=int_type(-(2**63), 2**63 - 1), default=0, help="seed of the fake data (default: 0)"
    )
    p.add_argument(
        "--rows",
        metavar="N",
        type=int_type(0, 2**31 - 1),
        default=5,
        help="rows of the first page to show (default: 5)",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="run against the real API (or --base-url) instead, with the token from DIGITALOCEAN_ACCESS_TOKEN "
        "or GRADIENTAI_API_KEY; read-only",
    )


def _token_configured() -> bool:
    return any(os.environ.get(name, "").strip() for name in TOKEN_ENV_VARS)


def _run(args: argparse.Namespace) -> int:
    out = Out(sys.stdout)
    if args.live:
        if not _token_configured():
            raise MissingAPIKeyError("demo --live needs a token")
        live = client(args)
        out.write(f"# live API at {live.base_url} (read-only; token from the environment)\n")
        return _run_demo(out, live, args, client_args=f"base_url={live.base_url!r}")

    from ..testing import FakeDigitalOcean

    with FakeDigitalOcean(snapshots=args.snapshots, seed=args.seed, token=None) as fake:
        out.write(f"# fake DigitalOcean API at {fake.url} ({args.snapshots} snapshots, seed {args.seed})\n")
        local = client(args, api_key="demo-token", base_url=fake.url)
        return _run_demo(out, local, args, client_args='api_key="demo-token", base_url=fake.url')


def _run_demo(out: Out, c: GradientAI, args: argparse.Namespace, *, client_args: str) -> int:
    with c:
        out.write(f">>> client = GradientAI({client_args})\n")
        out.write('>>> snapshots = client.gpu_droplets.snapshots.list(resource_type="droplet", per_page=200)\n')
        out.write(">>> print(snapshots.meta)\n")
        snapshots = c.gpu_droplets.snapshots.list(resource_type="droplet", per_page=200)
        out.write(f"{snapshots.meta}\n")
        rows = (snapshots.snapshots or [])[: args.rows]
        if rows:
            out.write(f"\nfirst {len(rows)} of this page:\n")
            emit(snapshot_rows(rows), "table", [SNAPSHOT_COLUMNS[k] for k in DEMO_COLUMNS], True, stream=out.stream)
        out.write("\n>>> everything = client.gpu_droplets.snapshots.list_all()\n")
        sys.stdout.flush()
        start = time.perf_counter()
        everything = c.gpu_droplets.snapshots.list_all(progress=isatty(sys.stderr) or None)
        elapsed = time.perf_counter() - start
        ids = [s.id for s in everything]
        unique = "every id once" if len(set(ids)) == len(ids) else f"{len(ids) - len(set(ids))} duplicate ids"
        pages = everything.pages
        out.write(
            f"{len(everything)} snapshots (total {everything.total}) from {pages} page{'s' if pages != 1 else ''} "
            f"in {elapsed:.3f} s; {unique}\n"
        )
    return EXIT_OK


DEMO = Command(
    path=("demo",),
    help="run the SDK's example against an embedded fake API",
    description="Start an embedded fake DigitalOcean API (gradientai_rs.testing.FakeDigitalOcean) on "
    "127.0.0.1 and run the SDK's example against it: list(resource_type='droplet', per_page=200), "
    "print(snapshots.meta), the first rows, then a list_all() summary. Nothing leaves this machine unless "
    "--live is given.",
    add_arguments=_arguments,
    run=_run,
)
