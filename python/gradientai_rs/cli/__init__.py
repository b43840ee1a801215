"""The ``gradientai-rs`` command line (also ``python -m gradientai_rs``). Standard library only (argparse).

Exit codes: 0 success, 1 unexpected error, a declined confirmation or stdout that cannot be written (closed with
``>&-``, a full disk), 2 usage error, 3 API error (an error status or an invalid answer), 4 connection error or
timeout, 5 no API token, 130 interrupted (Ctrl-C). A broken pipe (``| head``) is not an error: exit 0.

The token is read by the client from DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY, or from doctl's config file
(``--context NAME``; ``--all-contexts`` lists every context); it is never a command-line argument (it would show in
``ps``) and never printed (error lines are scrubbed of it as well). User docs: ``docs/cli.md``.

Layout (one job per module):

- :mod:`._command` -- what a command is: :class:`Command` (``path``, help, ``add_arguments``, ``run``) and
  :class:`Group` (a command family such as ``snapshots``).
- :mod:`._registry` -- :data:`GROUPS` and :data:`COMMANDS`, in ``--help`` order.
- :mod:`._parser` -- the global options and :func:`build_parser`, which gives each registered command its own
  subparser, built by that command's ``add_arguments``; ``parse_args`` adds what the environment sets.
- :mod:`._options` -- the argument groups commands share (selection, output) and the parse-time checks
  (``type=`` functions) of every value: numbers against the core's limits, ids, column names.
- :mod:`._vocab` -- the core's vocabularies (``_core.SORT_FIELDS``, ``GROUP_BY_KEYS``, ``SUMMARY_KEYS``,
  ``RESOURCE_TYPES``, ``SNAPSHOT_FIELDS``) and limits, which every ``choices=`` and range check reads.
- :mod:`._output` -- the one ``emit(rows, format, columns, header)`` every command prints with, one writer per
  format in ``WRITERS`` (a new format is one writer and one entry), and the escaping of server-sent text.
- :mod:`._common` -- exit codes, ``UsageError``/``Declined``, the client from the options, confirmation, error lines.
- :mod:`._main` -- :func:`main`: runs a command and maps every outcome to an exit status and one error line.
- the commands, by resource: :mod:`.snapshots` (``list``, ``get``, ``delete``, and the snapshot columns and rows
  the other snapshot commands share), :mod:`.cost`, :mod:`.prune`, :mod:`.demo`.

Adding a command (``droplets list``, ``volumes list``, ``snapshots orphans``, ``sync``) is one module and one
registration:

1. a module, say ``cli/droplets.py``, with ``def _arguments(p)`` (its options: reuse
   ``_options.output_options(p, json_help=..., columns=DROPLET_COLUMNS)`` for ``--format/--columns/--no-header/
   --raw``, and ``int_type``/``float_type`` for numbers), ``def _run(args) -> int`` (build the client with
   ``_common.client(args)``, print with ``_output.emit([Row(data, item), ...], args.format, columns, not
   args.no_header, raw=args.raw)``, return ``EXIT_OK``; raise ``UsageError`` for a bad combination of options),
   and ``LIST = Command(path=("droplets", "list"), help=..., description=..., add_arguments=_arguments,
   run=_run)``. Columns are ``_output.Column(key, title)`` (``text=`` formats a table cell, ``from_item=True``
   reads the cell from the row object's attribute).
2. one line in ``_registry.COMMANDS`` (``droplets.LIST``), and for a new family one ``Group("droplets", ...)``
   in ``_registry.GROUPS``. A top-level command such as ``sync`` has ``path=("sync",)`` and needs no group.

Errors need no code in the command: ``main`` maps the client's exceptions to exit codes and one escaped error line.
"""

from __future__ import annotations

from ._command import Command, Group
from ._main import main
from ._parser import build_parser
from ._registry import COMMANDS, GROUPS

__all__ = ["COMMANDS", "GROUPS", "Command", "Group", "build_parser", "main"]
