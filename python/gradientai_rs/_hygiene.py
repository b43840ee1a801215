"""Cleaning up: retention policies, prune plans and their results, and listing several accounts.

The row work runs in Rust (``SnapshotList.select`` / ``_plan``, ``snapshots.delete_many``); this module only holds
the small result classes and the glue.
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _core
from ._exceptions import AccountError

if TYPE_CHECKING:  # pragma: no cover
    import pandas  # type: ignore[import-untyped, unused-ignore]
    import polars
    import pyarrow  # type: ignore[import-untyped, unused-ignore]

    from ._core import SnapshotList

__all__ = [
    "AsyncPrunePlan",
    "PrunePlan",
    "PruneResult",
    "RetentionPolicy",
    "list_all_accounts",
    "list_all_accounts_async",
]

_COUNTS = ("keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")


def _utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


@dataclass(frozen=True)
class RetentionPolicy:
    """Which snapshots to keep, with restic's ``forget`` rules (see ``src/core/retention.rs``).

    ``keep_within`` is a ``timedelta`` or a duration string such as ``"30d"`` (kept as given); ``keep_tags`` any
    iterable of tags (kept as a tuple). A policy that keeps nothing is a ``ValueError``.
    """

    keep_last: int = 0
    keep_hourly: int = 0
    keep_daily: int = 0
    keep_weekly: int = 0
    keep_monthly: int = 0
    keep_yearly: int = 0
    keep_within: Union[_dt.timedelta, str, None] = None
    keep_tags: Sequence[str] = ()

    def __post_init__(self) -> None:
        tags: Any = self.keep_tags
        if isinstance(tags, str):
            tags = (tags,)
        object.__setattr__(self, "keep_tags", tuple(tags))
        _core._validate_policy(self)

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)}" for name in _COUNTS if getattr(self, name)]
        if self.keep_within is not None:
            parts.append(f"keep_within={self.keep_within!r}")
        if self.keep_tags:
            parts.append(f"keep_tags={self.keep_tags!r}")
        return f"RetentionPolicy({', '.join(parts)})"


@dataclass(frozen=True, repr=False)
class PruneResult:
    """What ``apply()`` / ``delete_many()`` did, id by id (each list in the order the ids were given).

    ``deleted``: 204; ``already_gone``: 404 (deleted before — re-running a plan is safe); ``failed``: ``{id:
    exception}`` after the client's retries; ``not_attempted``: never sent, because the run ``stopped`` (a 401/403:
    ``stopped`` says why, and that error is in ``failed``) or was ``interrupted`` (Ctrl-C: the
    ``KeyboardInterrupt`` carries this result as ``.result``; the deletes in flight at that moment are listed in
    ``not_attempted`` too, though they may have gone through — re-running reports them as ``already_gone``).
    """

    deleted: List[str] = field(default_factory=list)
    already_gone: List[str] = field(default_factory=list)
    failed: Dict[str, BaseException] = field(default_factory=dict)
    not_attempted: List[str] = field(default_factory=list)
    stopped: Optional[str] = None
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        """Every id is deleted or already gone."""
        return not self.failed and not self.not_attempted

    def __repr__(self) -> str:
        extra = ""
        if self.stopped:
            extra += f", stopped={self.stopped!r}"
        if self.interrupted:
            extra += ", interrupted=True"
        return (
            f"PruneResult(deleted={len(self.deleted)}, already_gone={len(self.already_gone)}, "
            f"failed={len(self.failed)}, not_attempted={len(self.not_attempted)}{extra})"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("deleted", len(self.deleted)),
            ("already gone (404)", len(self.already_gone)),
            ("failed", len(self.failed)),
            ("not attempted", len(self.not_attempted)),
        ]
        body = "".join(f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{v}</td></tr>" for k, v in rows)
        note = ""
        if self.stopped:
            note += f"<br><span style='color:#b00'>stopped: {html.escape(self.stopped)}</span>"
        if self.interrupted:
            note += "<br><span style='color:#b00'>interrupted (Ctrl-C)</span>"
        return f"<div class='gradientai-rs'><b>PruneResult</b>{note}<table>{body}</table></div>"


class _Plan:
    """What a ``RetentionPolicy`` keeps and deletes (``snapshots.plan_prune``). Nothing is deleted until
    ``apply()``, which deletes exactly ``delete``.

    ``keep`` / ``delete``: ``SnapshotList``; ``reasons``: ``{id: [rules that keep it]}`` for the kept snapshots
    (``last``, ``hourly``, ``daily``, ``weekly``, ``monthly``, ``yearly``, ``within``, ``tag``, and the safety
    rules ``no id`` / ``unknown date``).
    """

    def __init__(
        self,
        keep: "SnapshotList",
        delete: "SnapshotList",
        reasons: Dict[str, List[str]],
        policy: RetentionPolicy,
        now: _dt.datetime,
        group_by: str,
        resource: Any,
    ) -> None:
        self.keep = keep
        self.delete = delete
        self.reasons = reasons
        self.policy = policy
        self.now = now
        self.group_by = group_by
        self._resource = resource

    @property
    def delete_ids(self) -> List[str]:
        return [str(s.id) for s in self.delete]

    @property
    def freed_gigabytes(self) -> float:
        return self.delete.size_gigabytes

    def freed_monthly_cost(self, rate_per_gb_month: float = _core.DEFAULT_RATE_PER_GB_MONTH) -> float:
        """USD per month no longer billed once ``delete`` is gone."""
        return self.delete.monthly_cost(rate_per_gb_month)

    def _apply(self, max_concurrency: int, progress: Any) -> Any:
        return self._resource.delete_many(self.delete_ids, max_concurrency=max_concurrency, progress=progress)

    def to_arrow(self, **extras: Any) -> "pyarrow.Table":
        """Every planned snapshot with ``action`` (``keep``/``delete``) and ``reasons`` columns (needs pyarrow)."""
        from ._export import _require

        pa = _require("pyarrow", "arrow")
        keep = self.keep.to_arrow(**extras)
        delete = self.delete.to_arrow(**extras)
        keep = keep.append_column("action", pa.array(["keep"] * keep.num_rows, pa.string()))
        keep = keep.append_column(
            "reasons",
            pa.array([self.reasons.get(str(i), []) for i in keep.column("id").to_pylist()], pa.list_(pa.string())),
        )
        delete = delete.append_column("action", pa.array(["delete"] * delete.num_rows, pa.string()))
        delete = delete.append_column("reasons", pa.array([[] for _ in range(delete.num_rows)], pa.list_(pa.string())))
        return pa.concat_tables([keep, delete])

    def to_pandas(self, **extras: Any) -> "pandas.DataFrame":
        return self.to_arrow(**extras).to_pandas()

    def to_polars(self, **extras: Any) -> "polars.DataFrame":
        from ._export import _require

        pl = _require("polars", "polars")
        frame: "polars.DataFrame" = pl.from_arrow(self.to_arrow(**extras))
        return frame

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(keep={len(self.keep)}, delete={len(self.delete)}, "
            f"freed_gigabytes={self.freed_gigabytes:.2f}, freed_monthly_cost={self.freed_monthly_cost():.2f}, "
            f"policy={self.policy!r}, now={self.now.isoformat()})"
        )

    def _repr_html_(self) -> str:
        from ._export import plan_html

        return plan_html(self)


class PrunePlan(_Plan):
    __doc__ = _Plan.__doc__

    def apply(self, *, max_concurrency: int = 8, progress: Any = None) -> PruneResult:
        """Deletes exactly ``delete`` (``snapshots.delete_many``, through the client's rate limiter and retries).
        A 401/403 stops the run (``result.stopped``); Ctrl-C raises ``KeyboardInterrupt`` whose ``.result`` is the
        partial ``PruneResult``. Applying the same plan again is safe (404s are ``already_gone``)."""
        result: PruneResult = self._apply(max_concurrency, progress)
        return result


class AsyncPrunePlan(_Plan):
    """A plan of ``AsyncGradientAI``: ``await plan.apply()``."""

    async def apply(self, *, max_concurrency: int = 8, progress: Any = None) -> PruneResult:
        """``PrunePlan.apply`` on the event loop."""
        result: PruneResult = await self._apply(max_concurrency, progress)
        return result


def _plan(
    resource: Any,
    listing: "SnapshotList",
    policy: Any,
    resource_type: Any,
    group_by: Any,
    now: Optional[_dt.datetime],
    filters: Dict[str, Any],
    cls: Any,
) -> Any:
    when = _utc_now() if now is None else now
    chosen = listing.select(resource_type=resource_type, now=when, **filters)
    keep, delete, reasons = chosen._plan(policy, group_by, when)
    return cls(keep, delete, reasons, policy, when, group_by, resource)


def _check(policy: Any, now: Optional[_dt.datetime]) -> None:
    if not isinstance(policy, RetentionPolicy):
        raise TypeError(f"policy must be a gradientai_rs.RetentionPolicy, got {type(policy).__name__}")
    if now is not None and (not isinstance(now, _dt.datetime) or now.utcoffset() is None):
        raise ValueError(f"now must be an aware datetime (with tzinfo), got {now!r}")


def _needs_sources(filters: Dict[str, Any]) -> bool:
    """``plan_prune(policy, orphaned=True|False)`` plans over a listing made with ``with_sources=True``."""
    return filters.get("orphaned") is not None


def plan_prune(
    resource: Any, policy: Any, resource_type: Any, group_by: str, now: Optional[_dt.datetime], filters: Dict[str, Any]
) -> PrunePlan:
    """``SnapshotsResource.plan_prune``."""
    _check(policy, now)
    listing = resource.list_all(resource_type=resource_type, with_sources=_needs_sources(filters))
    plan: PrunePlan = _plan(resource, listing, policy, resource_type, group_by, now, filters, PrunePlan)
    return plan


async def plan_prune_async(
    resource: Any, policy: Any, resource_type: Any, group_by: str, now: Optional[_dt.datetime], filters: Dict[str, Any]
) -> AsyncPrunePlan:
    """``AsyncSnapshotsResource.plan_prune``."""
    _check(policy, now)
    listing = await resource.list_all(resource_type=resource_type, with_sources=_needs_sources(filters))
    plan: AsyncPrunePlan = _plan(resource, listing, policy, resource_type, group_by, now, filters, AsyncPrunePlan)
    return plan


# --------------------------------------------------------------------------------------------- several accounts


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "collect"):
        raise ValueError(f"errors must be 'raise' or 'collect', got {errors!r}")


def _merge(names: List[str], outcomes: List[Any], errors: str) -> "SnapshotList":
    parts: List[Tuple[str, Any]] = []
    failed: Dict[str, Exception] = {}
    for name, out in zip(names, outcomes):
        if isinstance(out, BaseException):
            if not isinstance(out, Exception):
                raise out
            if errors == "raise":
                raise AccountError(name, out) from out
            failed[name] = AccountError(name, out)
        else:
            parts.append((name, out))
    return _core.SnapshotList._merge(parts, failed)


def list_all_accounts(clients: Mapping[str, Any], *, errors: str = "raise", **list_all_kwargs: Any) -> "SnapshotList":
    """Every snapshot of several accounts (``{"name": GradientAI, ...}``), listed concurrently (one thread per
    account, each under its own client's rate limits; the GIL is released while listing), as one ``SnapshotList``
    whose ``accounts`` / ``account_of(i)`` / Arrow ``account`` column name each row's account.

    A failing account raises ``AccountError`` (naming it, the cause chained); with ``errors="collect"`` it is left
    out and reported in ``.errors`` (``{name: AccountError}``)."""
    _check_errors(errors)
    names = list(clients)
    if not names:
        return _core.SnapshotList._merge([], {})

    def one(name: str) -> Any:
        try:
            return clients[name].gpu_droplets.snapshots.list_all(**list_all_kwargs)
        except Exception as exc:  # reported by _merge
            return exc

    from concurrent.futures import ThreadPoolExecutor  # imported when used: keeps `import gradientai_rs` quick

    with ThreadPoolExecutor(max_workers=min(len(names), 16), thread_name_prefix="gradientai-rs-account") as pool:
        outcomes = list(pool.map(one, names))
    return _merge(names, outcomes, errors)


async def list_all_accounts_async(
    clients: Mapping[str, Any], *, errors: str = "raise", **list_all_kwargs: Any
) -> "SnapshotList":
    """``list_all_accounts`` for ``AsyncGradientAI`` clients (concurrently on the running event loop)."""
    _check_errors(errors)
    names = list(clients)
    import asyncio  # imported when used: keeps `import gradientai_rs` quick

    outcomes = await asyncio.gather(
        *(clients[n].gpu_droplets.snapshots.list_all(**list_all_kwargs) for n in names), return_exceptions=True
    )
    return _merge(names, list(outcomes), errors)
