"""HTTPS and HTTP/2 against the fake (``FakeDigitalOcean(tls=True)`` / ``http2=True``): trust through ``verify=``
and SSL_CERT_FILE, an unknown CA as a clear, unretried connection error, h2 multiplexing, and proxies."""

from __future__ import annotations

import logging
import select
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Optional

import pytest

pytest.importorskip("hypercorn")
trustme = pytest.importorskip("trustme")

from gradientai_rs import APIConnectionError, GradientAI, InsecureTLSWarning  # noqa: E402
from gradientai_rs.testing import FakeDigitalOcean  # noqa: E402

TOKEN = "fake-token"
_TRUST_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR")
_PROXY_ENV = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


@pytest.fixture(autouse=True)
def _no_trust_or_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _TRUST_ENV + _PROXY_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tls_fake(make_fake: Callable[..., FakeDigitalOcean]) -> FakeDigitalOcean:
    return make_fake(450, seed=3, tls=True)


@pytest.fixture
def h2_fake(make_fake: Callable[..., FakeDigitalOcean]) -> FakeDigitalOcean:
    return make_fake(2000, seed=5, http2=True)


@pytest.fixture
def other_ca(tmp_path: Any) -> str:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


# ------------------------------------------------------------------------------------------------ local relays


class Relay:
    """A TCP relay on 127.0.0.1 that counts connections. ``connect=True`` makes it an HTTP CONNECT proxy (only to
    127.0.0.1), recording each CONNECT target."""

    def __init__(self, upstream_port: Optional[int] = None, connect: bool = False) -> None:
        self.upstream_port = upstream_port
        self.connect = connect
        self.accepted = 0
        self.targets: List[str] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        self._threads: List[threading.Thread] = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            port = self.upstream_port
            if self.connect:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target, _ = line.split(" ", 2)
                self.targets.append(target)
                host, _, p = target.rpartition(":")
                if method != "CONNECT" or host != "127.0.0.1":
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                    return
                port = int(p)
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            up = socket.create_connection(("127.0.0.1", port))
            self._pump(conn, up)
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def _pump(a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                r, _, _ = select.select([a, b], [], [], 30)
                if not r:
                    return
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        finally:
            b.close()

    def close(self) -> None:
        self._closed = True
        self._sock.close()


@pytest.fixture
def relays() -> Iterator[Callable[..., Relay]]:
    made: List[Relay] = []

    def make(*args: Any, **kwargs: Any) -> Relay:
        r = Relay(*args, **kwargs)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def ids_of(snaps: Any) -> List[str]:
    return [s.id for s in snaps]


# ------------------------------------------------------------------------------------------------ trust


def test_verify_with_the_fakes_ca(tls_fake: FakeDigitalOcean) -> None:
    with GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=tls_fake.ca_path) as c:
        got = c.gpu_droplets.snapshots.list_all()
        assert ids_of(got) == tls_fake.ids()
        r = c.gpu_droplets.snapshots.with_raw_response.list(per_page=5)
        assert r.http_version == "HTTP/1.1"
    assert tls_fake.http_versions.get("1.1", 0) == tls_fake.request_count


def test_verify_accepts_a_pathlike(tls_fake: FakeDigitalOcean) -> None:
    import pathlib

    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=pathlib.Path(tls_fake.ca_path))
    assert len(c.gpu_droplets.snapshots.list(per_page=7).snapshots) == 7


def test_ssl_cert_file_is_trusted(tls_fake: FakeDigitalOcean, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", tls_fake.ca_path)
    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url)
    assert ids_of(c.gpu_droplets.snapshots.list_all()) == tls_fake.ids()


def test_ssl_cert_file_does_not_override_an_explicit_ca(
    tls_fake: FakeDigitalOcean, other_ca: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", tls_fake.ca_path)
    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=other_ca, max_retries=0)
    with pytest.raises(APIConnectionError, match="certificate"):
        c.gpu_droplets.snapshots.list()


@pytest.mark.parametrize("how", ["verify", "SSL_CERT_FILE", "system"])
def test_an_unknown_ca_is_a_clear_error_and_not_retried(
    tls_fake: FakeDigitalOcean,
    other_ca: str,
    relays: Callable[..., Relay],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    relay = relays(tls_fake.port)
    kwargs: dict = {}
    if how == "verify":
        kwargs["verify"] = other_ca
    elif how == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", other_ca)
    c = GradientAI(api_key=TOKEN, base_url=f"https://127.0.0.1:{relay.port}", max_retries=2, **kwargs)
    t0 = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        c.gpu_droplets.snapshots.list()
    elapsed = time.monotonic() - t0
    msg = str(info.value)
    assert "certificate" in msg and "UnknownIssuer" in msg, msg
    assert "not retried" in msg
    assert not isinstance(info.value, TimeoutError)
    # One handshake, no backoff sleeps (two retries would sleep >= 0.375 + 0.75 s and open two more connections).
    assert relay.accepted == 1, relay.accepted
    assert elapsed < 1.0, elapsed
    assert tls_fake.request_count == 0


def test_verify_false_warns_loudly_and_skips_checks(
    tls_fake: FakeDigitalOcean, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="gradientai_rs")
    with pytest.warns(InsecureTLSWarning, match="verify=False"):
        c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=False)
    assert ids_of(c.gpu_droplets.snapshots.list_all()) == tls_fake.ids()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("gradientai_rs")]
    assert any("NOT checked" in r.getMessage() for r in warnings), [r.getMessage() for r in caplog.records]


def test_verify_true_is_the_default(tls_fake: FakeDigitalOcean) -> None:
    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=True, max_retries=0)
    with pytest.raises(APIConnectionError, match="certificate"):
        c.gpu_droplets.snapshots.list()


@pytest.mark.parametrize(
    "content, expect",
    [(None, "cannot read"), (b"not a certificate\n", "no PEM certificate"), (b"", "no PEM certificate")],
)
def test_a_bad_ca_file_is_a_value_error(tmp_path: Any, content: Optional[bytes], expect: str) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=expect):
        GradientAI(api_key=TOKEN, base_url="https://127.0.0.1:9", verify=str(path))


def test_verify_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="verify"):
        GradientAI(api_key=TOKEN, verify=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["missing", "garbage", "empty-dir"])
def test_a_broken_ssl_cert_file_is_a_typed_error_and_prints_nothing(tmp_path: Any, bad: str) -> None:
    """In a fresh interpreter (stderr is the real one): a ValueError naming the variable, nothing printed."""
    env_name, value = "SSL_CERT_FILE", str(tmp_path / "nope.pem")
    if bad == "garbage":
        (tmp_path / "junk.pem").write_text(
            "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
        )
        value = str(tmp_path / "junk.pem")
    elif bad == "empty-dir":
        env_name, value = "SSL_CERT_DIR", str(tmp_path)
    code = (
        "import gradientai_rs\n"
        "try:\n"
        "    gradientai_rs.GradientAI(api_key='t', base_url='https://127.0.0.1:9')\n"
        "except ValueError as e:\n"
        "    print('VALUE-ERROR', e)\n"
        "else:\n"
        "    print('NO-ERROR')\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in _TRUST_ENV + _PROXY_ENV}
    env[env_name] = value
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("VALUE-ERROR"), p.stdout + p.stderr
    assert env_name in p.stdout
    assert p.stderr == "", p.stderr


# ------------------------------------------------------------------------------------------------ HTTP/2


def test_h2_is_negotiated_and_list_all_multiplexes_one_connection(h2_fake: FakeDigitalOcean) -> None:
    h2_fake.configure(latency_ms=300)
    c = GradientAI(api_key=TOKEN, base_url=h2_fake.url, verify=h2_fake.ca_path)
    t0 = time.monotonic()
    got = c.gpu_droplets.snapshots.list_all()
    elapsed = time.monotonic() - t0
    assert ids_of(got) == h2_fake.ids()
    assert h2_fake.http_versions == {"2": 10}
    assert h2_fake.connection_count == 1
    # Page 1, then the other 9 pages at once: two latencies (0.6 s), not ten (3 s).
    assert elapsed < 0.3 * 5, elapsed
    # A blocking one-request call runs on this thread's own runtime, with its own connection (issue 20; see
    # docs/performance.md): one more, reused by the next calls.
    for _ in range(3):
        r = c.gpu_droplets.snapshots.with_raw_response.list(per_page=1)
        assert r.http_version == "HTTP/2.0"
    assert h2_fake.connection_count == 2


def test_http1_over_tls_caps_connections(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(200 * 40, seed=2, tls=True, latency_ms=100)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, verify=fake.ca_path)
    got = c.gpu_droplets.snapshots.list_all()
    assert len(got) == 200 * 40
    assert fake.http_versions == {"1.1": 40}
    # 32 pages in flight at once; the connection of page 1 may not be back in the pool when they start.
    assert 2 <= fake.connection_count <= 33, fake.connection_count


def test_explicit_max_concurrency_is_honoured_over_h2(h2_fake: FakeDigitalOcean) -> None:
    h2_fake.configure(latency_ms=100)
    c = GradientAI(api_key=TOKEN, base_url=h2_fake.url, verify=h2_fake.ca_path)
    t0 = time.monotonic()
    assert len(c.gpu_droplets.snapshots.list_all(max_concurrency=1)) == 2000
    assert time.monotonic() - t0 >= 0.1 * 10


# ------------------------------------------------------------------------------------------------ proxies


def test_https_proxy_tunnels_through_connect(
    tls_fake: FakeDigitalOcean, relays: Callable[..., Relay], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = relays(connect=True)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=tls_fake.ca_path)
    assert ids_of(c.gpu_droplets.snapshots.list_all()) == tls_fake.ids()
    assert proxy.targets and set(proxy.targets) == {f"127.0.0.1:{tls_fake.port}"}


def test_no_proxy_bypasses_the_proxy(
    tls_fake: FakeDigitalOcean, relays: Callable[..., Relay], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = relays(connect=True)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    c = GradientAI(api_key=TOKEN, base_url=tls_fake.url, verify=tls_fake.ca_path)
    assert len(c.gpu_droplets.snapshots.list(per_page=3).snapshots) == 3
    assert proxy.accepted == 0 and proxy.targets == []


def test_a_refusing_proxy_is_a_connection_error(
    tls_fake: FakeDigitalOcean, relays: Callable[..., Relay], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = relays(connect=True)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    c = GradientAI(api_key=TOKEN, base_url="https://localhost:9", verify=tls_fake.ca_path, max_retries=0)
    # The proxy only tunnels to 127.0.0.1 by address; "localhost:9" is refused with a 403.
    with pytest.raises(APIConnectionError):
        c.gpu_droplets.snapshots.list()
    assert proxy.targets == ["localhost:9"]


def test_the_plain_fake_needs_no_third_party_package() -> None:
    """With hypercorn, trustme, h2 and cryptography unimportable, the default fake still imports and serves; only
    tls=True asks for them."""
    code = (
        "import sys, importlib.abc, json, urllib.request\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('hypercorn', 'trustme', 'h2', 'h11', 'cryptography'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from gradientai_rs.testing import FakeDigitalOcean\n"
        "with FakeDigitalOcean(3) as fake:\n"
        "    req = urllib.request.Request(fake.url + '/v2/snapshots', headers={'Authorization': 'Bearer fake-token'})\n"
        "    print(len(json.load(urllib.request.urlopen(req))['snapshots']))\n"
        "try:\n"
        "    FakeDigitalOcean(3, tls=True).start()\n"
        "except ImportError as e:\n"
        "    print('tls needs:', e)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "3"
    assert lines[1].startswith("tls needs: blocked:"), lines
