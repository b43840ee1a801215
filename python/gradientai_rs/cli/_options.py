"""Argument building blocks the commands share, and the parse-time checks (``type=`` functions) of every value.

Every numeric option is range-checked by argparse while the command line is parsed, against the core's limits
(:mod:`._vocab`), so a bad value is a usage error (exit 2) before anything is listed, printed or asked.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from ._output import WRITERS, escape
from ._vocab import MAX_TIMEOUT_SECS, RESOURCE_TYPES

__all__ = [
    "MAX_ID_CHARS",
    "chosen",
    "columns_type",
    "filter_options",
    "float_type",
    "int_type",
    "output_options",
    "resource_type_option",
    "select_kwargs",
    "snapshot_id",
    "timeout_type",
]

#: The longest snapshot id the CLI sends (DigitalOcean's are integers of up to 19 digits or 36-character UUIDs).
MAX_ID_CHARS = 128
_BAD_ID_CHAR = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def int_type(lo: int, hi: int, *, allowed: Optional[str] = None) -> Callable[[str], int]:
    """An argparse ``type=``: an integer in ``lo..=hi`` (the message says what is allowed, as the core's does)."""
    what = allowed or f"an integer between {lo} and {hi}"

    def check(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {_shown(text)}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be {what}, got {_shown(text)}")
        return value

    check.__name__ = "integer"  # argparse names the type in some messages
    return check


def float_type(*, lo: float, hi: float, lo_open: bool, what: str) -> Callable[[str], float]:
    """An argparse ``type=``: a finite number in ``lo..=hi`` (``lo`` excluded when ``lo_open``)."""

    def check(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {_shown(text)}") from None
        low_ok = value > lo if lo_open else value >= lo
        if not (math.isfinite(value) and low_ok and value <= hi):
            raise argparse.ArgumentTypeError(f"must be {what}, got {_shown(text)}")
        return value

    check.__name__ = "number"
    return check


#: ``--timeout``: what the core's ``limits::timeout`` accepts.
timeout_type = float_type(
    lo=0.0, hi=MAX_TIMEOUT_SECS, lo_open=True, what="a positive number of seconds (at most a year)"
)


def _shown(text: str) -> str:
    """A bad value as the message shows it: quoted, escaped, at most 40 characters."""
    cut = text if len(text) <= 40 else text[:40] + "..."
    return f"'{escape(cut)}'"


def snapshot_id(text: str) -> str:
    """An argparse ``type=`` for a snapshot ID: at most :data:`MAX_ID_CHARS` characters, no white space or control
    characters, not ``.`` or ``..`` (URL dot segments). An empty ID is left to the command (its own message)."""
    if len(text) > MAX_ID_CHARS:
        raise argparse.ArgumentTypeError(
            f"invalid snapshot ID: {len(text)} characters long (at most {MAX_ID_CHARS}), starting {_shown(text[:20])}"
        )
    if _BAD_ID_CHAR.search(text):
        raise argparse.ArgumentTypeError(f"invalid snapshot ID {_shown(text)}: white space or a control character")
    if text in (".", ".."):
        raise argparse.ArgumentTypeError(f"invalid snapshot ID {text!r}")
    return text


def columns_type(columns: Mapping[str, Any]) -> Callable[[str], List[str]]:
    """An argparse ``type=`` for ``--columns``: comma-separated keys of ``columns`` (case and ``-``/``_`` free)."""

    def check(value: str) -> List[str]:
        names = [v.strip().lower().replace("-", "_") for v in value.split(",")]
        names = [n for n in names if n]
        if not names:
            raise argparse.ArgumentTypeError("expected a comma-separated list of column names")
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown column(s) {_shown(', '.join(unknown))}; choose from {','.join(columns)}"
            )
        return names

    check.__name__ = "columns"
    return check


def resource_type_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resource-type",
        choices=RESOURCE_TYPES,
        default=None,
        help=f"only snapshots of this kind of resource: {', '.join(RESOURCE_TYPES)}",
    )


def filter_options(
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


ORPHANED_HELP = (
    "only snapshots whose droplet or volume is gone: lists the droplets (both the default listing and type=gpus) "
    "and volumes too, concurrently; a refused listing (a token without droplet:read or block_storage:read) is an "
    "error, never 'no droplets'"
)


def orphaned_option(p: argparse.ArgumentParser) -> None:
    """``--orphaned`` (``select(orphaned=True)`` over a listing made with ``with_sources=True``)."""
    p.add_argument("--orphaned", action="store_true", help=ORPHANED_HELP)


def select_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    """The ``select()`` keywords of ``filter_options``' flags that were given."""
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
    if getattr(args, "orphaned", False):
        out["orphaned"] = True
    return out


RAW_HELP = (
    "print server-sent text as it is: no escaping of control and bidi characters in table cells, no quote before "
    "csv cells starting with = + - @ (see docs/cli.md)"
)


def output_options(p: argparse.ArgumentParser, *, json_help: str, columns: Optional[Mapping[str, Any]] = None) -> None:
    """``--format`` (every writer of ``_output.WRITERS``), ``--columns`` (when ``columns`` is given: the selectable
    keys), ``--no-header`` and ``--raw``."""
    g = p.add_argument_group("output options")
    formats = tuple(WRITERS)
    if columns is None:
        fmt_help = f"{', '.join(formats)} (default: table)"
    else:
        fmt_help = (
            f"table (default), json, jsonl or csv. table: aligned columns like doctl's; {json_help}; "
            "jsonl: one JSON object per line; csv: RFC 4180 with a header row of column names "
            "(lists joined with ',' inside one quoted cell; lines end with \\n)"
        )
    g.add_argument("-o", "--format", choices=formats, default="table", metavar="FORMAT", help=fmt_help)
    if columns is not None:
        g.add_argument(
            "--columns",
            metavar="COLS",
            type=columns_type(columns),
            default=None,
            help=f"comma-separated fields to output, in this order, in any format (default: all): {', '.join(columns)}",
        )
    g.add_argument("--no-header", action="store_true", help="omit the header line (table, csv)")
    g.add_argument("--raw", action="store_true", help=RAW_HELP)


def chosen(args: argparse.Namespace, default: Iterable[str]) -> List[str]:
    """``--columns`` if given, else ``default``."""
    cols = getattr(args, "columns", None)
    return list(cols) if cols else list(default)
