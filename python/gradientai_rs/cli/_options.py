"""Argument building blocks the commands share, and the ``type=`` function of ``--columns``."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from ._output import FORMATS
from ._vocab import RESOURCE_TYPES

__all__ = [
    "columns_type",
    "filter_options",
    "output_options",
    "resource_type_option",
    "select_kwargs",
]


def columns_type(columns: Mapping[str, Any]) -> Callable[[str], List[str]]:
    """An argparse ``type=`` for ``--columns``: comma-separated keys of ``columns`` (case and ``-``/``_`` free)."""

    def check(value: str) -> List[str]:
        names = [v.strip().lower().replace("-", "_") for v in value.split(",")]
        names = [n for n in names if n]
        if not names:
            raise argparse.ArgumentTypeError("expected a comma-separated list of column names")
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown column(s) {', '.join(unknown)}; choose from {','.join(columns)}")
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
    return out


def output_options(p: argparse.ArgumentParser, *, json_help: str, columns: Optional[Mapping[str, Any]] = None) -> None:
    """``--format`` (every format of ``_output.FORMATS``), ``--columns`` (when ``columns`` is given: the selectable
    keys), and ``--no-header``."""
    g = p.add_argument_group("output options")
    if columns is None:
        fmt_help = f"{', '.join(FORMATS)} (default: table)"
    else:
        fmt_help = (
            f"table (default), json, jsonl or csv. table: aligned columns like doctl's; {json_help}; "
            "jsonl: one JSON object per line; csv: RFC 4180 with a header row of column names "
            "(lists joined with ',' inside one quoted cell; lines end with \\n)"
        )
    g.add_argument("-o", "--format", choices=FORMATS, default="table", metavar="FORMAT", help=fmt_help)
    if columns is not None:
        g.add_argument(
            "--columns",
            metavar="COLS",
            type=columns_type(columns),
            default=None,
            help=f"comma-separated fields to output, in this order, in any format (default: all): {', '.join(columns)}",
        )
    g.add_argument("--no-header", action="store_true", help="omit the header line (table, csv)")


def chosen(args: argparse.Namespace, default: Iterable[str]) -> List[str]:
    """``--columns`` if given, else ``default``."""
    cols = getattr(args, "columns", None)
    return list(cols) if cols else list(default)
