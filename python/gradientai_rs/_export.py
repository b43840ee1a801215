"""Pure-Python helpers behind the Rust classes: DataFrame conversion, notebook HTML, progress bars.

The data itself always travels through the Arrow C stream (``__arrow_c_stream__``), built in Rust.
"""

from __future__ import annotations

import html
from typing import Any, Callable, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

_ROWS_SHOWN = 10
_COLUMNS = ("id", "name", "created_at", "regions", "resource_type", "size_gigabytes", "tags")
# Per column: the cell style. Numbers right-aligned in tabular figures; identifiers and timestamps
# never break at their hyphens (the notebook's output area scrolls horizontally instead); only the
# comma-separated list columns may wrap.
_NOWRAP = "text-align:left;white-space:nowrap"
_STYLES = {
    "id": _NOWRAP,
    "name": _NOWRAP,
    "created_at": _NOWRAP + ";font-variant-numeric:tabular-nums",
    "regions": "text-align:left",
    "resource_type": _NOWRAP,
    "size_gigabytes": "text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums",
    "tags": "text-align:left",
}
_MUTED = '<span style="color:#999">{}</span>'


def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise ImportError(
            f"{module} is required for this conversion: pip install 'gradientai-rs[{extra}]' (or pip install {module})"
        ) from exc


class _Stream:
    """An Arrow C stream already made (the rows with extra columns)."""

    def __init__(self, capsule: Any) -> None:
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._capsule


def _source(
    obj: Any, age_days: bool, monthly_cost: bool, now: Any, rate_per_gb_month: Any, source_exists: bool = False
) -> Any:
    """``obj`` itself, or (``age_days`` / ``monthly_cost`` / ``source_exists`` asked for) its stream with those
    columns."""
    if not (age_days or monthly_cost or source_exists):
        return obj
    return _Stream(obj._arrow_stream(bool(age_days), bool(monthly_cost), now, rate_per_gb_month, bool(source_exists)))


def to_arrow(
    obj: Any,
    *,
    age_days: bool = False,
    monthly_cost: bool = False,
    now: Any = None,
    rate_per_gb_month: Any = None,
    source_exists: bool = False,
) -> Any:
    """A ``pyarrow.Table`` (zero copy from the Rust buffers); ``age_days`` / ``monthly_cost`` add the
    ``age_days`` / ``monthly_cost_usd`` columns (at ``now``, default the current time; at ``rate_per_gb_month``);
    ``source_exists`` (listings made with ``with_sources=True``) a bool column, null when unknown."""
    pa = _require("pyarrow", "arrow")
    return pa.table(_source(obj, age_days, monthly_cost, now, rate_per_gb_month, source_exists))


def to_pandas(obj: Any, *, lists: str = "arrow", **extras: Any) -> Any:
    """A ``pandas.DataFrame`` through Arrow; ``created_at`` is ``datetime64[us, UTC]``.

    ``lists="arrow"`` (default) keeps ``regions`` and ``tags`` as Arrow lists (``pd.ArrowDtype``): no Python list
    per cell, so the conversion stays columnar (a cell reads as a list, a null one as ``pd.NA``). ``lists="python"`` makes
    them object columns of Python lists, as ``pd.DataFrame([s.to_dict() ...])`` would. ``extras``: ``to_arrow``'s.
    """
    pd = _require("pandas", "pandas")
    table = to_arrow(obj, **extras)
    import pyarrow as pa

    if lists == "python":
        df = table.to_pandas()
        # Arrow gives numpy arrays per cell; the SDK path gives lists (snapshots: regions, tags; droplets: tags,
        # snapshot_ids, volume_ids; volumes: droplet_ids, tags)
        for name in [f.name for f in table.schema if pa.types.is_list(f.type)]:
            df[name] = pd.Series(table.column(name).to_pylist(), index=df.index, dtype=object)
        return df
    if lists != "arrow":
        raise ValueError(f"lists must be 'arrow' or 'python', got {lists!r}")

    return table.to_pandas(types_mapper=lambda t: pd.ArrowDtype(t) if pa.types.is_list(t) else None)


def to_polars(
    obj: Any,
    *,
    age_days: bool = False,
    monthly_cost: bool = False,
    now: Any = None,
    rate_per_gb_month: Any = None,
    source_exists: bool = False,
) -> Any:
    """A ``polars.DataFrame`` (``to_arrow``'s extra columns on request)."""
    pl = _require("polars", "polars")
    return pl.DataFrame(_source(obj, age_days, monthly_cost, now, rate_per_gb_month, source_exists))


def _cell(value: Any, decimals: Optional[int] = None) -> str:
    if value is None:
        return _MUTED.format("None")
    if isinstance(value, list):
        if not value:
            return _MUTED.format("[]")
        return html.escape(", ".join(str(v) for v in value))
    if isinstance(value, float) and decimals is not None:
        return f"{value:.{decimals}f}"
    if hasattr(value, "isoformat"):
        return html.escape(value.isoformat().replace("+00:00", "Z"))
    return html.escape(str(value))


def _decimals(values: Any) -> Optional[int]:
    """Enough decimals for every shown float (no rounding), so the column lines up on the point."""
    floats = [repr(v) for v in values if isinstance(v, float)]
    if not floats or any("e" in f or "n" in f for f in floats):  # exponent / nan / inf: leave as is
        return None
    return max(len(f.partition(".")[2]) for f in floats)


def _table(rows: Any, count: int, caption: str) -> str:
    shown = rows[:_ROWS_SHOWN]
    head = "".join(f"<th style='{_STYLES[c]}'>{c}</th>" for c in _COLUMNS)
    decimals = _decimals(s.size_gigabytes for s in shown)
    body = []
    for s in shown:
        body.append(
            "<tr>"
            + "".join(
                f"<td style='{_STYLES[c]}'>{_cell(getattr(s, c), decimals if c == 'size_gigabytes' else None)}</td>"
                for c in _COLUMNS
            )
            + "</tr>"
        )
    more = ""
    if count > _ROWS_SHOWN:
        more = (
            f"<tr><td colspan='{len(_COLUMNS)}' style='text-align:left;color:#777;font-style:italic'>"
            f"… {count - _ROWS_SHOWN} more rows (first {_ROWS_SHOWN} of {count} shown)</td></tr>"
        )
    return (
        "<div class='gradientai-rs'><table>"
        f"<caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}{more}</tbody></table></div>"
    )


def list_html(obj: Any) -> str:
    """``SnapshotList._repr_html_``."""
    caption = f"<b>SnapshotList</b>: {len(obj)} snapshots (meta.total {obj.total}, fetched in {obj.pages} pages)"
    if obj.changed:
        caption += f"<br><span style='color:#b00'>{html.escape(obj.changed)}</span>"
    return _table(obj, len(obj), caption)


def summary_html(obj: Any) -> str:
    """``Summary._repr_html_``: one row per group, then the totals."""
    right = "text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums"
    head = (
        f"<th style='{_NOWRAP}'>{html.escape(obj.by)}</th><th style='{right}'>count</th>"
        f"<th style='{right}'>GB</th><th style='{right}'>$/month</th>"
    )
    body = []
    count = size = cost = 0.0
    for group, n, gb, usd in obj.rows:
        count, size, cost = count + n, size + gb, cost + usd
        body.append(
            f"<tr><td style='{_NOWRAP}'>{html.escape(group)}</td><td style='{right}'>{n}</td>"
            f"<td style='{right}'>{gb:.2f}</td><td style='{right}'>{usd:.2f}</td></tr>"
        )
    caption = f"<b>Summary</b> by {html.escape(obj.by)}: {len(obj)} groups at ${obj.rate_per_gb_month}/GB-month" + (
        " (multi-valued groups count a snapshot in each of its groups)" if obj.by in ("region", "tag") else ""
    )
    return (
        "<div class='gradientai-rs'><table>"
        f"<caption style='text-align:left'>{caption}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def plan_html(plan: Any) -> str:
    """``PrunePlan._repr_html_``: the counts, then the snapshots to delete."""
    caption = (
        f"<b>{type(plan).__name__}</b>: keep {len(plan.keep)}, delete {len(plan.delete)} "
        f"({plan.freed_gigabytes:.2f} GB, ${plan.freed_monthly_cost():.2f}/month) — "
        f"{html.escape(repr(plan.policy))}, grouped by {html.escape(plan.group_by)}, at "
        f"{html.escape(plan.now.isoformat())}. Nothing is deleted until <code>apply()</code>."
    )
    return _table(plan.delete, len(plan.delete), caption)


def _page_number(url: Optional[str]) -> Optional[int]:
    try:
        return int(parse_qs(urlsplit(url).query)["page"][0]) if url else None
    except (KeyError, ValueError):
        return None


def page_html(obj: Any) -> str:
    """``SnapshotListResponse._repr_html_``."""
    snapshots = obj.snapshots or []
    total = obj.meta.total if obj.meta is not None else None
    pages = obj.links.pages
    # Where this page sits, from the neighbours' links (DigitalOcean omits first/prev on page 1, next/last on the last page).
    nxt, prev, last = _page_number(pages.next), _page_number(pages.prev), _page_number(pages.last)
    current = nxt - 1 if nxt is not None else prev + 1 if prev is not None else None
    if current is not None and last is None and nxt is None:
        last = current
    links = " · ".join(
        f"{name}: <code style='overflow-wrap:anywhere'>{html.escape(url)}</code>"
        for name, url in (("first", pages.first), ("prev", pages.prev), ("next", pages.next), ("last", pages.last))
        if url
    )
    where = f"page {current} of {last}, " if current is not None and last is not None else ""
    caption = f"<b>SnapshotListResponse</b>: {len(snapshots)} snapshots on this page ({where}meta.total {total})"
    if links:
        caption += f"<br><small style='color:#555'>{links}</small>"
    return _table(snapshots, len(snapshots), caption)


def progress_callback(
    progress: Any, unit: str = "page"
) -> Tuple[Optional[Callable[[int, int], None]], Optional[Callable[[], None]]]:
    """``progress=True``: a ``tqdm.auto`` bar counting ``unit``s (pages listed, snapshots deleted) when tqdm is
    installed (nothing otherwise); a callable: itself."""
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return None, None
        bar = tqdm(total=0, unit=unit, desc="snapshots" if unit == "page" else "deleting")

        def update(done: int, total: int) -> None:
            if bar.total != total:
                bar.total = total
            bar.n = done
            if bar.postfix:
                bar.set_postfix_str("", refresh=False)
            bar.refresh()

        def rate_limit_wait(seconds: float) -> None:
            bar.set_postfix_str(f"rate limit: waiting {seconds:.0f} s")

        update.rate_limit_wait = rate_limit_wait  # type: ignore[attr-defined]
        return update, bar.close
    if progress is False or progress is None:
        return None, None
    if not callable(progress):
        raise TypeError(
            f"progress must be True, False, None or a callable (pages_done, pages_total), got {type(progress).__name__}"
        )
    return progress, None
