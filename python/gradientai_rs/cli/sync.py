"""``sync``: every snapshot of the account(s) into a dlt destination, with history (``gradientai_rs.dlt``).

DuckDB, embedded in a local file, is the default destination, so nothing else has to be set up; any dlt destination
name is passed through to dlt (its credentials come from dlt's own config: ``.dlt/secrets.toml`` or environment
variables). Prints dlt's load info: where the data went and the rows per table.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict

from .._core import GradientAI, _doctl_contexts
from .._exceptions import AccountError
from ._command import Command
from ._common import EXIT_OK, UsageError, client, client_kwargs, scrub
from .snapshots import all_contexts

__all__ = ["SYNC"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--destination",
        default="duckdb",
        metavar="NAME",
        help="any dlt destination name (default: duckdb, a local file <pipeline-name>.duckdb)",
    )
    p.add_argument("--dataset-name", default="digitalocean", metavar="NAME", help="default: digitalocean")
    p.add_argument(
        "--pipeline-name", default="gradientai_rs", metavar="NAME", help="dlt's pipeline name (default: gradientai_rs)"
    )
    p.add_argument(
        "--pipelines-dir",
        default=None,
        metavar="DIR",
        help="where dlt keeps the pipeline's state (default: $GRADIENTAI_RS_PIPELINES_DIR, else dlt's ~/.dlt/pipelines)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="load a plain copy (write disposition replace) instead of the scd2 history",
    )


def _clients(args: argparse.Namespace) -> Dict[str, GradientAI]:
    if all_contexts(args):
        names = _doctl_contexts()
        if not names:
            raise UsageError("doctl's config has no auth contexts")
        kwargs = client_kwargs(args)
        return {name: GradientAI.from_doctl(name, **kwargs) for name in names}
    context = getattr(args, "context", None)
    return {context if context is not None else "default": client(args)}


def _account_error(exc: BaseException) -> Any:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, AccountError):
            return exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def _run(args: argparse.Namespace) -> int:
    # dlt logs, at WARNING, that the Arrow schema's nullability differs from the column hints (they are kept, as
    # intended); the command line shows errors only, unless the user sets dlt's own level.
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    try:
        from .. import dlt as source
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    from dlt.pipeline.exceptions import PipelineStepFailed

    clients = _clients(args)
    try:
        info = source.sync(
            clients,
            destination=args.destination,
            dataset_name=args.dataset_name,
            pipeline_name=args.pipeline_name,
            pipelines_dir=args.pipelines_dir,
            write_disposition="replace" if args.replace else "merge",
        )
    except PipelineStepFailed as exc:
        failed = _account_error(exc)
        if failed is None:
            raise
        if sys.stderr is not None:
            sys.stderr.write(scrub(f"sync: nothing was loaded: account {failed.account!r} failed\n"))
        raise failed.cause from None  # main prints it with its exit code (API error, connection, ...)
    finally:
        for c in clients.values():
            c.close()
    out = sys.stdout
    out.write(scrub(str(info)) + "\n")
    normalize = info.pipeline.last_trace.last_normalize_info if info.pipeline.last_trace else None
    if normalize is not None:
        counts = normalize.row_counts
        for table in sorted(t for t in counts if not t.startswith("_dlt")):
            out.write(scrub(f"{table}: {counts[table]} rows") + "\n")
    return EXIT_OK


SYNC = Command(
    path=("sync",),
    help="load every snapshot into a warehouse with history (dlt; DuckDB by default)",
    description=(
        "Lists every snapshot of the account (or of every doctl context with --all-contexts) and loads it with dlt "
        "into a destination, DuckDB by default. Deleted snapshots are kept as history (scd2: _dlt_valid_to is "
        "set); a listing that fails loads and retires nothing. Needs the dlt extra: pip install 'gradientai-rs[dlt]'."
    ),
    add_arguments=_arguments,
    run=_run,
)
