"""What a command is to the registry: where it sits, its help, the function that builds its arguments and the
function that runs it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Callable, Tuple

__all__ = ["Command", "Group"]


@dataclass(frozen=True)
class Group:
    """A command family (``gradientai-rs snapshots ...``): its name and help."""

    name: str
    help: str
    description: str


@dataclass(frozen=True)
class Command:
    """One command.

    ``path`` is ``(group, name)`` for a command of a family (``("snapshots", "list")``) or ``(name,)`` for a
    top-level one (``("demo",)``). ``add_arguments(parser)`` adds the command's own options to its subparser (the
    global options are added for it); ``run(args)`` does the work and returns the exit status (or raises one of
    the exceptions ``main`` maps to one).
    """

    path: Tuple[str, ...]
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    aliases: Tuple[str, ...] = ()
