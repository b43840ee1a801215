"""Cleaning up: retention policies, and listing several accounts.

Planning, deleting and their results are Rust (``snapshots.plan_prune`` / ``delete_many`` build ``PrunePlan``,
``AsyncPrunePlan`` and ``PruneResult`` in ``gradientai_rs._core``; they are re-exported here). This module holds
``RetentionPolicy`` (validated by the core) and the account listers, which only call Rust.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Sequence, Tuple, Union

from . import _core
from ._core import AsyncPrunePlan, PrunePlan, PruneResult
from ._exceptions import AccountError

if TYPE_CHECKING:  # pragma: no cover
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


@dataclass(frozen=True)
class RetentionPolicy:
    """Which snapshots to keep, with restic's ``forget`` rules (see ``src/core/retention.rs``).

    ``keep_within`` is a ``timedelta`` or a duration string such as ``"30d"`` (kept as given), positive and at most
    106,751,991 days (``timedelta.max`` is refused, saying so); ``keep_tags`` any iterable of tags (kept as a
    tuple). A policy that keeps nothing is a ``ValueError``.
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
