"""A misbehaving HTTP server on raw sockets, for tests where an HTTP library would be too polite.

    with HostileServer("short_body") as srv:
        client = GradientAI(api_key="t", base_url=srv.url, max_retries=0, timeout=2)
        ...
        srv.requests      # raw request heads received (str), e.g. to check the Authorization header
        srv.headers(0)    # the first request's headers as a dict with lower-case names

127.0.0.1 only, port 0. Every answer ends with ``Connection: close``. Modes are the functions of ``MODES``;
options (``**opts``) are read by the modes that take them (``body``, ``location``, ``count``, ``fill``, ``snapshots``).
"""

from __future__ import annotations

import functools
import json
import re
import select
import socket
import struct
import threading
import zlib
from typing import Any, Callable, Dict, List, Optional

__all__ = ["BIG_PAGE_COUNT", "BOMB_SIZE", "MODES", "HostileServer", "big_page_body", "gzip_bomb", "page_body"]

BIG_PAGE_COUNT = 170_000
BOMB_SIZE = 1 << 30  # decompressed bytes of the gzip bomb


def snapshot(i: int) -> Dict[str, Any]:
    """A valid snapshot whose id is ``str(i)`` (plus a UUID-looking resource id, for realistic size)."""
    return {
        "id": str(i),
        "name": f"web-{i % 20:02d}-s-2vcpu-4gb-fra1-snapshot-{1595954862243 + i}",
        "created_at": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
        "regions": ["nyc3", "sfo3", "fra1"][: 1 + i % 3],
        "resource_id": f"{i:08x}-85cf-11e6-a004-000f53315871",
        "resource_type": "droplet" if i % 3 else "volume",
        "min_disk_size": 25,
        "size_gigabytes": 2.34,
        "tags": ["web", "env:prod", "team:data"][: i % 4],
    }


def page_body(ids: range = range(3), total: Optional[int] = None) -> bytes:
    snaps = [snapshot(i) for i in ids]
    return json.dumps(
        {"snapshots": snaps, "links": {}, "meta": {"total": len(snaps) if total is None else total}}
    ).encode()


def big_page_body(count: int = BIG_PAGE_COUNT) -> bytes:
    """One valid page of ``count`` snapshots with ids "0".."count-1" (~50 MB for the default; built once)."""
    return _big_page_body(count)


@functools.lru_cache(maxsize=1)
def _big_page_body(count: int) -> bytes:
    return page_body(range(count))


def gzip_bomb(fill: bytes = b" ", size: int = BOMB_SIZE) -> bytes:
    """A gzip member that inflates to ``size`` bytes of ``fill`` (~1 MB for 1 GiB); built once per argument pair."""
    return _gzip_bomb(fill, size)


@functools.lru_cache(maxsize=2)
def _gzip_bomb(fill: bytes, size: int) -> bytes:
    """One MiB is deflated once, ending with a full flush (byte-aligned, no back-references past it), and that
    segment is repeated: a valid stream built in ~0.1 s instead of deflating 1 GiB (~6 s)."""
    chunk = fill * (1 << 20)
    assert size % len(chunk) == 0
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    repeats = size // len(chunk)
    crc = 0
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    final_block = b"\x03\x00"  # an empty, final, fixed-Huffman block
    return header + segment * repeats + final_block + struct.pack("<II", crc, size & 0xFFFFFFFF)


def _answer(
    conn: socket.socket,
    status: str,
    body: bytes = b"",
    headers: Optional[Dict[str, str]] = None,
    length: Optional[int] = None,
    send_body: bool = True,
) -> None:
    head = {"Content-Length": str(len(body) if length is None else length), "Connection": "close"}
    head.update(headers or {})
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in head.items()]
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body if send_body else b""))


JSON = {"Content-Type": "application/json; charset=utf-8"}


# -- modes: (server, connection, request path with query) -> None -----------------------------------------------


def reset_mid_body(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """Headers with Content-Length, half the body, then a TCP RST (SO_LINGER 0)."""
    body = page_body(range(200))
    _answer(conn, "200 OK", headers=JSON, length=len(body), send_body=False)
    conn.sendall(body[: len(body) // 2])
    srv._stop.wait(0.05)  # let the client start reading the body
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def short_body(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """A Content-Length 1000 bytes larger than the body, then a clean close (FIN)."""
    body = page_body()
    _answer(conn, "200 OK", body, JSON, length=len(body) + 1000)
    conn.shutdown(socket.SHUT_WR)


def empty_200(srv: HostileServer, conn: socket.socket, path: str) -> None:
    _answer(conn, "200 OK", b"", JSON)


def html_200(srv: HostileServer, conn: socket.socket, path: str) -> None:
    body = b"<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>captive portal</body></html>"
    _answer(conn, "200 OK", body, {"Content-Type": "text/html"})


def wrong_shape(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """Valid JSON of the wrong shape: ``opts["body"]`` (any JSON value, or bytes)."""
    body = srv.opts["body"]
    _answer(conn, "200 OK", body if isinstance(body, bytes) else json.dumps(body).encode(), JSON)


def html_502(srv: HostileServer, conn: socket.socket, path: str) -> None:
    body = (
        b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
        b"</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
    )
    _answer(conn, "502 Bad Gateway", body, {"Content-Type": "text/html"})


def no_content_type(srv: HostileServer, conn: socket.socket, path: str) -> None:
    _answer(conn, "200 OK", page_body())


def wrong_content_type(srv: HostileServer, conn: socket.socket, path: str) -> None:
    _answer(conn, "200 OK", page_body(), {"Content-Type": "text/plain; charset=us-ascii"})


def trickle(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """Valid headers, then one byte of body per second, forever (until the client or the server gives up)."""
    _answer(conn, "200 OK", headers=JSON, length=1_000_000, send_body=False)
    data = b"{" + b" " * 999_999
    for i in range(len(data)):
        conn.sendall(data[i : i + 1])
        if srv._stop.wait(1.0):
            return


def big_page(srv: HostileServer, conn: socket.socket, path: str) -> None:
    _answer(conn, "200 OK", big_page_body(srv.opts.get("count", BIG_PAGE_COUNT)), JSON)


def gzip_bomb_mode(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """``Content-Encoding: gzip``, ~1 MB on the wire, 1 GiB of ``opts["fill"]`` (spaces by default) inflated.

    With ``pages=N``, page 1 (a request without ``page=`` or with ``page=1``) is a valid full page announcing N pages
    of 200, and only the other pages are bombs: ``list_all`` then meets up to ``max_concurrency`` bombs at once."""
    pages = srv.opts.get("pages")
    if pages and not re.search(r"[?&]page=(?!1(&|$))", path):
        _answer(conn, "200 OK", page_body(range(200), total=200 * pages), JSON)
        return
    _answer(conn, "200 OK", gzip_bomb(srv.opts.get("fill", b" ")), {**JSON, "Content-Encoding": "gzip"})


def redirect_foreign(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """302 to ``opts["location"]`` (another server: another origin) + the same path."""
    _answer(conn, "302 Found", headers={"Location": srv.opts["location"].rstrip("/") + path})


def redirect_same_origin(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """302 from any path to ``/moved`` + path on this server, which answers a valid page."""
    if path.startswith("/moved/"):
        _answer(conn, "200 OK", page_body(), JSON)
    else:
        _answer(conn, "302 Found", headers={"Location": "/moved" + path})


def valid(srv: HostileServer, conn: socket.socket, path: str) -> None:
    """A well-behaved answer (``opts["snapshots"]`` snapshots, default 3), e.g. the target of a redirect."""
    _answer(conn, "200 OK", page_body(range(srv.opts.get("snapshots", 3))), JSON)


MODES: Dict[str, Callable[[HostileServer, socket.socket, str], None]] = {
    "reset_mid_body": reset_mid_body,
    "short_body": short_body,
    "empty_200": empty_200,
    "html_200": html_200,
    "wrong_shape": wrong_shape,
    "html_502": html_502,
    "no_content_type": no_content_type,
    "wrong_content_type": wrong_content_type,
    "trickle": trickle,
    "big_page": big_page,
    "gzip_bomb": gzip_bomb_mode,
    "redirect_foreign": redirect_foreign,
    "redirect_same_origin": redirect_same_origin,
    "valid": valid,
}


class HostileServer:
    def __init__(self, mode: str, **opts: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        self.mode, self.opts = mode, opts
        self.requests: List[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: List[socket.socket] = []
        self._threads: List[threading.Thread] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> HostileServer:
        t = threading.Thread(target=self._accept_loop, name=f"HostileServer:{self.mode}", daemon=True)
        self._threads.append(t)
        t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in list(self._threads):
            t.join(timeout=5)
        self._sock.close()

    def headers(self, i: int = 0) -> Dict[str, str]:
        lines = self.requests[i].split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            if not select.select([self._sock], [], [], 0.05)[0]:
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._conns.append(conn)
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            text = head.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            with self._lock:
                self.requests.append(text)
            path = text.split("\r\n", 1)[0].split(" ")[1]
            MODES[self.mode](self, conn, path)
        except OSError:
            pass  # the client hung up: that's its right
        finally:
            conn.close()
            with self._lock:
                if conn in self._conns:
                    self._conns.remove(conn)
