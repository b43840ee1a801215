"""``main``: parse, run the command, and turn every outcome into an exit status and at most one error line."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Optional, Sequence

from .._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    MissingAPIKeyError,
)
from ._common import (
    EXIT_API,
    EXIT_CONNECTION,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NO_TOKEN,
    EXIT_OK,
    EXIT_USAGE,
    TOKEN_ENV_VARS,
    Declined,
    UsageError,
    describe_api_error,
    error,
    one_line,
    scrub,
)
from ._output import OutputError, output_error
from ._parser import build_parser, parse_args

__all__ = ["main"]


def _show_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    if sys.stderr is not None:
        sys.stderr.write(scrub(one_line(f"warning: {message}")) + "\n")


def _run(argv: Optional[Sequence[str]]) -> int:
    parser = build_parser()
    try:
        args = parse_args(parser, argv)
    except SystemExit as exc:  # --help / --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    handler = getattr(args, "handler", None)
    if handler is None:
        sub = args._parsers.get(args.command or "", parser)
        sub.print_help(sys.stderr)
        return EXIT_USAGE
    if sys.stdout is None:
        # Started with stdout closed (`>&-`): Python has no sys.stdout then. Refuse before doing anything (a delete
        # whose result cannot be reported, say), as coreutils do ("write error: Bad file descriptor", exit 1).
        raise OutputError("stdout is closed")
    return int(handler(args))


def _silence_stdout() -> None:
    """Points stdout at devnull, so that the flush at interpreter exit cannot fail again and print "Exception
    ignored ..." (the Python docs' recipe for SIGPIPE, https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status (``python -m gradientai_rs`` / ``gradientai-rs``)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code = _run(None if argv is None else list(argv))
        if sys.stdout is not None:
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as exc:
                raise output_error(exc) from None
            except ValueError:  # closed by the caller
                raise OutputError("stdout is closed") from None
        return code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error.
        _silence_stdout()
        return EXIT_OK
    except OutputError as exc:
        _silence_stdout()
        error(f"cannot write output: {exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except UsageError as exc:
        error(str(exc))
        return EXIT_USAGE
    except Declined as exc:
        if sys.stderr is not None:
            sys.stderr.write(f"{exc}\n")
        return EXIT_FAILURE
    except MissingAPIKeyError:  # before TypeError: it is one
        error(f"no API token: set {' or '.join(TOKEN_ENV_VARS)}")
        return EXIT_NO_TOKEN
    except (APIStatusError, APIResponseValidationError) as exc:
        error(describe_api_error(exc))
        return EXIT_API
    except APITimeoutError as exc:
        error(f"timed out: {exc}" if "timed out" not in str(exc).lower() else str(exc))
        return EXIT_CONNECTION
    except APIConnectionError as exc:
        error(str(exc))
        return EXIT_CONNECTION
    except (ValueError, TypeError) as exc:  # argument validation by the client (per_page range, base_url, ...)
        error(str(exc))
        return EXIT_USAGE
    except Exception as exc:  # never a traceback; the type helps a bug report
        error(f"{type(exc).__name__}: {exc}")
        return EXIT_FAILURE
