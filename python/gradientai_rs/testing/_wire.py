"""The fake's HTTP plumbing: what a request handler is given (:class:`Exchange`), one request on its way through
the handler's steps (:class:`Call`), one answer (:class:`Reply`) and how it is written, DigitalOcean's error bodies
and page bodies.

Standard library only; never imports the parent package.
"""

from __future__ import annotations

import dataclasses
import gzip as _gzip
import json
import re
import time
from http import HTTPStatus
from typing import Any, Iterable, Mapping, Protocol
from urllib.parse import quote

from ._switches import DEFAULT_SWITCHES, RATELIMIT_LIMIT, Switches

__all__ = ["DROP", "Call", "Exchange", "RecordedRequest", "Reply", "error_body", "page_body", "send"]

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
# ``ratelimit-reset`` is sent this many seconds ahead (DigitalOcean's per-minute window), or an hour ahead once the
# hourly quota is spent.
RATELIMIT_RESET_S = 60
HOURLY_RESET_S = 3600

INT_RE = re.compile(r"-?[0-9]+")

ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request was invalid."),
    401: ("unauthorized", "Unable to authenticate you."),
    403: ("forbidden", "You do not have access for the attempted action."),
    404: ("not_found", "The resource you requested could not be found."),
    405: ("method_not_allowed", "Method Not Allowed"),
    422: ("unprocessable_entity", "Unprocessable Entity"),
    429: ("too_many_requests", "API Rate limit exceeded."),
    500: ("server_error", "Unexpected server-side error"),
    502: ("bad_gateway", "Bad Gateway"),
    503: ("service_unavailable", "Service Unavailable"),
    504: ("gateway_timeout", "Gateway Timeout"),
}

JSON_HEADERS: dict[str, str | None] = {"content-type": "application/json; charset=utf-8"}


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str  # raw path, without the query string
    query: list[tuple[str, str]]  # in order, blank values kept
    params: dict[str, str]  # last value per name
    headers: dict[str, str]  # lower-cased names
    page: int | None  # effective page of a list request (snapshots, droplets, volumes; 1 if absent); else None
    time: float  # time.monotonic() at arrival


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _HeaderItems(Protocol):
    def items(self) -> Iterable[tuple[str, Any]]: ...


class Exchange(Protocol):
    """What the request handler uses of ``http.server.BaseHTTPRequestHandler``: the plain-HTTP server passes its
    handler, the TLS server (``_tls.py``) an adapter of its own. The handler reads the request line, headers and
    body, writes one whole HTTP/1.1 answer to ``wfile``, and sets ``close_connection`` to drop the connection."""

    close_connection: bool

    @property
    def command(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> _HeaderItems: ...
    @property
    def rfile(self) -> _Readable: ...
    @property
    def wfile(self) -> _Writable: ...


@dataclasses.dataclass(eq=False)  # not frozen: built for every request, and a frozen __init__ costs more
class Reply:
    """One answer, as :meth:`FakeDigitalOcean._send` writes it."""

    status: int
    body: bytes
    headers: Mapping[str, str | None]  # added to (or, with a None value, removed from) the default headers
    request_id: str
    remaining: int  # ratelimit-remaining
    reset_in: int = RATELIMIT_RESET_S  # ratelimit-reset, in seconds from now
    gzip: bool = False  # compress the body (the switch is on and the client accepts it)
    head: bool = False  # a HEAD request: headers only


@dataclasses.dataclass(eq=False)
class Call:
    """One request on its way through the handler's steps."""

    record: RecordedRequest
    route: str  # path without trailing slashes
    head: bool
    accept_gzip: bool
    request_id: str = ""
    switches: Switches = DEFAULT_SWITCHES  # replaced by the current ones when the request is answered
    remaining: int = 0  # the hourly quota left, as this request sees it
    gzip: bool = False

    def reply(
        self,
        status: int,
        body: bytes,
        headers: Mapping[str, str | None] | None = None,
        *,
        reset_in: int = RATELIMIT_RESET_S,
        gzip: bool | None = None,
    ) -> Reply:
        return Reply(
            status,
            body,
            JSON_HEADERS if headers is None else headers,
            self.request_id,
            self.remaining,
            reset_in,
            self.gzip if gzip is None else gzip,
            self.head,
        )

    def error(
        self,
        status: int,
        message: str | None = None,
        headers: Mapping[str, str | None] | None = None,
        *,
        reset_in: int = RATELIMIT_RESET_S,
        error_id: str | None = None,
    ) -> Reply:
        all_headers = dict(JSON_HEADERS)
        all_headers.update(headers or {})
        body = error_body(status, self.request_id, message, error_id)
        return self.reply(status, body, all_headers, reset_in=reset_in)

    def retry_after(self, status: int) -> dict[str, str | None]:
        """The ``retry-after`` header a ``status`` answer carries (429s only, when the switch gives one)."""
        value = self.switches.retry_after
        return {"retry-after": value} if status == 429 and value is not None else {}


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def error_body(status: int, request_id: str, message: str | None = None, error_id: str | None = None) -> bytes:
    err_id, default_message = ERRORS.get(status) or (
        phrase(status).lower().replace(" ", "_").replace("-", "_") or "error",
        phrase(status),
    )
    return json.dumps(
        {"id": error_id or err_id, "message": message or default_message, "request_id": request_id},
        separators=(",", ":"),
    ).encode()


def send(h: Exchange, reply: Reply) -> None:
    """Write ``reply`` as one whole HTTP/1.1 answer, with the headers every DigitalOcean answer carries."""
    headers: dict[str, str | None] = {
        "ratelimit-limit": str(RATELIMIT_LIMIT),
        "ratelimit-remaining": str(max(0, reply.remaining)),
        "ratelimit-reset": str(int(time.time()) + reply.reset_in),
        "x-request-id": reply.request_id,
    }
    headers.update(reply.headers)
    body = reply.body
    if reply.gzip and body and "content-encoding" not in headers:
        body = _gzip.compress(body, compresslevel=6, mtime=0)
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
    status = reply.status
    no_body = status == 204 or status == 304 or 100 <= status < 200
    if no_body:
        body = b""
        headers.pop("content-length", None)
        headers.pop("content-type", None)
    elif "content-length" not in headers:
        headers["content-length"] = str(len(body))
    if h.close_connection:
        headers["connection"] = "close"
    lines = [f"HTTP/1.1 {status} {phrase(status)}"]
    lines.extend(f"{k}: {v}" for k, v in headers.items() if v is not None)
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    try:
        h.wfile.write(head_bytes if reply.head else head_bytes + body)
    except OSError:
        h.close_connection = True


def page_body(
    key: bytes,
    chunk: list[bytes],
    total: int,
    *,
    page: int,
    per_page: int,
    path: str,
    suffix: str,
    base: str,
) -> bytes:
    """``{key: [chunk], "links": {"pages": {...}}, "meta": {"total": total}}`` with DigitalOcean's absolute
    page links (first/prev after page 1, last/next before the last page; ``suffix`` repeats the filters)."""
    last = max(1, -(-total // per_page))
    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = f"{base}{path}?page=1&per_page={per_page}{suffix}"
        pages["prev"] = f"{base}{path}?page={page - 1}&per_page={per_page}{suffix}"
    if page < last:
        pages["last"] = f"{base}{path}?page={last}&per_page={per_page}{suffix}"
        pages["next"] = f"{base}{path}?page={page + 1}&per_page={per_page}{suffix}"
    links = json.dumps({"pages": pages} if pages else {}, separators=(",", ":")).encode()
    return b"".join(
        (
            b'{"',
            key,
            b'":[',
            b",".join(chunk),
            b'],"links":',
            links,
            b',"meta":{"total":',
            str(total).encode(),
            b"}}",
        )
    )


def filters_suffix(params: Mapping[str, str], names: Iterable[str]) -> str:
    """The filters of a list request, repeated in its page links (``&name=value``, in this order)."""
    return "".join(f"&{n}={quote(params[n], safe='')}" for n in names if n in params)


def per_page_of(params: Mapping[str, str]) -> int | None:
    """``per_page`` (default 20, at most 200), or None when it's not an integer in range."""
    pp = params.get("per_page")
    if pp is None:
        return DEFAULT_PER_PAGE
    if INT_RE.fullmatch(pp) and 1 <= int(pp) <= MAX_PER_PAGE:
        return int(pp)
    return None


# A step's answer meaning "the server closed while this request waited: answer nothing".
DROP = Reply(0, b"", {}, "", 0)
