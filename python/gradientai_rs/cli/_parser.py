"""The argument parser: the global options, and one subparser per registered command (built by that command's own
``add_arguments`` function; see :mod:`._registry`)."""

from __future__ import annotations

import argparse
import os
from typing import Dict, NoReturn, Optional, Sequence

from .._core import __version__
from . import _registry
from ._command import Command, Group
from ._common import PROG, RPM_ENV, UsageError
from ._options import int_type, timeout_type
from ._vocab import MAX_COUNT

__all__ = ["EPILOG", "build_parser", "parse_args"]

_rpm_type = int_type(0, MAX_COUNT, allowed=f"an integer between 0 and {MAX_COUNT} (0: no pacing)")


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr (raised, so ``main`` picks the exit code)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _global_options(suppress: bool) -> _Parser:
    """Options accepted both before and after the subcommand (``SUPPRESS`` defaults in subparsers so that a value
    given before the subcommand is not reset by the subparser)."""
    default = argparse.SUPPRESS if suppress else None
    p = _Parser(add_help=False)
    g = p.add_argument_group("connection options")
    g.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help="API base URL (default: $GRADIENT_BASE_URL, $GRADIENT_AI_BASE_URL or https://api.digitalocean.com)",
    )
    g.add_argument(
        "--timeout",
        metavar="S",
        type=timeout_type,
        default=default,
        help="per-request timeout in seconds (default: 60)",
    )
    g.add_argument(
        "--max-retries",
        metavar="N",
        type=int_type(0, MAX_COUNT),
        default=default,
        help="retries of a failed request: connection errors, 408/409/429/5xx (default: 2)",
    )
    g.add_argument(
        "--requests-per-minute",
        metavar="N",
        type=_rpm_type,
        default=default,
        help=f"client-side pacing: at most N requests start in any 60 s; 0 turns pacing off (default: ${RPM_ENV}, "
        "else 250, DigitalOcean's burst limit)",
    )
    g.add_argument(
        "--context",
        metavar="NAME",
        default=default,
        help="use the token of this doctl auth context (doctl's config.yaml; default: the environment's token)",
    )
    g.add_argument(
        "--all-contexts",
        action="store_true",
        default=default,
        help="every doctl auth context (list --all, cost, prune and sync): rows gain an account column",
    )
    return p


EPILOG = f"""\
authentication:
  The token is read from DIGITALOCEAN_ACCESS_TOKEN or GRADIENTAI_API_KEY, or from doctl's
  config with --context NAME (--all-contexts: every context); it is never accepted on the
  command line, where it would show in `ps`, and never printed.

environment:
  {RPM_ENV}=N   the default of --requests-per-minute (0: no pacing)

output:
  Text from the server is escaped: control and bidi characters in table cells and on stderr
  become backslash escapes, csv cells starting with = + - @ get a leading ' (OWASP's CSV
  injection advice); --raw turns that off for stdout.

exit status:
  0 ok, 1 unexpected error, declined confirmation or unwritable stdout, 2 usage error,
  3 API error (error status or invalid answer), 4 connection error or timeout, 5 no token,
  130 interrupted.

examples:
  gradientai-rs demo
  gradientai-rs snapshots list --resource-type droplet --per-page 50
  gradientai-rs snapshots list --all --format csv --columns id,name,size_gigabytes > snapshots.csv
  gradientai-rs snapshots get 6372321 --format json
  gradientai-rs snapshots delete 6372321 --force
  gradientai-rs snapshots list --all --name 'web-*' --older-than 30d --sort size_gigabytes --reverse
  gradientai-rs snapshots cost --by region
  gradientai-rs snapshots prune --keep-daily 7 --keep-weekly 4          (a dry run: prints the plan)
  gradientai-rs snapshots prune --keep-daily 7 --keep-weekly 4 --apply  (asks, then deletes the plan)
  gradientai-rs --requests-per-minute 0 snapshots prune --keep-last 3 --apply --yes
"""


def build_parser(
    commands: Optional[Sequence[Command]] = None, groups: Optional[Sequence[Group]] = None
) -> argparse.ArgumentParser:
    """The parser of ``commands`` (default: the registry's), each subparser built by its command's
    ``add_arguments``."""
    commands = _registry.COMMANDS if commands is None else commands
    groups = _registry.GROUPS if groups is None else groups
    top = _global_options(suppress=False)
    sub_globals = _global_options(suppress=True)
    parser = _Parser(
        prog=PROG,
        description="List, show and delete DigitalOcean snapshots with gradientai-rs (a Rust core behind\n"
        "the GradientAI SDK's client.gpu_droplets.snapshots API). Global options may also be\n"
        "given after the command.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[top],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    top_level = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    group_info = {g.name: g for g in groups}
    families: Dict[str, argparse.ArgumentParser] = {"": parser}
    actions: Dict[str, "argparse._SubParsersAction[_Parser]"] = {}
    for command in commands:
        if len(command.path) == 1:
            where = top_level
        elif len(command.path) == 2:
            family = command.path[0]
            if family not in actions:
                info = group_info[family]
                fp = top_level.add_parser(family, help=info.help, description=info.description, parents=[sub_globals])
                families[family] = fp
                actions[family] = fp.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
            where = actions[family]
        else:
            raise ValueError(f"a command path is (name,) or (family, name), got {command.path!r}")
        sub = where.add_parser(
            command.path[-1],
            aliases=list(command.aliases),
            help=command.help,
            description=command.description,
            parents=[sub_globals],
        )
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)
    parser.set_defaults(_parsers=families)
    return parser


def parse_args(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    """Parses ``argv`` and fills in what the environment sets (``$GRADIENTAI_RS_REQUESTS_PER_MINUTE``), checked
    the same way as the option."""
    args = parser.parse_args(argv)
    if getattr(args, "requests_per_minute", None) is None:
        text = os.environ.get(RPM_ENV, "").strip()
        if text:
            try:
                args.requests_per_minute = _rpm_type(text)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(f"${RPM_ENV} {exc}") from None
    return args
