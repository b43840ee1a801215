"""``snapshots prune``: print a retention plan; with ``--apply``, delete it."""

from __future__ import annotations

import argparse
import sys
from typing import Any, List

from .._hygiene import PruneResult, RetentionPolicy
from ._command import Command
from ._common import EXIT_API, EXIT_OK, Declined, UsageError, client, confirm, describe_api_error, error, isatty
from ._options import (
    filter_options,
    int_type,
    orphaned_option,
    output_options,
    resource_type_option,
    select_kwargs,
)
from ._output import Column, Out, Row, emit
from ._vocab import GROUP_BY_KEYS, MAX_CONCURRENCY, MAX_COUNT
from .snapshots import SNAPSHOT_COLUMNS, all_contexts, snapshot_rows

__all__ = ["KEEP_UNITS", "PRUNE"]

KEEP_UNITS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
#: Deletes at a time unless ``--max-concurrency`` says otherwise (``PrunePlan.apply``'s default).
DEFAULT_CONCURRENCY = 8
_TABLE_DEFAULT = ("id", "name", "created_at", "resource_id", "size_gigabytes")
_ACTION = Column("action", "Action")
_REASONS = Column("reasons", "Reasons")


def _keep_help(unit: str) -> str:
    if unit == "last":
        return "keep the N newest"
    return f"keep the newest snapshot of each of the last N {unit.replace('ily', 'y').replace('ly', '')}s"


def _arguments(p: argparse.ArgumentParser) -> None:
    pol = p.add_argument_group("policy (at least one)")
    for unit in KEEP_UNITS:
        pol.add_argument(f"--keep-{unit}", metavar="N", type=int_type(0, MAX_COUNT), default=0, help=_keep_help(unit))
    pol.add_argument("--keep-within", metavar="AGE", default=None, help="keep everything newer than AGE (e.g. 30d)")
    pol.add_argument(
        "--keep-tag", metavar="T", action="append", default=None, help="keep snapshots with this tag (repeatable)"
    )
    resource_type_option(p)
    p.add_argument(
        "--group-by",
        choices=GROUP_BY_KEYS,
        default="resource_id",
        metavar="FIELD",
        help=f"apply the policy per group: {', '.join(GROUP_BY_KEYS)} (default: resource_id)",
    )
    filter_options(p, tag_help="only consider snapshots with this tag (repeatable: any of them)")
    orphaned_option(p)
    p.add_argument("--apply", action="store_true", help="delete the planned snapshots (asks first)")
    p.add_argument("-y", "--yes", action="store_true", help="with --apply: do not ask")
    p.add_argument(
        "--max-concurrency",
        metavar="N",
        type=int_type(1, MAX_CONCURRENCY),
        default=DEFAULT_CONCURRENCY,
        help=f"deletes at a time, 1..{MAX_CONCURRENCY} (default: {DEFAULT_CONCURRENCY})",
    )
    output_options(
        p,
        json_help="json: {keep, delete, reasons, freed_gigabytes, freed_monthly_cost_usd}",
        columns=SNAPSHOT_COLUMNS,
    )


def _policy(args: argparse.Namespace) -> RetentionPolicy:
    try:
        counts = {f"keep_{unit}": getattr(args, f"keep_{unit}") for unit in KEEP_UNITS}
        return RetentionPolicy(**counts, keep_within=args.keep_within, keep_tags=tuple(args.keep_tag or ()))
    except ValueError as exc:
        raise UsageError(
            str(exc).replace("keep_", "--keep-").replace("set at least one of", "give at least one of")
        ) from None


def _emit_plan(args: argparse.Namespace, plan: Any) -> None:
    keep = snapshot_rows(plan.keep)
    delete = snapshot_rows(plan.delete)
    rows = [Row({"action": "keep", **r.data, "reasons": plan.reasons.get(str(r.item.id), [])}, r.item) for r in keep]
    rows += [Row({"action": "delete", **r.data, "reasons": []}, r.item) for r in delete]
    picked: List[str] = list(args.columns or SNAPSHOT_COLUMNS)
    shown = list(args.columns or _TABLE_DEFAULT)
    columns = [_ACTION] + [SNAPSHOT_COLUMNS[c] for c in picked] + [_REASONS]
    table_columns = [_ACTION] + [SNAPSHOT_COLUMNS[c] for c in shown] + [_REASONS]

    def selected(r: Row) -> Any:
        return r.data if args.columns is None else {c: r.data.get(c) for c in args.columns}

    document = {
        "keep": [selected(r) for r in keep],
        "delete": [selected(r) for r in delete],
        "reasons": plan.reasons,
        "freed_gigabytes": plan.freed_gigabytes,
        "freed_monthly_cost_usd": plan.freed_monthly_cost(),
    }
    emit(
        rows,
        args.format,
        columns,
        not args.no_header,
        whole_rows=args.columns is None,
        document=document,
        table_columns=table_columns,
        raw=args.raw,
    )
    sys.stdout.flush()
    sys.stderr.write(
        f"plan: keep {len(plan.keep)}, delete {len(plan.delete)} ({plan.freed_gigabytes:.2f} GB, "
        f"${plan.freed_monthly_cost():.2f}/month)"
        + ("" if args.apply else "; dry run, nothing deleted (use --apply)")
        + "\n"
    )


def _report(result: PruneResult) -> None:
    line = (
        f"Deleted {len(result.deleted)} snapshots; {len(result.already_gone)} already gone; "
        f"{len(result.failed)} failed; {len(result.not_attempted)} not attempted."
    )
    Out(sys.stdout).write(line + "\n")
    sys.stdout.flush()
    for sid, exc in result.failed.items():
        error(f"snapshot {sid}: {describe_api_error(exc) if isinstance(exc, Exception) else exc}")
    if result.stopped:
        error(f"stopped: {result.stopped}")


def _run(args: argparse.Namespace) -> int:
    if all_contexts(args):
        raise UsageError("prune works on one account; use --context NAME")
    policy = _policy(args)
    if args.yes and not args.apply:
        raise UsageError("--yes needs --apply")
    with client(args) as c:
        resource = c.gpu_droplets.snapshots
        plan = resource.plan_prune(
            policy, resource_type=args.resource_type, group_by=args.group_by, **select_kwargs(args)
        )
        _emit_plan(args, plan)
        if not args.apply or not len(plan.delete):
            return EXIT_OK
        if not args.yes:
            if not isatty(sys.stdin):
                raise UsageError(
                    f"refusing to delete {len(plan.delete)} snapshots without confirmation: stdin is not a terminal "
                    "(use --yes)"
                )
            if not confirm(f"Delete {len(plan.delete)} snapshots? [y/N] "):
                raise Declined("nothing deleted")
        try:
            result = plan.apply(max_concurrency=args.max_concurrency, progress=isatty(sys.stderr) or None)
        except KeyboardInterrupt as exc:
            partial = getattr(exc, "result", None)
            if isinstance(partial, PruneResult):
                _report(partial)
            raise
    _report(result)
    return EXIT_OK if result.ok else EXIT_API


PRUNE = Command(
    path=("snapshots", "prune"),
    help="plan (and with --apply, carry out) a retention policy",
    description="Plan which snapshots a retention policy (restic's forget rules, per resource by default) "
    "would delete and print the plan; nothing is deleted unless --apply is given, which then asks for "
    "confirmation on the terminal unless --yes (without a terminal and without --yes it refuses, exit 2). "
    "Snapshots without an id or a readable date are always kept.",
    add_arguments=_arguments,
    run=_run,
)
