"""Pure-Python helpers behind the Rust classes: DataFrame conversion, notebook HTML, progress bars.

The data itself always travels through the Arrow C stream (``__arrow_c_stream__``), built in Rust.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Optional, Tuple

_ROWS_SHOWN = 10
_COLUMNS = ("id", "name", "created_at", "regions", "resource_type", "size_gigabytes", "tags")


def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise ImportError(
            f"{module} is required for this conversion: pip install 'gradientai-rs[{extra}]' (or pip install {module})"
        ) from exc


def to_arrow(obj: Any) -> Any:
    """A ``pyarrow.Table`` (zero copy from the Rust buffers)."""
    pa = _require("pyarrow", "arrow")
    return pa.table(obj)


def to_pandas(obj: Any) -> Any:
    """A ``pandas.DataFrame`` (through Arrow; ``created_at`` is ``datetime64[us, UTC]``)."""
    _require("pandas", "pandas")
    return to_arrow(obj).to_pandas()


def to_polars(obj: Any) -> Any:
    """A ``polars.DataFrame``."""
    pl = _require("polars", "polars")
    return pl.DataFrame(obj)


def _cell(value: Any) -> str:
    if value is None:
        return '<span style="color:#999">None</span>'
    if isinstance(value, list):
        return html.escape(", ".join(str(v) for v in value))
    if hasattr(value, "isoformat"):
        return html.escape(value.isoformat().replace("+00:00", "Z"))
    return html.escape(str(value))


def _table(rows: Any, count: int, caption: str) -> str:
    head = "".join(f"<th style='text-align:left'>{c}</th>" for c in _COLUMNS)
    body = []
    for s in rows[:_ROWS_SHOWN]:
        body.append("<tr>" + "".join(f"<td style='text-align:left'>{_cell(getattr(s, c))}</td>" for c in _COLUMNS) + "</tr>")
    more = ""
    if count > _ROWS_SHOWN:
        more = f"<tr><td colspan='{len(_COLUMNS)}' style='text-align:left'>… {count - _ROWS_SHOWN} more</td></tr>"
    return (
        "<div class='gradientai-rs'><table>"
        f"<caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}{more}</tbody></table></div>"
    )


def list_html(obj: Any) -> str:
    """``SnapshotList._repr_html_``."""
    caption = f"<b>SnapshotList</b>: {len(obj)} snapshots (meta.total {obj.total}, {obj.pages} pages)"
    if obj.changed:
        caption += f"<br><span style='color:#b00'>{html.escape(obj.changed)}</span>"
    return _table(obj, len(obj), caption)


def page_html(obj: Any) -> str:
    """``SnapshotListResponse._repr_html_``."""
    snapshots = obj.snapshots or []
    total = obj.meta.total if obj.meta is not None else None
    pages = obj.links.pages
    links = " ".join(
        f"{name}: <code>{html.escape(url)}</code>"
        for name, url in (("first", pages.first), ("prev", pages.prev), ("next", pages.next), ("last", pages.last))
        if url
    )
    caption = f"<b>SnapshotListResponse</b>: {len(snapshots)} snapshots on this page, meta.total {total}"
    if links:
        caption += f"<br><small>{links}</small>"
    return _table(snapshots, len(snapshots), caption)


def progress_callback(progress: Any) -> Tuple[Optional[Callable[[int, int], None]], Optional[Callable[[], None]]]:
    """``progress=True``: a ``tqdm.auto`` bar when tqdm is installed (nothing otherwise); a callable: itself."""
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None, None
        bar = tqdm(total=0, unit="page", desc="snapshots")

        def update(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        return update, bar.close
    if progress is False or progress is None:
        return None, None
    if not callable(progress):
        raise TypeError(f"progress must be True, False, None or a callable (pages_done, pages_total), got {type(progress).__name__}")
    return progress, None
