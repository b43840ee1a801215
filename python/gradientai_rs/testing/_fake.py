"""A fake DigitalOcean ``/v2/snapshots`` API server for tests, demos and benchmarks.

Standard library only; never imports the parent package (which needs a compiled extension).
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import gzip as _gzip
import http.server
import json
import random
import re
import socket
import threading
import time
import uuid
from http import HTTPStatus
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, unquote

from ._data import SnapshotGenerator, _to_epoch, generate_history, parse_created_at

__all__ = ["FakeDigitalOcean", "RecordedRequest"]

LIST_PATH = "/v2/snapshots"
_ITEM_PREFIX = LIST_PATH + "/"
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
RATELIMIT_LIMIT = 5000
RESOURCE_TYPES = ("droplet", "volume")

_INT_RE = re.compile(r"-?[0-9]+")

_ERRORS: dict[int, tuple[str, str]] = {
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

_SWITCHES = frozenset(
    {
        "token",
        "latency_ms",
        "error_rate",
        "gzip",
        "links_base",
        "echo_resource_type",
        "truncate_pages",
        "fail_pages",
        "burst_limit",
        "burst_window_s",
        "retry_after",
        "hourly_remaining",
        "insert_per_list_request",
        "hang",
        "hang_paths",
        "delete_failures",
        "delete_error_rate",
    }
)


@dataclasses.dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str  # raw path, without the query string
    query: list[tuple[str, str]]  # in order, blank values kept
    params: dict[str, str]  # last value per name
    headers: dict[str, str]  # lower-cased names
    page: int | None  # effective page of a list request (1 if absent); None otherwise or if invalid
    time: float  # time.monotonic() at arrival


@dataclasses.dataclass(eq=False)
class _Canned:
    status: int
    body: bytes | None
    headers: dict[str, str | None]
    path: str | None
    delay_s: float
    remaining: int


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class _Entry:
    """One snapshot: the dict, its pre-serialised JSON bytes, and lookup keys."""

    __slots__ = ("data", "rtype", "sid", "snap")

    def __init__(self, snap: Any, data: bytes | None = None) -> None:
        self.snap = snap
        self.data = _encode(snap).encode("utf-8") if data is None else data
        if isinstance(snap, dict):
            self.rtype = snap.get("resource_type")
            sid = snap.get("id")
            self.sid = None if sid is None else str(sid)
        else:
            self.rtype = None
            self.sid = None


def _make_entries(snaps: list[Any], encoded: list[bytes] | None) -> list[_Entry]:
    was_enabled = gc.isenabled()
    gc.disable()  # many small objects: avoid repeated cyclic-GC passes (no cycles are created)
    try:
        if encoded is None:
            return [_Entry(s) for s in snaps]
        return [_Entry(s, d) for s, d in zip(snaps, encoded)]
    finally:
        if was_enabled:
            gc.enable()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _error_body(status: int, request_id: str, message: str | None = None) -> bytes:
    err_id, default_message = _ERRORS.get(status) or (
        _phrase(status).lower().replace(" ", "_").replace("-", "_") or "error",
        _phrase(status),
    )
    return json.dumps(
        {"id": err_id, "message": message or default_message, "request_id": request_id},
        separators=(",", ":"),
    ).encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    fake: FakeDigitalOcean

    def handle_error(self, request: Any, client_address: Any) -> None:  # silence tracebacks
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake-digitalocean"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._track(self.connection, False)

    def _dispatch(self) -> None:
        self.server.fake._handle(self)

    do_GET = do_DELETE = do_POST = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _dispatch


class FakeDigitalOcean:
    """A fake of DigitalOcean's snapshots API on ``127.0.0.1``.

    Use as a context manager (or ``start()`` / ``close()``)::

        with FakeDigitalOcean(250, latency_ms=5) as fake:
            client = make_client(base_url=fake.url, token="fake-token")

    Every request is recorded, then handled in this order: ``latency_ms`` sleep; hang (``hang``
    / ``hang_path``); a queued canned answer (``enqueue``); ``error_rate`` 500/503; bearer-token
    check (401); hourly quota / burst limit (429; only requests passing these count and decrement
    ``ratelimit-remaining``); then routing, where list requests are validated (400) before
    ``fail_pages`` / ``truncate_pages`` / ``insert_per_list_request`` apply, and a
    ``DELETE /v2/snapshots/{id}`` meets ``delete_failures`` then ``delete_error_rate`` before it
    removes the snapshot (204; 404 when there's no such id).

    ``history=True`` (or a number of resources, default 24) serves a realistic account history
    instead of ``snapshots``: see :func:`~gradientai_rs.testing._data.generate_history`; its "now"
    is ``history_now`` (an epoch, a ``...Z`` timestamp or an aware datetime; default
    ``HISTORY_NOW``, 2026-01-01T00:00:00Z), readable as ``fake.history_now`` (epoch seconds).
    Successful HTTP deletes are recorded, in order, in ``fake.deleted_ids``. All sleeps wake on
    ``close()``. Snapshot JSON is serialised once when added; mutate the dataset through
    ``add_snapshots`` / ``delete_snapshot``, not by editing the dicts in place.
    """

    def __init__(
        self,
        snapshots: int | list[dict] = 50,
        *,
        seed: int = 0,
        token: str | None = "fake-token",
        latency_ms: float = 0,
        error_rate: float = 0.0,
        gzip: bool = False,
        links_base: str | None = None,
        echo_resource_type: bool = True,
        truncate_pages: Iterable[int] = (),
        fail_pages: Mapping[int, Iterable[int]] | None = None,
        burst_limit: int | None = None,
        burst_window_s: float = 60.0,
        retry_after: str | None = "1",
        hourly_remaining: int = 5000,
        insert_per_list_request: int = 0,
        hang: bool = False,
        hang_paths: Iterable[str] = (),
        port: int = 0,
        history: bool | int = False,
        history_now: Any = None,
        delete_failures: Mapping[str, int | Iterable[int]] | None = None,
        delete_error_rate: float = 0.0,
        tls: bool = False,
        http2: bool = False,
    ) -> None:
        # tls / http2: HTTPS with a throwaway CA (``ca_path``), ALPN h2 + http/1.1 with http2 (needs the test extra;
        # see _tls.py). http2 implies tls.
        self._tls_mode: tuple[bool, bool] | None = (True, bool(http2)) if (tls or http2) else None
        self._tls: Any = None
        self._connection_count = 0
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._url: str | None = None
        self._seed = seed

        self.history_now: int | None = None
        self._gen: SnapshotGenerator | None = None  # created lazily for given data (needs their ids / timestamps)
        self._entries: list[_Entry]
        if history:
            self.history_now = _to_epoch(history_now)
            n_resources = 24 if history is True else int(history)
            data = generate_history(seed, now=self.history_now, resources=n_resources)
            self._entries = _make_entries(data, None)
        elif isinstance(snapshots, int):
            self._gen = SnapshotGenerator(seed)
            self._entries = _make_entries(*self._gen.generate_with_json(snapshots))
        else:
            self._entries = _make_entries(list(snapshots), None)
        self._index: dict[str, _Entry] = {}
        self._reindex()
        self._filtered: dict[str, list[_Entry]] = {}

        self._requests: list[RecordedRequest] = []
        self._queue: collections.deque[_Canned] = collections.deque()
        self._error_rng = random.Random(f"fake-digitalocean-errors-{seed}")
        self._burst: collections.deque[float] = collections.deque()
        self._deleted: list[str] = []
        self._delete_rng = random.Random(f"fake-digitalocean-delete-errors-{seed}")

        # switches (set through configure so that validation/normalisation is shared)
        self._token: str | None = None
        self._latency_s = 0.0
        self._error_rate = 0.0
        self._gzip = False
        self._links_base: str | None = None
        self._echo_rt = True
        self._truncate_pages: frozenset[int] = frozenset()
        self._fail_pages: dict[int, collections.deque[int]] = {}
        self._burst_limit: int | None = None
        self._burst_window_s = 60.0
        self._retry_after: str | None = None
        self._hourly_remaining = 0
        self._insert_per_list = 0
        self._hang = False
        self._hang_paths: set[str] = set()
        self._delete_failures: dict[str, int | collections.deque[int]] = {}
        self._delete_error_rate = 0.0
        self.configure(
            token=token,
            latency_ms=latency_ms,
            error_rate=error_rate,
            gzip=gzip,
            links_base=links_base,
            echo_resource_type=echo_resource_type,
            truncate_pages=truncate_pages,
            fail_pages=fail_pages,
            burst_limit=burst_limit,
            burst_window_s=burst_window_s,
            retry_after=retry_after,
            hourly_remaining=hourly_remaining,
            insert_per_list_request=insert_per_list_request,
            hang=hang,
            hang_paths=hang_paths,
            delete_failures=delete_failures,
            delete_error_rate=delete_error_rate,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeDigitalOcean:
        """Bind 127.0.0.1 and serve on a daemon thread. Idempotent while running."""
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("FakeDigitalOcean cannot be restarted after close()")
            if self._server is not None or self._tls is not None:
                return self
            if self._tls_mode is not None:
                from ._tls import TLSServer

                self._tls = TLSServer(self, http2=self._tls_mode[1], port=self._requested_port).start()
                self._url = self._tls.url
                return self
            server = _Server(("127.0.0.1", self._requested_port), _Handler)
            server.fake = self
            self._server = server
            self._url = f"http://127.0.0.1:{server.server_address[1]}"
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FakeDigitalOcean:{server.server_address[1]}",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, wake any sleeping/hanging handler, and close every socket. Idempotent."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            server, thread = self._server, self._thread
            conns = list(self._conns)
        if self._tls is not None:
            self._tls.close()
        if server is not None:
            server.shutdown()
            server.server_close()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if thread is not None:
            thread.join(timeout=2)

    def __enter__(self) -> FakeDigitalOcean:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("FakeDigitalOcean is not started (use start() or a with-block)")
        return self._url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def ca_path(self) -> str:
        """PEM file of the throwaway CA that signed the server's certificate (``tls=True`` only)."""
        if self._tls is None:
            raise RuntimeError("ca_path: the fake was not started with tls=True")
        return str(self._tls.ca_path)

    @property
    def connection_count(self) -> int:
        """Client connections accepted so far."""
        if self._tls is not None:
            return int(self._tls.connection_count)
        with self._lock:
            return self._connection_count

    @property
    def http_versions(self) -> dict[str, int]:
        """Requests per HTTP version (``"1.1"``, ``"2"``)."""
        if self._tls is not None:
            return dict(self._tls.http_versions)
        return {"1.1": self.request_count} if self.request_count else {}

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connection_count += 1
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
        if add and self._closed.is_set():
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ------------------------------------------------------------------ switches

    def configure(self, **switches: Any) -> None:
        """Change switches at runtime (thread-safe). Accepts the constructor's keyword names
        except ``seed``/``port``/``snapshots``; ``hang_paths`` replaces the set of hanging paths;
        ``hourly_remaining`` resets the hourly counter; ``fail_pages`` replaces the plan.

        ``delete_failures`` maps snapshot ids to the status their ``DELETE`` answers: an int fails every
        attempt, a list of ints fails the next attempts in turn and then lets the delete through (it
        replaces the previous mapping). ``delete_error_rate`` (0..1) makes that share of the other
        deletes answer 500, from a sequence seeded by ``seed``."""
        unknown = set(switches) - _SWITCHES
        if unknown:
            raise TypeError(f"unknown switch(es): {', '.join(sorted(unknown))}")
        with self._lock:
            for name, value in switches.items():
                if name == "token":
                    self._token = None if value is None else str(value)
                elif name == "latency_ms":
                    self._latency_s = max(0.0, float(value)) / 1000.0
                elif name == "error_rate":
                    value = float(value)
                    if not 0.0 <= value <= 1.0:
                        raise ValueError("error_rate must be within 0..1")
                    self._error_rate = value
                elif name == "gzip":
                    self._gzip = bool(value)
                elif name == "links_base":
                    self._links_base = None if value is None else str(value).rstrip("/")
                elif name == "echo_resource_type":
                    self._echo_rt = bool(value)
                elif name == "truncate_pages":
                    self._truncate_pages = frozenset(int(p) for p in (value or ()))
                elif name == "fail_pages":
                    self._fail_pages = {
                        int(p): collections.deque(int(s) for s in statuses) for p, statuses in (value or {}).items()
                    }
                elif name == "burst_limit":
                    if value is not None and int(value) < 0:
                        raise ValueError("burst_limit must be >= 0")
                    self._burst_limit = None if value is None else int(value)
                elif name == "burst_window_s":
                    self._burst_window_s = float(value)
                elif name == "retry_after":
                    self._retry_after = None if value is None else str(value)
                elif name == "hourly_remaining":
                    self._hourly_remaining = int(value)
                elif name == "insert_per_list_request":
                    self._insert_per_list = max(0, int(value))
                elif name == "hang":
                    self._hang = bool(value)
                elif name == "hang_paths":
                    self._hang_paths = {value} if isinstance(value, str) else set(value or ())
                elif name == "delete_failures":
                    plan: dict[str, int | collections.deque[int]] = {}
                    for sid, statuses in (value or {}).items():
                        if isinstance(statuses, int):
                            if not 400 <= statuses <= 599:
                                raise ValueError("delete_failures statuses must be within 400..599")
                            plan[str(sid)] = statuses
                        else:
                            queue = collections.deque(int(x) for x in statuses)
                            if any(not 400 <= x <= 599 for x in queue):
                                raise ValueError("delete_failures statuses must be within 400..599")
                            plan[str(sid)] = queue
                    self._delete_failures = plan
                elif name == "delete_error_rate":
                    value = float(value)
                    if not 0.0 <= value <= 1.0:
                        raise ValueError("delete_error_rate must be within 0..1")
                    self._delete_error_rate = value

    def hang_path(self, path: str) -> None:
        """Requests whose path (without query) equals ``path`` hang until the server closes
        (or until ``configure(hang_paths=())`` releases them)."""
        with self._lock:
            self._hang_paths.add(path)

    # ------------------------------------------------------------------ canned answers

    def enqueue(
        self,
        status: int = 200,
        *,
        body: bytes | str | Any = None,
        headers: Mapping[str, str | None] | None = None,
        path: str | None = None,
        delay_s: float = 0,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` matching requests (any path, or exactly ``path``) with this.

        ``body``: bytes/str verbatim, any other non-None value is JSON-encoded; None means a
        DO-shaped error body for statuses >= 400 and an empty body otherwise. ``headers`` are
        added (overriding defaults of the same name; a None value removes that header). A
        canned 429 gets ``retry-after`` from the ``retry_after`` switch unless given/removed.
        """
        if count < 1:
            raise ValueError("count must be >= 1")
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        canned = _Canned(
            status=int(status),
            body=data,
            headers={str(k).lower(): v for k, v in (headers or {}).items()},
            path=path,
            delay_s=float(delay_s),
            remaining=int(count),
        )
        with self._lock:
            self._queue.append(canned)

    def clear_queue(self) -> None:
        with self._lock:
            self._queue.clear()

    def _pop_canned(self, path: str) -> _Canned | None:
        # caller holds the lock
        for canned in self._queue:
            if canned.path is None or canned.path == path:
                canned.remaining -= 1
                if canned.remaining <= 0:
                    self._queue.remove(canned)
                return canned
        return None

    # ------------------------------------------------------------------ dataset

    def _reindex(self) -> None:
        index: dict[str, _Entry] = {}
        for e in self._entries:
            if e.sid is not None and e.sid not in index:
                index[e.sid] = e
        self._index = index

    def _generator(self) -> SnapshotGenerator:
        # caller holds the lock
        if self._gen is None:
            last = None
            for e in self._entries:
                if isinstance(e.snap, dict):
                    ts = parse_created_at(e.snap.get("created_at"))
                    if ts is not None and (last is None or ts > last):
                        last = ts
            self._gen = SnapshotGenerator(self._seed + 1_000_003, used_ids=self._index, last_ts=last)
        return self._gen

    @property
    def snapshots(self) -> list[dict]:
        """The current dataset in API order (a new list of the stored dicts)."""
        with self._lock:
            return [e.snap for e in self._entries]

    def ids(self) -> list[str]:
        with self._lock:
            return [e.sid for e in self._entries]  # type: ignore[misc]

    def add_snapshots(self, n: int, at: str = "front") -> list[dict]:
        """Generate ``n`` new snapshots (new unique ids, later created_at) at the front or end."""
        if at not in ("front", "end"):
            raise ValueError('at must be "front" or "end"')
        with self._lock:
            new, encoded = self._generator().generate_with_json(n)
            entries = _make_entries(new, encoded)
            if at == "front":
                self._entries[0:0] = entries
            else:
                self._entries.extend(entries)
            for e in entries:
                self._index.setdefault(e.sid, e)  # type: ignore[arg-type]
            self._filtered.clear()
        return new

    def delete_snapshot(self, snapshot_id: str) -> bool:
        """Remove a snapshot by id; returns whether it existed."""
        sid = str(snapshot_id)
        with self._lock:
            entry = self._index.get(sid)
            if entry is None:
                return False
            self._entries = [e for e in self._entries if e is not entry]
            del self._index[sid]
            for e in self._entries:
                if e.sid == sid:
                    self._index[sid] = e
                    break
            self._filtered.clear()
            return True

    def _dataset(self, rtype: str | None) -> list[_Entry]:
        # caller holds the lock
        if rtype is None:
            return self._entries
        lst = self._filtered.get(rtype)
        if lst is None:
            lst = self._filtered[rtype] = [e for e in self._entries if e.rtype == rtype]
        return lst

    @property
    def deleted_ids(self) -> list[str]:
        """Ids removed by successful ``DELETE /v2/snapshots/{id}`` requests, in order (not by
        :meth:`delete_snapshot` calls)."""
        with self._lock:
            return list(self._deleted)

    def clear_deleted(self) -> None:
        with self._lock:
            self._deleted.clear()

    def _delete_failure(self, sid: str) -> int | None:
        # caller holds the lock
        plan = self._delete_failures.get(sid)
        if isinstance(plan, int):
            return plan
        if plan:
            status = plan.popleft()
            if not plan:
                del self._delete_failures[sid]
            return status
        if self._delete_error_rate and self._delete_rng.random() < self._delete_error_rate:
            return 500
        return None

    # ------------------------------------------------------------------ recorded requests

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    # ------------------------------------------------------------------ request handling

    def _sleep(self, seconds: float) -> bool:
        """Sleep, waking early on close. Returns False if the server closed."""
        if seconds > 0:
            return not self._closed.wait(seconds)
        return not self._closed.is_set()

    def _handle(self, h: _Handler) -> None:
        try:
            self._handle_inner(h)
        except Exception as exc:  # a bug in the fake must not kill the connection thread
            try:
                rid = str(uuid.uuid4())
                body = _error_body(500, rid, f"fake server error: {type(exc).__name__}: {exc}")
                body = body.replace(b'"server_error"', b'"fake_error"', 1)
                self._send(h, 500, body, _JSON, rid, self._hourly_remaining, 60, False)
            except Exception:
                h.close_connection = True

    def _handle_inner(self, h: _Handler) -> None:
        method = h.command
        raw = h.path
        path, _, qs = raw.partition("?")
        if "#" in qs:
            qs = qs.split("#", 1)[0]
        query = parse_qsl(qs, keep_blank_values=True) if qs else []
        params = dict(query)
        headers = {k.lower(): v for k, v in h.headers.items()}
        route_path = path.rstrip("/") or "/"
        is_list = route_path == LIST_PATH

        page: int | None = None
        if is_list:
            p = params.get("page")
            if p is None:
                page = 1
            elif _INT_RE.fullmatch(p) and int(p) >= 1:
                page = int(p)

        # drain a request body so keep-alive stays in sync
        length = headers.get("content-length")
        if length:
            try:
                n = int(length)
            except ValueError:
                n = 0
                h.close_connection = True
            if n > 0:
                h.rfile.read(n)
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            h.close_connection = True

        req = RecordedRequest(method, path, query, params, headers, page, time.monotonic())
        accept_gzip = "gzip" in headers.get("accept-encoding", "").lower()
        head = method == "HEAD"

        with self._lock:
            self._requests.append(req)
            latency = self._latency_s
            hang = self._hang or path in self._hang_paths

        if not self._sleep(latency):
            h.close_connection = True
            return
        while hang:  # hang until the server closes, or until the switch is turned off
            if self._closed.wait(0.05):
                h.close_connection = True
                return
            with self._lock:
                hang = self._hang or path in self._hang_paths

        rid = str(uuid.uuid4())

        # 1. canned answers
        with self._lock:
            canned = self._pop_canned(path)
            remaining = self._hourly_remaining
            retry_after = self._retry_after
            use_gzip = self._gzip and accept_gzip
        if canned is not None:
            if not self._sleep(canned.delay_s):
                h.close_connection = True
                return
            body = canned.body
            extra: dict[str, str | None] = {}
            if body is None:
                body = _error_body(canned.status, rid) if canned.status >= 400 else b""
            if body:
                extra["content-type"] = "application/json; charset=utf-8"
            if canned.status == 429 and retry_after is not None:
                extra["retry-after"] = retry_after
            extra.update(canned.headers)
            self._send(h, canned.status, body, extra, rid, remaining, 60, use_gzip, head)
            return

        # 2. random server errors (deterministic sequence)
        with self._lock:
            roll = self._error_rng.random()
            flip = self._error_rng.random()
            error_rate = self._error_rate
        if roll < error_rate:
            status = 500 if flip < 0.5 else 503
            self._send_error(h, status, rid, remaining, 60, use_gzip, head)
            return

        # 3. authentication
        auth = headers.get("authorization", "")
        scheme, _, tok = auth.partition(" ")
        tok = tok.strip()
        with self._lock:
            expected = self._token
        if scheme.lower() != "bearer" or not tok or (expected is not None and tok != expected):
            self._send_error(h, 401, rid, remaining, 60, use_gzip, head)
            return

        # 4. rate limits
        with self._lock:
            now = time.monotonic()
            if self._hourly_remaining <= 0:
                self._hourly_remaining = 0
                limited = "hourly"
            else:
                limited = None
                if self._burst_limit is not None:
                    window = self._burst
                    cutoff = now - self._burst_window_s
                    while window and window[0] <= cutoff:
                        window.popleft()
                    if len(window) >= self._burst_limit:
                        limited = "burst"
                    else:
                        window.append(now)
                if limited is None:
                    self._hourly_remaining -= 1
            remaining = self._hourly_remaining
        if limited == "hourly":
            self._send_error(h, 429, rid, 0, 3600, use_gzip, head)
            return
        if limited == "burst":
            extra = {} if retry_after is None else {"retry-after": retry_after}
            self._send_error(h, 429, rid, 0, 60, use_gzip, head, extra)
            return

        # 5. routing
        if is_list and method in ("GET", "HEAD"):
            self._list(h, params, page, rid, remaining, use_gzip, head)
            return
        if route_path.startswith(_ITEM_PREFIX) and method in ("GET", "HEAD", "DELETE"):
            sid = unquote(route_path[len(_ITEM_PREFIX) :])
            if "/" not in sid:
                if method == "DELETE":
                    with self._lock:
                        failure = self._delete_failure(sid)
                        retry_after = self._retry_after
                    if failure is not None:
                        fail_headers: dict[str, str | None] | None = None
                        if failure == 429 and retry_after is not None:
                            fail_headers = {"retry-after": retry_after}
                        self._send_error(h, failure, rid, remaining, 60, use_gzip, head, fail_headers)
                        return
                    with self._lock:  # delete and record atomically (the lock is re-entrant)
                        removed = self.delete_snapshot(sid)
                        if removed:
                            self._deleted.append(sid)
                    if removed:
                        self._send(h, 204, b"", {}, rid, remaining, 60, False, head)
                    else:
                        self._send_error(h, 404, rid, remaining, 60, use_gzip, head)
                    return
                with self._lock:
                    entry = self._index.get(sid)
                if entry is None:
                    self._send_error(h, 404, rid, remaining, 60, use_gzip, head)
                else:
                    body = b'{"snapshot":' + entry.data + b"}"
                    self._send(h, 200, body, _JSON, rid, remaining, 60, use_gzip, head)
                return
        self._send_error(h, 404, rid, remaining, 60, use_gzip, head)

    def _list(
        self,
        h: _Handler,
        params: dict[str, str],
        page: int | None,
        rid: str,
        remaining: int,
        use_gzip: bool,
        head: bool,
    ) -> None:
        if page is None:
            self._send_error(h, 400, rid, remaining, 60, use_gzip, head, None, "page must be an integer >= 1")
            return
        pp = params.get("per_page")
        if pp is None:
            per_page = DEFAULT_PER_PAGE
        elif _INT_RE.fullmatch(pp) and 1 <= int(pp) <= MAX_PER_PAGE:
            per_page = int(pp)
        else:
            msg = f"per_page must be an integer between 1 and {MAX_PER_PAGE}"
            self._send_error(h, 400, rid, remaining, 60, use_gzip, head, None, msg)
            return
        rtype = params.get("resource_type")
        if rtype is not None and rtype not in RESOURCE_TYPES:
            msg = "resource_type must be one of: droplet, volume"
            self._send_error(h, 400, rid, remaining, 60, use_gzip, head, None, msg)
            return

        with self._lock:
            plan = self._fail_pages.get(page)
            fail_status = plan.popleft() if plan else None
            retry_after = self._retry_after
            if fail_status is None:
                data = self._dataset(rtype)
                total = len(data)
                start = (page - 1) * per_page
                chunk = [e.data for e in data[start : start + per_page]] if start < total else []
                base = self._links_base if self._links_base is not None else self._url
                echo = self._echo_rt
                truncate = page in self._truncate_pages
                insert = self._insert_per_list
        if fail_status is not None:
            extra = {"retry-after": retry_after} if fail_status == 429 and retry_after is not None else None
            self._send_error(h, fail_status, rid, remaining, 60, use_gzip, head, extra)
            return

        last = max(1, -(-total // per_page))
        suffix = f"&resource_type={rtype}" if (rtype is not None and echo) else ""
        pages: dict[str, str] = {}
        if page > 1:
            pages["first"] = f"{base}{LIST_PATH}?page=1&per_page={per_page}{suffix}"
            pages["prev"] = f"{base}{LIST_PATH}?page={page - 1}&per_page={per_page}{suffix}"
        if page < last:
            pages["last"] = f"{base}{LIST_PATH}?page={last}&per_page={per_page}{suffix}"
            pages["next"] = f"{base}{LIST_PATH}?page={page + 1}&per_page={per_page}{suffix}"
        links = json.dumps({"pages": pages} if pages else {}, separators=(",", ":")).encode()
        body = b"".join(
            (
                b'{"snapshots":[',
                b",".join(chunk),
                b'],"links":',
                links,
                b',"meta":{"total":',
                str(total).encode(),
                b"}}",
            )
        )
        if truncate:
            body = body[: len(body) // 2]
        if insert:
            self.add_snapshots(insert, at="front")
        self._send(h, 200, body, _JSON, rid, remaining, 60, use_gzip, head)

    # ------------------------------------------------------------------ response writing

    def _send_error(
        self,
        h: _Handler,
        status: int,
        rid: str,
        remaining: int,
        reset_in: int,
        use_gzip: bool,
        head: bool,
        extra: dict[str, str | None] | None = None,
        message: str | None = None,
    ) -> None:
        headers: dict[str, str | None] = dict(_JSON)
        if extra:
            headers.update(extra)
        self._send(h, status, _error_body(status, rid, message), headers, rid, remaining, reset_in, use_gzip, head)

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        extra: Mapping[str, str | None],
        rid: str,
        remaining: int,
        reset_in: int,
        use_gzip: bool,
        head: bool = False,
    ) -> None:
        headers: dict[str, str | None] = {
            "ratelimit-limit": str(RATELIMIT_LIMIT),
            "ratelimit-remaining": str(max(0, remaining)),
            "ratelimit-reset": str(int(time.time()) + reset_in),
            "x-request-id": rid,
        }
        headers.update(extra)
        if use_gzip and body and "content-encoding" not in headers:
            body = _gzip.compress(body, compresslevel=6, mtime=0)
            headers["content-encoding"] = "gzip"
            headers["vary"] = "Accept-Encoding"
        no_body = status == 204 or status == 304 or 100 <= status < 200
        if no_body:
            body = b""
            headers.pop("content-length", None)
            headers.pop("content-type", None)
        elif "content-length" not in headers:
            headers["content-length"] = str(len(body))
        if h.close_connection:
            headers["connection"] = "close"
        lines = [f"HTTP/1.1 {status} {_phrase(status)}"]
        lines.extend(f"{k}: {v}" for k, v in headers.items() if v is not None)
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        try:
            h.wfile.write(head_bytes if head else head_bytes + body)
        except OSError:
            h.close_connection = True


_JSON: dict[str, str | None] = {"content-type": "application/json; charset=utf-8"}
