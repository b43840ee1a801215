"""Every command family and command of ``gradientai-rs``, in the order ``--help`` lists them.

Adding a command is one module (its ``Command``: an ``add_arguments`` function and a ``run`` function) and one
line in :data:`COMMANDS`; a new family (``droplets``, ``volumes``) also gets one :class:`Group` in :data:`GROUPS`.
"""

from __future__ import annotations

from typing import Tuple

from . import cost, demo, prune, snapshots, sync
from ._command import Command, Group

__all__ = ["COMMANDS", "GROUPS"]

GROUPS: Tuple[Group, ...] = (
    Group(
        "snapshots",
        help="list, show or delete snapshots",
        description="List, show or delete the snapshots of droplets and volumes.",
    ),
)

COMMANDS: Tuple[Command, ...] = (
    snapshots.LIST,
    cost.COST,
    prune.PRUNE,
    snapshots.GET,
    snapshots.DELETE,
    sync.SYNC,
    demo.DEMO,
)
