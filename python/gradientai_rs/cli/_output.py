"""Every output format, behind one :func:`emit`; the escaping of text that came from the server.

A command hands :func:`emit` its rows (each a :class:`Row`: the JSON-ready mapping, and the object the table cells
are read from), the columns, the format and whether to print a header. Each format is one writer function in
:data:`WRITERS`; :data:`FORMATS` (the ``--format`` choices) is read from it, so a new format is one function and
one entry there.

Escaping (unless ``--raw``):

- **table** cells and everything written to stderr have their control characters replaced by backslash escapes:
  C0 (``\\x00``-``\\x1f``, so ESC, CR, LF and tab), DEL, C1 (``\\x80``-``\\x9f``), the Unicode line and
  paragraph separators and the bidirectional controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069; the
  "Trojan Source" characters). A terminal then shows them as text instead of obeying them.
- **csv** cells that begin with ``=``, ``+``, ``-``, ``@``, a tab or a CR get a leading single quote, so a
  spreadsheet shows them as text instead of running them as a formula, as OWASP recommends
  (https://owasp.org/www-community/attacks/CSV_Injection). Numbers the CLI formats itself are left alone.
- **json** and **jsonl** are escaped by ``json.dumps`` already (``ensure_ascii``: every non-ASCII and control
  character is a ``\\uXXXX`` escape), with or without ``--raw``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, TextIO

__all__ = [
    "FORMATS",
    "WRITERS",
    "Column",
    "Out",
    "OutputError",
    "Row",
    "Table",
    "emit",
    "escape",
    "neutralise_csv",
    "plain",
]

#: What a terminal would obey rather than show: C0 and C1 controls, DEL, line/paragraph separators and the
#: bidirectional formatting characters (https://trojansource.codes lists the bidi ones).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: OWASP's list of characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape_char(match: "re.Match[str]") -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str) -> str:
    """``text`` with every control, separator and bidi character written as a backslash escape."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape_char, text)


def neutralise_csv(cell: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV Injection: prefix a single quote)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def plain(value: Any) -> str:
    """A cell for table and csv: lists joined with ',', None empty, numbers and strings as they are."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(plain(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def fmt_created_at(value: Any) -> str:
    """A timestamp as ``2024-01-31T12:00:00Z`` (UTC); a value that is not a datetime as it is."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return str(value.strftime("%Y-%m-%dT%H:%M:%S"))
    return plain(value)


def fmt_size(value: Any) -> str:
    """A size in GiB as ``2.34 GiB``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f} GiB"
    return plain(value)


def fmt_2f(value: Any) -> str:
    """A number with two decimals (sizes and dollars in ``cost``)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.2f}"
    return plain(value)


class Row(NamedTuple):
    """One output row: ``data`` is what json, jsonl and csv print (JSON-ready values by column key); ``item`` is
    the object table cells may read instead (a ``Snapshot``, whose ``created_at`` is a datetime)."""

    data: Mapping[str, Any]
    item: Any = None


def _data_cell(key: str) -> Callable[[Row], Any]:
    return lambda row: row.data.get(key)


def _attribute_cell(key: str) -> Callable[[Row], Any]:
    return lambda row: getattr(row.item, key, None)


@dataclass(frozen=True)
class Column:
    """A column: ``key`` names it in json/jsonl/csv (and picks the value from ``Row.data``), ``title`` heads it in
    a table, ``text`` turns its table value into the cell, ``from_item`` reads the table value from ``Row.item``'s
    attribute ``key`` instead of ``Row.data``."""

    key: str
    title: str
    text: Callable[[Any], str] = plain
    from_item: bool = False
    _get: Callable[[Row], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_get", (_attribute_cell if self.from_item else _data_cell)(self.key))

    def cell(self, row: Row) -> str:
        return self.text(self._get(row))


class OutputError(Exception):
    """stdout cannot be written (closed, a full disk, an I/O error): ``main`` exits 1 with one error line. A broken
    pipe (the reader went away, as ``| head`` does) is not one: it stays ``BrokenPipeError``, exit 0."""


def output_error(exc: OSError) -> OutputError:
    """The ``OutputError`` of a failed write or flush (its message is the system's, e.g. "No space left on
    device")."""
    return OutputError(exc.strerror or str(exc))


class Out:
    """Writes to a text stream; falls back to escapes when the terminal's encoding cannot show a character."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        try:
            try:
                self.stream.write(text)
            except UnicodeEncodeError:
                enc = getattr(self.stream, "encoding", None) or "ascii"
                self.stream.write(text.encode(enc, "backslashreplace").decode(enc, "replace"))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise output_error(exc) from None
        except ValueError:  # "I/O operation on closed file" (a caller closed sys.stdout)
            raise OutputError("stdout is closed") from None


@dataclass(frozen=True)
class Table:
    """What :func:`emit` was asked to print, as every writer sees it."""

    rows: Sequence[Row]
    columns: Sequence[Column]
    header: bool
    whole_rows: bool = False
    document: Any = None
    footer: Optional[Sequence[str]] = None
    table_columns: Optional[Sequence[Column]] = None
    raw: bool = False

    def records(self) -> List[Mapping[str, Any]]:
        """The rows as json/jsonl print them: whole, or only the chosen columns in their order."""
        if self.whole_rows:
            return [row.data for row in self.rows]
        keys = [c.key for c in self.columns]
        return [{k: row.data.get(k) for k in keys} for row in self.rows]


def _write_table(out: Out, t: Table) -> None:
    """Aligned columns (3 spaces apart, like doctl's), trailing spaces stripped."""
    columns = t.table_columns or t.columns
    cells = [[c.cell(row) for c in columns] for row in t.rows]
    if t.footer is not None:
        cells.append(list(t.footer))
    if not t.raw:
        cells = [[escape(cell) for cell in line] for line in cells]
    if t.header:
        cells.insert(0, [c.title for c in columns])
    if not cells:
        return
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        out.write("   ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() + "\n")


def _csv_cell(value: Any, raw: bool) -> str:
    text = plain(value)
    # Only text can be a formula; a number the CLI prints (a negative one, say) stays a number.
    if raw or isinstance(value, (int, float)):
        return text
    return neutralise_csv(text)


def _write_csv(out: Out, t: Table) -> None:
    """RFC 4180 with a header row of column keys; lists joined with ',' in one cell; lines end with \\n."""
    writer = csv.writer(out, lineterminator="\n")
    # With "\n" line ends the csv module quotes a cell holding "\n" but not one holding a lone "\r", which most
    # readers take for a line end: such a row is written with every cell quoted, so it stays one row.
    quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    keys = [c.key for c in t.columns]
    if t.header:
        writer.writerow(keys)
    for row in t.rows:
        cells = [_csv_cell(row.data.get(k), t.raw) for k in keys]
        (quoted if any("\r" in cell for cell in cells) else writer).writerow(cells)


def _write_jsonl(out: Out, t: Table) -> None:
    for record in t.records():
        out.write(json.dumps(record, separators=(",", ":")) + "\n")


def _write_json(out: Out, t: Table) -> None:
    data = t.records() if t.document is None else t.document
    out.write(json.dumps(data, indent=2) + "\n")


#: ``--format`` name -> writer. A new format is one writer function and one entry here.
WRITERS: Dict[str, Callable[[Out, Table], None]] = {
    "table": _write_table,
    "json": _write_json,
    "jsonl": _write_jsonl,
    "csv": _write_csv,
}
FORMATS = tuple(WRITERS)


def emit(
    rows: Sequence[Row],
    format: str,
    columns: Sequence[Column],
    header: bool,
    *,
    whole_rows: bool = False,
    document: Any = None,
    footer: Optional[Sequence[str]] = None,
    table_columns: Optional[Sequence[Column]] = None,
    raw: bool = False,
    stream: Optional[TextIO] = None,
) -> None:
    """Prints ``rows`` in ``format`` (one of :data:`FORMATS`) to ``stream`` (default: stdout).

    ``columns`` are printed in their order (their keys head a csv, their titles a table); ``header`` prints that
    header line (table, csv). The options each change one format: ``whole_rows`` makes json/jsonl print every key
    of ``Row.data`` (what "no ``--columns``" means for snapshots); ``document`` is printed by json instead of the
    array of rows (``get``'s one object, ``prune``'s plan); ``footer`` is a last table line (``cost``'s TOTAL);
    ``table_columns`` replaces ``columns`` in a table (``prune``'s shorter default); ``raw`` turns escaping off.
    """
    writer = WRITERS.get(format)
    if writer is None:
        raise ValueError(f"format must be one of {', '.join(WRITERS)}, got {format!r}")
    table = Table(rows, columns, header, whole_rows, document, footer, table_columns, raw)
    writer(Out(sys.stdout if stream is None else stream), table)
