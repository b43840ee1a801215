"""The ``gradientai-rs`` command line (also ``python -m gradientai_rs``). Standard library only.

Exit codes: 0 success, 1 unexpected error or a declined confirmation, 2 usage error, 3 API error (an error status
or an invalid answer), 4 connection error or timeout, 5 no API token, 130 interrupted (Ctrl-C).

The token is read by the client from DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY, or from doctl's config file
(``--context NAME``; ``--all-contexts`` lists every context); it is never a command-line argument (it would show in
``ps``) and never printed (error lines are scrubbed of it as well).

Cleaning up: ``snapshots list`` filters and sorts (``--name --tag --region --older-than --newer-than --sort``),
``snapshots cost`` sums size and monthly cost per group, ``snapshots prune`` prints a retention plan and deletes it
only with ``--apply`` (after a y/N question on a terminal, or with ``--yes``); it exits 3 when a delete failed or the
run stopped on a 401/403, and 130 on Ctrl-C after printing what was deleted.

Formats: ``table`` (doctl-like aligned columns; sizes as ``2.34 GiB``, lists joined with ``,``), ``json`` (an array of
``Snapshot.to_dict(mode="json")`` objects; one object for ``get``), ``jsonl`` (one object per line) and ``csv`` (a
header of column names, then rows; list fields joined with ``,`` inside one quoted cell, size in GiB as a plain
number, ``\n`` line endings). ``--columns`` selects and orders the fields in every format.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import os
import sys
import time
import warnings
from http import HTTPStatus
from typing import Any, Dict, Iterable, List, NoReturn, Optional, Sequence, TextIO

from . import _core
from ._core import GradientAI, SnapshotList, __version__
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    MissingAPIKeyError,
)
from ._hygiene import PruneResult, RetentionPolicy, list_all_accounts

__all__ = ["COLUMNS", "build_parser", "main"]

PROG = "gradientai-rs"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_CONNECTION = 4
EXIT_NO_TOKEN = 5
EXIT_INTERRUPTED = 130

SORT_FIELDS = ("created_at", "name", "size_gigabytes", "min_disk_size", "id", "resource_id", "resource_type")
KEEP_UNITS = ("last", "hourly", "daily", "weekly", "monthly", "yearly")
COST_BY = ("resource_type", "region", "resource_id", "tag", "age", "account")

TOKEN_ENV_VARS = ("DIGITALOCEAN_ACCESS_TOKEN", "GRADIENTAI_API_KEY")

#: Column (attribute) name -> table header, in doctl's order.
COLUMNS: Dict[str, str] = {
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
FORMATS = ("table", "json", "jsonl", "csv")
DEMO_COLUMNS = ["id", "name", "created_at", "regions", "resource_type", "size_gigabytes"]


class UsageError(Exception):
    """A bad command line (exit 2)."""


class Declined(Exception):
    """The user answered no to a confirmation (exit 1)."""


# --------------------------------------------------------------------------------------------- argument parsing


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (raised, so ``main`` picks the exit code)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _columns_arg(value: str) -> List[str]:
    names = [v.strip().lower().replace("-", "_") for v in value.split(",")]
    names = [n for n in names if n]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of column names")
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown column(s) {', '.join(unknown)}; choose from {','.join(COLUMNS)}")
    return names


def _global_options(suppress: bool) -> "_Parser":
    """Options accepted both before and after the subcommand (``SUPPRESS`` defaults in subparsers so that a value
    given before the subcommand is not reset by the subparser)."""
    default = argparse.SUPPRESS if suppress else None
    p = _Parser(add_help=False)
    g = p.add_argument_group("connection options")
    g.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help="API base URL (default: $GRADIENT_BASE_URL, $GRADIENT_AI_BASE_URL or https://api.digitalocean.com)",
    )
    g.add_argument(
        "--timeout", metavar="S", type=float, default=default, help="per-request timeout in seconds (default: 60)"
    )
    g.add_argument(
        "--max-retries",
        metavar="N",
        type=int,
        default=default,
        help="retries of a failed request: connection errors, 408/409/429/5xx (default: 2)",
    )
    g.add_argument(
        "--context",
        metavar="NAME",
        default=default,
        help="use the token of this doctl auth context (doctl's config.yaml; default: the environment's token)",
    )
    g.add_argument(
        "--all-contexts",
        action="store_true",
        default=default,
        help="every doctl auth context (list --all and cost only): rows gain an account column",
    )
    return p


def _resource_type_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resource-type", choices=("droplet", "volume"), default=None, help="only snapshots of droplets or volumes"
    )


def _filter_options(
    p: argparse.ArgumentParser, *, tag_help: str = "only snapshots with this tag (repeatable: any of them)"
) -> None:
    g = p.add_argument_group("selection options")
    g.add_argument(
        "--name", metavar="GLOB", default=None, help="only names matching this glob (fnmatch rules, case-sensitive)"
    )
    g.add_argument("--tag", metavar="T", action="append", default=None, help=tag_help)
    g.add_argument(
        "--region", metavar="R", action="append", default=None, help="only snapshots in this region (repeatable)"
    )
    g.add_argument(
        "--older-than", metavar="AGE", default=None, help="only snapshots older than AGE (e.g. 30d, 12h, 2w)"
    )
    g.add_argument("--newer-than", metavar="AGE", default=None, help="only snapshots newer than AGE (e.g. 7d)")


def _select_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, name in (
        ("name", "name"),
        ("tag", "tags_any"),
        ("region", "regions"),
        ("older_than", "older_than"),
        ("newer_than", "newer_than"),
    ):
        value = getattr(args, key, None)
        if value is not None:
            out[name] = value
    return out


def _output_options(p: argparse.ArgumentParser, *, json_help: str) -> None:
    g = p.add_argument_group("output options")
    g.add_argument(
        "-o",
        "--format",
        choices=FORMATS,
        default="table",
        metavar="FORMAT",
        help=f"table (default), json, jsonl or csv. table: aligned columns like doctl's; {json_help}; "
        "jsonl: one JSON object per line; csv: RFC 4180 with a header row of column names "
        "(lists joined with ',' inside one quoted cell; lines end with \\n)",
    )
    g.add_argument(
        "--columns",
        metavar="COLS",
        type=_columns_arg,
        default=None,
        help=f"comma-separated fields to output, in this order, in any format (default: all): {', '.join(COLUMNS)}",
    )
    g.add_argument("--no-header", action="store_true", help="omit the header line (table, csv)")


def _cost_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output options")
    g.add_argument(
        "-o", "--format", choices=FORMATS, default="table", metavar="FORMAT", help="table (default), json, jsonl or csv"
    )
    g.add_argument("--no-header", action="store_true", help="omit the header line (table, csv)")


EPILOG = """\
authentication:
  The token is read from DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY, or from doctl's
  config with --context NAME (--all-contexts: every context); it is never accepted on the
  command line, where it would show in `ps`, and never printed.

exit status:
  0 ok, 1 unexpected error or declined confirmation, 2 usage error, 3 API error
  (error status or invalid answer), 4 connection error or timeout, 5 no token,
  130 interrupted.

examples:
  gradientai-rs demo
  gradientai-rs snapshots list --resource-type droplet --per-page 50
  gradientai-rs snapshots list --all --format csv --columns id,name,size_gigabytes > snapshots.csv
  gradientai-rs snapshots get 6372321 --format json
  gradientai-rs snapshots delete 6372321 --force
  gradientai-rs snapshots list --all --name 'web-*' --older-than 30d --sort size_gigabytes --reverse
  gradientai-rs snapshots cost --by region
  gradientai-rs snapshots prune --keep-daily 7 --keep-weekly 4          (a dry run: prints the plan)
  gradientai-rs snapshots prune --keep-daily 7 --keep-weekly 4 --apply  (asks, then deletes the plan)
"""


def build_parser() -> argparse.ArgumentParser:
    top = _global_options(suppress=False)
    sub_globals = _global_options(suppress=True)

    parser = _Parser(
        prog=PROG,
        description="List, show and delete DigitalOcean snapshots with gradientai-rs (a Rust core behind\n"
        "the GradientAI SDK's client.gpu_droplets.snapshots API). Global options may also be\n"
        "given after the command.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[top],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    # snapshots ...
    snapshots = commands.add_parser(
        "snapshots",
        help="list, show or delete snapshots",
        description="List, show or delete the snapshots of droplets and volumes.",
        parents=[sub_globals],
    )
    snap_cmds = snapshots.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)

    p_list = snap_cmds.add_parser(
        "list",
        aliases=["ls"],
        help="list snapshots (one page, or every page with --all)",
        description="List snapshots: one page (GET /v2/snapshots?page=&per_page=), or with --all every snapshot "
        "exactly once, fetching the pages concurrently (a progress bar is shown on stderr when it is a terminal).",
        parents=[sub_globals],
    )
    _resource_type_option(p_list)
    p_list.add_argument(
        "--per-page", metavar="N", type=int, default=None, help="snapshots per page, 1..200 (default: the API's, 20)"
    )
    which = p_list.add_mutually_exclusive_group()
    which.add_argument("--page", metavar="N", type=int, default=None, help="page to show, from 1 (default: 1)")
    which.add_argument("--all", action="store_true", help="every snapshot of every page (list_all())")
    _filter_options(p_list)
    p_list.add_argument(
        "--sort",
        metavar="FIELD",
        choices=SORT_FIELDS,
        default=None,
        help=f"sort by this field: {', '.join(SORT_FIELDS)} (stable; missing values last)",
    )
    p_list.add_argument("--reverse", action="store_true", help="with --sort: descending")
    _output_options(p_list, json_help="json: a JSON array of objects")
    p_list.set_defaults(handler=_cmd_list)

    p_cost = snap_cmds.add_parser(
        "cost",
        help="what snapshots cost per month, by group",
        description="List every snapshot and print count, size and monthly cost per group (size x rate; "
        "DigitalOcean bills snapshots at $0.06/GB-month since July 2022). Region and tag groups count a snapshot "
        "in each of its groups.",
        parents=[sub_globals],
    )
    p_cost.add_argument(
        "--by",
        choices=COST_BY,
        default="resource_type",
        metavar="FIELD",
        help=f"group by: {', '.join(COST_BY)} (default: resource_type; account needs --all-contexts)",
    )
    p_cost.add_argument(
        "--rate",
        metavar="USD",
        type=float,
        default=None,
        help="USD per GB-month (default: 0.06, DigitalOcean's snapshot price)",
    )
    _resource_type_option(p_cost)
    _filter_options(p_cost)
    _cost_output_options(p_cost)
    p_cost.set_defaults(handler=_cmd_cost)

    p_prune = snap_cmds.add_parser(
        "prune",
        help="plan (and with --apply, carry out) a retention policy",
        description="Plan which snapshots a retention policy (restic's forget rules, per resource by default) "
        "would delete and print the plan; nothing is deleted unless --apply is given, which then asks for "
        "confirmation on the terminal unless --yes (without a terminal and without --yes it refuses, exit 2). "
        "Snapshots without an id or a readable date are always kept.",
        parents=[sub_globals],
    )
    pol = p_prune.add_argument_group("policy (at least one)")
    for unit in KEEP_UNITS:
        pol.add_argument(
            f"--keep-{unit}",
            metavar="N",
            type=int,
            default=0,
            help=f"keep the {'N newest' if unit == 'last' else 'newest snapshot of each of the last N ' + unit.replace('ily', 'y').replace('ly', '') + 's'}",
        )
    pol.add_argument("--keep-within", metavar="AGE", default=None, help="keep everything newer than AGE (e.g. 30d)")
    pol.add_argument(
        "--keep-tag", metavar="T", action="append", default=None, help="keep snapshots with this tag (repeatable)"
    )
    _resource_type_option(p_prune)
    p_prune.add_argument(
        "--group-by",
        choices=("resource_id", "resource_type", "region", "tag", "name", "none"),
        default="resource_id",
        metavar="FIELD",
        help="apply the policy per group (default: resource_id)",
    )
    _filter_options(p_prune, tag_help="only consider snapshots with this tag (repeatable: any of them)")
    p_prune.add_argument("--apply", action="store_true", help="delete the planned snapshots (asks first)")
    p_prune.add_argument("-y", "--yes", action="store_true", help="with --apply: do not ask")
    p_prune.add_argument("--max-concurrency", metavar="N", type=int, default=8, help="deletes at a time (default: 8)")
    _output_options(p_prune, json_help="json: {keep, delete, reasons, freed_gigabytes, freed_monthly_cost_usd}")
    p_prune.set_defaults(handler=_cmd_prune)

    p_get = snap_cmds.add_parser(
        "get",
        help="show one snapshot",
        description="Show one snapshot (GET /v2/snapshots/ID).",
        parents=[sub_globals],
    )
    p_get.add_argument("id", metavar="ID", help="snapshot id")
    _output_options(p_get, json_help="json: one JSON object")
    p_get.set_defaults(handler=_cmd_get)

    p_del = snap_cmds.add_parser(
        "delete",
        aliases=["rm"],
        help="delete one snapshot",
        description="Delete one snapshot (DELETE /v2/snapshots/ID). Asks for confirmation on the terminal unless "
        "--force is given; refuses (exit 2) when stdin is not a terminal and --force is not given.",
        parents=[sub_globals],
    )
    p_del.add_argument("id", metavar="ID", help="snapshot id")
    p_del.add_argument("-f", "--force", action="store_true", help="delete without asking")
    p_del.set_defaults(handler=_cmd_delete)

    # demo
    p_demo = commands.add_parser(
        "demo",
        help="run the SDK's example against an embedded fake API",
        description="Start an embedded fake DigitalOcean API (gradientai_rs.testing.FakeDigitalOcean) on "
        "127.0.0.1 and run the SDK's example against it: list(resource_type='droplet', per_page=200), "
        "print(snapshots.meta), the first rows, then a list_all() summary. Nothing leaves this machine unless "
        "--live is given.",
        parents=[sub_globals],
    )
    p_demo.add_argument(
        "--snapshots", metavar="N", type=int, default=250, help="snapshots in the fake API (default: 250)"
    )
    p_demo.add_argument("--seed", metavar="S", type=int, default=0, help="seed of the fake data (default: 0)")
    p_demo.add_argument("--rows", metavar="N", type=int, default=5, help="rows of the first page to show (default: 5)")
    p_demo.add_argument(
        "--live",
        action="store_true",
        help="run against the real API (or --base-url) instead, with the token from DIGITALOCEAN_ACCESS_TOKEN "
        "or GRADIENTAI_API_KEY; read-only",
    )
    p_demo.set_defaults(handler=_cmd_demo)

    parser.set_defaults(_parsers={"": parser, "snapshots": snapshots})
    return parser


# --------------------------------------------------------------------------------------------- formatting


def _fmt_created_at(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(value.strftime("%Y-%m-%dT%H:%M:%S"))
    return _plain(value)


def _fmt_size(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f} GiB"
    return _plain(value)


def _plain(value: Any) -> str:
    """A cell for table and csv: lists joined with ',', None empty, numbers and strings as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _table_cell(snapshot: Any, column: str) -> str:
    value = getattr(snapshot, column, None)
    if column == "created_at":
        return _fmt_created_at(value)
    if column == "size_gigabytes":
        return _fmt_size(value)
    return _plain(value)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _dicts(snapshots: Any) -> List[Dict[str, Any]]:
    to_dicts = getattr(snapshots, "to_dicts", None)
    if to_dicts is not None:
        return list(to_dicts(mode="json"))
    return [s.to_dict(mode="json") for s in snapshots]


def _select(d: Dict[str, Any], columns: Optional[Sequence[str]]) -> Dict[str, Any]:
    if columns is None:
        return d
    return {c: d.get(c) for c in columns}


class _Out:
    """Writes to stdout; falls back to escapes when the terminal's encoding cannot show a character."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        try:
            self.stream.write(text)
        except UnicodeEncodeError:
            enc = getattr(self.stream, "encoding", None) or "ascii"
            self.stream.write(text.encode(enc, "backslashreplace").decode(enc, "replace"))


def _write_table(out: _Out, snapshots: Iterable[Any], columns: Sequence[str], header: bool) -> None:
    _write_rows(out, [COLUMNS[c] for c in columns], [[_table_cell(s, c) for c in columns] for s in snapshots], header)


def _write_rows(out: _Out, headers: List[str], rows: List[List[str]], header: bool) -> None:
    """Aligned columns (3 spaces apart), trailing spaces stripped."""
    if header:
        rows.insert(0, headers)
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(headers))]
    for r in rows:
        line = "   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
        out.write(line + "\n")


def _write_csv(out: _Out, dicts: List[Dict[str, Any]], columns: Sequence[str], header: bool) -> None:
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(columns)
    for d in dicts:
        writer.writerow([_plain(d.get(c)) for c in columns])


def _emit(args: argparse.Namespace, snapshots: Any, *, single: bool = False) -> None:
    out = _Out(sys.stdout)
    fmt = args.format
    columns = args.columns
    accounts = getattr(snapshots, "accounts", None)
    if fmt == "table":
        if accounts is not None:
            cols = columns or list(COLUMNS)
            _write_rows(
                out,
                ["Account"] + [COLUMNS[c] for c in cols],
                [[a] + [_table_cell(s, c) for c in cols] for a, s in zip(accounts, snapshots)],
                not args.no_header,
            )
            return
        _write_table(out, snapshots, columns or list(COLUMNS), not args.no_header)
        return
    dicts = _dicts(snapshots)
    if accounts is not None:
        dicts = [{"account": a, **d} for a, d in zip(accounts, dicts)]
        if columns is not None:
            columns = ["account"] + list(columns)
        elif fmt == "csv":
            columns = ["account"] + list(COLUMNS)
    if fmt == "csv":
        _write_csv(out, dicts, columns or list(COLUMNS), not args.no_header)
    elif fmt == "jsonl":
        for d in dicts:
            out.write(json.dumps(_select(d, columns), separators=(",", ":")) + "\n")
    else:  # json
        data: Any = [_select(d, columns) for d in dicts]
        if single:
            data = data[0]
        out.write(json.dumps(data, indent=2) + "\n")


# --------------------------------------------------------------------------------------------- commands


def _client(args: argparse.Namespace, **overrides: Any) -> GradientAI:
    kwargs: Dict[str, Any] = {
        "base_url": getattr(args, "base_url", None),
        "timeout": getattr(args, "timeout", None),
        "max_retries": getattr(args, "max_retries", None),
    }
    kwargs.update(overrides)
    context = getattr(args, "context", None)
    try:
        if context is not None and "api_key" not in overrides:
            return GradientAI.from_doctl(context, **kwargs)
        return GradientAI(**kwargs)
    except ValueError as exc:
        message = str(exc)
        if message.startswith("must be"):  # the client's base_url message does not name the option
            message = f"base URL {message}"
        raise UsageError(message) from None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _all_contexts(args: argparse.Namespace) -> bool:
    if getattr(args, "all_contexts", None):
        if getattr(args, "context", None) is not None:
            raise UsageError("--context and --all-contexts exclude each other")
        return True
    return False


def _list_accounts(args: argparse.Namespace, **list_all_kwargs: Any) -> SnapshotList:
    """Every snapshot of every doctl context (``list_all_accounts``)."""
    kwargs: Dict[str, Any] = {
        "base_url": getattr(args, "base_url", None),
        "timeout": getattr(args, "timeout", None),
        "max_retries": getattr(args, "max_retries", None),
    }
    names = _core._doctl_contexts()
    if not names:
        raise UsageError("doctl's config has no auth contexts")
    clients = {name: GradientAI.from_doctl(name, **kwargs) for name in names}
    try:
        return list_all_accounts(clients, **list_all_kwargs)
    finally:
        for c in clients.values():
            c.close()


def _refine(args: argparse.Namespace, snapshots: SnapshotList) -> SnapshotList:
    """``--name/--tag/--region/--older-than/--newer-than`` then ``--sort``."""
    chosen = _select_kwargs(args)
    if chosen:
        snapshots = snapshots.select(**chosen)
    if getattr(args, "sort", None):
        snapshots = snapshots.sort_by(args.sort, reverse=args.reverse)
    elif getattr(args, "reverse", False):
        raise UsageError("--reverse needs --sort")
    return snapshots


def _cmd_list(args: argparse.Namespace) -> int:
    if _all_contexts(args):
        if args.page is not None:
            raise UsageError("--all-contexts lists every page; drop --page")
        listing = _list_accounts(args, resource_type=args.resource_type, per_page=args.per_page)
        _emit(args, _refine(args, listing))
        return EXIT_OK
    with _client(args) as client:
        resource = client.gpu_droplets.snapshots
        if args.all:
            snapshots: Any = resource.list_all(
                resource_type=args.resource_type, per_page=args.per_page, progress=_isatty(sys.stderr) or None
            )
            _emit(args, _refine(args, snapshots))
            return EXIT_OK
        page = resource.list(page=args.page, per_page=args.per_page, resource_type=args.resource_type)
        rows: Any = page.snapshots or []
        if _select_kwargs(args) or args.sort or args.reverse:
            rows = _refine(args, SnapshotList(rows))
        _emit(args, rows)
        if args.format == "table" and _isatty(sys.stdout) and _isatty(sys.stderr) and page.has_next_page():
            total = page.meta.total if page.meta is not None else None
            shown = f"{len(rows)} of {total}" if total is not None else f"{len(rows)}"
            nxt = (args.page or 1) + 1
            sys.stdout.flush()
            sys.stderr.write(f"({shown} snapshots; next: --page {nxt}, or every page: --all)\n")
    return EXIT_OK


def _cmd_get(args: argparse.Namespace) -> int:
    with _client(args) as client:
        response = client.gpu_droplets.snapshots.retrieve(args.id)
    snapshot = response.snapshot
    if snapshot is None:
        raise APIResponseValidationError("the answer has no snapshot", body=None, status_code=200)
    _emit(args, [snapshot], single=True)
    return EXIT_OK


def _confirm(prompt: str) -> bool:
    sys.stderr.write(prompt)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n"):  # EOF (Ctrl-D): keep the terminal tidy
        sys.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")


def _cmd_delete(args: argparse.Namespace) -> int:
    sid = args.id
    if not sid:
        raise UsageError("ID must not be empty")
    with _client(args) as client:  # built first: a missing token is reported before asking
        if not args.force:
            if not _isatty(sys.stdin):
                raise UsageError(
                    f"refusing to delete snapshot {sid} without confirmation: stdin is not a terminal (use --force)"
                )
            if not _confirm(f"Delete snapshot {sid}? [y/N] "):
                raise Declined(f"snapshot {sid} not deleted")
        client.gpu_droplets.snapshots.delete(sid)
    _Out(sys.stdout).write(f"Deleted snapshot {sid}.\n")
    return EXIT_OK


def _cmd_cost(args: argparse.Namespace) -> int:
    if _all_contexts(args):
        listing = _list_accounts(args, resource_type=args.resource_type)
    else:
        if args.by == "account":
            raise UsageError("--by account needs --all-contexts")
        with _client(args) as client:
            listing = client.gpu_droplets.snapshots.list_all(
                resource_type=args.resource_type, progress=_isatty(sys.stderr) or None
            )
    listing = _refine(args, listing)
    summary = listing.summary(args.by, rate_per_gb_month=args.rate)
    out = _Out(sys.stdout)
    dicts = summary.to_dicts()
    names = ["group", "count", "size_gigabytes", "monthly_cost_usd"]
    if args.format == "table":
        rows = [
            [d["group"], str(d["count"]), f"{d['size_gigabytes']:.2f}", f"{d['monthly_cost_usd']:.2f}"] for d in dicts
        ]
        rows.append(
            [
                "TOTAL",
                str(len(listing)),
                f"{listing.size_gigabytes:.2f}",
                f"{listing.monthly_cost(summary.rate_per_gb_month):.2f}",
            ]
        )
        _write_rows(
            out, [args.by.replace("_", " ").title(), "Count", "Size (GB)", "USD/month"], rows, not args.no_header
        )
        if args.by in ("region", "tag"):
            sys.stdout.flush()
            sys.stderr.write(f"(a snapshot with several {args.by}s counts in each; the total counts it once)\n")
    elif args.format == "csv":
        _write_csv(out, dicts, names, not args.no_header)
    elif args.format == "jsonl":
        for d in dicts:
            out.write(json.dumps(d, separators=(",", ":")) + "\n")
    else:
        out.write(json.dumps(dicts, indent=2) + "\n")
    return EXIT_OK


def _policy(args: argparse.Namespace) -> RetentionPolicy:
    try:
        counts = {f"keep_{unit}": getattr(args, f"keep_{unit}") for unit in KEEP_UNITS}
        return RetentionPolicy(**counts, keep_within=args.keep_within, keep_tags=tuple(args.keep_tag or ()))
    except ValueError as exc:
        raise UsageError(
            str(exc).replace("keep_", "--keep-").replace("set at least one of", "give at least one of")
        ) from None


def _emit_plan(args: argparse.Namespace, plan: Any) -> None:
    out = _Out(sys.stdout)
    rows = [("keep", s, plan.reasons.get(str(s.id), [])) for s in plan.keep] + [("delete", s, []) for s in plan.delete]
    columns = args.columns or ["id", "name", "created_at", "resource_id", "size_gigabytes"]
    if args.format == "table":
        table = [[action] + [_table_cell(s, c) for c in columns] + [",".join(why)] for action, s, why in rows]
        _write_rows(out, ["Action"] + [COLUMNS[c] for c in columns] + ["Reasons"], table, not args.no_header)
    elif args.format == "json":
        data = {
            "keep": [_select(s.to_dict(mode="json"), args.columns) for s in plan.keep],
            "delete": [_select(s.to_dict(mode="json"), args.columns) for s in plan.delete],
            "reasons": plan.reasons,
            "freed_gigabytes": plan.freed_gigabytes,
            "freed_monthly_cost_usd": plan.freed_monthly_cost(),
        }
        out.write(json.dumps(data, indent=2) + "\n")
    else:
        dicts = [{"action": a, **_select(s.to_dict(mode="json"), args.columns), "reasons": why} for a, s, why in rows]
        if args.format == "jsonl":
            for d in dicts:
                out.write(json.dumps(d, separators=(",", ":")) + "\n")
        else:
            _write_csv(out, dicts, ["action"] + list(args.columns or COLUMNS) + ["reasons"], not args.no_header)
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
    _Out(sys.stdout).write(line + "\n")
    sys.stdout.flush()
    for sid, exc in result.failed.items():
        _error(f"snapshot {sid}: {_describe_api_error(exc) if isinstance(exc, Exception) else exc}")
    if result.stopped:
        _error(f"stopped: {result.stopped}")


def _cmd_prune(args: argparse.Namespace) -> int:
    if _all_contexts(args):
        raise UsageError("prune works on one account; use --context NAME")
    policy = _policy(args)
    if args.yes and not args.apply:
        raise UsageError("--yes needs --apply")
    with _client(args) as client:
        resource = client.gpu_droplets.snapshots
        plan = resource.plan_prune(
            policy, resource_type=args.resource_type, group_by=args.group_by, **_select_kwargs(args)
        )
        _emit_plan(args, plan)
        if not args.apply or not len(plan.delete):
            return EXIT_OK
        if not args.yes:
            if not _isatty(sys.stdin):
                raise UsageError(
                    f"refusing to delete {len(plan.delete)} snapshots without confirmation: stdin is not a terminal "
                    "(use --yes)"
                )
            if not _confirm(f"Delete {len(plan.delete)} snapshots? [y/N] "):
                raise Declined("nothing deleted")
        try:
            result = plan.apply(max_concurrency=args.max_concurrency, progress=_isatty(sys.stderr) or None)
        except KeyboardInterrupt as exc:
            partial = getattr(exc, "result", None)
            if isinstance(partial, PruneResult):
                _report(partial)
            raise
    _report(result)
    return EXIT_OK if result.ok else EXIT_API


def _token_configured() -> bool:
    return any(os.environ.get(name, "").strip() for name in TOKEN_ENV_VARS)


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.snapshots < 0:
        raise UsageError("--snapshots must be >= 0")
    if args.rows < 0:
        raise UsageError("--rows must be >= 0")
    out = _Out(sys.stdout)
    if args.live:
        if not _token_configured():
            raise MissingAPIKeyError("demo --live needs a token")
        client = _client(args)
        out.write(f"# live API at {client.base_url} (read-only; token from the environment)\n")
        return _run_demo(out, client, args, client_args=f"base_url={client.base_url!r}")

    from .testing import FakeDigitalOcean

    with FakeDigitalOcean(snapshots=args.snapshots, seed=args.seed, token=None) as fake:
        out.write(f"# fake DigitalOcean API at {fake.url} ({args.snapshots} snapshots, seed {args.seed})\n")
        client = _client(args, api_key="demo-token", base_url=fake.url)
        return _run_demo(out, client, args, client_args='api_key="demo-token", base_url=fake.url')


def _run_demo(out: _Out, client: GradientAI, args: argparse.Namespace, *, client_args: str) -> int:
    with client:
        out.write(f">>> client = GradientAI({client_args})\n")
        out.write('>>> snapshots = client.gpu_droplets.snapshots.list(resource_type="droplet", per_page=200)\n')
        out.write(">>> print(snapshots.meta)\n")
        snapshots = client.gpu_droplets.snapshots.list(resource_type="droplet", per_page=200)
        out.write(f"{snapshots.meta}\n")
        rows = (snapshots.snapshots or [])[: args.rows]
        if rows:
            out.write(f"\nfirst {len(rows)} of this page:\n")
            _write_table(out, rows, DEMO_COLUMNS, header=True)
        out.write("\n>>> everything = client.gpu_droplets.snapshots.list_all()\n")
        sys.stdout.flush()
        start = time.perf_counter()
        everything = client.gpu_droplets.snapshots.list_all(progress=_isatty(sys.stderr) or None)
        elapsed = time.perf_counter() - start
        ids = [s.id for s in everything]
        unique = "every id once" if len(set(ids)) == len(ids) else f"{len(ids) - len(set(ids))} duplicate ids"
        pages = everything.pages
        out.write(
            f"{len(everything)} snapshots (total {everything.total}) from {pages} page{'s' if pages != 1 else ''} "
            f"in {elapsed:.3f} s; {unique}\n"
        )
    return EXIT_OK


# --------------------------------------------------------------------------------------------- errors and main


def _scrub(text: str) -> str:
    """Removes any configured token from a message (defence in depth: the client never formats it)."""
    for name in TOKEN_ENV_VARS:
        token = os.environ.get(name, "").strip()
        if len(token) >= 4:
            text = text.replace(token, "***")
    return text


def _error(message: str) -> None:
    sys.stderr.write(_scrub(_one_line(f"error: {message}")) + "\n")
    sys.stderr.flush()


def _describe_api_error(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    detail: Optional[str] = None
    request_id = getattr(exc, "request_id", None)
    if isinstance(body, dict):
        msg = body.get("message")
        if isinstance(msg, str) and msg:
            detail = msg
        request_id = request_id or body.get("request_id")
    if detail is None:
        detail = getattr(exc, "message", None) or str(exc)
    parts = []
    if isinstance(exc, APIResponseValidationError):
        parts.append(f"invalid API response (HTTP {status})" if status else "invalid API response")
    elif status:
        try:
            parts.append(f"HTTP {status} {HTTPStatus(status).phrase}")
        except ValueError:
            parts.append(f"HTTP {status}")
    page = getattr(exc, "page", None)
    if page is not None:
        parts.append(f"page {page}")
    line = ": ".join(parts + [detail]) if parts else detail
    extras = []
    if request_id:
        extras.append(f"request id {request_id}")
    reset = getattr(exc, "reset", None)
    if reset:
        try:
            refill = _dt.datetime.fromtimestamp(int(reset), tz=_dt.timezone.utc)
            extras.append(f"quota refills at {refill:%Y-%m-%dT%H:%M:%SZ}")
        except (OverflowError, OSError, ValueError, TypeError):
            pass
    if extras:
        line += f" ({'; '.join(extras)})"
    return line


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    sys.stderr.write(_scrub(_one_line(f"warning: {message}")) + "\n")


def _run(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    handler = getattr(args, "handler", None)
    if handler is None:
        sub = args._parsers.get(args.command or "", parser)
        sub.print_help(sys.stderr)
        return EXIT_USAGE
    return int(handler(args))


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status (``python -m gradientai_rs`` / ``gradientai-rs``)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = _run(None if argv is None else list(argv))
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`). Python docs' recipe: point stdout at devnull so that the flush
        # at interpreter exit cannot fail again and print "Exception ignored ...".
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except Declined as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_FAILURE
    except MissingAPIKeyError:  # before TypeError: it is one
        _error(f"no API token: set {' or '.join(TOKEN_ENV_VARS)}")
        return EXIT_NO_TOKEN
    except (APIStatusError, APIResponseValidationError) as exc:
        _error(_describe_api_error(exc))
        return EXIT_API
    except APITimeoutError as exc:
        _error(f"timed out: {exc}" if "timed out" not in str(exc).lower() else str(exc))
        return EXIT_CONNECTION
    except APIConnectionError as exc:
        _error(str(exc))
        return EXIT_CONNECTION
    except (ValueError, TypeError) as exc:  # argument validation by the client (per_page range, base_url, ...)
        _error(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # never a traceback; the type helps a bug report
        _error(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILURE
