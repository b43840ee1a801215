"""gradientai-rs: DigitalOcean snapshots from Python, with a Rust core.

A drop-in for ``client.gpu_droplets.snapshots.list(...)``, ``client.gpu_droplets.list(...)`` and
``client.gpu_droplets.volumes.list(...)`` of the GradientAI SDK (``do_gradientai`` / ``gradient``), plus ``list_all()`` (every snapshot, concurrently, exactly once), an asyncio client, Arrow export and
a CLI. ``gradientai_rs.testing`` has a fake DigitalOcean API for offline tests.
"""

from __future__ import annotations

from . import _core, _exceptions, _hygiene
from ._core import (
    APIResponse,
    AsyncGradientAI,
    Droplet,
    DropletList,
    GPUDropletListResponse,
    GradientAI,
    MetaProperties,
    PageLinks,
    Pages,
    Region,
    Snapshot,
    SnapshotList,
    SnapshotListResponse,
    SnapshotRetrieveResponse,
    Summary,
    Volume,
    VolumeList,
    VolumeListResponse,
    __version__,
)
from ._exceptions import *  # noqa: F403 - the SDK's exception classes, listed in _exceptions.__all__
from ._hygiene import *  # noqa: F403 - retention plans and accounts, listed in _hygiene.__all__
from ._logging import enable_logging, reset_logging
from ._types import RateLimit

# The SDK's other names for the same classes.
Gradient = GradientAI
AsyncGradient = AsyncGradientAI
Client = GradientAI
AsyncClient = AsyncGradientAI
Snapshots = Snapshot
DEFAULT_MAX_CONCURRENCY: int = _core.DEFAULT_MAX_CONCURRENCY
DEFAULT_RATE_PER_GB_MONTH: float = _core.DEFAULT_RATE_PER_GB_MONTH

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_RATE_PER_GB_MONTH",
    "APIResponse",
    "AsyncClient",
    "AsyncGradient",
    "AsyncGradientAI",
    "Client",
    "Droplet",
    "DropletList",
    "GPUDropletListResponse",
    "Gradient",
    "GradientAI",
    "MetaProperties",
    "PageLinks",
    "Pages",
    "RateLimit",
    "Region",
    "Snapshot",
    "SnapshotList",
    "SnapshotListResponse",
    "SnapshotRetrieveResponse",
    "Snapshots",
    "Summary",
    "Volume",
    "VolumeList",
    "VolumeListResponse",
    "__version__",
    "enable_logging",
    "reset_logging",
]
__all__ += _exceptions.__all__
__all__ += _hygiene.__all__

if _core.DEBUG_BUILD:  # pragma: no cover - only for developers' debug builds
    import warnings as _warnings

    _warnings.warn(
        "gradientai_rs was built in debug mode and is much slower than a release build", RuntimeWarning, stacklevel=2
    )

from ._logging import _configure_from_env  # noqa: E402

_configure_from_env()
