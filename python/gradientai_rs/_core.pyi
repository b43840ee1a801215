"""Type stubs for the Rust extension ``gradientai_rs._core`` (hand-written; checked with mypy.stubtest in CI)."""

import datetime
import os
import re
from types import TracebackType
from typing import (
    Any,
    Callable,
    Coroutine,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Literal,
    Mapping,
    NoReturn,
    Optional,
    Protocol,
    Set,
    Tuple,
    Type,
    Union,
    final,
    overload,
    type_check_only,
)

import pandas  # type: ignore[import-untyped, unused-ignore]
import polars
import pyarrow  # type: ignore[import-untyped, unused-ignore]
from typing_extensions import Self, TypeVar

from ._types import RateLimit

__all__ = [
    "DEBUG_BUILD",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_RATE_PER_GB_MONTH",
    "GROUP_BY_KEYS",
    "RESOURCE_TYPES",
    "SNAPSHOT_FIELDS",
    "SORT_FIELDS",
    "SUMMARY_KEYS",
    "APIResponse",
    "AsyncGpuDropletsResource",
    "AsyncGradientAI",
    "AsyncPageIterator",
    "AsyncPrunePlan",
    "AsyncSnapshotIterator",
    "AsyncSnapshotsResource",
    "AsyncSnapshotsResourceWithRawResponse",
    "AsyncVolumesResource",
    "Droplet",
    "DropletList",
    "GPUDropletListResponse",
    "GpuDropletsResource",
    "GradientAI",
    "MetaProperties",
    "PageIterator",
    "PageLinks",
    "Pages",
    "PrunePlan",
    "PruneResult",
    "Region",
    "Snapshot",
    "SnapshotIterator",
    "SnapshotList",
    "SnapshotListResponse",
    "SnapshotRetrieveResponse",
    "SnapshotsResource",
    "SnapshotsResourceWithRawResponse",
    "Summary",
    "Volume",
    "VolumeList",
    "VolumeListResponse",
    "VolumesResource",
    "__version__",
    "_doctl_contexts",
    "_model_from_json",
    "_redact",
    "_reset_logging",
    "_snapshot_list_from_json",
    "_validate_policy",
]
__version__: str
DEFAULT_MAX_CONCURRENCY: int
DEBUG_BUILD: bool
DEFAULT_RATE_PER_GB_MONTH: float
# The core's vocabularies, in its order (each equals the `Literal` below: tests/test_vocabulary.py).
SORT_FIELDS: Tuple[str, ...]
GROUP_BY_KEYS: Tuple[str, ...]
SUMMARY_KEYS: Tuple[str, ...]
RESOURCE_TYPES: Tuple[str, ...]
SNAPSHOT_FIELDS: Tuple[str, ...]

_ResourceType = Literal["droplet", "volume"]
_Mode = Literal["python", "json"]
_Progress = Union[bool, Callable[[int, int], object], None]
_JSON = Union[Dict[str, Any], List[Any], str, int, float, bool, None]

@type_check_only
class _Blocking:
    """Marks pages of ``GradientAI`` (stub only)."""

@type_check_only
class _Async:
    """Marks pages of ``AsyncGradientAI`` (stub only)."""

_C = TypeVar("_C", _Blocking, _Async, default=_Blocking)
_T = TypeVar("_T")
_R = TypeVar("_R")
_Awaitable = Coroutine[Any, Any, _T]

def _model_from_json(kind: str, data: str) -> _Model: ...
def _snapshot_list_from_json(
    data: str,
    total: int,
    pages: int,
    changed: Optional[tuple[int, int, int, int]] = None,
    accounts: Optional[List[str]] = None,
    sources: Optional[List[_SourceState]] = None,
) -> SnapshotList: ...
def _redact(text: str, secrets: List[str]) -> str: ...
def _reset_logging() -> None: ...
def _validate_policy(policy: _Policy) -> None: ...
def _doctl_contexts(config_path: Optional[Union[str, os.PathLike[str]]] = None) -> List[str]: ...

_Age = Union[datetime.timedelta, datetime.datetime, str]
_GroupBy = Literal["resource_id", "resource_type", "region", "tag", "name", "none"]
_SortField = Literal["created_at", "name", "size_gigabytes", "min_disk_size", "id", "resource_id", "resource_type"]
_SummaryBy = Literal["resource_type", "region", "resource_id", "tag", "age", "account", "source"]
_SourceState = Literal["exists", "gone", "unknown"]
_DropletType = Literal["droplets", "gpus"]
_StrList = Union[str, Iterable[str], None]

@type_check_only
class _Policy(Protocol):
    """What ``RetentionPolicy`` has (stub only)."""

    @property
    def keep_last(self) -> int: ...
    @property
    def keep_hourly(self) -> int: ...
    @property
    def keep_daily(self) -> int: ...
    @property
    def keep_weekly(self) -> int: ...
    @property
    def keep_monthly(self) -> int: ...
    @property
    def keep_yearly(self) -> int: ...
    @property
    def keep_within(self) -> Union[datetime.timedelta, str, None]: ...
    @property
    def keep_tags(self) -> Iterable[str]: ...

@type_check_only
class _Model:
    """The model protocol every model class has (stub only; see ``src/py/model.rs``)."""

    def to_dict(
        self,
        *,
        mode: _Mode = "python",
        exclude_unset: bool = True,
        exclude_none: bool = False,
        use_api_names: bool = True,
        exclude_defaults: bool = False,
        warnings: bool = True,
    ) -> Dict[str, Any]: ...
    def model_dump(
        self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False
    ) -> Dict[str, Any]: ...
    def to_json(self, *, indent: Optional[int] = ...) -> str: ...
    def model_dump_json(self, *, indent: Optional[int] = None) -> str: ...
    @property
    def model_fields_set(self) -> Set[str]: ...
    @property
    def model_extra(self) -> Dict[str, Any]: ...
    def __getattr__(self, name: str) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int:
        """Models are unhashable (like the SDK's pydantic models): raises ``TypeError``."""
    def __reduce__(self) -> tuple[Callable[..., _Model], tuple[Any, ...]]: ...

@final
class Snapshot(_Model):
    """One snapshot. A missing field is ``None``; unknown fields are attributes too."""

    def __new__(cls, **data: Any) -> Self: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime:
        """Aware UTC ``datetime``; a value that isn't ISO 8601 stays the ``str`` sent."""
    @property
    def regions(self) -> List[str]: ...
    @property
    def resource_id(self) -> str: ...
    @property
    def resource_type(self) -> _ResourceType: ...
    @property
    def min_disk_size(self) -> int: ...
    @property
    def size_gigabytes(self) -> float: ...
    @property
    def tags(self) -> Optional[List[str]]: ...

@final
class MetaProperties(_Model):
    @property
    def total(self) -> Optional[int]: ...

@final
class Pages(_Model):
    @property
    def first(self) -> Optional[str]: ...
    @property
    def prev(self) -> Optional[str]: ...
    @property
    def next(self) -> Optional[str]: ...
    @property
    def last(self) -> Optional[str]: ...

@final
class PageLinks(_Model):
    @property
    def pages(self) -> Pages: ...

@final
class SnapshotRetrieveResponse(_Model):
    @property
    def snapshot(self) -> Optional[Snapshot]: ...

@final
class Region(_Model):
    """A droplet's or volume's region; ``available`` and any other key are attributes too."""

    @property
    def name(self) -> str: ...
    @property
    def slug(self) -> str: ...
    @property
    def sizes(self) -> List[str]: ...
    @property
    def features(self) -> List[str]: ...

@final
class Droplet(_Model):
    """One droplet (the SDK's ``Droplet``): the typed fields below; ``image``, ``size``, ``networks``, ``gpu_info``
    and every other field are attributes too (as sent)."""

    @property
    def id(self) -> int: ...
    @property
    def created_at(self) -> datetime.datetime:
        """Aware UTC ``datetime``; a value that isn't ISO 8601 stays the ``str`` sent."""
    @property
    def disk(self) -> int: ...
    @property
    def memory(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def region(self) -> Region: ...
    @property
    def size_slug(self) -> str: ...
    @property
    def snapshot_ids(self) -> List[int]: ...
    @property
    def status(self) -> str: ...
    @property
    def tags(self) -> List[str]: ...
    @property
    def vcpus(self) -> int: ...
    @property
    def volume_ids(self) -> List[str]: ...

@final
class Volume(_Model):
    """One block storage volume (the SDK's ``Volume``; ``created_at`` is a ``str`` there too)."""

    @property
    def id(self) -> Optional[str]: ...
    @property
    def created_at(self) -> Optional[str]: ...
    @property
    def droplet_ids(self) -> Optional[List[int]]: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def region(self) -> Optional[Region]: ...
    @property
    def size_gigabytes(self) -> Optional[int]: ...
    @property
    def tags(self) -> Optional[List[str]]: ...

@final
class GPUDropletListResponse(_Model):
    """One page of ``GET /v2/droplets``."""

    @property
    def meta(self) -> Optional[MetaProperties]: ...
    @property
    def droplets(self) -> List[Droplet]:
        """Always a list (empty when the answer had none)."""
    @property
    def links(self) -> PageLinks: ...

@final
class VolumeListResponse(_Model):
    """One page of ``GET /v2/volumes``."""

    @property
    def meta(self) -> Optional[MetaProperties]: ...
    @property
    def volumes(self) -> List[Volume]: ...
    @property
    def links(self) -> PageLinks: ...

_I = TypeVar("_I")

@type_check_only
class _ItemList(_Model, Generic[_I]):
    """``DropletList`` / ``VolumeList`` (stub only): a read-only sequence with Arrow export."""

    @property
    def total(self) -> int: ...
    @property
    def pages(self) -> int: ...
    @property
    def changed(self) -> Optional[str]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: int, /) -> _I: ...
    @overload
    def __getitem__(self, key: slice, /) -> List[_I]: ...
    def __iter__(self) -> Iterator[_I]: ...
    def to_dict(  # type: ignore[override]
        self,
        *,
        mode: _Mode = "python",
        exclude_unset: bool = True,
        exclude_none: bool = False,
        use_api_names: bool = True,
        exclude_defaults: bool = False,
        warnings: bool = True,
    ) -> List[Dict[str, Any]]: ...
    def model_dump(  # type: ignore[override]
        self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False
    ) -> List[Dict[str, Any]]: ...
    def to_dicts(self, *, mode: _Mode = "python") -> List[Dict[str, Any]]: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_arrow(self) -> pyarrow.Table: ...
    def to_pandas(self, **options: Any) -> pandas.DataFrame: ...
    def to_polars(self) -> polars.DataFrame: ...

@final
class DropletList(_ItemList[Droplet]):
    """Every droplet from ``gpu_droplets.list_all()``."""

@final
class VolumeList(_ItemList[Volume]):
    """Every volume from ``gpu_droplets.volumes.list_all()``."""

@type_check_only
class _Exports:
    """Arrow / pandas / polars exports of the classes that hold snapshots (stub only; ``export_methods!``)."""

    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def _arrow_stream(
        self,
        age_days: bool = False,
        monthly_cost: bool = False,
        now: Optional[datetime.datetime] = None,
        rate_per_gb_month: Optional[float] = None,
        source_exists: bool = False,
    ) -> object: ...
    def to_arrow(
        self,
        *,
        age_days: bool = False,
        monthly_cost: bool = False,
        now: Optional[datetime.datetime] = None,
        rate_per_gb_month: Optional[float] = None,
        source_exists: bool = False,
    ) -> pyarrow.Table:
        """A ``pyarrow.Table``; ``age_days`` / ``monthly_cost`` add those columns (at ``now``, at the rate);
        ``source_exists`` a bool column (null: unknown) for listings made with ``with_sources=True``."""
    def to_pandas(
        self,
        *,
        lists: Literal["arrow", "python"] = "arrow",
        age_days: bool = False,
        monthly_cost: bool = False,
        now: Optional[datetime.datetime] = None,
        rate_per_gb_month: Optional[float] = None,
        source_exists: bool = False,
    ) -> pandas.DataFrame: ...
    def to_polars(
        self,
        *,
        age_days: bool = False,
        monthly_cost: bool = False,
        now: Optional[datetime.datetime] = None,
        rate_per_gb_month: Optional[float] = None,
        source_exists: bool = False,
    ) -> polars.DataFrame: ...

@final
class SnapshotListResponse(_Model, _Exports, Generic[_C]):
    """One page of ``GET /v2/snapshots``. Iterating yields every snapshot of this page and the later ones.

    The type parameter says which client fetched it (``SnapshotListResponse`` alone is a page of ``GradientAI``),
    so the page helpers are typed: blocking on those, coroutines and async iterators on pages of
    ``AsyncGradientAI``."""

    @property
    def meta(self) -> Optional[MetaProperties]: ...
    @property
    def links(self) -> PageLinks: ...
    @property
    def snapshots(self) -> List[Snapshot]:
        """Always a list (empty when the answer had none)."""
    def has_next_page(self) -> bool: ...
    @overload
    def get_next_page(self: SnapshotListResponse[_Blocking]) -> SnapshotListResponse[_Blocking]: ...
    @overload
    def get_next_page(self: SnapshotListResponse[_Async]) -> _Awaitable[SnapshotListResponse[_Async]]: ...
    @overload
    def iter_pages(self: SnapshotListResponse[_Blocking]) -> PageIterator: ...
    @overload
    def iter_pages(self: SnapshotListResponse[_Async]) -> AsyncPageIterator: ...
    def __iter__(self: SnapshotListResponse[_Blocking]) -> SnapshotIterator: ...
    def __aiter__(self) -> AsyncSnapshotIterator: ...
    def _repr_html_(self) -> str: ...

@final
class SnapshotList(_Model, _Exports):
    """Every snapshot from ``list_all()``: a read-only sequence with Arrow export. A root model: ``to_dict()`` is
    the list of snapshot dicts, ``to_json()`` a JSON array."""

    def __new__(cls, snapshots: Optional[Iterable[Snapshot]] = None, *, total: Optional[int] = None) -> Self: ...
    @property
    def total(self) -> int: ...
    @property
    def pages(self) -> int: ...
    @property
    def changed(self) -> Optional[str]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: int, /) -> Snapshot: ...
    @overload
    def __getitem__(self, key: slice, /) -> List[Snapshot]: ...
    def __iter__(self) -> SnapshotIterator: ...
    def to_dict(  # type: ignore[override]
        self,
        *,
        mode: _Mode = "python",
        exclude_unset: bool = True,
        exclude_none: bool = False,
        use_api_names: bool = True,
        exclude_defaults: bool = False,
        warnings: bool = True,
    ) -> List[Dict[str, Any]]: ...
    def model_dump(  # type: ignore[override]
        self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False
    ) -> List[Dict[str, Any]]: ...
    def to_dicts(self, *, mode: _Mode = "python") -> List[Dict[str, Any]]: ...
    def select(
        self,
        *,
        name: Union[str, re.Pattern[str], None] = None,
        tags_any: _StrList = None,
        tags_all: _StrList = None,
        regions: _StrList = None,
        resource_type: Optional[_ResourceType] = None,
        resource_id: Union[int, str, None] = None,
        older_than: Optional[_Age] = None,
        newer_than: Optional[_Age] = None,
        min_size_gb: Optional[float] = None,
        now: Optional[datetime.datetime] = None,
        orphaned: Optional[bool] = None,
    ) -> SnapshotList:
        """The snapshots that pass every filter given.

        ``name``: a glob ``str`` (``fnmatch.fnmatchcase``) or a compiled ``re.Pattern``, which selects exactly what
        ``re.search`` selects: its syntax is translated for the Rust engine, and what the two engines read
        differently and can't be translated (look-around, back-references, ``\\b``, ``re.ASCII``, a ``$`` followed
        by more pattern, ...) is a ``ValueError`` naming the construct. ``older_than`` / ``newer_than``: an age
        (``timedelta`` or ``"30d"``, back from ``now``) or an aware ``datetime``; an age longer than any date
        (``timedelta.max``) means before every date: ``older_than`` then matches nothing, ``newer_than`` every
        dated snapshot. ``orphaned=True``: those whose source is gone; ``False``: the others (needs a listing made
        with ``with_sources=True``)."""
    def most_recent(self, group_by: _GroupBy = "resource_id") -> SnapshotList: ...
    def sort_by(self, field: _SortField, reverse: bool = False) -> SnapshotList: ...
    def monthly_cost(self, rate_per_gb_month: Optional[float] = None) -> float: ...
    @property
    def size_gigabytes(self) -> float: ...
    def summary(
        self,
        by: _SummaryBy = "resource_type",
        *,
        rate_per_gb_month: Optional[float] = None,
        now: Optional[datetime.datetime] = None,
    ) -> Summary: ...
    @property
    def source_states(self) -> Optional[List[_SourceState]]:
        """Each row's source state, for listings made with ``with_sources=True`` (else ``None``)."""
    @property
    def accounts(self) -> Optional[List[str]]: ...
    def account_of(self, i: int) -> Optional[str]: ...
    @property
    def errors(self) -> Dict[str, Exception]: ...
    @staticmethod
    def _merge(
        parts: List[Tuple[str, SnapshotList]], errors: Optional[Mapping[str, Exception]] = None
    ) -> SnapshotList: ...
    def _repr_html_(self) -> str: ...

@final
class Summary(_Model):
    """Count, GB and USD/month per group (``SnapshotList.summary``), the most expensive first."""

    @property
    def by(self) -> str: ...
    @property
    def rate_per_gb_month(self) -> float: ...
    @property
    def rows(self) -> List[Tuple[str, int, float, float]]:
        """``(group, count, size_gigabytes, monthly_cost_usd)`` per group."""
    def to_dicts(self) -> List[Dict[str, Any]]: ...
    def __len__(self) -> int: ...
    def __getitem__(self, i: int, /) -> Tuple[str, int, float, float]: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_arrow(self) -> pyarrow.Table: ...
    def to_pandas(self) -> pandas.DataFrame: ...
    def to_polars(self) -> polars.DataFrame: ...
    def _repr_html_(self) -> str: ...

@final
class PruneResult:
    """What ``apply()`` / ``delete_many()`` did, id by id (each list in the order the ids were given): ``deleted``
    (204), ``already_gone`` (404), ``failed`` (``{id: exception}``), ``not_attempted`` (never sent: the run
    ``stopped`` on a 401/403, or was ``interrupted`` by Ctrl-C). Compares by its fields; pickles; unhashable."""

    def __new__(
        cls,
        deleted: Optional[List[str]] = None,
        already_gone: Optional[List[str]] = None,
        failed: Optional[Dict[str, BaseException]] = None,
        not_attempted: Optional[List[str]] = None,
        stopped: Optional[str] = None,
        interrupted: bool = False,
    ) -> Self: ...
    @property
    def deleted(self) -> List[str]: ...
    @property
    def already_gone(self) -> List[str]: ...
    @property
    def failed(self) -> Dict[str, BaseException]: ...
    @property
    def not_attempted(self) -> List[str]: ...
    @property
    def stopped(self) -> Optional[str]: ...
    @property
    def interrupted(self) -> bool: ...
    @property
    def ok(self) -> bool:
        """Every id is deleted or already gone."""
    def _repr_html_(self) -> str: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int:
        """Unhashable: raises ``TypeError``."""
    def __reduce__(self) -> tuple[Type[PruneResult], tuple[Any, ...]]: ...

@type_check_only
class _PlanBase:
    """What both plan classes have (stub only)."""

    @property
    def keep(self) -> SnapshotList: ...
    @property
    def delete(self) -> SnapshotList: ...
    @property
    def reasons(self) -> Dict[str, List[str]]:
        """``{id: [rules that keep it]}`` for the kept snapshots."""
    @property
    def policy(self) -> _Policy: ...
    @property
    def now(self) -> datetime.datetime: ...
    @property
    def group_by(self) -> str: ...
    @property
    def delete_ids(self) -> List[str]: ...
    @property
    def freed_gigabytes(self) -> float: ...
    def freed_monthly_cost(self, rate_per_gb_month: Optional[float] = None) -> float: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def _arrow_stream(
        self,
        age_days: bool = False,
        monthly_cost: bool = False,
        now: Optional[datetime.datetime] = None,
        rate_per_gb_month: Optional[float] = None,
        source_exists: bool = False,
    ) -> object: ...
    def to_arrow(self, **extras: Any) -> pyarrow.Table:
        """Every planned snapshot with ``action`` (``keep``/``delete``) and ``reasons`` columns (needs pyarrow)."""
    def to_pandas(self, **extras: Any) -> pandas.DataFrame: ...
    def to_polars(self, **extras: Any) -> polars.DataFrame: ...
    def _repr_html_(self) -> str: ...
    def __reduce__(self) -> NoReturn:
        """Plans refuse to pickle (they hold the client ``apply()`` deletes with): raises ``TypeError``."""

@final
class PrunePlan(_PlanBase):
    """What a ``RetentionPolicy`` keeps and deletes (``snapshots.plan_prune``); nothing is deleted until
    ``apply()``, which deletes exactly ``delete``."""

    def apply(self, *, max_concurrency: int = 8, progress: _Progress = None) -> PruneResult:
        """Deletes exactly ``delete`` (through the client's rate limiter and retries)."""

@final
class AsyncPrunePlan(_PlanBase):
    """A plan of ``AsyncGradientAI``: ``await plan.apply()``."""

    def apply(self, *, max_concurrency: int = 8, progress: _Progress = None) -> _Awaitable[PruneResult]: ...

@final
class PageIterator:
    def __iter__(self) -> PageIterator: ...
    def __next__(self) -> SnapshotListResponse[_Blocking]: ...

@final
class AsyncPageIterator:
    def __aiter__(self) -> AsyncPageIterator: ...
    def __anext__(self) -> _Awaitable[SnapshotListResponse[_Async]]: ...

@final
class SnapshotIterator:
    def __iter__(self) -> SnapshotIterator: ...
    def __next__(self) -> Snapshot: ...

@final
class AsyncSnapshotIterator:
    def __aiter__(self) -> AsyncSnapshotIterator: ...
    def __anext__(self) -> _Awaitable[Snapshot]: ...

@final
class APIResponse(Generic[_R]):
    """A whole HTTP answer from ``with_raw_response``; ``parse()`` gives the model the plain call returns."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Dict[str, str]: ...
    @property
    def url(self) -> str: ...
    @property
    def method(self) -> str: ...
    @property
    def http_version(self) -> str: ...
    @property
    def retries_taken(self) -> int: ...
    @property
    def request_id(self) -> Optional[str]: ...
    @property
    def elapsed(self) -> datetime.timedelta: ...
    @property
    def rate_limit(self) -> Optional[RateLimit]: ...
    @property
    def is_closed(self) -> bool: ...
    def read(self) -> bytes: ...
    def text(self) -> str: ...
    def json(self) -> _JSON: ...
    def parse(self, *, to: Optional[type] = None) -> _R: ...
    def close(self) -> None: ...

_L = TypeVar("_L")
_G = TypeVar("_G")
_D = TypeVar("_D")
_A = TypeVar("_A")
_W = TypeVar("_W")
_P = TypeVar("_P")
_X = TypeVar("_X")

@type_check_only
class _SnapshotCalls(Generic[_L, _G, _D]):
    """``list``, ``retrieve`` and ``delete`` (stub only): what they return depends on the front-end."""

    def list(
        self,
        *,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        resource_type: Optional[_ResourceType] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> _L:
        """``GET /v2/snapshots``: one page. Only the parameters given are sent."""
    def retrieve(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> _G:
        """``GET /v2/snapshots/{snapshot_id}``."""
    def delete(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> _D:
        """``DELETE /v2/snapshots/{snapshot_id}``."""

@final
class SnapshotsResourceWithRawResponse(
    _SnapshotCalls[
        APIResponse[SnapshotListResponse[_Blocking]], APIResponse[SnapshotRetrieveResponse], APIResponse[None]
    ]
):
    """``GradientAI().gpu_droplets.snapshots.with_raw_response``."""

@final
class AsyncSnapshotsResourceWithRawResponse(
    _SnapshotCalls[
        _Awaitable[APIResponse[SnapshotListResponse[_Async]]],
        _Awaitable[APIResponse[SnapshotRetrieveResponse]],
        _Awaitable[APIResponse[None]],
    ]
):
    """``AsyncGradientAI().gpu_droplets.snapshots.with_raw_response``: every call returns a coroutine."""

@type_check_only
class _Resource(_SnapshotCalls[_L, _G, _D], Generic[_L, _G, _D, _A, _W, _P, _X]):
    """The plain resources (stub only): the three calls plus ``list_all`` and ``with_raw_response``."""

    def list_all(
        self,
        *,
        resource_type: Optional[_ResourceType] = None,
        per_page: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        progress: _Progress = None,
        wait_for_rate_limit: Optional[bool] = None,
        max_attempts: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
        with_sources: bool = False,
    ) -> _A:
        """Every snapshot, exactly once: page 1, then the rest concurrently, in page order. ``with_sources``:
        the droplets (both types) and volumes too, concurrently, so every row knows its source state."""
    def orphans(
        self,
        *,
        resource_type: Optional[_ResourceType] = None,
        progress: _Progress = None,
        max_concurrency: Optional[int] = None,
        deadline: Optional[float] = None,
        name: Union[str, re.Pattern[str], None] = ...,
        tags_any: _StrList = ...,
        tags_all: _StrList = ...,
        regions: _StrList = ...,
        resource_id: Union[int, str, None] = ...,
        older_than: Optional[_Age] = ...,
        newer_than: Optional[_Age] = ...,
        min_size_gb: Optional[float] = ...,
        now: Optional[datetime.datetime] = ...,
    ) -> _A:
        """The snapshots whose droplet or volume is gone (``list_all(with_sources=True)``, then
        ``select(orphaned=True, ...)``); a refused or failed source listing raises."""
    @property
    def with_raw_response(self) -> _W: ...
    def delete_many(
        self, ids: Iterable[Union[int, str]], *, max_concurrency: Optional[int] = None, progress: _Progress = None
    ) -> _X:
        """Deletes these snapshots concurrently (404s are ``already_gone``; a 401/403 stops the run)."""
    def plan_prune(
        self,
        policy: _Policy,
        *,
        resource_type: Optional[_ResourceType] = None,
        group_by: _GroupBy = "resource_id",
        now: Optional[datetime.datetime] = None,
        name: Union[str, re.Pattern[str], None] = ...,
        tags_any: _StrList = ...,
        tags_all: _StrList = ...,
        regions: _StrList = ...,
        resource_id: Union[int, str, None] = ...,
        older_than: Optional[_Age] = ...,
        newer_than: Optional[_Age] = ...,
        min_size_gb: Optional[float] = ...,
        orphaned: Optional[bool] = ...,
    ) -> _P:
        """Lists everything, selects, plans with ``policy``; deletes nothing. ``orphaned=True`` plans over the
        snapshots whose source is gone only (listing the sources too)."""

@final
class SnapshotsResource(
    _Resource[
        SnapshotListResponse[_Blocking],
        SnapshotRetrieveResponse,
        None,
        SnapshotList,
        SnapshotsResourceWithRawResponse,
        PrunePlan,
        PruneResult,
    ]
):
    """``GradientAI().gpu_droplets.snapshots``."""

@final
class AsyncSnapshotsResource(
    _Resource[
        _Awaitable[SnapshotListResponse[_Async]],
        _Awaitable[SnapshotRetrieveResponse],
        _Awaitable[None],
        _Awaitable[SnapshotList],
        AsyncSnapshotsResourceWithRawResponse,
        _Awaitable[AsyncPrunePlan],
        _Awaitable[PruneResult],
    ]
):
    """``AsyncGradientAI().gpu_droplets.snapshots``: every call returns a coroutine."""

_DL = TypeVar("_DL")
_DA = TypeVar("_DA")

@type_check_only
class _DropletCalls(Generic[_DL, _DA]):
    """``gpu_droplets.list`` / ``list_all`` (stub only)."""

    def list(
        self,
        *,
        name: Optional[str] = None,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        tag_name: Optional[str] = None,
        type: Optional[_DropletType] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> _DL:
        """``GET /v2/droplets``: one page; without ``type="gpus"`` only non-GPU droplets. ``tag_name`` can't be
        combined with ``name`` or ``type`` (``ValueError``)."""
    def list_all(
        self,
        *,
        name: Optional[str] = None,
        tag_name: Optional[str] = None,
        type: Optional[_DropletType] = None,
        per_page: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        progress: _Progress = None,
        wait_for_rate_limit: Optional[bool] = None,
        max_attempts: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
    ) -> _DA:
        """Every droplet of this filter, exactly once."""

@type_check_only
class _VolumeCalls(Generic[_DL, _DA]):
    """``gpu_droplets.volumes.list`` / ``list_all`` (stub only)."""

    def list(
        self,
        *,
        name: Optional[str] = None,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        region: Optional[str] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> _DL:
        """``GET /v2/volumes``: one page."""
    def list_all(
        self,
        *,
        name: Optional[str] = None,
        region: Optional[str] = None,
        per_page: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        progress: _Progress = None,
        wait_for_rate_limit: Optional[bool] = None,
        max_attempts: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
    ) -> _DA:
        """Every volume of this filter, exactly once."""

@final
class VolumesResource(_VolumeCalls[VolumeListResponse, VolumeList]):
    """``GradientAI().gpu_droplets.volumes``."""

@final
class AsyncVolumesResource(_VolumeCalls[_Awaitable[VolumeListResponse], _Awaitable[VolumeList]]):
    """``AsyncGradientAI().gpu_droplets.volumes``: every call returns a coroutine."""

@final
class GpuDropletsResource(_DropletCalls[GPUDropletListResponse, DropletList]):
    """``GradientAI().gpu_droplets``."""

    @property
    def snapshots(self) -> SnapshotsResource: ...
    @property
    def volumes(self) -> VolumesResource: ...

@final
class AsyncGpuDropletsResource(_DropletCalls[_Awaitable[GPUDropletListResponse], _Awaitable[DropletList]]):
    """``AsyncGradientAI().gpu_droplets``: every call returns a coroutine."""

    @property
    def snapshots(self) -> AsyncSnapshotsResource: ...
    @property
    def volumes(self) -> AsyncVolumesResource: ...

@type_check_only
class _ClientBase:
    """What both clients have (stub only)."""

    def __new__(
        cls,
        api_key: Optional[str] = None,
        *,
        access_token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        requests_per_minute: Optional[int] = ...,
        inference_key: Optional[str] = None,
        agent_key: Optional[str] = None,
        model_access_key: Optional[str] = None,
        agent_access_key: Optional[str] = None,
        verify: Union[bool, str, "os.PathLike[str]", None] = None,
        allow_insecure_http: Optional[bool] = None,
        max_rate_limit_wait: Optional[float] = None,
    ) -> Self: ...
    @property
    def base_url(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def requests_per_minute(self) -> Optional[int]: ...
    @property
    def max_rate_limit_wait(self) -> float: ...
    @property
    def rate_limit(self) -> Optional[RateLimit]: ...
    def is_closed(self) -> bool: ...
    def with_options(
        self,
        *,
        api_key: Optional[str] = None,
        access_token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        requests_per_minute: Optional[int] = None,
        verify: Union[bool, str, "os.PathLike[str]", None] = None,
        allow_insecure_http: Optional[bool] = None,
        max_rate_limit_wait: Optional[float] = None,
    ) -> Self:
        """A new client with some settings changed (same limiter when the token is unchanged)."""
    copy = with_options
    @classmethod
    def from_doctl(
        cls,
        context: Optional[str] = None,
        config_path: Optional[Union[str, os.PathLike[str]]] = None,
        **client_kwargs: Any,
    ) -> Self:
        """A client with the token of one of doctl's auth contexts (default: $DIGITALOCEAN_CONTEXT, else the
        config's current context)."""
    def __reduce__(self) -> NoReturn:
        """Clients refuse to pickle (they hold a token and a connection pool): raises ``TypeError``."""

@final
class GradientAI(_ClientBase):
    """The blocking client. Token from ``api_key``/``access_token``, DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY."""

    @property
    def gpu_droplets(self) -> GpuDropletsResource: ...
    def close(self) -> None: ...
    def __enter__(self) -> GradientAI: ...
    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType], /
    ) -> None: ...

@final
class AsyncGradientAI(_ClientBase):
    """The asyncio client: the same surface, every call awaitable."""

    @property
    def gpu_droplets(self) -> AsyncGpuDropletsResource: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> AsyncGradientAI: ...
    async def __aexit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType], /
    ) -> None: ...
