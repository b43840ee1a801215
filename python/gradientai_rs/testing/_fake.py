"""A fake DigitalOcean API server (snapshots, and the droplets and volumes they come from) for tests, demos and
benchmarks.

Standard library only; never imports the parent package (which needs a compiled extension).
"""

from __future__ import annotations

import collections
import dataclasses
import gc
import http.server
import json
import random
import socket
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import parse_qsl, unquote

from ._data import SnapshotGenerator, _to_epoch, generate_history, parse_created_at
from ._sources import generate_sources, is_gpu_droplet
from ._switches import DEFAULT_SWITCHES, Switches
from ._wire import (
    DROP,
    HOURLY_RESET_S,
    INT_RE,
    JSON_HEADERS,
    MAX_PER_PAGE,
    Call,
    Exchange,
    RecordedRequest,
    Reply,
    error_body,
    filters_suffix,
    page_body,
    per_page_of,
    send,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._tls import TLSServer

__all__ = ["Exchange", "FakeDigitalOcean", "RecordedRequest", "Switches"]

LIST_PATH = "/v2/snapshots"
DROPLETS_PATH = "/v2/droplets"
VOLUMES_PATH = "/v2/volumes"
_LIST_PATHS = frozenset({LIST_PATH, DROPLETS_PATH, VOLUMES_PATH})
# GET /v2/droplets?type=: "When `type` is set to `gpus`, only GPU Droplets will be returned. By default, only
# non-GPU Droplets are returned." (the SDK's gpu_droplet_list_params.py, from DigitalOcean's OpenAPI description)
DROPLET_TYPES = ("droplets", "gpus")
# DigitalOcean's answer to a token without the scope a read needs (e.g. droplet:read, block_storage:read).
FORBIDDEN_MESSAGE = "You are not authorized to perform this operation"
RESOURCE_TYPES = ("droplet", "volume")


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
        self.rtype: str | None
        self.sid: str | None
        if isinstance(snap, dict):
            self.rtype = snap.get("resource_type")
            sid = snap.get("id")
            self.sid = None if sid is None else str(sid)
        else:
            self.rtype = None
            self.sid = None


class _Source:
    """One droplet or volume: the dict (replaced, never edited, when the fake changes it), its JSON bytes and
    lookup keys."""

    __slots__ = ("data", "gpu", "key", "obj")

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj
        self.data = _encode(obj).encode("utf-8")
        self.key = str(obj.get("id"))
        self.gpu = is_gpu_droplet(obj)

    def replaced(self, **changes: Any) -> _Source:
        return _Source({**self.obj, **changes})


def _sources_by_id(objs: Iterable[dict[str, Any]]) -> dict[str, _Source]:
    out: dict[str, _Source] = {}
    for obj in objs:
        if not isinstance(obj, dict) or obj.get("id") is None:
            raise ValueError("droplets and volumes must be dicts with an id")
        src = _Source(dict(obj))
        out[src.key] = src
    return out


def _resource_key(snap: Any) -> tuple[str, str] | None:
    """(resource_type, resource_id as text) of a snapshot whose source is known, else None."""
    if not isinstance(snap, dict):
        return None
    rtype, rid = snap.get("resource_type"), snap.get("resource_id")
    if rtype not in RESOURCE_TYPES or isinstance(rid, bool) or not isinstance(rid, (str, int)) or rid == "":
        return None
    return rtype, str(rid)


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

    The keyword arguments besides ``seed``, ``port``, ``history``, ``history_now``, ``tls`` and ``http2`` are
    switches (see :class:`Switches`), changeable later with :meth:`configure`.

    Every request is recorded, then waits (``latency_ms``, then ``hang`` / ``hang_paths``), then goes through
    these steps, each of which may answer it: a queued canned answer (:meth:`enqueue`); an injected failure
    (``error_rate``: 500/503); the bearer-token check (401); the rate limits (hourly quota, then the burst limit:
    429; only requests passing these count and decrement ``ratelimit-remaining``); then the route, where list
    requests are validated (400) before ``fail_pages`` / ``truncate_pages`` / ``insert_per_list_request`` apply,
    and a ``DELETE /v2/snapshots/{id}`` meets ``delete_failures`` then ``delete_error_rate`` before it removes
    the snapshot (204; 404 when there's no such id).

    ``history=True`` (or a number of resources, default 24) serves a realistic account history
    instead of ``snapshots``: see :func:`~gradientai_rs.testing._data.generate_history`; its "now"
    is ``history_now`` (an epoch, a ``...Z`` timestamp or an aware datetime; default
    ``HISTORY_NOW``, 2026-01-01T00:00:00Z), readable as ``fake.history_now`` (epoch seconds).
    Successful HTTP deletes are recorded, in order, in ``fake.deleted_ids``. All sleeps wake on
    ``close()``. Snapshot JSON is serialised once when added; mutate the dataset through
    ``add_snapshots`` / ``delete_snapshot``, not by editing the dicts in place.

    The sources of the snapshots are served too (``GET /v2/droplets``, ``/v2/droplets/{id}``, ``/v2/volumes``,
    ``/v2/volumes/{id}``). ``droplets`` / ``volumes``: a list of API dicts is served as given; a number makes
    that many from the snapshots (see :func:`~gradientai_rs.testing._sources.generate_sources`: some sources
    gone, GPU droplets among both), of which ``gpus`` are GPU droplets; None is none, except with ``history``,
    where the sources are made from the history. Read them as ``fake.droplets`` / ``fake.volumes``, the gone
    ones as ``fake.destroyed_droplets`` / ``fake.destroyed_volumes``, each snapshot's verdict with
    :meth:`source_states` / :meth:`orphaned_snapshot_ids`; change them with :meth:`destroy_droplet`,
    :meth:`destroy_volume`, :meth:`add_droplets`, :meth:`add_volumes`.
    """

    def __init__(
        self,
        snapshots: int | list[dict[str, Any]] = 50,
        *,
        seed: int = 0,
        port: int = 0,
        history: bool | int = False,
        history_now: Any = None,
        droplets: int | list[dict[str, Any]] | None = None,
        volumes: int | list[dict[str, Any]] | None = None,
        gpus: int | None = None,
        tls: bool = False,
        http2: bool = False,
        **switches: Any,
    ) -> None:
        # tls / http2: HTTPS with a throwaway CA (``ca_path``), ALPN h2 + http/1.1 with http2 (needs the test extra;
        # see _tls.py). http2 implies tls.
        self._switches = DEFAULT_SWITCHES.replace(**switches)
        self._tls_mode: tuple[bool, bool] | None = (True, bool(http2)) if (tls or http2) else None
        self._tls: TLSServer | None = None
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
        self._droplets: dict[str, _Source] = {}
        self._volumes: dict[str, _Source] = {}
        self._destroyed_droplets: list[dict[str, Any]] = []
        self._destroyed_volumes: list[dict[str, Any]] = []
        self._views: dict[tuple[str, str | None, str | None, str | None], list[_Source]] = {}
        self._init_sources(bool(history), droplets, volumes, gpus)

        self._requests: list[RecordedRequest] = []
        self._queue: collections.deque[_Canned] = collections.deque()
        self._error_rng = random.Random(f"fake-digitalocean-errors-{seed}")
        self._burst: collections.deque[float] = collections.deque()
        self._deleted: list[str] = []
        self._delete_rng = random.Random(f"fake-digitalocean-delete-errors-{seed}")
        # the plans the handler consumes, (re)started from the switches by _restart_plans
        self._hourly_remaining = 0
        self._fail_plan: dict[int, collections.deque[int]] = {}
        self._delete_plan: dict[str, int | collections.deque[int]] = {}
        self._restart_plans(self._switches, ("hourly_remaining", "fail_pages", "delete_failures"))

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

                self._tls = TLSServer(self._handle, http2=self._tls_mode[1], port=self._requested_port).start()
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
        if self._tls is not None:
            self._tls.close()
        if server is not None:
            server.shutdown()
            server.server_close()
        self.close_connections()
        if thread is not None:
            thread.join(timeout=2)

    def __enter__(self) -> FakeDigitalOcean:
        return self.start()

    def __exit__(self, *exc: object) -> None:
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
            return self._tls.connection_count
        with self._lock:
            return self._connection_count

    @property
    def open_connections(self) -> int:
        """Client connections open now (plain-HTTP fakes)."""
        with self._lock:
            return len(self._conns)

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

    def close_connections(self) -> int:
        """Closes every client connection open now (plain-HTTP fakes), as a server does with idle keep-alive
        connections (without a ``Connection: close`` first); returns how many. Requests in flight on them fail."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(conns)

    # ------------------------------------------------------------------ switches

    @property
    def switches(self) -> Switches:
        """The current switches (immutable; change them with :meth:`configure`)."""
        with self._lock:
            return self._switches

    def configure(self, **switches: Any) -> None:
        """Change switches at runtime (thread-safe), by the names of :class:`Switches` (the constructor's keyword
        names except ``seed``/``port``/``snapshots``/``history``/``tls``). All or nothing: an unknown name is a
        ``TypeError`` and a bad value a ``ValueError``, and then nothing changes. ``hang_paths`` replaces the set
        of hanging paths; ``hourly_remaining`` resets the hourly counter; ``fail_pages`` and ``delete_failures``
        replace their plans."""
        with self._lock:
            self._switches = self._switches.replace(**switches)
            self._restart_plans(self._switches, switches)

    def _restart_plans(self, sw: Switches, names: Iterable[str]) -> None:
        # caller holds the lock (or is the constructor)
        names = set(names)
        if "hourly_remaining" in names:
            self._hourly_remaining = sw.hourly_remaining
        if "fail_pages" in names:
            self._fail_plan = {page: collections.deque(statuses) for page, statuses in sw.fail_pages.items()}
        if "delete_failures" in names:
            self._delete_plan = {
                sid: plan if isinstance(plan, int) else collections.deque(plan)
                for sid, plan in sw.delete_failures.items()
            }

    def hang_path(self, path: str) -> None:
        """Requests whose path (without query) equals ``path`` hang until the server closes
        (or until ``configure(hang_paths=())`` releases them)."""
        with self._lock:
            self._switches = self._switches.replace(hang_paths=self._switches.hang_paths | {path})

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
    def snapshots(self) -> list[dict[str, Any]]:
        """The current dataset in API order (a new list of the stored dicts)."""
        with self._lock:
            return [e.snap for e in self._entries]

    def ids(self) -> list[str]:
        with self._lock:
            return [e.sid for e in self._entries]  # type: ignore[misc]

    def add_snapshots(self, n: int, at: str = "front") -> list[dict[str, Any]]:
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
            self._link_snapshots(entries, add=True)
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
            self._link_snapshots([entry], add=False)
            return True

    def _dataset(self, rtype: str | None) -> list[_Entry]:
        # caller holds the lock
        if rtype is None:
            return self._entries
        lst = self._filtered.get(rtype)
        if lst is None:
            lst = self._filtered[rtype] = [e for e in self._entries if e.rtype == rtype]
        return lst

    # ------------------------------------------------------------------ droplets and volumes

    def _init_sources(
        self,
        history: bool,
        droplets: int | list[dict[str, Any]] | None,
        volumes: int | list[dict[str, Any]] | None,
        gpus: int | None,
    ) -> None:
        for name, value in (("droplets", droplets), ("volumes", volumes), ("gpus", gpus)):
            if isinstance(value, bool) or (isinstance(value, int) and value < 0):
                raise ValueError(f"{name} must be a number >= 0, a list of dicts or None")
        generate = history or isinstance(droplets, int) or isinstance(volumes, int)
        if gpus is not None and not (isinstance(droplets, int) or (history and droplets is None)):
            raise ValueError("gpus needs generated droplets: droplets=N, or history with droplets=None")
        if generate:
            made = generate_sources(
                [e.snap for e in self._entries],
                self._seed,
                droplets=droplets if isinstance(droplets, int) else (None if history and droplets is None else 0),
                volumes=volumes if isinstance(volumes, int) else (None if history and volumes is None else 0),
                gpus=gpus,
                now=self.history_now,
            )
            self._droplets = _sources_by_id(made.droplets)
            self._volumes = _sources_by_id(made.volumes)
            self._destroyed_droplets = made.destroyed_droplets
            self._destroyed_volumes = made.destroyed_volumes
        if isinstance(droplets, list):
            self._droplets, self._destroyed_droplets = _sources_by_id(droplets), []
        if isinstance(volumes, list):
            self._volumes, self._destroyed_volumes = _sources_by_id(volumes), []

    @property
    def droplets(self) -> list[dict[str, Any]]:
        """The droplets that exist, GPU ones included, in listing order (the stored dicts: don't edit them)."""
        with self._lock:
            return [d.obj for d in self._droplets.values()]

    @property
    def gpu_droplets(self) -> list[dict[str, Any]]:
        """The droplets listed only under ``type=gpus`` (a ``gpu_info``, or a ``gpu-`` size)."""
        with self._lock:
            return [d.obj for d in self._droplets.values() if d.gpu]

    @property
    def volumes(self) -> list[dict[str, Any]]:
        """The volumes that exist, in listing order."""
        with self._lock:
            return [v.obj for v in self._volumes.values()]

    @property
    def destroyed_droplets(self) -> list[dict[str, Any]]:
        """Droplets that existed: those gone by construction, then those :meth:`destroy_droplet` removed."""
        with self._lock:
            return list(self._destroyed_droplets)

    @property
    def destroyed_volumes(self) -> list[dict[str, Any]]:
        """Volumes that existed: those gone by construction, then those :meth:`destroy_volume` removed."""
        with self._lock:
            return list(self._destroyed_volumes)

    def add_droplets(self, droplets: Iterable[dict[str, Any]]) -> None:
        """Serve these droplets too (API dicts with an integer ``id``; one with the id of an existing one
        replaces it). A droplet with a ``gpu_info`` or a ``gpu-`` ``size_slug`` is a GPU droplet."""
        added = _sources_by_id(droplets)
        with self._lock:
            self._droplets.update(added)
            self._views.clear()

    def add_volumes(self, volumes: Iterable[dict[str, Any]]) -> None:
        """Serve these volumes too (API dicts with a UUID ``id``)."""
        added = _sources_by_id(volumes)
        with self._lock:
            self._volumes.update(added)
            self._views.clear()

    def destroy_droplet(self, droplet_id: int | str) -> bool:
        """Remove a droplet (its snapshots stay, now orphaned) and detach its volumes; returns whether it existed."""
        key = str(droplet_id)
        with self._lock:
            src = self._droplets.pop(key, None)
            if src is None:
                return False
            self._destroyed_droplets.append(src.obj)
            for vid in src.obj.get("volume_ids") or ():
                vol = self._volumes.get(str(vid))
                if vol is not None:
                    ids = [d for d in vol.obj.get("droplet_ids") or () if str(d) != key]
                    self._volumes[vol.key] = vol.replaced(droplet_ids=ids)
            self._views.clear()
            return True

    def destroy_volume(self, volume_id: str) -> bool:
        """Remove a volume (its snapshots stay, now orphaned) and detach it from its droplets; returns whether it
        existed."""
        key = str(volume_id)
        with self._lock:
            src = self._volumes.pop(key, None)
            if src is None:
                return False
            self._destroyed_volumes.append(src.obj)
            for did in src.obj.get("droplet_ids") or ():
                host = self._droplets.get(str(did))
                if host is not None:
                    ids = [v for v in host.obj.get("volume_ids") or () if str(v) != key]
                    self._droplets[host.key] = host.replaced(volume_ids=ids)
            self._views.clear()
            return True

    def source_states(self) -> dict[str, str]:
        """Each snapshot id -> ``"exists"`` (its droplet or volume exists, GPU droplets included), ``"gone"``
        (there is none with its ``resource_id``: an orphan) or ``"unknown"`` (no usable ``resource_type`` /
        ``resource_id``: never an orphan). Ids compare as text: droplet ``12345`` is snapshot ``"12345"``'s."""
        with self._lock:
            existing = {"droplet": set(self._droplets), "volume": set(self._volumes)}
            out: dict[str, str] = {}
            for e in self._entries:
                if e.sid is None:
                    continue
                key = _resource_key(e.snap)
                if key is None:
                    out.setdefault(e.sid, "unknown")
                else:
                    out.setdefault(e.sid, "exists" if key[1] in existing[key[0]] else "gone")
            return out

    def orphaned_snapshot_ids(self) -> list[str]:
        """Ids of the snapshots whose source is gone (``source_states() == "gone"``), in API order."""
        states = self.source_states()
        return [sid for sid, state in states.items() if state == "gone"]

    def _link_snapshots(self, entries: Iterable[_Entry], add: bool) -> None:
        # caller holds the lock: keep the droplets' snapshot_ids in step with the snapshots
        changed: dict[str, list[Any]] = {}
        for e in entries:
            key = _resource_key(e.snap)
            if key is None or key[0] != "droplet" or e.sid is None or not e.sid.isdigit():
                continue
            host = self._droplets.get(key[1])
            if host is None:
                continue
            ids = changed.get(host.key)
            if ids is None:
                ids = changed[host.key] = list(host.obj.get("snapshot_ids") or ())
            if add:
                ids.append(int(e.sid))
            elif int(e.sid) in ids:
                ids.remove(int(e.sid))
        for host_key, ids in changed.items():
            self._droplets[host_key] = self._droplets[host_key].replaced(snapshot_ids=ids)
        if changed:
            self._views.clear()

    def _source_view(
        self, kind: str, gpu: bool, name: str | None, tag: str | None, region: str | None
    ) -> list[_Source]:
        # caller holds the lock: the droplets (of one type) or volumes matching the filters, cached until a change
        cache_key = (f"{kind}:{gpu}", name, tag, region)
        view = self._views.get(cache_key)
        if view is None:
            if kind == "droplets":
                folded = None if name is None else name.casefold()
                view = [
                    d
                    for d in self._droplets.values()
                    if d.gpu == gpu
                    and (folded is None or str(d.obj.get("name", "")).casefold() == folded)
                    and (tag is None or tag in (d.obj.get("tags") or ()))
                ]
            else:
                view = [
                    v
                    for v in self._volumes.values()
                    if (name is None or v.obj.get("name") == name) and (region is None or _region_slug(v.obj) == region)
                ]
            self._views[cache_key] = view
        return view

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
        plan = self._delete_plan.get(sid)
        if isinstance(plan, int):
            return plan
        if plan:
            status = plan.popleft()
            if not plan:
                del self._delete_plan[sid]
            return status
        rate = self._switches.delete_error_rate
        if rate and self._delete_rng.random() < rate:
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

    def _handle(self, h: Exchange) -> None:
        """Answer one request (the handler callable of both servers)."""
        try:
            call = self._receive(h)
            reply = self._answer(call) if self._wait(call) else None
            if reply is None:  # the server closed while the request waited: answer nothing
                h.close_connection = True
            else:
                send(h, reply)
        except Exception as exc:  # a bug in the fake must not kill the connection thread
            try:
                rid = str(uuid.uuid4())
                body = error_body(500, rid, f"fake server error: {type(exc).__name__}: {exc}", "fake_error")
                with self._lock:
                    remaining = self._hourly_remaining
                send(h, Reply(500, body, JSON_HEADERS, rid, remaining))
            except Exception:
                h.close_connection = True

    def _receive(self, h: Exchange) -> Call:
        """Parse and record the request, draining its body so keep-alive stays in sync."""
        method = h.command
        path, _, qs = h.path.partition("?")
        if "#" in qs:
            qs = qs.split("#", 1)[0]
        query = parse_qsl(qs, keep_blank_values=True) if qs else []
        params = dict(query)
        headers = {k.lower(): v for k, v in h.headers.items()}
        route = path.rstrip("/") or "/"

        page: int | None = None
        if route in _LIST_PATHS:
            p = params.get("page")
            if p is None:
                page = 1
            elif INT_RE.fullmatch(p) and int(p) >= 1:
                page = int(p)

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

        record = RecordedRequest(method, path, query, params, headers, page, time.monotonic())
        with self._lock:
            self._requests.append(record)
        accept_gzip = "gzip" in headers.get("accept-encoding", "").lower()
        return Call(record, route, head=method == "HEAD", accept_gzip=accept_gzip)

    def _wait(self, call: Call) -> bool:
        """``latency_ms``, then ``hang`` / ``hang_paths`` until released. False if the server closed meanwhile."""
        with self._lock:
            sw = self._switches
        if not self._sleep(sw.latency_s):
            return False
        path = call.record.path
        while sw.hang or path in sw.hang_paths:  # until the server closes, or until the switch is turned off
            if self._closed.wait(0.05):
                return False
            with self._lock:
                sw = self._switches
        return True

    def _answer(self, call: Call) -> Reply | None:
        """The documented steps in order; the first that answers wins. None: drop the request (closed)."""
        call.request_id = str(uuid.uuid4())
        with self._lock:
            call.switches = self._switches
            call.remaining = self._hourly_remaining
        call.gzip = call.switches.gzip and call.accept_gzip
        for step in (self._canned_answer, self._injected_failure, self._authenticate, self._rate_limit):
            reply = step(call)
            if reply is not None:
                return None if reply is DROP else reply
        return self._route(call)

    def _canned_answer(self, call: Call) -> Reply | None:
        """1. The first queued canned answer for this path (:meth:`enqueue`)."""
        with self._lock:
            canned = self._pop_canned(call.record.path)
        if canned is None:
            return None
        if not self._sleep(canned.delay_s):
            return DROP
        body = canned.body
        headers: dict[str, str | None] = {}
        if body is None:
            body = error_body(canned.status, call.request_id) if canned.status >= 400 else b""
        if body:
            headers.update(JSON_HEADERS)
        headers.update(call.retry_after(canned.status))
        headers.update(canned.headers)
        return call.reply(canned.status, body, headers)

    def _injected_failure(self, call: Call) -> Reply | None:
        """2. ``error_rate``: a 500 or 503, from a deterministic sequence (two draws per request)."""
        with self._lock:
            roll = self._error_rng.random()
            flip = self._error_rng.random()
        if roll < call.switches.error_rate:
            return call.error(500 if flip < 0.5 else 503)
        return None

    def _authenticate(self, call: Call) -> Reply | None:
        """3. The bearer token (401)."""
        scheme, _, token = call.record.headers.get("authorization", "").partition(" ")
        token = token.strip()
        expected = call.switches.token
        if scheme.lower() != "bearer" or not token or (expected is not None and token != expected):
            return call.error(401)
        return None

    def _rate_limit(self, call: Call) -> Reply | None:
        """4. The hourly quota, then the burst window (429). A request that passes takes one from the quota."""
        sw = call.switches
        with self._lock:
            now = time.monotonic()
            if self._hourly_remaining <= 0:
                self._hourly_remaining = 0
                limited = "hourly"
            else:
                limited = None
                if sw.burst_limit is not None:
                    window = self._burst
                    cutoff = now - sw.burst_window_s
                    while window and window[0] <= cutoff:
                        window.popleft()
                    if len(window) >= sw.burst_limit:
                        limited = "burst"
                    else:
                        window.append(now)
                if limited is None:
                    self._hourly_remaining -= 1
            call.remaining = self._hourly_remaining
        if limited is None:
            return None
        call.remaining = 0
        if limited == "hourly":
            return call.error(429, reset_in=HOURLY_RESET_S)
        return call.error(429, headers=call.retry_after(429))

    def _route(self, call: Call) -> Reply:
        """5. The endpoints (404 for anything else)."""
        method, route = call.record.method, call.route
        reads = method in ("GET", "HEAD")
        if reads and route in _LIST_PATHS:
            listing = {LIST_PATH: self._list, DROPLETS_PATH: self._list_droplets, VOLUMES_PATH: self._list_volumes}
            return listing[route](call)
        collection, _, item = route.rpartition("/")
        item = unquote(item)
        if "/" in item:  # an escaped slash names no item
            return call.error(404)
        if collection == LIST_PATH and (reads or method == "DELETE"):
            return self._delete(call, item) if method == "DELETE" else self._retrieve(call, item)
        if reads and collection in (DROPLETS_PATH, VOLUMES_PATH):
            return self._retrieve_source(call, collection, item)
        return call.error(404)

    def _refused(self, call: Call, name: str) -> Reply | None:
        """The ``refuse`` switch: DigitalOcean's 403 for a token without the scope of this read."""
        if name in call.switches.refuse:
            return call.error(403, FORBIDDEN_MESSAGE)
        return None

    def _retrieve(self, call: Call, sid: str) -> Reply:
        refused = self._refused(call, "snapshots")
        if refused is not None:
            return refused
        with self._lock:
            entry = self._index.get(sid)
        if entry is None:
            return call.error(404)
        return call.reply(200, b'{"snapshot":' + entry.data + b"}")

    def _retrieve_source(self, call: Call, collection: str, item: str) -> Reply:
        """``GET /v2/droplets/{id}`` -> ``{"droplet": ...}``, ``GET /v2/volumes/{id}`` -> ``{"volume": ...}``."""
        kind = "droplets" if collection == DROPLETS_PATH else "volumes"
        refused = self._refused(call, kind)
        if refused is not None:
            return refused
        with self._lock:
            src = (self._droplets if kind == "droplets" else self._volumes).get(item)
        if src is None:
            return call.error(404)
        return call.reply(200, b'{"' + kind[:-1].encode() + b'":' + src.data + b"}")

    def _links_base(self, sw: Switches) -> str:
        return sw.links_base if sw.links_base is not None else self.url

    def _paging(self, call: Call) -> tuple[int, int] | Reply:
        """(page, per_page) of a list request, or its 400."""
        page = call.record.page
        if page is None:
            return call.error(400, "page must be an integer >= 1")
        per_page = per_page_of(call.record.params)
        if per_page is None:
            return call.error(400, f"per_page must be an integer between 1 and {MAX_PER_PAGE}")
        return page, per_page

    def _list_sources(self, call: Call, kind: str, view: list[_Source], page: int, per_page: int, suffix: str) -> Reply:
        with self._lock:
            total = len(view)
            start = (page - 1) * per_page
            chunk = [src.data for src in view[start : start + per_page]] if start < total else []
        path = DROPLETS_PATH if kind == "droplets" else VOLUMES_PATH
        body = page_body(
            kind.encode(),
            chunk,
            total,
            page=page,
            per_page=per_page,
            path=path,
            suffix=suffix,
            base=self._links_base(call.switches),
        )
        return call.reply(200, body)

    def _list_droplets(self, call: Call) -> Reply:
        """``GET /v2/droplets``: non-GPU droplets unless ``type=gpus`` (then GPU ones only); ``name`` (exact,
        case-insensitive) or ``tag_name`` filters; ``tag_name`` with ``name`` or ``type`` is a 400, as documented
        ("Can not be combined with `name` or `type`"). Paginated like snapshots."""
        params = call.record.params
        dtype = params.get("type")
        refused = self._refused(call, "droplets") or (self._refused(call, "gpus") if dtype == "gpus" else None)
        if refused is not None:
            return refused
        paging = self._paging(call)
        if isinstance(paging, Reply):
            return paging
        if dtype is not None and dtype not in DROPLET_TYPES:
            return call.error(400, "type must be one of: droplets, gpus")
        if "tag_name" in params and ("name" in params or "type" in params):
            return call.error(400, "tag_name cannot be combined with name or type")
        with self._lock:
            view = self._source_view("droplets", dtype == "gpus", params.get("name"), params.get("tag_name"), None)
        suffix = filters_suffix(params, ("type", "name", "tag_name"))
        return self._list_sources(call, "droplets", view, *paging, suffix)

    def _list_volumes(self, call: Call) -> Reply:
        """``GET /v2/volumes``: ``region`` (slug) and ``name`` (exact) filters. Paginated like snapshots."""
        refused = self._refused(call, "volumes")
        if refused is not None:
            return refused
        paging = self._paging(call)
        if isinstance(paging, Reply):
            return paging
        params = call.record.params
        with self._lock:
            view = self._source_view("volumes", False, params.get("name"), None, params.get("region"))
        suffix = filters_suffix(params, ("region", "name"))
        return self._list_sources(call, "volumes", view, *paging, suffix)

    def _delete(self, call: Call, sid: str) -> Reply:
        with self._lock:
            failure = self._delete_failure(sid)
            if failure is None:  # delete and record atomically (the lock is re-entrant)
                removed = self.delete_snapshot(sid)
                if removed:
                    self._deleted.append(sid)
        if failure is not None:
            return call.error(failure, headers=call.retry_after(failure))
        if not removed:
            return call.error(404)
        return call.reply(204, b"", {}, gzip=False)

    def _list(self, call: Call) -> Reply:
        refused = self._refused(call, "snapshots")
        if refused is not None:
            return refused
        paging = self._paging(call)
        if isinstance(paging, Reply):
            return paging
        page, per_page = paging
        params = call.record.params
        rtype = params.get("resource_type")
        if rtype is not None and rtype not in RESOURCE_TYPES:
            return call.error(400, "resource_type must be one of: droplet, volume")

        with self._lock:
            plan = self._fail_plan.get(page)
            fail_status = plan.popleft() if plan else None
            if fail_status is None:
                data = self._dataset(rtype)
                total = len(data)
                start = (page - 1) * per_page
                chunk = [e.data for e in data[start : start + per_page]] if start < total else []
        if fail_status is not None:
            return call.error(fail_status, headers=call.retry_after(fail_status))

        sw = call.switches
        suffix = f"&resource_type={rtype}" if (rtype is not None and sw.echo_resource_type) else ""
        body = page_body(
            b"snapshots",
            chunk,
            total,
            page=page,
            per_page=per_page,
            path=LIST_PATH,
            suffix=suffix,
            base=self._links_base(sw),
        )
        if page in sw.truncate_pages:
            body = body[: len(body) // 2]
        if sw.insert_per_list_request:
            self.add_snapshots(sw.insert_per_list_request, at="front")
        return call.reply(200, body)


def _region_slug(obj: Mapping[str, Any]) -> Any:
    region = obj.get("region")
    return region.get("slug") if isinstance(region, dict) else region
