"""``snapshots list``, ``snapshots get``, ``snapshots delete``, and what every snapshot command shares: the
snapshot columns, the rows :func:`emit` prints, the selection flags and the multi-account listing."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Dict, List

from .. import _core
from .._core import GradientAI, SnapshotList
from .._exceptions import APIResponseValidationError
from .._hygiene import list_all_accounts
from ._command import Command
from ._common import EXIT_OK, Declined, UsageError, client, client_kwargs, confirm, isatty
from ._options import (
    chosen,
    filter_options,
    int_type,
    orphaned_option,
    output_options,
    resource_type_option,
    select_kwargs,
    snapshot_id,
)
from ._output import Column, Out, Row, emit, fmt_created_at, fmt_size
from ._vocab import MAX_PAGE, MAX_PER_PAGE, SNAPSHOT_FIELDS, SORT_FIELDS

__all__ = [
    "ACCOUNT",
    "DELETE",
    "GET",
    "LIST",
    "SNAPSHOT_COLUMNS",
    "all_contexts",
    "emit_snapshots",
    "list_accounts",
    "refine",
    "snapshot_rows",
]

#: Table headers, in doctl's words; a field the core adds and this table lacks is titled from its name.
_TITLES = {
    "id": "ID",
    "name": "Name",
    "created_at": "Created at",
    "regions": "Regions",
    "resource_id": "Resource ID",
    "resource_type": "Resource Type",
    "min_disk_size": "Min Disk Size",
    "size_gigabytes": "Size",
    "tags": "Tags",
}
_TEXT = {"created_at": fmt_created_at, "size_gigabytes": fmt_size}

#: Snapshot field (``Snapshot`` attribute, ``to_dict()`` key) -> its column, in the core's field order. Table cells
#: read the attribute (a datetime ``created_at`` prints in UTC); json, jsonl and csv print ``to_dict(mode="json")``.
SNAPSHOT_COLUMNS: Dict[str, Column] = {
    key: (
        Column(key, _TITLES[key], _TEXT[key], from_item=True)
        if key in _TEXT
        else Column(key, _TITLES.get(key, key.replace("_", " ").capitalize()), from_item=True)
    )
    for key in SNAPSHOT_FIELDS
}
ACCOUNT = Column("account", "Account")


def snapshot_rows(snapshots: Any, *, accounts: Any = None) -> List[Row]:
    """One :class:`Row` per snapshot (with an ``account`` key first when ``accounts`` is given)."""
    to_dicts = getattr(snapshots, "to_dicts", None)
    dicts = list(to_dicts(mode="json")) if to_dicts is not None else [s.to_dict(mode="json") for s in snapshots]
    if accounts is None:
        return [Row(d, s) for d, s in zip(dicts, snapshots)]
    return [Row({"account": a, **d}, s) for a, d, s in zip(accounts, dicts, snapshots)]


def emit_snapshots(args: argparse.Namespace, snapshots: Any, *, single: bool = False) -> None:
    """Prints snapshots as ``--format/--columns/--no-header/--raw`` say (json: one object when ``single``)."""
    columns = [SNAPSHOT_COLUMNS[key] for key in chosen(args, SNAPSHOT_COLUMNS)]
    accounts = getattr(snapshots, "accounts", None)
    if accounts is not None:
        columns = [ACCOUNT] + columns
    rows = snapshot_rows(snapshots, accounts=accounts)
    whole = args.columns is None
    document = None
    if single and rows:
        document = dict(rows[0].data) if whole else {c.key: rows[0].data.get(c.key) for c in columns}
    emit(rows, args.format, columns, not args.no_header, whole_rows=whole, document=document, raw=args.raw)


def all_contexts(args: argparse.Namespace) -> bool:
    """Whether ``--all-contexts`` was given (refused together with ``--context``)."""
    if getattr(args, "all_contexts", None):
        if getattr(args, "context", None) is not None:
            raise UsageError("--context and --all-contexts exclude each other")
        return True
    return False


def list_accounts(args: argparse.Namespace, **list_all_kwargs: Any) -> SnapshotList:
    """Every snapshot of every doctl context (``list_all_accounts``)."""
    kwargs = client_kwargs(args)
    names = _core._doctl_contexts()
    if not names:
        raise UsageError("doctl's config has no auth contexts")
    clients = {name: GradientAI.from_doctl(name, **kwargs) for name in names}
    try:
        return list_all_accounts(clients, **list_all_kwargs)
    finally:
        for c in clients.values():
            c.close()


def refine(args: argparse.Namespace, snapshots: SnapshotList) -> SnapshotList:
    """``--name/--tag/--region/--older-than/--newer-than`` then ``--sort``."""
    picked = select_kwargs(args)
    if picked:
        snapshots = snapshots.select(**picked)
    if getattr(args, "sort", None):
        snapshots = snapshots.sort_by(args.sort, reverse=args.reverse)
    elif getattr(args, "reverse", False):
        raise UsageError("--reverse needs --sort")
    return snapshots


# --------------------------------------------------------------------------------------------- list


def _list_arguments(p: argparse.ArgumentParser) -> None:
    resource_type_option(p)
    p.add_argument(
        "--per-page",
        metavar="N",
        type=int_type(1, MAX_PER_PAGE),
        default=None,
        help=f"snapshots per page, 1..{MAX_PER_PAGE} (default: the API's, 20)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--page",
        metavar="N",
        type=int_type(1, MAX_PAGE, allowed="an integer >= 1"),
        default=None,
        help="page to show, from 1 (default: 1)",
    )
    which.add_argument("--all", action="store_true", help="every snapshot of every page (list_all())")
    filter_options(p)
    orphaned_option(p)
    p.add_argument(
        "--sort",
        metavar="FIELD",
        choices=SORT_FIELDS,
        default=None,
        help=f"sort by this field: {', '.join(SORT_FIELDS)} (stable; missing values last)",
    )
    p.add_argument("--reverse", action="store_true", help="with --sort: descending")
    output_options(p, json_help="json: a JSON array of objects", columns=SNAPSHOT_COLUMNS)


def _run_list(args: argparse.Namespace) -> int:
    if args.orphaned and args.page is not None:
        raise UsageError("--orphaned looks at every snapshot; drop --page")
    if all_contexts(args):
        if args.page is not None:
            raise UsageError("--all-contexts lists every page; drop --page")
        listing = list_accounts(
            args, resource_type=args.resource_type, per_page=args.per_page, with_sources=args.orphaned
        )
        emit_snapshots(args, refine(args, listing))
        return EXIT_OK
    with client(args) as c:
        resource = c.gpu_droplets.snapshots
        if args.all or args.orphaned:
            everything = resource.list_all(
                resource_type=args.resource_type,
                per_page=args.per_page,
                progress=isatty(sys.stderr) or None,
                with_sources=args.orphaned,
            )
            emit_snapshots(args, refine(args, everything))
            return EXIT_OK
        page = resource.list(page=args.page, per_page=args.per_page, resource_type=args.resource_type)
        rows: Any = page.snapshots or []
        if select_kwargs(args) or args.sort or args.reverse:
            rows = refine(args, SnapshotList(rows))
        emit_snapshots(args, rows)
        if args.format == "table" and isatty(sys.stdout) and isatty(sys.stderr) and page.has_next_page():
            total = page.meta.total if page.meta is not None else None
            shown = f"{len(rows)} of {total}" if total is not None else f"{len(rows)}"
            nxt = (args.page or 1) + 1
            sys.stdout.flush()
            sys.stderr.write(f"({shown} snapshots; next: --page {nxt}, or every page: --all)\n")
    return EXIT_OK


LIST = Command(
    path=("snapshots", "list"),
    aliases=("ls",),
    help="list snapshots (one page, or every page with --all)",
    description="List snapshots: one page (GET /v2/snapshots?page=&per_page=), or with --all every snapshot "
    "exactly once, fetching the pages concurrently (a progress bar is shown on stderr when it is a terminal).",
    add_arguments=_list_arguments,
    run=_run_list,
)


# --------------------------------------------------------------------------------------------- get


def _get_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", type=snapshot_id, help="snapshot id")
    output_options(p, json_help="json: one JSON object", columns=SNAPSHOT_COLUMNS)


def _run_get(args: argparse.Namespace) -> int:
    with client(args) as c:
        response = c.gpu_droplets.snapshots.retrieve(args.id)
    snapshot = response.snapshot
    if snapshot is None:
        raise APIResponseValidationError("the answer has no snapshot", body=None, status_code=200)
    emit_snapshots(args, [snapshot], single=True)
    return EXIT_OK


GET = Command(
    path=("snapshots", "get"),
    help="show one snapshot",
    description="Show one snapshot (GET /v2/snapshots/ID).",
    add_arguments=_get_arguments,
    run=_run_get,
)


# --------------------------------------------------------------------------------------------- delete


def _delete_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", type=snapshot_id, help="snapshot id")
    p.add_argument("-f", "--force", action="store_true", help="delete without asking")


def _run_delete(args: argparse.Namespace) -> int:
    sid = args.id
    if not sid:
        raise UsageError("ID must not be empty")
    with client(args) as c:  # built first: a missing token is reported before asking
        if not args.force:
            if not isatty(sys.stdin):
                raise UsageError(
                    f"refusing to delete snapshot {sid} without confirmation: stdin is not a terminal (use --force)"
                )
            if not confirm(f"Delete snapshot {sid}? [y/N] "):
                raise Declined(f"snapshot {sid} not deleted")
        c.gpu_droplets.snapshots.delete(sid)
    Out(sys.stdout).write(f"Deleted snapshot {sid}.\n")
    return EXIT_OK


DELETE = Command(
    path=("snapshots", "delete"),
    aliases=("rm",),
    help="delete one snapshot",
    description="Delete one snapshot (DELETE /v2/snapshots/ID). Asks for confirmation on the terminal unless "
    "--force is given; refuses (exit 2) when stdin is not a terminal and --force is not given.",
    add_arguments=_delete_arguments,
    run=_run_delete,
)
