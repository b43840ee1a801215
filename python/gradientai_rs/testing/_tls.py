"""HTTPS and HTTP/2 for :class:`FakeDigitalOcean` (``tls=True`` / ``http2=True``).

A throwaway CA is made at start (``trustme``) and written to ``ca_path``; the server is hypercorn (ASGI) on a
thread of its own, offering ALPN ``h2`` and ``http/1.1`` (``http2=True``) or ``http/1.1`` only. Each request is
handed to the fake's ordinary handler (the same code as the plain-HTTP server) through a small adapter that looks
like ``http.server.BaseHTTPRequestHandler``, and the bytes it writes are turned back into an ASGI answer.

Needs the ``test`` extra (``hypercorn``, ``trustme``); the plain-HTTP fake never imports this module, and this
module doesn't import the fake: it is given the handler to call (``FakeDigitalOcean._handle``).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import io
import os
import shutil
import socket
import tempfile
import threading
from typing import Any, Callable

__all__ = ["TLSServer"]

# Headers that HTTP/2 forbids (RFC 9113 §8.2.2) and that hypercorn sets itself.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"})


class _Headers:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


class _Exchange:
    """What the fake's handler uses of ``BaseHTTPRequestHandler`` (``_wire.Exchange``): ``command``, ``path``,
    ``headers``, ``rfile``, ``wfile`` and ``close_connection``."""

    def __init__(self, scope: dict[str, Any], body: bytes) -> None:
        self.command: str = scope["method"]
        raw = scope.get("raw_path") or scope["path"].encode()
        qs = scope.get("query_string") or b""
        self.path = raw.decode("latin-1") + ("?" + qs.decode("latin-1") if qs else "")
        self.headers = _Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])
        self.rfile = io.BytesIO(body)
        self.wfile = io.BytesIO()
        self.close_connection = False

    def answer(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        out = self.wfile.getvalue()
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        if not lines or not lines[0].startswith(b"HTTP/"):
            return 500, [(b"content-length", b"0")], b""
        status = int(lines[0].split(b" ", 2)[1])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name.decode("latin-1") not in _HOP_BY_HOP:
                headers.append((name, value.strip()))
        if self.command == "HEAD":
            body = b""
        return status, headers, body


class TLSServer:
    """hypercorn serving ``handler`` over TLS on 127.0.0.1 (see the module docstring). ``handler`` is called on a
    worker thread with an object like ``http.server.BaseHTTPRequestHandler`` (``_Exchange``) and writes one whole
    HTTP/1.1 answer to its ``wfile``."""

    def __init__(self, handler: Callable[[_Exchange], None], *, http2: bool, port: int = 0) -> None:
        import trustme  # the test extra

        self._handler = handler
        self.http2 = http2
        self._dir = tempfile.mkdtemp(prefix="fake-digitalocean-tls-")
        self.ca = trustme.CA(organization_name="FakeDigitalOcean throwaway CA")
        cert = self.ca.issue_cert("127.0.0.1", "localhost", "::1")
        self.ca_path = os.path.join(self._dir, "ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_path)
        self._cert_path = os.path.join(self._dir, "server.pem")
        self._key_path = os.path.join(self._dir, "server.key")
        cert.private_key_pem.write_to_path(self._key_path)
        with open(self._cert_path, "wb") as f:
            for blob in cert.cert_chain_pems:
                f.write(blob.bytes())
        self._requested_port = port
        self.url = ""
        self._lock = threading.Lock()
        self._connections: set[Any] = set()
        self.http_versions: collections.Counter[str] = collections.Counter()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="fake-tls-handler")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    # ------------------------------------------------------------------ counters

    @property
    def connection_count(self) -> int:
        """Distinct client connections (address, port) seen so far."""
        with self._lock:
            return len(self._connections)

    def _note(self, scope: dict[str, Any]) -> None:
        with self._lock:
            self._connections.add(tuple(scope.get("client") or ()))
            self.http_versions[scope.get("http_version", "?")] += 1

    # ------------------------------------------------------------------ ASGI

    async def _app(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body", False):
                break
        self._note(scope)
        ex = _Exchange(scope, b"".join(chunks))
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._handler, ex)
        if ex.close_connection and not ex.wfile.getvalue():
            return  # the fake dropped the request (closed while hanging): answer nothing
        status, headers, body = ex.answer()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> TLSServer:
        from hypercorn.config import Config

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        port = sock.getsockname()[1]
        # Listening before start() returns: connections queue in the kernel until hypercorn accepts them.
        sock.listen(256)
        config = Config()
        config.bind = [f"fd://{sock.detach()}"]
        config.certfile = self._cert_path
        config.keyfile = self._key_path
        config.alpn_protocols = ["h2", "http/1.1"] if self.http2 else ["http/1.1"]
        config.h2_max_concurrent_streams = 256
        config.errorlog = None
        config.accesslog = None
        config.graceful_timeout = 0.2
        config.keep_alive_timeout = 90
        config.backlog = 256
        self.url = f"https://127.0.0.1:{port}"
        self._thread = threading.Thread(
            target=self._run, args=(config,), name=f"FakeDigitalOcean-tls:{port}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(30) or self._error is not None:
            raise RuntimeError(f"the TLS fake did not start: {self._error!r}")
        return self

    def _run(self, config: Any) -> None:
        from hypercorn.asyncio import serve

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._stop = asyncio.Event()
        loop.call_soon(self._started.set)
        try:
            loop.run_until_complete(serve(self._app, config, shutdown_trigger=self._stop.wait))  # type: ignore[arg-type]
        except BaseException as exc:
            self._error = exc
            self._started.set()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def close(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)
