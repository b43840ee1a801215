"""What every command shares: exit codes, the two CLI exceptions, the client, the terminal, error lines."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from http import HTTPStatus
from typing import Any, Dict, List, Optional

from .._core import GradientAI
from .._exceptions import APIResponseValidationError
from ._output import escape

__all__ = [
    "EXIT_API",
    "EXIT_CONNECTION",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_NO_TOKEN",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "RPM_ENV",
    "TOKEN_ENV_VARS",
    "Declined",
    "UsageError",
    "client",
    "client_kwargs",
    "confirm",
    "describe_api_error",
    "error",
    "isatty",
    "one_line",
    "scrub",
]

PROG = "gradientai-rs"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_API = 3
EXIT_CONNECTION = 4
EXIT_NO_TOKEN = 5
EXIT_INTERRUPTED = 130

TOKEN_ENV_VARS = ("DIGITALOCEAN_ACCESS_TOKEN", "GRADIENTAI_API_KEY")
#: The environment's default for ``--requests-per-minute``.
RPM_ENV = "GRADIENTAI_RS_REQUESTS_PER_MINUTE"


class UsageError(Exception):
    """A bad command line (exit 2)."""


class Declined(Exception):
    """The user answered no to a confirmation (exit 1)."""


def client_kwargs(args: argparse.Namespace) -> Dict[str, Any]:
    """The client options of the command line (``--base-url --timeout --max-retries --requests-per-minute``).

    ``requests_per_minute`` is passed only when given (``--requests-per-minute`` or $GRADIENTAI_RS_REQUESTS_PER_MINUTE,
    resolved at parse time), so the client keeps its own default (250) otherwise; 0 turns pacing off.
    """
    kwargs: Dict[str, Any] = {
        "base_url": getattr(args, "base_url", None),
        "timeout": getattr(args, "timeout", None),
        "max_retries": getattr(args, "max_retries", None),
    }
    rpm = getattr(args, "requests_per_minute", None)
    if rpm is not None:
        kwargs["requests_per_minute"] = rpm
    return kwargs


def client(args: argparse.Namespace, **overrides: Any) -> GradientAI:
    """The client the command line asks for: ``--context``'s doctl token, else the environment's."""
    kwargs = client_kwargs(args)
    kwargs.update(overrides)
    context = getattr(args, "context", None)
    try:
        if context is not None and "api_key" not in overrides:
            return GradientAI.from_doctl(context, **kwargs)
        return GradientAI(**kwargs)
    except ValueError as exc:
        message = str(exc)
        if message.startswith("must be"):  # the client's base_url message does not name the option
            message = f"base URL {message}"
        raise UsageError(message) from None


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def confirm(prompt: str) -> bool:
    """Asks on stderr, reads one line of stdin: yes only for ``y``/``yes``."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n"):  # EOF (Ctrl-D): keep the terminal tidy
        sys.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")


def one_line(text: str) -> str:
    """``text`` on one line: control characters escaped (server text may carry ESC sequences), runs of white
    space one space."""
    return " ".join(escape(str(text)).split())


def scrub(text: str) -> str:
    """Removes any configured token from a message (defence in depth: the client never formats it)."""
    for name in TOKEN_ENV_VARS:
        token = os.environ.get(name, "").strip()
        if len(token) >= 4:
            text = text.replace(token, "***")
    return text


def error(message: str) -> None:
    """One ``error: ...`` line on stderr, escaped and scrubbed of the token (nothing when stderr is closed)."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(scrub(one_line(scrub(f"error: {message}"))) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass


def describe_api_error(exc: Exception) -> str:
    """An API error as one line: status and phrase, page, the server's message, request id, quota refill."""
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    detail: Optional[str] = None
    request_id = getattr(exc, "request_id", None)
    if isinstance(body, dict):
        msg = body.get("message")
        if isinstance(msg, str) and msg:
            detail = msg
        request_id = request_id or body.get("request_id")
    if detail is None:
        detail = getattr(exc, "message", None) or str(exc)
    parts: List[str] = []
    if isinstance(exc, APIResponseValidationError):
        parts.append(f"invalid API response (HTTP {status})" if status else "invalid API response")
    elif status:
        try:
            parts.append(f"HTTP {status} {HTTPStatus(status).phrase}")
        except ValueError:
            parts.append(f"HTTP {status}")
    listing, scope = getattr(exc, "listing", None), getattr(exc, "scope", None)
    if isinstance(listing, str) and isinstance(scope, str):
        # A source listing of with_sources/orphans: name it and the token scope it needs.
        parts.append(f"the {listing} listing (needs the {scope} scope) failed, so nothing is called orphaned")
    page = getattr(exc, "page", None)
    if page is not None:
        parts.append(f"page {page}")
    line = ": ".join(parts + [str(detail)]) if parts else str(detail)
    extras = []
    if request_id:
        extras.append(f"request id {request_id}")
    reset = getattr(exc, "reset", None)
    if reset:
        try:
            refill = _dt.datetime.fromtimestamp(int(reset), tz=_dt.timezone.utc)
            extras.append(f"quota refills at {refill:%Y-%m-%dT%H:%M:%SZ}")
        except (OverflowError, OSError, ValueError, TypeError):
            pass
    if extras:
        line += f" ({'; '.join(extras)})"
    return line
