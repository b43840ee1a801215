"""``snapshots cost``: count, size and monthly cost per group."""

from __future__ import annotations

import argparse
import sys

from ._command import Command
from ._common import EXIT_OK, UsageError, client, isatty
from ._options import filter_options, float_type, orphaned_option, output_options, resource_type_option
from ._output import Column, Row, emit, fmt_2f
from ._vocab import SUMMARY_KEYS
from .snapshots import all_contexts, list_accounts, refine

__all__ = ["COST"]

#: ``--rate``: what the core's ``rate_per_gb_month`` accepts (finite, >= 0).
_rate_type = float_type(lo=0.0, hi=float("inf"), lo_open=False, what="a finite number of USD >= 0")


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--by",
        choices=SUMMARY_KEYS,
        default="resource_type",
        metavar="FIELD",
        help=f"group by: {', '.join(SUMMARY_KEYS)} (default: resource_type; account needs --all-contexts; "
        "source: exists/gone/unknown, listing the droplets and volumes too)",
    )
    p.add_argument(
        "--rate",
        metavar="USD",
        type=_rate_type,
        default=None,
        help="USD per GB-month (default: 0.06, DigitalOcean's snapshot price)",
    )
    resource_type_option(p)
    filter_options(p)
    orphaned_option(p)
    output_options(p, json_help="json: a JSON array of objects")


def _run(args: argparse.Namespace) -> int:
    sources = args.orphaned or args.by == "source"
    if all_contexts(args):
        listing = list_accounts(args, resource_type=args.resource_type, with_sources=sources)
    else:
        if args.by == "account":
            raise UsageError("--by account needs --all-contexts")
        with client(args) as c:
            listing = c.gpu_droplets.snapshots.list_all(
                resource_type=args.resource_type, progress=isatty(sys.stderr) or None, with_sources=sources
            )
    listing = refine(args, listing)
    summary = listing.summary(args.by, rate_per_gb_month=args.rate)
    columns = [
        Column("group", args.by.replace("_", " ").title()),
        Column("count", "Count"),
        Column("size_gigabytes", "Size (GB)", fmt_2f),
        Column("monthly_cost_usd", "USD/month", fmt_2f),
    ]
    total = [
        "TOTAL",
        str(len(listing)),
        f"{listing.size_gigabytes:.2f}",
        f"{listing.monthly_cost(summary.rate_per_gb_month):.2f}",
    ]
    rows = [Row(d) for d in summary.to_dicts()]
    emit(rows, args.format, columns, not args.no_header, whole_rows=True, footer=total, raw=args.raw)
    if args.format == "table" and args.by in ("region", "tag"):
        sys.stdout.flush()
        sys.stderr.write(f"(a snapshot with several {args.by}s counts in each; the total counts it once)\n")
    return EXIT_OK


COST = Command(
    path=("snapshots", "cost"),
    help="what snapshots cost per month, by group",
    description="List every snapshot and print count, size and monthly cost per group (size x rate; "
    "DigitalOcean bills snapshots at $0.06/GB-month since July 2022). Region and tag groups count a snapshot "
    "in each of its groups.",
    add_arguments=_arguments,
    run=_run,
)
