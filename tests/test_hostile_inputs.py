"""Issue 19, "Nothing wrong from any input": each class of bug the adversarial review found, with the issue's example
and variants of our own. Everything talks real HTTP to the fake on 127.0.0.1 (or a small local server)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Callable, List

import pytest

from gradientai_rs import APITimeoutError, AsyncGradientAI, GradientAI, reset_logging
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


# ------------------------------------------------------------------------- item 4: one id encoder, no dot segments


@pytest.mark.parametrize("bad", ["..", ".", " .. ", ""])
def test_dot_ids_are_refused_before_anything_is_sent(fake: FakeDigitalOcean, client: GradientAI, bad: str) -> None:
    fake.clear_requests()
    for call in (client.gpu_droplets.snapshots.delete, client.gpu_droplets.snapshots.retrieve):
        with pytest.raises(ValueError, match="snapshot_id"):
            call(bad)
    assert fake.requests == []


def test_delete_many_with_dot_ids_deletes_nothing(fake: FakeDigitalOcean, client: GradientAI) -> None:
    first = fake.ids()[0]
    fake.clear_requests()
    with pytest.raises(ValueError, match="snapshot_id"):
        client.gpu_droplets.snapshots.delete_many([first, ".", ".."])
    assert fake.requests == [] and fake.deleted_ids == []


def test_ids_with_dots_inside_stay_one_segment(fake: FakeDigitalOcean, client: GradientAI) -> None:
    fake.clear_requests()
    res = client.gpu_droplets.snapshots.delete_many(["...", "a/../b", "%2e%2e", "./x"])
    assert sorted(res.already_gone) == sorted(["...", "a/../b", "%2e%2e", "./x"])
    paths = [r.path for r in fake.requests]
    assert all(p.startswith("/v2/snapshots/") and p.count("/") == 3 for p in paths), paths


def test_a_server_sent_dot_id_in_a_plan_deletes_nothing(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    from gradientai_rs import RetentionPolicy

    snaps = [
        {"id": "..", "name": "evil", "created_at": "2025-01-01T00:00:00Z", "resource_id": "1", "size_gigabytes": 1},
        {"id": "7", "name": "old", "created_at": "2025-01-02T00:00:00Z", "resource_id": "1", "size_gigabytes": 1},
        {"id": "8", "name": "new", "created_at": "2025-06-01T00:00:00Z", "resource_id": "1", "size_gigabytes": 1},
    ]
    fake = make_fake(snaps, token=TOKEN)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    plan = c.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1))
    assert ".." in plan.delete_ids
    fake.clear_requests()
    with pytest.raises(ValueError, match="snapshot_id"):
        plan.apply()
    assert [r for r in fake.requests if r.method == "DELETE"] == []


# ------------------------------------------------- items 6 and 7: deadline bounds callbacks; callbacks' exceptions


def test_a_blocking_progress_callback_does_not_extend_the_deadline(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(1000)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    release = threading.Event()

    def stuck(done: int, total: int) -> None:
        release.wait(20)

    t0 = time.monotonic()
    try:
        with pytest.raises(APITimeoutError, match="deadline"):
            c.gpu_droplets.snapshots.list_all(per_page=100, progress=stuck, deadline=1)
        elapsed = time.monotonic() - t0
    finally:
        release.set()
    assert elapsed < 5, elapsed


def test_a_blocking_log_handler_does_not_extend_the_deadline(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(1000)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    release = threading.Event()

    class Stuck(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            release.wait(20)

    logger = logging.getLogger("gradientai_rs")
    handler, level = Stuck(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    reset_logging()
    t0 = time.monotonic()
    try:
        with pytest.raises(APITimeoutError, match="deadline"):
            c.gpu_droplets.snapshots.list_all(per_page=100, deadline=1)
        elapsed = time.monotonic() - t0
    finally:
        release.set()
        logger.removeHandler(handler)
        logger.setLevel(level)
        reset_logging()
    assert elapsed < 5, elapsed


def test_a_blocking_progress_callback_does_not_extend_the_deadline_async(
    make_fake: Callable[..., FakeDigitalOcean],
) -> None:
    fake = make_fake(1000)
    release = threading.Event()

    async def main() -> float:
        c = AsyncGradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
        t0 = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline"):
            await c.gpu_droplets.snapshots.list_all(per_page=100, progress=lambda d, t: release.wait(20), deadline=1)
        return time.monotonic() - t0

    try:
        elapsed = asyncio.run(main())
    finally:
        release.set()
    assert elapsed < 5, elapsed


class Boom(Exception):
    pass


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit, Boom])
def test_an_exception_in_the_progress_callback_stops_the_listing(
    make_fake: Callable[..., FakeDigitalOcean], exc: type
) -> None:
    fake = make_fake(1000)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    calls: List[int] = []

    def cb(done: int, total: int) -> None:
        calls.append(done)
        if done == 2:
            raise exc("stop here")

    fake.clear_requests()
    with pytest.raises(exc, match="stop here"):
        c.gpu_droplets.snapshots.list_all(per_page=10, max_concurrency=1, progress=cb)
    assert calls == [1, 2]
    # Stopped at once: nowhere near the 100 pages.
    assert len(fake.requests) <= 4, len(fake.requests)


def test_an_exception_in_the_progress_callback_stops_the_listing_async(
    make_fake: Callable[..., FakeDigitalOcean],
) -> None:
    fake = make_fake(1000)

    def cb(done: int, total: int) -> None:
        raise Boom(f"at {done}")

    async def main() -> None:
        c = AsyncGradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
        with pytest.raises(Boom, match="at 1"):
            await c.gpu_droplets.snapshots.list_all(per_page=10, max_concurrency=1, progress=cb)

    fake.clear_requests()
    asyncio.run(main())
    assert len(fake.requests) <= 3, len(fake.requests)


def test_an_exception_in_the_progress_callback_stops_delete_many(fake: FakeDigitalOcean, client: GradientAI) -> None:
    ids = fake.ids()[:10]

    def cb(done: int, total: int) -> None:
        if done == 2:
            raise Boom("enough")

    with pytest.raises(Boom, match="enough") as info:
        client.gpu_droplets.snapshots.delete_many(ids, max_concurrency=1, progress=cb)
    res: Any = info.value.result  # type: ignore[attr-defined]
    assert res.deleted == ids[:2]
    assert res.not_attempted == ids[2:]
    assert res.failed == {}
    assert res.stopped and "progress callback" in res.stopped
    assert fake.deleted_ids == ids[:2]


# ------------------------------------------------------------- item 9: close() during delete_many is not_attempted


def test_close_during_delete_many_leaves_the_rest_not_attempted(fake: FakeDigitalOcean, client: GradientAI) -> None:
    ids = fake.ids()[:8]

    def cb(done: int, total: int) -> None:
        if done == 2:
            client.close()

    res = client.gpu_droplets.snapshots.delete_many(ids, max_concurrency=1, progress=cb)
    assert res.deleted == ids[:2]
    assert res.failed == {}
    assert res.not_attempted == ids[2:]
    assert res.stopped and "closed" in res.stopped
    assert fake.deleted_ids == ids[:2]


def test_close_from_another_thread_during_delete_many(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(40, latency_ms=50, token=TOKEN)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    ids = fake.ids()
    threading.Timer(0.3, c.close).start()
    res = c.gpu_droplets.snapshots.delete_many(ids, max_concurrency=2)
    assert res.failed == {}, res.failed
    assert res.not_attempted, res
    assert set(res.deleted) | set(res.not_attempted) == set(ids)
    assert sorted(fake.deleted_ids) == sorted(res.deleted)
    assert res.stopped and "closed" in res.stopped


# ------------------------------------------------------------ item 3: redaction on decoded text and on every URL

SECRET = "dop_v1_0123456789abcdef/xyz"


def _leaks(e: BaseException, secret: str = SECRET) -> List[str]:
    """Where `secret` (or a long piece of it) shows: str(e), repr, every attribute, the pickle."""
    import pickle

    pieces = [secret, secret[:12], secret[-12:]]
    places = {"str": str(e), "repr": repr(e), "pickle": repr(pickle.dumps(e))}
    for name in ("body", "url", "headers", "message", "request_id"):
        places[name] = repr(getattr(e, name, None))
    return [where for where, text in places.items() if any(p in text for p in pieces)]


def _escaped(s: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in s)


@pytest.mark.parametrize(
    "body",
    [
        '{"id":"unauthorized","message":"bad token ' + _escaped(SECRET) + '"}',
        '{"id":"unauthorized","message":"bad token ' + SECRET.replace("/", "\\/") + '"}',
        '{"id":"unauthorized","message":"bad \\u0074oken ' + SECRET[:3] + _escaped(SECRET[3:9]) + SECRET[9:] + '"}',
        "<html>token: " + SECRET + "</html>",
    ],
)
def test_an_escaped_token_in_an_error_body_is_redacted(make_fake: Callable[..., FakeDigitalOcean], body: str) -> None:
    fake = make_fake(3, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    fake.enqueue(401, body=body.encode(), headers={"content-type": "application/json"})
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list()
    assert _leaks(info.value) == [], (info.value, info.value.body)  # type: ignore[attr-defined]
    assert "***" in repr(info.value.body)  # type: ignore[attr-defined]


def test_a_token_straddling_the_excerpt_cut_is_redacted(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    for pad in (190, 195, 199):
        fake.enqueue(200, body=("x" * pad + SECRET + " not json").encode())
        with pytest.raises(Exception) as info:
            c.gpu_droplets.snapshots.list()
        # Cut first, the excerpt would end in the token's first characters.
        assert _leaks(info.value, SECRET[:6]) == [], info.value
        assert "x*" in str(info.value.body), info.value.body  # type: ignore[attr-defined]


def test_a_redirect_target_with_the_token_is_scrubbed(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    fake.enqueue(302, headers={"location": f"{fake.url}/v2/elsewhere?token=other-credential&page=1"})
    fake.enqueue(404)
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list()
    e = info.value
    assert "other-credential" not in str(e.url) and "token=***" in str(e.url), e.url  # type: ignore[attr-defined]
    assert _leaks(e) == []


def test_a_token_in_extra_query_is_scrubbed_from_urls(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    fake.enqueue(500)
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list(extra_query={"region": SECRET})
    assert _leaks(info.value) == [], info.value.url  # type: ignore[attr-defined]


def test_connection_errors_scrub_their_urls() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from gradientai_rs import APIConnectionError

    c = GradientAI(api_key=SECRET, base_url=f"http://127.0.0.1:{port}", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        c.gpu_droplets.snapshots.list(extra_query={"q": SECRET, "access_token": "another-one-9"})
    e = info.value
    assert _leaks(e) == [] and _leaks(e, "another-one-9") == [], (str(e), e.url)


@pytest.mark.parametrize("name", ["Cookie", "X-Auth-Token", "X-DO-Password", "Proxy-Authorization", "X-Auth"])
def test_cookie_and_auth_headers_are_secrets(make_fake: Callable[..., FakeDigitalOcean], name: str) -> None:
    fake = make_fake(3)
    value = "hdr-secret-4711"
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0, default_headers={name: value})
    fake.enqueue(400, body=f'{{"id":"bad","message":"you sent {value}"}}'.encode())
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list()
    assert _leaks(info.value, value) == []


def test_set_cookie_answers_are_not_repeated(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    fake.enqueue(403, headers={"set-cookie": "session=s3ss10n-value; HttpOnly"})
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list()
    assert _leaks(info.value, "s3ss10n-value") == []


@pytest.mark.parametrize("short", ["t", "ab", "x9z"])
def test_short_tokens_are_redacted_whole(make_fake: Callable[..., FakeDigitalOcean], short: str) -> None:
    fake = make_fake(3, token=short)
    c = GradientAI(api_key=short, base_url=fake.url, max_retries=0)
    fake.enqueue(401, body=f'{{"id":"unauthorized","message":"token {short} is bad","echo":"{_escaped(short)}"}}')
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list()
    body = info.value.body  # type: ignore[attr-defined]
    assert body["message"] == "token *** is bad" and body["echo"] == "***", body


@pytest.mark.parametrize("url", ["https://h.example/?token=dop_v1_abcdef", "https://h.example/#dop_v1_abcdef"])
def test_a_base_url_with_a_token_is_not_echoed(url: str) -> None:
    with pytest.raises(ValueError) as info:
        GradientAI(api_key=TOKEN, base_url=url)
    assert "dop_v1_abcdef" not in str(info.value) and "base_url" in str(info.value)


# ------------------------------------------------------------------------- item 10: uniform argument checks


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"requests_per_minute": True}, "requests_per_minute"),
        ({"requests_per_minute": False}, "requests_per_minute"),
        ({"max_rate_limit_wait": True}, "max_rate_limit_wait"),
        ({"max_retries": True}, "max_retries"),
        ({"timeout": True}, "timeout"),
        ({"api_key": 123}, "api_key"),
        ({"access_token": b"tok"}, "access_token"),
        ({"base_url": b"http://127.0.0.1:1"}, "base_url"),
        ({"inference_key": 5}, "inference_key"),
        ({"allow_insecure_http": 1}, "allow_insecure_http"),
        ({"requests_per_minute": "250"}, "requests_per_minute"),
        ({"max_rate_limit_wait": "60"}, "max_rate_limit_wait"),
    ],
)
def test_wrong_types_are_type_errors_naming_the_parameter(kwargs: dict, param: str) -> None:
    kwargs = {"api_key": TOKEN, **kwargs}
    with pytest.raises(TypeError, match=param):
        GradientAI(**kwargs)
    c = GradientAI(api_key=TOKEN)
    if param not in ("inference_key",):
        with pytest.raises(TypeError, match=param):
            c.with_options(**{k: v for k, v in kwargs.items() if k != "api_key" or param == "api_key"})


@pytest.mark.parametrize(
    "kwargs, param",
    [
        ({"requests_per_minute": 2**64}, "requests_per_minute"),
        ({"requests_per_minute": -1}, "requests_per_minute"),
        ({"max_retries": 2**70}, "max_retries"),
        ({"max_rate_limit_wait": 2**2000}, "max_rate_limit_wait"),
        ({"timeout": 10**400}, "timeout"),
        ({"base_url": ""}, "base_url"),
        ({"base_url": "   "}, "base_url"),
    ],
)
def test_out_of_range_is_a_value_error_naming_the_parameter(kwargs: dict, param: str) -> None:
    with pytest.raises(ValueError, match=param) as info:
        GradientAI(api_key=TOKEN, **kwargs)
    assert not isinstance(info.value, OverflowError)
    if "requests_per_minute" in kwargs:
        assert "between 0 and" in str(info.value)


@pytest.mark.parametrize("param", ["api_key", "access_token", "inference_key", "agent_access_key"])
def test_a_surrogate_in_a_secret_does_not_travel_with_the_error(param: str) -> None:
    secret = "dop_v1_sec\ud800ret"
    with pytest.raises(ValueError, match=param) as info:
        GradientAI(**{param: secret})
    e = info.value
    assert not isinstance(e, UnicodeError) and not hasattr(e, "object")
    seen = [str(e), repr(e.args), repr(e.__cause__), repr(e.__context__)]
    assert not any("dop_v1" in s or "ret" in s.replace("secret", "") for s in seen), seen


def test_a_surrogate_in_base_url_is_not_echoed() -> None:
    with pytest.raises(ValueError, match="base_url") as info:
        GradientAI(api_key=TOKEN, base_url="https://h/?token=dop_v1_abc\udc00")
    assert "dop_v1_abc" not in str(info.value) and info.value.__context__ is None


def test_the_checks_keep_what_was_accepted(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3)
    assert GradientAI(api_key=TOKEN).requests_per_minute == 250
    assert GradientAI(api_key=TOKEN, requests_per_minute=None).requests_per_minute is None
    assert GradientAI(api_key=TOKEN, requests_per_minute=0).requests_per_minute is None
    c = GradientAI(api_key=TOKEN, requests_per_minute=10, max_rate_limit_wait=5, base_url=fake.url)
    assert (c.requests_per_minute, c.max_rate_limit_wait) == (10, 5.0)
    assert c.with_options(requests_per_minute=None).requests_per_minute == 10
    assert c.with_options(max_rate_limit_wait=1.5).max_rate_limit_wait == 1.5
    assert GradientAI(api_key=TOKEN, base_url=fake.url, allow_insecure_http=True).base_url == fake.url
    assert len(c.gpu_droplets.snapshots.list().snapshots) == 3


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"deadline": True}, TypeError),
        ({"deadline": "5"}, TypeError),
        ({"deadline": 2**2000}, ValueError),
        ({"wait_for_rate_limit": 1}, TypeError),
        ({"max_concurrency": True}, TypeError),
    ],
)
def test_list_all_arguments_are_checked_the_same_way(client: GradientAI, kwargs: dict, exc: type) -> None:
    (param,) = kwargs
    with pytest.raises(exc, match=param) as info:
        client.gpu_droplets.snapshots.list_all(**kwargs)
    assert not isinstance(info.value, OverflowError)


# ------------------------------------------------------- item 11: as lenient about text as Python's json (the SDK)


def _page(names: List[str]) -> str:
    import json

    rows = [{"id": str(i + 1), "name": "@@%d@@" % i, "created_at": "2025-01-01T00:00:00Z"} for i in range(len(names))]
    text = json.dumps({"snapshots": rows, "links": {}, "meta": {"total": len(rows)}})
    for i, n in enumerate(names):
        text = text.replace("@@%d@@" % i, n)
    return text


@pytest.mark.parametrize(
    "raw, want",
    [
        ("\\ud800", "\ufffd"),
        ("web-\\udfff-1", "web-\ufffd-1"),
        ("\\ud83d\\ude00 \\ud83d", "\U0001f600 \ufffd"),
        ("\\\\ud800", "\\ud800"),
    ],
)
def test_a_lone_surrogate_escape_does_not_reject_the_page(
    make_fake: Callable[..., FakeDigitalOcean], raw: str, want: str
) -> None:
    fake = make_fake(3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    fake.enqueue(200, body=_page([raw, "ok"]).encode())
    page = c.gpu_droplets.snapshots.list()
    assert [s.name for s in page.snapshots] == [want, "ok"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_boms_and_utf16_32_bodies_are_read_as_python_json_reads_them(
    make_fake: Callable[..., FakeDigitalOcean], encoding: str
) -> None:
    import json

    fake = make_fake(3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    body = _page(["web-é", "ok"]).encode(encoding)
    expected = [s["name"] for s in json.loads(body)["snapshots"]]
    fake.enqueue(200, body=body)
    assert [s.name for s in c.gpu_droplets.snapshots.list().snapshots] == expected == ["web-é", "ok"]
    fake.enqueue(200, body=body)
    raw = c.gpu_droplets.snapshots.with_raw_response.list()
    assert raw.json() == json.loads(body)


def test_list_all_survives_one_odd_name(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    fake.enqueue(200, body=b"\xef\xbb\xbf" + _page(["\\udead", "b", "c"]).encode())
    assert [s.name for s in c.gpu_droplets.snapshots.list_all()] == ["\ufffd", "b", "c"]


def test_a_bom_in_an_error_body_keeps_it_json(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    fake.enqueue(404, body='{"id":"not_found","message":"gone \\ud800"}'.encode("utf-16"))
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.retrieve("1")
    assert info.value.body == {"id": "not_found", "message": "gone \ufffd"}  # type: ignore[attr-defined]


# ------------------------------------------- item 12: an HTTP/2 graceful GOAWAY costs no retry, bounded connections


class _GoawayServer:
    """A real HTTP/2 server (the ``h2`` state machine over asyncio, TLS with ALPN h2) on 127.0.0.1 that serves
    ``/v2/snapshots`` pages and, on each connection, answers ``per_connection`` requests and then sends a graceful
    GOAWAY (NO_ERROR, ``last_stream_id`` = the last stream it answered) for the rest and closes the connection."""

    def __init__(self, total: int, per_connection: int) -> None:
        import json
        import ssl

        import trustme

        self.total, self.per_connection = total, per_connection
        self.connections = 0
        self.goaways = 0
        self.served: List[int] = []
        self._rows = [
            {"id": str(i + 1), "name": f"s{i + 1}", "created_at": "2025-01-01T00:00:00Z"} for i in range(total)
        ]
        self._json = json
        ca = trustme.CA()
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._ctx)
        self._ctx.set_alpn_protocols(["h2"])
        import tempfile

        self._dir = tempfile.TemporaryDirectory()
        self.ca_path = f"{self._dir.name}/ca.pem"
        ca.cert_pem.write_to_path(self.ca_path)
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10)

    def _page(self, path: str) -> bytes:
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(path).query)
        page, per = int(q.get("page", ["1"])[0]), int(q.get("per_page", ["20"])[0])
        rows = self._rows[(page - 1) * per : page * per]
        return self._json.dumps({"snapshots": rows, "links": {}, "meta": {"total": self.total}}).encode()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import h2.config
        import h2.connection
        import h2.events

        self.connections += 1
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        answered, last, gone = 0, 0, False
        try:
            while True:
                data = await asyncio.wait_for(reader.read(65536), 10)
                if not data:
                    break
                for ev in conn.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived) and not gone:
                        if answered < self.per_connection:
                            path = dict(ev.headers)[":path"]
                            body = self._page(path)
                            conn.send_headers(
                                ev.stream_id,
                                [
                                    (":status", "200"),
                                    ("content-type", "application/json"),
                                    ("content-length", str(len(body))),
                                ],
                            )
                            conn.send_data(ev.stream_id, body, end_stream=True)
                            answered, last = answered + 1, ev.stream_id
                        else:
                            conn.close_connection(error_code=0, last_stream_id=last)
                            gone = True
                            self.goaways += 1
                writer.write(conn.data_to_send())
                await writer.drain()
                if gone:
                    await asyncio.sleep(0.05)
                    break
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass
        finally:
            self.served.append(answered)
            writer.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._ctx))
        self.url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._server = server
        self._started.set()
        self._loop.run_forever()

    def close(self) -> None:
        async def shutdown() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # Let the cancelled connections run their `finally` (closing their writers) while the loop still runs;
            # left to the garbage collector after the loop is closed, they raised "Event loop is closed".
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._dir.cleanup()


@pytest.fixture
def goaway_server() -> Any:
    servers: List[_GoawayServer] = []

    def make(total: int, per_connection: int) -> _GoawayServer:
        s = _GoawayServer(total, per_connection)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


def test_a_graceful_goaway_costs_no_retry(goaway_server: Any) -> None:
    srv = goaway_server(300, 5)
    c = GradientAI(api_key=TOKEN, base_url=srv.url, verify=srv.ca_path, max_retries=0, requests_per_minute=None)
    got = c.gpu_droplets.snapshots.list_all(per_page=10)
    assert [s.id for s in got] == [str(i + 1) for i in range(300)]
    assert srv.goaways >= 5
    # 30 pages at 5 a connection: 6 connections are needed; the re-sends share each new one.
    # Without the reconnect gate, and with reqwest's own retries on, this took 62-73 connections.
    assert srv.connections <= 20, (srv.connections, srv.served)


def test_a_graceful_goaway_on_single_calls(goaway_server: Any) -> None:
    srv = goaway_server(40, 1)
    c = GradientAI(api_key=TOKEN, base_url=srv.url, verify=srv.ca_path, max_retries=0, requests_per_minute=None)
    for _ in range(3):
        assert len(c.gpu_droplets.snapshots.list(per_page=10).snapshots) == 10
    assert srv.connections <= 4, srv.connections


def test_a_server_that_refuses_everything_opens_a_bounded_number_of_connections(goaway_server: Any) -> None:
    from gradientai_rs import APIConnectionError

    srv = goaway_server(40, 0)
    c = GradientAI(api_key=TOKEN, base_url=srv.url, verify=srv.ca_path, max_retries=1, requests_per_minute=None)
    with pytest.raises(APIConnectionError):
        c.gpu_droplets.snapshots.list(per_page=10)
    # (1 + MAX_UNPROCESSED_RESENDS) sends per attempt, 2 attempts.
    assert srv.connections <= 2 * (1 + 8), srv.connections


def test_python_code_redacts_with_the_same_rules() -> None:
    from gradientai_rs import _core

    text = 'error: {"m": "' + _escaped(SECRET) + '"} at https://h/x?token=abc-123 t.'
    out = _core._redact(text, [SECRET, "t"])
    assert SECRET[:6] not in out and "abc-123" not in out and out.endswith("*** ***.")


# --------------------------------- the same rules on the droplet/volume listings and list_all(with_sources=True)


def _listings(c: GradientAI) -> dict:
    """Each listing that takes `progress`/`deadline`, as a function of its keyword arguments."""
    s = c.gpu_droplets.snapshots
    return {
        "droplets": lambda **kw: c.gpu_droplets.list_all(**kw),
        "volumes": lambda **kw: c.gpu_droplets.volumes.list_all(**kw),
        "with_sources": lambda **kw: s.list_all(with_sources=True, **kw),
        "orphans": lambda **kw: s.orphans(**kw),
    }


@pytest.mark.parametrize("which", ["droplets", "volumes", "with_sources", "orphans"])
def test_a_blocking_progress_callback_does_not_extend_the_deadline_of_any_listing(
    make_fake: Callable[..., FakeDigitalOcean], which: str
) -> None:
    fake = make_fake(300, droplets=300, volumes=300)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    release = threading.Event()
    extra = {} if which == "orphans" else {"per_page": 20}

    def stuck(done: int, total: int) -> None:
        release.wait(20)

    t0 = time.monotonic()
    try:
        with pytest.raises(APITimeoutError, match="deadline"):
            _listings(c)[which](progress=stuck, deadline=1, **extra)
        elapsed = time.monotonic() - t0
    finally:
        release.set()
    assert elapsed < 5, elapsed


def test_a_hanging_source_listing_is_bounded_by_the_deadline(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(30, droplets=5, volumes=5)
    fake.hang_path("/v2/volumes")
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None, max_retries=0)
    t0 = time.monotonic()
    with pytest.raises(APITimeoutError, match="deadline"):
        c.gpu_droplets.snapshots.list_all(with_sources=True, deadline=1)
    assert time.monotonic() - t0 < 5
    fake.configure(hang_paths=())


def test_a_blocking_progress_callback_does_not_extend_the_deadline_with_sources_async(
    make_fake: Callable[..., FakeDigitalOcean],
) -> None:
    fake = make_fake(300, droplets=30, volumes=30)
    release = threading.Event()

    async def main() -> float:
        c = AsyncGradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
        t0 = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline"):
            await c.gpu_droplets.snapshots.list_all(
                with_sources=True, per_page=20, progress=lambda d, t: release.wait(20), deadline=1
            )
        with pytest.raises(APITimeoutError, match="deadline"):
            await c.gpu_droplets.list_all(per_page=1, progress=lambda d, t: release.wait(20), deadline=1)
        return time.monotonic() - t0

    try:
        elapsed = asyncio.run(main())
    finally:
        release.set()
    assert elapsed < 8, elapsed


@pytest.mark.parametrize("which", ["droplets", "volumes", "with_sources", "orphans"])
@pytest.mark.parametrize("exc", [KeyboardInterrupt, Boom])
def test_an_exception_in_the_progress_callback_stops_any_listing(
    make_fake: Callable[..., FakeDigitalOcean], which: str, exc: type
) -> None:
    fake = make_fake(300, droplets=300, volumes=300)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    calls: List[int] = []

    def cb(done: int, total: int) -> None:
        calls.append(done)
        if done == 2:
            raise exc("stop here")

    extra = {} if which == "orphans" else {"per_page": 10}
    fake.clear_requests()
    with pytest.raises(exc, match="stop here"):
        _listings(c)[which](progress=cb, max_concurrency=1, **extra)
    assert calls == [1, 2]
    # Stopped at once: nowhere near the 30 pages of each listing (the source listings ran alongside).
    assert len(fake.requests) <= (4 if which in ("droplets", "volumes") else 24), len(fake.requests)


def test_an_exception_in_the_progress_callback_stops_a_droplet_listing_async(
    make_fake: Callable[..., FakeDigitalOcean],
) -> None:
    fake = make_fake(3, droplets=100)

    def cb(done: int, total: int) -> None:
        raise Boom(f"at {done}")

    async def main() -> None:
        c = AsyncGradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
        with pytest.raises(Boom, match="at 1"):
            await c.gpu_droplets.list_all(per_page=10, max_concurrency=1, progress=cb)
        with pytest.raises(Boom, match="at 1"):
            await c.gpu_droplets.volumes.list_all(per_page=10, max_concurrency=1, progress=cb)

    fake.clear_requests()
    asyncio.run(main())
    assert len(fake.requests) <= 6, len(fake.requests)


_ARG_CASES = [
    ({"deadline": True}, TypeError),
    ({"deadline": "5"}, TypeError),
    ({"deadline": 2**2000}, ValueError),
    ({"deadline": -1}, ValueError),
    ({"wait_for_rate_limit": 1}, TypeError),
    ({"wait_for_rate_limit": "yes"}, TypeError),
    ({"max_concurrency": True}, TypeError),
    ({"per_page": True}, TypeError),
]


@pytest.mark.parametrize(
    "which, kwargs, exc",
    [
        (which, kwargs, exc)
        for which in ("droplets", "volumes", "with_sources", "orphans")
        for kwargs, exc in _ARG_CASES
        # orphans() has neither wait_for_rate_limit nor per_page
        if which != "orphans" or not {"wait_for_rate_limit", "per_page"} & set(kwargs)
    ],
)
def test_every_listing_checks_its_arguments_the_same_way(
    fake: FakeDigitalOcean, client: GradientAI, which: str, kwargs: dict, exc: type
) -> None:
    (param,) = kwargs
    fake.clear_requests()
    with pytest.raises(exc, match=param) as info:
        _listings(client)[which](**kwargs)
    assert not isinstance(info.value, OverflowError)
    assert fake.requests == []


def test_droplet_listings_keep_what_was_accepted(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(3, droplets=7, volumes=4)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None)
    plain = len(fake.droplets) - len(fake.gpu_droplets)  # without type="gpus": the non-GPU droplets
    assert len(c.gpu_droplets.list_all(per_page=2, wait_for_rate_limit=False, deadline=30)) == plain > 0
    assert len(c.gpu_droplets.volumes.list_all(per_page=3, wait_for_rate_limit=None, deadline=2.5)) == 4
    listing = c.gpu_droplets.snapshots.list_all(with_sources=True, wait_for_rate_limit=True, deadline=30)
    assert len(listing) == 3 and len(listing.source_states) == 3


@pytest.mark.parametrize("body_of", [lambda s: '{"id":"forbidden","message":"no ' + _escaped(s) + '"}', str])
def test_a_source_listings_error_is_redacted(make_fake: Callable[..., FakeDigitalOcean], body_of: Any) -> None:
    fake = make_fake(3, droplets=2, volumes=2, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    fake.enqueue(403, body=body_of(SECRET).encode(), path="/v2/volumes")
    with pytest.raises(Exception) as info:
        c.gpu_droplets.snapshots.list_all(with_sources=True)
    e = info.value
    assert getattr(e, "listing", None) == "volumes", e
    assert _leaks(e) == [], (e, getattr(e, "body", None))
    # A fake of its own: a droplets request of the listing above, cut short by its error, can still reach the first
    # fake after this enqueue and take the 500 meant for this call (seen once under load).
    fake = make_fake(3, droplets=2, volumes=2, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)
    fake.enqueue(500, body=body_of(SECRET).encode(), path="/v2/droplets")
    with pytest.raises(Exception) as info:
        c.gpu_droplets.list_all(extra_query={"tag": SECRET})
    assert _leaks(info.value) == [], info.value


def _droplet_page(names: List[str], key: str = "droplets") -> str:
    import json

    rows = [{"id": i + 1 if key == "droplets" else f"v-{i + 1}", "name": "@@%d@@" % i} for i in range(len(names))]
    text = json.dumps({key: rows, "links": {}, "meta": {"total": len(rows)}})
    for i, n in enumerate(names):
        text = text.replace("@@%d@@" % i, n)
    return text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32-le"])
def test_droplet_and_volume_pages_are_as_lenient_as_snapshot_pages(
    make_fake: Callable[..., FakeDigitalOcean], encoding: str
) -> None:
    fake = make_fake(3, droplets=2, volumes=2)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    fake.enqueue(200, body=_droplet_page(["web-é", "\\ud800x"]).encode(encoding), path="/v2/droplets")
    assert [d.name for d in c.gpu_droplets.list().droplets] == ["web-é", "\ufffdx"]
    fake.enqueue(200, body=_droplet_page(["\\udfff", "ok"], "volumes").encode(encoding), path="/v2/volumes")
    assert [v.name for v in c.gpu_droplets.volumes.list_all()] == ["\ufffd", "ok"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_source_id_pages_are_as_lenient_as_snapshot_pages(
    make_fake: Callable[..., FakeDigitalOcean], encoding: str
) -> None:
    import json

    snaps = [
        {"id": "1", "name": "a", "resource_id": "v-1", "resource_type": "volume"},
        {"id": "2", "name": "b", "resource_id": "v-2", "resource_type": "volume"},
    ]
    fake = make_fake(snaps, volumes=[{"id": "v-1", "name": "x"}])
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    body = json.dumps({"volumes": [{"id": "v-1", "name": "\\ud800"}], "meta": {"total": 1}}).replace("\\\\", "\\")
    fake.enqueue(200, body=body.encode(encoding), path="/v2/volumes")
    listing = c.gpu_droplets.snapshots.list_all(resource_type="volume", with_sources=True)
    assert listing.source_states == ["exists", "gone"]
