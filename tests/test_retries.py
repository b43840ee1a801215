"""Retries (SDK parity), retry-after handling, backoff timing, rate-limit bookkeeping and timeouts."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from gradientai_rs import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    GradientAI,
    InternalServerError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
)

pytestmark = pytest.mark.timeout(30)

FAST = {"retry-after-ms": "10"}


def gaps(fake):
    t = [r.time for r in fake.requests]
    return [b - a for a, b in zip(t, t[1:])]


class RawServer:
    """A bare TCP server on 127.0.0.1: ``reply(n)`` gives the bytes for the n-th connection (None: close at once)."""

    def __init__(self, reply):
        self.reply = reply
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            n = self.connections
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                out = self.reply(n)
                if out is not None:
                    try:
                        conn.sendall(out)
                    except OSError:
                        pass

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()


def http_response(status, body=b"", headers=()):
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --------------------------------------------------------------------------- which statuses are retried


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409, 429])
def test_retryable_statuses(client, fake, status):
    fake.enqueue(status, headers=FAST, count=3)
    with pytest.raises(APIStatusError) as ei:
        client.gpu_droplets.snapshots.list()
    assert ei.value.status_code == status
    assert fake.request_count == 3
    assert ei.value.retries_taken == 2


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409, 429])
def test_retryable_status_then_success(client, fake, status):
    fake.enqueue(status, headers=FAST, count=2)
    r = client.gpu_droplets.snapshots.list()
    assert r.meta.total == 45
    assert fake.request_count == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_non_retryable_statuses(client, fake, status):
    fake.enqueue(status, headers=FAST, count=3)
    with pytest.raises(APIStatusError) as ei:
        client.gpu_droplets.snapshots.list()
    assert ei.value.status_code == status
    assert fake.request_count == 1


def test_x_should_retry_true_on_403(client, fake):
    fake.enqueue(403, headers={"x-should-retry": "true", **FAST}, count=3)
    with pytest.raises(PermissionDeniedError):
        client.gpu_droplets.snapshots.list()
    assert fake.request_count == 3


def test_x_should_retry_false_on_500(client, fake):
    fake.enqueue(500, headers={"x-should-retry": "false", **FAST}, count=3)
    with pytest.raises(InternalServerError):
        client.gpu_droplets.snapshots.list()
    assert fake.request_count == 1


def test_retry_count_header(client, fake):
    fake.enqueue(503, headers=FAST, count=2)
    client.gpu_droplets.snapshots.list()
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]


def test_max_retries_zero(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    fake.enqueue(500, headers=FAST, count=3)
    with pytest.raises(InternalServerError):
        c.gpu_droplets.snapshots.list()
    assert fake.request_count == 1


def test_max_retries_default_is_two(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url)
    assert c.max_retries == 2
    fake.enqueue(500, headers=FAST, count=5)
    with pytest.raises(InternalServerError):
        c.gpu_droplets.snapshots.list()
    assert fake.request_count == 3


def test_max_retries_four(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=4)
    fake.enqueue(500, headers=FAST, count=4)
    assert c.gpu_droplets.snapshots.list().meta.total == 45
    assert fake.request_count == 5


# --------------------------------------------------------------------------- delays


def test_retry_after_seconds_honoured(client, fake):
    fake.enqueue(429, headers={"retry-after": "0.3"})
    r = client.gpu_droplets.snapshots.list()
    assert r.meta.total == 45
    assert fake.request_count == 2
    (gap,) = gaps(fake)
    assert 0.28 <= gap < 1.5, gap


def test_retry_after_ms_preferred(client, fake):
    fake.enqueue(429, headers={"retry-after-ms": "200", "retry-after": "5"})
    client.gpu_droplets.snapshots.list()
    (gap,) = gaps(fake)
    assert 0.18 <= gap < 1.5, gap


def test_retry_after_on_503(client, fake):
    fake.enqueue(503, headers={"retry-after": "0.3"})
    client.gpu_droplets.snapshots.list()
    (gap,) = gaps(fake)
    assert 0.28 <= gap < 1.5, gap


@pytest.mark.parametrize("retry_after", ["120", "0"], ids=["over_60_ignored", "zero_falls_back_to_backoff"])
def test_retry_after_out_of_range_falls_back_to_backoff(client, fake, retry_after):
    fake.enqueue(429, headers={"retry-after": retry_after})
    client.gpu_droplets.snapshots.list()
    (gap,) = gaps(fake)
    assert 0.36 <= gap < 1.5, gap


def test_backoff_without_headers(client, fake):
    fake.enqueue(500, count=2)
    client.gpu_droplets.snapshots.list()
    first, second = gaps(fake)
    assert 0.36 <= first < 1.5, first  # 0.5 * (1 - 0.25 * jitter) = 0.375 .. 0.5
    assert 0.72 <= second < 2.0, second  # 1.0 * (1 - 0.25 * jitter) = 0.75 .. 1.0


# --------------------------------------------------------------------------- connection errors and timeouts


def test_connection_errors_retried():
    srv = RawServer(lambda n: None)  # accept, read, close without answering
    try:
        c = GradientAI(api_key="fake-token", base_url=srv.url, max_retries=2)
        with pytest.raises(APIConnectionError):
            c.gpu_droplets.snapshots.list()
        assert srv.connections == 3
    finally:
        srv.close()


def test_connection_error_then_success():
    body = b'{"snapshots":[],"links":{},"meta":{"total":0}}'
    srv = RawServer(lambda n: None if n == 1 else http_response(200, body, [("Content-Type", "application/json")]))
    try:
        c = GradientAI(api_key="fake-token", base_url=srv.url, max_retries=2)
        assert c.gpu_droplets.snapshots.list().meta.total == 0
        assert srv.connections == 2
    finally:
        srv.close()


def test_timeout_retried_then_success(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=2, timeout=0.3)
    fake.enqueue(200, body={"snapshots": []}, delay_s=2)
    r = c.gpu_droplets.snapshots.list()
    assert r.meta.total == 45
    assert fake.request_count == 2


def test_timeout_per_attempt(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    fake.enqueue(200, body={"snapshots": []}, delay_s=2)
    t0 = time.monotonic()
    with pytest.raises(APITimeoutError):
        c.gpu_droplets.snapshots.list(timeout=0.3)
    elapsed = time.monotonic() - t0
    assert 0.25 <= elapsed < 1.0, elapsed
    assert fake.request_count == 1


def test_timeout_exhausts_retries(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=1, timeout=0.2)
    fake.enqueue(200, body={"snapshots": []}, delay_s=2, count=2)
    with pytest.raises(APITimeoutError):
        c.gpu_droplets.snapshots.list()
    assert fake.request_count == 2


# --------------------------------------------------------------------------- rate limits


def test_hourly_quota_429_raises_at_once(client, fake):
    fake.enqueue(
        429, headers={"retry-after": None, "ratelimit-remaining": "0", "ratelimit-reset": "1800000000"}, count=3
    )
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as ei:
        client.gpu_droplets.snapshots.list()
    assert time.monotonic() - t0 < 0.3
    assert fake.request_count == 1
    e = ei.value
    assert e.status_code == 429
    assert e.rate_limit == RateLimit(5000, 0, 1800000000)
    assert e.rate_limit.reset == 1800000000


def test_fake_hourly_quota_exhausted(make_fake, token):
    fake = make_fake(5, hourly_remaining=0)
    c = GradientAI(api_key=token, base_url=fake.url)
    with pytest.raises(RateLimitError) as ei:
        c.gpu_droplets.snapshots.list()
    assert fake.request_count == 1
    assert ei.value.rate_limit.remaining == 0
    assert ei.value.rate_limit.reset >= int(time.time()) + 3500
    assert c.rate_limit.remaining == 0


def test_burst_429_with_retry_after_is_retried(client, fake):
    fake.enqueue(429, headers={"ratelimit-remaining": "0", "retry-after": "0.2"})
    r = client.gpu_droplets.snapshots.list()
    assert r.meta.total == 45
    assert fake.request_count == 2
    (gap,) = gaps(fake)
    assert gap >= 0.18


def test_fake_burst_limit_retried(make_fake, token):
    fake = make_fake(5, burst_limit=1, burst_window_s=0.3, retry_after="0.4")
    c = GradientAI(api_key=token, base_url=fake.url)
    c.gpu_droplets.snapshots.list()
    r = c.gpu_droplets.snapshots.list()
    assert r.meta.total == 5
    assert fake.request_count == 3


def test_client_rate_limit_tracks_latest(client, fake):
    assert client.rate_limit is None
    client.gpu_droplets.snapshots.list()
    rl = client.rate_limit
    assert isinstance(rl, RateLimit)
    assert rl.limit == 5000
    assert rl.remaining == 4999
    assert abs(rl.reset - (int(time.time()) + 60)) <= 5
    client.gpu_droplets.snapshots.list()
    assert client.rate_limit.remaining == 4998
    fake.enqueue(404, headers={"ratelimit-remaining": "17", "ratelimit-reset": "1700000000"})
    with pytest.raises(APIStatusError) as ei:
        client.gpu_droplets.snapshots.list()
    assert ei.value.rate_limit == RateLimit(5000, 17, 1700000000)
    assert client.rate_limit == RateLimit(5000, 17, 1700000000)


def test_rate_limit_headers_case_insensitive():
    body = b'{"snapshots":[],"links":{},"meta":{"total":0}}'
    hdrs = [
        ("Content-Type", "application/json"),
        ("RateLimit-Limit", "250"),
        ("rateLimit-Remaining", "7"),
        ("RATELIMIT-RESET", "1444931833"),
    ]
    srv = RawServer(lambda n: http_response(200, body, hdrs))
    try:
        c = GradientAI(api_key="fake-token", base_url=srv.url)
        c.gpu_droplets.snapshots.list()
        assert c.rate_limit == RateLimit(250, 7, 1444931833)
    finally:
        srv.close()


def test_rate_limit_case_insensitive_on_quota_429():
    hdrs = [
        ("Content-Type", "application/json"),
        ("RateLimit-Limit", "5000"),
        ("RateLimit-Remaining", "0"),
        ("RateLimit-Reset", "1800000000"),
    ]
    srv = RawServer(
        lambda n: http_response(429, b'{"id":"too_many_requests","message":"API Rate limit exceeded."}', hdrs)
    )
    try:
        c = GradientAI(api_key="fake-token", base_url=srv.url)
        with pytest.raises(RateLimitError) as ei:
            c.gpu_droplets.snapshots.list()
        assert srv.connections == 1
        assert ei.value.rate_limit == RateLimit(5000, 0, 1800000000)
    finally:
        srv.close()
