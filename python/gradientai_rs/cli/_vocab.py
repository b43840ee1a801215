"""The core's vocabularies and limits, as the command line's ``choices`` and range checks read them.

Every name list comes from ``gradientai_rs._core`` (one declaration in Rust), so ``--sort``, ``--group-by``,
``--by``, ``--resource-type`` and ``--columns`` accept exactly what the core does.
"""

from __future__ import annotations

from typing import Tuple

from .. import _core

__all__ = [
    "GROUP_BY_KEYS",
    "MAX_CONCURRENCY",
    "MAX_COUNT",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "MAX_TIMEOUT_SECS",
    "RESOURCE_TYPES",
    "SNAPSHOT_FIELDS",
    "SORT_FIELDS",
    "SUMMARY_KEYS",
]

SORT_FIELDS: Tuple[str, ...] = tuple(_core.SORT_FIELDS)
GROUP_BY_KEYS: Tuple[str, ...] = tuple(_core.GROUP_BY_KEYS)
SUMMARY_KEYS: Tuple[str, ...] = tuple(_core.SUMMARY_KEYS)
RESOURCE_TYPES: Tuple[str, ...] = tuple(_core.RESOURCE_TYPES)
SNAPSHOT_FIELDS: Tuple[str, ...] = tuple(_core.SNAPSHOT_FIELDS)

# The core's argument limits (src/core/limits.rs). The core does not export them to Python (yet); the CLI checks
# each option at parse time against these, and tests/test_cli_hardening.py proves each equals the core's own check
# (the value passes the core, one more is refused), so a change in the core fails a test instead of drifting.
MAX_PER_PAGE = 200
MAX_CONCURRENCY = 256
MAX_COUNT = 2**32 - 1  # max_retries, requests_per_minute, keep_* (u32 in the core)
MAX_PAGE = 2**63 - 1
MAX_TIMEOUT_SECS = 86_400.0 * 365.0
