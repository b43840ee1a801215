"""gradientai-rs: DigitalOcean snapshots from Python, with a Rust core.

A drop-in for ``client.gpu_droplets.snapshots.list(...)`` of the GradientAI SDK (``do_gradientai`` /
``gradient``), plus ``list_all()`` (every snapshot, concurrently, exactly once), an asyncio client, Arrow export and
a CLI. ``gradientai_rs.testing`` has a fake DigitalOcean API for offline tests.
"""

from __future__ import annotations

from . import _core
from ._core import (
    APIResponse,
    AsyncGradientAI,
    GradientAI,
    MetaProperties,
    PageLinks,
    Pages,
    Snapshot,
    SnapshotList,
    SnapshotListResponse,
    SnapshotRetrieveResponse,
    __version__,
)
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    GradientAIError,
    InternalServerError,
    InsecureTLSWarning,
    ListingChangedWarning,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from ._logging import enable_logging, reset_logging
from ._types import RateLimit

# The SDK's other names for the same classes.
Gradient = GradientAI
AsyncGradient = AsyncGradientAI
Client = GradientAI
AsyncClient = AsyncGradientAI
Snapshots = Snapshot
DEFAULT_MAX_CONCURRENCY: int = _core.DEFAULT_MAX_CONCURRENCY

__all__ = [
    "__version__",
    "GradientAI",
    "Gradient",
    "Client",
    "AsyncGradientAI",
    "AsyncGradient",
    "AsyncClient",
    "Snapshot",
    "Snapshots",
    "SnapshotList",
    "SnapshotListResponse",
    "SnapshotRetrieveResponse",
    "MetaProperties",
    "PageLinks",
    "Pages",
    "APIResponse",
    "RateLimit",
    "DEFAULT_MAX_CONCURRENCY",
    "GradientAIError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "MissingAPIKeyError",
    "ClientClosedError",
    "InsecureTLSWarning",
    "ListingChangedWarning",
    "enable_logging",
    "reset_logging",
]

if _core.DEBUG_BUILD:  # pragma: no cover - only for developers' debug builds
    import warnings as _warnings

    _warnings.warn("gradientai_rs was built in debug mode and is much slower than a release build", RuntimeWarning, stacklevel=2)

from ._logging import _configure_from_env  # noqa: E402

_configure_from_env()
