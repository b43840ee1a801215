"""Errors: local argument validation, status -> exception mapping and attributes, invalid 2xx bodies, connection
errors, pickling, and the token never leaking into an exception."""

from __future__ import annotations

import pickle
import socket
import time

import pytest

from gradientai_rs import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    GradientAI,
    GradientAIError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    UnprocessableEntityError,
)

FAST = {"retry-after-ms": "10"}  # keeps retried statuses quick


@pytest.fixture
def no_retry(fake, token):
    return GradientAI(api_key=token, base_url=fake.url, max_retries=0)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------- argument validation


@pytest.mark.parametrize("param", ["page", "per_page"])
@pytest.mark.parametrize("value, shown", [("1", "str"), (1.0, "float"), (True, "bool"), (False, "bool"), ([1], "list")])
def test_int_params_wrong_type(client, fake, param, value, shown):
    with pytest.raises(TypeError) as ei:
        client.gpu_droplets.snapshots.list(**{param: value})
    msg = str(ei.value)
    assert msg.startswith(f"{param} ")
    assert "int" in msg
    assert shown in msg
    assert repr(value) in msg
    assert fake.requests == []


@pytest.mark.parametrize("value", [0, -1, -(10**30)])
def test_page_out_of_range(client, fake, value):
    with pytest.raises(ValueError) as ei:
        client.gpu_droplets.snapshots.list(page=value)
    assert not isinstance(ei.value, TypeError)
    msg = str(ei.value)
    assert "page" in msg
    assert ">= 1" in msg
    assert msg.endswith(f"got {value}")
    assert fake.requests == []


def test_page_huge_int_rejected_before_sending(client, fake):
    # page has no documented maximum, but 10**30 is not a page number anything can send (not even int64)
    with pytest.raises(ValueError) as ei:
        client.gpu_droplets.snapshots.list(page=10**30)
    msg = str(ei.value)
    assert "page" in msg
    assert str(10**30) in msg
    assert fake.requests == []


@pytest.mark.parametrize("value", [0, -5, 201, 10**30])
def test_per_page_out_of_range(client, fake, value):
    with pytest.raises(ValueError) as ei:
        client.gpu_droplets.snapshots.list(per_page=value)
    msg = str(ei.value)
    assert "per_page" in msg
    assert "between 1 and 200" in msg
    assert msg.endswith(f"got {value}")
    assert fake.requests == []


@pytest.mark.parametrize("value", [1, 200])
def test_per_page_bounds_accepted(client, fake, value):
    r = client.gpu_droplets.snapshots.list(per_page=value)
    assert len(r.snapshots) == min(value, 45)
    assert fake.requests[-1].query == [("per_page", str(value))]


@pytest.mark.parametrize("value", ["image", "Droplet", "", "droplet "])
def test_resource_type_bad_value(client, fake, value):
    with pytest.raises(ValueError) as ei:
        client.gpu_droplets.snapshots.list(resource_type=value)
    msg = str(ei.value)
    assert "resource_type" in msg
    assert "droplet" in msg and "volume" in msg
    assert repr(value).strip("'") in msg
    assert fake.requests == []


@pytest.mark.parametrize("value", [1, True, ["droplet"]])
def test_resource_type_wrong_type(client, fake, value):
    with pytest.raises(TypeError) as ei:
        client.gpu_droplets.snapshots.list(resource_type=value)
    assert "resource_type" in str(ei.value)
    assert fake.requests == []


@pytest.mark.parametrize("call", ["retrieve", "delete"])
@pytest.mark.parametrize("value", ["", "   "])
def test_snapshot_id_empty(client, fake, call, value):
    with pytest.raises(ValueError) as ei:
        getattr(client.gpu_droplets.snapshots, call)(value)
    assert "snapshot_id" in str(ei.value)
    assert fake.requests == []


@pytest.mark.parametrize("call", ["retrieve", "delete"])
@pytest.mark.parametrize("value, shown", [(1.5, "float"), (None, "NoneType"), (True, "bool"), (b"x", "bytes")])
def test_snapshot_id_wrong_type(client, fake, call, value, shown):
    with pytest.raises(TypeError) as ei:
        getattr(client.gpu_droplets.snapshots, call)(value)
    msg = str(ei.value)
    assert "snapshot_id" in msg
    assert shown in msg
    assert fake.requests == []
    assert len(fake.ids()) == 45


def test_validation_happens_even_without_token(fake):
    c = GradientAI(base_url=fake.url)
    with pytest.raises(ValueError):
        c.gpu_droplets.snapshots.list(per_page=0)
    assert fake.requests == []


# --------------------------------------------------------------------------- status -> exception


STATUS_CASES = [
    (400, BadRequestError, 1),
    (401, AuthenticationError, 1),
    (403, PermissionDeniedError, 1),
    (404, NotFoundError, 1),
    (409, ConflictError, 3),
    (422, UnprocessableEntityError, 1),
    (429, RateLimitError, 3),
    (500, InternalServerError, 3),
    (502, InternalServerError, 3),
    (503, InternalServerError, 3),
    (418, APIStatusError, 1),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("status, cls, attempts", STATUS_CASES)
def test_status_mapping(client, fake, status, cls, attempts):
    body = {"id": f"e{status}", "message": f"status {status}", "request_id": f"rid-{status}"}
    fake.enqueue(status, body=body, headers=FAST, count=3)
    with pytest.raises(APIStatusError) as ei:
        client.gpu_droplets.snapshots.list()
    e = ei.value
    assert type(e) is cls
    assert e.status_code == status
    assert e.body == body
    assert e.request_id == f"rid-{status}"
    assert isinstance(e.headers, dict)
    assert e.headers["content-type"] == "application/json; charset=utf-8"
    assert e.headers["retry-after-ms"] == "10"
    assert str(e) == f"Error code: {status} - {body!r}"
    assert e.message == str(e)
    assert fake.request_count == attempts


def test_real_401_with_wrong_token(fake):
    c = GradientAI(api_key="wrong-token", base_url=fake.url)
    with pytest.raises(AuthenticationError) as ei:
        c.gpu_droplets.snapshots.list()
    e = ei.value
    assert e.status_code == 401
    assert e.body["id"] == "unauthorized"
    assert e.body["message"] == "Unable to authenticate you."
    assert e.request_id == e.body["request_id"] == e.headers["x-request-id"]
    assert str(e) == f"Error code: 401 - {e.body!r}"
    assert fake.request_count == 1


def test_real_404_message_format(client, fake):
    with pytest.raises(NotFoundError) as ei:
        client.gpu_droplets.snapshots.retrieve("nope")
    e = ei.value
    rid = e.body["request_id"]
    assert str(e) == (
        "Error code: 404 - {'id': 'not_found', 'message': 'The resource you requested could not be found.', "
        f"'request_id': '{rid}'}}"
    )


def test_request_id_from_header_when_body_has_none(no_retry, fake):
    fake.enqueue(404, body={"id": "not_found", "message": "m"}, headers={"x-request-id": "hdr-rid"})
    with pytest.raises(NotFoundError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.request_id == "hdr-rid"
    assert str(ei.value) == "Error code: 404 - {'id': 'not_found', 'message': 'm'}"


def test_request_id_body_wins_over_header(no_retry, fake):
    fake.enqueue(404, body={"id": "x", "message": "m", "request_id": "body-rid"}, headers={"x-request-id": "hdr-rid"})
    with pytest.raises(NotFoundError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.request_id == "body-rid"


def test_request_id_none_when_absent(no_retry, fake):
    fake.enqueue(400, body={"id": "x", "message": "m"}, headers={"x-request-id": None})
    with pytest.raises(BadRequestError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.request_id is None
    assert "x-request-id" not in ei.value.headers


def test_text_body(no_retry, fake):
    fake.enqueue(502, body="<html>bad gateway</html>", headers={"content-type": "text/html"})
    with pytest.raises(InternalServerError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    e = ei.value
    assert e.status_code == 502
    assert e.body == "<html>bad gateway</html>"
    assert str(e) == "<html>bad gateway</html>"
    assert e.headers["content-type"] == "text/html"


def test_empty_body(no_retry, fake):
    fake.enqueue(502, body=b"")
    with pytest.raises(InternalServerError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert str(ei.value) == "Error code: 502"
    assert ei.value.status_code == 502


def test_hierarchy():
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
        InternalServerError,
    ):
        assert issubclass(cls, APIStatusError)
        assert issubclass(cls, APIError)
        assert issubclass(cls, GradientAIError)
    assert issubclass(APIStatusError, APIError)
    assert issubclass(APIConnectionError, APIError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(APIResponseValidationError, APIError)
    assert not issubclass(APIResponseValidationError, APIStatusError)
    assert not issubclass(APIConnectionError, APIStatusError)
    assert issubclass(APIError, GradientAIError)
    assert issubclass(GradientAIError, Exception)
    assert issubclass(MissingAPIKeyError, TypeError)
    assert issubclass(ClientClosedError, GradientAIError)


@pytest.mark.timeout(30)
def test_timeout_is_builtin_timeout_error(no_retry, fake):
    fake.enqueue(200, body={"snapshots": []}, delay_s=2)
    with pytest.raises(TimeoutError) as ei:
        no_retry.gpu_droplets.snapshots.list(timeout=0.2)
    assert isinstance(ei.value, APITimeoutError)
    assert isinstance(ei.value, APIConnectionError)


# --------------------------------------------------------------------------- invalid 2xx bodies


def test_invalid_json_200(no_retry, fake):
    fake.enqueue(200, body="{not json")
    with pytest.raises(APIResponseValidationError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    e = ei.value
    assert not isinstance(e, ValueError)  # never json.JSONDecodeError
    assert e.status_code == 200
    assert e.body == "{not json"
    assert "{not json" in str(e) or "200" in str(e)
    assert e.request_id == e.headers["x-request-id"]


def test_invalid_json_excerpt_is_bounded(no_retry, fake):
    fake.enqueue(200, body="<" + "x" * 5000)
    with pytest.raises(APIResponseValidationError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.body.startswith("<xxx")
    assert len(ei.value.body) < 1000


def test_invalid_json_on_retrieve(no_retry, fake):
    fake.enqueue(200, body="nope")
    with pytest.raises(APIResponseValidationError) as ei:
        no_retry.gpu_droplets.snapshots.retrieve("a")
    assert ei.value.status_code == 200
    assert ei.value.body == "nope"


@pytest.mark.parametrize(
    "body, path",
    [
        ({"snapshots": {"a": 1}}, "snapshots"),
        ({"snapshots": [], "meta": "x"}, "meta"),
        ({"snapshots": [1]}, "snapshots[0]"),
        ({"snapshots": [{"id": "a"}, "s"]}, "snapshots[1]"),
        ({"snapshots": [], "links": 3}, "links"),
    ],
    ids=["snapshots-not-list", "meta-string", "snapshot-number", "second-snapshot-string", "links-int"],
)
def test_wrong_shape_names_path(no_retry, fake, body, path):
    fake.enqueue(200, body=body)
    with pytest.raises(APIResponseValidationError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    e = ei.value
    assert path in str(e)
    assert e.status_code == 200
    assert isinstance(e.body, str) and e.body.startswith('{"snapshots":')


def test_top_level_array(no_retry, fake):
    fake.enqueue(200, body=[1, 2])
    with pytest.raises(APIResponseValidationError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.body == "[1,2]"


# --------------------------------------------------------------------------- connection errors


@pytest.mark.timeout(30)
def test_connection_refused_after_retries(token):
    c = GradientAI(api_key=token, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=2)
    t0 = time.monotonic()
    with pytest.raises(APIConnectionError) as ei:
        c.gpu_droplets.snapshots.list()
    elapsed = time.monotonic() - t0
    assert not isinstance(ei.value, APITimeoutError)
    assert type(ei.value) is APIConnectionError
    # two backoffs: [0.375, 0.5] + [0.75, 1.0]
    assert 1.1 <= elapsed < 5, elapsed


@pytest.mark.timeout(30)
def test_connection_refused_no_retry_is_fast(token):
    c = GradientAI(api_key=token, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0)
    t0 = time.monotonic()
    with pytest.raises(APIConnectionError):
        c.gpu_droplets.snapshots.list()
    assert time.monotonic() - t0 < 1.0


# --------------------------------------------------------------------------- pickling


def _collect_errors(fake, token):
    errors = []
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    L = c.gpu_droplets.snapshots.list
    for status in (400, 401, 403, 404, 409, 422, 429, 500, 418):
        fake.enqueue(status, body={"id": f"e{status}", "message": "m", "request_id": f"r{status}"})
        with pytest.raises(APIStatusError) as ei:
            L()
        errors.append(ei.value)
    fake.enqueue(502, body="<html>bad</html>")
    with pytest.raises(InternalServerError) as ei:
        L()
    errors.append(ei.value)
    fake.enqueue(200, body="{not json")
    with pytest.raises(APIResponseValidationError) as ei:
        L()
    errors.append(ei.value)
    fake.enqueue(200, body={"snapshots": []}, delay_s=2)
    with pytest.raises(APITimeoutError) as ei:
        L(timeout=0.2)
    errors.append(ei.value)
    dead = GradientAI(api_key=token, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0)
    with pytest.raises(APIConnectionError) as ei:
        dead.gpu_droplets.snapshots.list()
    errors.append(ei.value)
    with pytest.raises(MissingAPIKeyError) as ei:
        GradientAI(base_url=fake.url).gpu_droplets.snapshots.list()
    errors.append(ei.value)
    closed = GradientAI(api_key=token, base_url=fake.url)
    closed.close()
    with pytest.raises(ClientClosedError) as ei:
        closed.gpu_droplets.snapshots.list()
    errors.append(ei.value)
    return errors


@pytest.mark.timeout(30)
def test_every_exception_pickles(fake, token):
    errors = _collect_errors(fake, token)
    assert len(errors) == 15
    for e in errors:
        clone = pickle.loads(pickle.dumps(e))
        assert type(clone) is type(e)
        assert str(clone) == str(e)
        assert clone.args == e.args
        assert vars(clone) == vars(e), type(e).__name__
        if isinstance(e, APIStatusError):
            assert clone.status_code == e.status_code
            assert clone.body == e.body
            assert clone.headers == e.headers
            assert clone.request_id == e.request_id


def test_status_error_carries_rate_limit_and_pickles(no_retry, fake):
    fake.enqueue(404, headers={"ratelimit-limit": "5000", "ratelimit-remaining": "42", "ratelimit-reset": "1700000000"})
    with pytest.raises(NotFoundError) as ei:
        no_retry.gpu_droplets.snapshots.list()
    assert ei.value.rate_limit == RateLimit(5000, 42, 1700000000)
    clone = pickle.loads(pickle.dumps(ei.value))
    assert clone.rate_limit == RateLimit(5000, 42, 1700000000)


# --------------------------------------------------------------------------- the token never leaks


SECRET = "dop_v1_0123456789abcdef_secret"


@pytest.fixture
def secret_client(make_fake):
    fake = make_fake(5, token=SECRET)
    return fake, GradientAI(api_key=SECRET, base_url=fake.url, max_retries=0)


def _assert_clean(e):
    for text in (str(e), repr(e), e.args and str(e.args), str(vars(e))):
        assert SECRET not in text
    assert SECRET.encode() not in pickle.dumps(e)
    clone = pickle.loads(pickle.dumps(e))
    assert SECRET not in str(clone) and SECRET not in repr(vars(clone))


def test_token_echoed_in_json_error_body_is_redacted(secret_client):
    fake, c = secret_client
    fake.enqueue(401, body={"id": "unauthorized", "message": f"bad token Bearer {SECRET}"})
    with pytest.raises(AuthenticationError) as ei:
        c.gpu_droplets.snapshots.list()
    e = ei.value
    assert e.body == {"id": "unauthorized", "message": "bad token Bearer ***"}
    assert str(e) == "Error code: 401 - {'id': 'unauthorized', 'message': 'bad token Bearer ***'}"
    _assert_clean(e)


def test_token_echoed_in_text_error_body_is_redacted(secret_client):
    fake, c = secret_client
    fake.enqueue(500, body=f"<pre>Authorization: Bearer {SECRET}</pre>", headers={"content-type": "text/html"})
    with pytest.raises(InternalServerError) as ei:
        c.gpu_droplets.snapshots.list()
    assert ei.value.body == "<pre>Authorization: Bearer ***</pre>"
    _assert_clean(ei.value)


def test_token_echoed_in_error_headers_is_redacted(secret_client):
    fake, c = secret_client
    fake.enqueue(400, body={"id": "bad_request", "message": "m"}, headers={"x-debug-auth": f"Bearer {SECRET}"})
    with pytest.raises(BadRequestError) as ei:
        c.gpu_droplets.snapshots.list()
    _assert_clean(ei.value)


def test_token_echoed_in_invalid_200_body_is_redacted(secret_client):
    fake, c = secret_client
    fake.enqueue(200, body=f"oops {SECRET} not json")
    with pytest.raises(APIResponseValidationError) as ei:
        c.gpu_droplets.snapshots.list()
    _assert_clean(ei.value)


def test_token_not_in_connection_error(token):
    c = GradientAI(api_key=SECRET, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0)
    with pytest.raises(APIConnectionError) as ei:
        c.gpu_droplets.snapshots.list()
    _assert_clean(ei.value)


def test_token_not_in_missing_or_closed_errors(make_fake):
    fake = make_fake(1, token=SECRET)
    c = GradientAI(api_key=SECRET, base_url=fake.url)
    c.close()
    with pytest.raises(ClientClosedError) as ei:
        c.gpu_droplets.snapshots.list()
    _assert_clean(ei.value)
