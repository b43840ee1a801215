"""The core's vocabularies, as the command line's ``choices`` and range checks read them.

Every name list comes from ``gradientai_rs._core`` (one declaration in Rust), so ``--sort``, ``--group-by``,
``--by``, ``--resource-type`` and ``--columns`` accept exactly what the core does.
"""

from __future__ import annotations

from typing import Tuple

from .. import _core

__all__ = [
    "GROUP_BY_KEYS",
    "RESOURCE_TYPES",
    "SNAPSHOT_FIELDS",
    "SORT_FIELDS",
    "SUMMARY_KEYS",
]

# PENDING(core16): until the core exports the tuples, the names as main's core accepts them today.
_PENDING = {
    "SORT_FIELDS": ("created_at", "name", "size_gigabytes", "min_disk_size", "id", "resource_id", "resource_type"),
    "GROUP_BY_KEYS": ("resource_id", "resource_type", "region", "tag", "name", "none"),
    "SUMMARY_KEYS": ("resource_type", "region", "resource_id", "tag", "age", "account"),
    "RESOURCE_TYPES": ("droplet", "volume"),
    "SNAPSHOT_FIELDS": (
        "id",
        "name",
        "created_at",
        "regions",
        "resource_id",
        "resource_type",
        "min_disk_size",
        "size_gigabytes",
        "tags",
    ),
}
SORT_FIELDS: Tuple[str, ...] = tuple(getattr(_core, "SORT_FIELDS", _PENDING["SORT_FIELDS"]))
GROUP_BY_KEYS: Tuple[str, ...] = tuple(getattr(_core, "GROUP_BY_KEYS", _PENDING["GROUP_BY_KEYS"]))
SUMMARY_KEYS: Tuple[str, ...] = tuple(getattr(_core, "SUMMARY_KEYS", _PENDING["SUMMARY_KEYS"]))
RESOURCE_TYPES: Tuple[str, ...] = tuple(getattr(_core, "RESOURCE_TYPES", _PENDING["RESOURCE_TYPES"]))
SNAPSHOT_FIELDS: Tuple[str, ...] = tuple(getattr(_core, "SNAPSHOT_FIELDS", _PENDING["SNAPSHOT_FIELDS"]))
