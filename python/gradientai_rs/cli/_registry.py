"""Every command family and command of ``gradientai-rs``, in the order ``--help`` lists them.

Adding a command is one module (its ``Command``: an ``add_arguments`` function and a ``run`` function) and one
line in :data:`COMMANDS`; a new family (``droplets``, ``volumes``) also gets one :class:`Group` in :data:`GROUPS`.
"""

from __future__ import annotations

from typing import Tuple

from . import cost, demo, prune, snapshots, sources, sync
from ._command import Command, Group

__all__ = ["COMMANDS", "GROUPS"]

GROUPS: Tuple[Group, ...] = (
    Group(
        "snapshots",
        help="list, show or delete snapshots",
        description="List, show or delete the snapshots of droplets and volumes.",
    ),
    Group(
        "droplets",
        help="list droplets (GPU droplets with --type gpus)",
        description="List the droplets of the account (GET /v2/droplets).",
    ),
    Group(
        "volumes",
        help="list block storage volumes",
        description="List the block storage volumes of the account (GET /v2/volumes).",
    ),
)

COMMANDS: Tuple[Command, ...] = (
    snapshots.LIST,
    sources.ORPHANS,
    cost.COST,
    prune.PRUNE,
    snapshots.GET,
    snapshots.DELETE,
    sources.DROPLETS_LIST,
    sources.VOLUMES_LIST,
    sync.SYNC,
    demo.DEMO,
)
