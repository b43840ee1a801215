"""Type stubs for the Rust extension ``gradientai_rs._core`` (hand-written; checked with mypy.stubtest in CI)."""

import datetime
import os
from typing_extensions import Self
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Literal, Mapping, Optional, Set, Union, final, overload

from ._types import RateLimit

__all__ = [
    "AsyncGradientAI",
    "GradientAI",
    "_model_from_json",
    "MetaProperties",
    "PageLinks",
    "Pages",
    "Snapshot",
    "SnapshotRetrieveResponse",
    "AsyncPageIterator",
    "AsyncSnapshotIterator",
    "PageIterator",
    "SnapshotList",
    "SnapshotListResponse",
    "SnapshotIterator",
    "_snapshot_list_from_json",
    "APIResponse",
    "AsyncSnapshotsResource",
    "GpuDropletsResource",
    "SnapshotsResource",
    "SnapshotsResourceWithRawResponse",
    "_reset_logging",
    "__version__",
    "DEFAULT_MAX_CONCURRENCY",
    "DEBUG_BUILD",
]
__version__: str
DEFAULT_MAX_CONCURRENCY: int
DEBUG_BUILD: bool

_ResourceType = Literal["droplet", "volume"]
_Mode = Literal["python", "json"]
_Progress = Union[bool, Callable[[int, int], Any], None]

def _model_from_json(kind: str, data: str) -> Any: ...
def _snapshot_list_from_json(data: str, total: int, pages: int, changed: Optional[tuple[int, int, int, int]] = None) -> SnapshotList: ...
def _reset_logging() -> None: ...

class _Model:
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
    def model_dump(self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False) -> Dict[str, Any]: ...
    def to_json(self, *, indent: Optional[int] = ...) -> str: ...
    def model_dump_json(self, *, indent: Optional[int] = None) -> str: ...
    @property
    def model_fields_set(self) -> Set[str]: ...
    @property
    def model_extra(self) -> Dict[str, Any]: ...
    def __getattr__(self, name: str) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Any: ...

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
class SnapshotRetrieveResponse:
    @property
    def snapshot(self) -> Optional[Snapshot]: ...
    def to_dict(self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False) -> Dict[str, Any]: ...
    def model_dump(self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False) -> Dict[str, Any]: ...
    def to_json(self, *, indent: Optional[int] = ...) -> str: ...
    def model_dump_json(self, *, indent: Optional[int] = None) -> str: ...
    def __getattr__(self, name: str) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Any: ...

@final
class SnapshotListResponse:
    """One page of ``GET /v2/snapshots``. Iterating yields every snapshot of this page and the later ones."""

    @property
    def meta(self) -> Optional[MetaProperties]: ...
    @property
    def links(self) -> PageLinks: ...
    @property
    def snapshots(self) -> Optional[List[Snapshot]]: ...
    def has_next_page(self) -> bool: ...
    def get_next_page(self) -> Any:
        """The next page (``SnapshotListResponse``); an awaitable of it on pages of ``AsyncGradientAI``."""
    def iter_pages(self) -> Any:
        """An iterator of pages (an async iterator on pages of ``AsyncGradientAI``)."""
    def __iter__(self) -> Iterator[Snapshot]: ...
    def __aiter__(self) -> AsyncIterator[Snapshot]: ...
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
    def model_dump(self, *, mode: _Mode = "python", exclude_unset: bool = True, exclude_none: bool = False) -> Dict[str, Any]: ...
    def to_json(self, *, indent: Optional[int] = ...) -> str: ...
    def model_dump_json(self, *, indent: Optional[int] = None) -> str: ...
    def __getattr__(self, name: str) -> Any: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __reduce__(self) -> Any: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_arrow(self) -> Any: ...
    def to_pandas(self, *, lists: Literal["arrow", "python"] = "arrow") -> Any: ...
    def to_polars(self) -> Any: ...
    def _repr_html_(self) -> str: ...

@final
class SnapshotList:
    """Every snapshot from ``list_all()``: a read-only sequence with Arrow export."""

    def __new__(cls, snapshots: Optional[Any] = None, *, total: Optional[int] = None) -> Self: ...
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
    def __iter__(self) -> Iterator[Snapshot]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def to_dicts(self, *, mode: _Mode = "python") -> List[Dict[str, Any]]: ...
    def to_json(self, *, indent: Optional[int] = None) -> str: ...
    def __reduce__(self) -> Any: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
    def to_arrow(self) -> Any: ...
    def to_pandas(self, *, lists: Literal["arrow", "python"] = "arrow") -> Any: ...
    def to_polars(self) -> Any: ...
    def _repr_html_(self) -> str: ...

@final
class PageIterator:
    def __iter__(self) -> PageIterator: ...
    def __next__(self) -> SnapshotListResponse: ...

@final
class AsyncPageIterator:
    def __aiter__(self) -> AsyncPageIterator: ...
    def __anext__(self) -> Any: ...

@final
class SnapshotIterator:
    def __iter__(self) -> SnapshotIterator: ...
    def __next__(self) -> Snapshot: ...

@final
class AsyncSnapshotIterator:
    def __aiter__(self) -> AsyncSnapshotIterator: ...
    def __anext__(self) -> Any: ...

@final
class APIResponse:
    """A whole HTTP answer from ``with_raw_response``."""

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
    def json(self) -> Any: ...
    def parse(self, *, to: Optional[type] = None) -> Any: ...
    def close(self) -> None: ...

@final
class SnapshotsResourceWithRawResponse:
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
    ) -> Any: ...
    def retrieve(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> Any: ...
    def delete(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> Any: ...

@final
class SnapshotsResource:
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
    ) -> SnapshotListResponse: ...
    def retrieve(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> SnapshotRetrieveResponse: ...
    def delete(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> None: ...
    def list_all(
        self,
        *,
        resource_type: Optional[_ResourceType] = None,
        per_page: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        progress: _Progress = None,
        wait_for_rate_limit: bool = False,
        max_attempts: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
    ) -> SnapshotList: ...
    @property
    def with_raw_response(self) -> SnapshotsResourceWithRawResponse: ...

@final
class AsyncSnapshotsResource:
    async def list(
        self,
        *,
        page: Optional[int] = None,
        per_page: Optional[int] = None,
        resource_type: Optional[_ResourceType] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> SnapshotListResponse: ...
    async def retrieve(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> SnapshotRetrieveResponse: ...
    async def delete(
        self,
        snapshot_id: Union[int, str],
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[object] = None,
        timeout: Optional[float] = None,
    ) -> None: ...
    async def list_all(
        self,
        *,
        resource_type: Optional[_ResourceType] = None,
        per_page: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        progress: _Progress = None,
        wait_for_rate_limit: bool = False,
        max_attempts: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        timeout: Optional[float] = None,
        deadline: Optional[float] = None,
    ) -> SnapshotList: ...
    @property
    def with_raw_response(self) -> SnapshotsResourceWithRawResponse: ...

@final
class GpuDropletsResource:
    @property
    def snapshots(self) -> Any: ...

class _ClientBase:
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
        allow_insecure_http: bool = False,
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
    def __reduce__(self) -> Any: ...

@final
class GradientAI(_ClientBase):
    """The blocking client. Token from ``api_key``/``access_token``, DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY."""

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
    ) -> GradientAI: ...
    copy = with_options
    @property
    def gpu_droplets(self) -> _SyncGpuDroplets: ...
    def close(self) -> None: ...
    def __enter__(self) -> GradientAI: ...
    def __exit__(self, *args: object) -> bool: ...

@final
class AsyncGradientAI(_ClientBase):
    """The asyncio client: the same surface, every call awaitable."""

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
    ) -> AsyncGradientAI: ...
    copy = with_options
    @property
    def gpu_droplets(self) -> _AsyncGpuDroplets: ...
    async def close(self) -> None: ...
    async def __aenter__(self) -> AsyncGradientAI: ...
    async def __aexit__(self, *args: object) -> bool: ...

class _SyncGpuDroplets:
    @property
    def snapshots(self) -> SnapshotsResource: ...

class _AsyncGpuDroplets:
    @property
    def snapshots(self) -> AsyncSnapshotsResource: ...
