"""The client: construction, token / base-URL resolution, options, lifecycle and the exact request ``list()`` sends."""

from __future__ import annotations

import logging
import pickle

import pytest

import gradientai_rs
from gradientai_rs import (
    AsyncGradient,
    AsyncGradientAI,
    Client,
    ClientClosedError,
    Gradient,
    GradientAI,
    GradientAIError,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    SnapshotListResponse,
    SnapshotRetrieveResponse,
)

SECRET = "dop_v1_s3cr3t_t0ken_abcdef0123456789"
EMPTY_PAGE = {"snapshots": [], "links": {}, "meta": {"total": 0}}


def auth_of(req) -> str:
    return req.headers["authorization"]


# --------------------------------------------------------------------------- construction


def test_defaults(token):
    c = GradientAI(api_key=token)
    assert c.base_url == "https://api.digitalocean.com"
    assert c.timeout == 60.0
    assert c.max_retries == 2
    assert c.is_closed() is False


def test_constructor_settings(token, fake):
    c = GradientAI(token, base_url=fake.url, timeout=12.5, max_retries=0)
    assert c.base_url == fake.url
    assert c.timeout == 12.5
    assert c.max_retries == 0
    c.gpu_droplets.snapshots.list()
    assert fake.requests[-1].headers["x-stainless-read-timeout"] == "12.5"


def test_default_headers_are_sent(token, fake):
    c = GradientAI(api_key=token, base_url=fake.url, default_headers={"x-team": "blue"})
    c.gpu_droplets.snapshots.list()
    assert fake.requests[-1].headers["x-team"] == "blue"


def test_aliases():
    assert Gradient is GradientAI
    assert Client is GradientAI
    assert AsyncGradient is AsyncGradientAI
    assert gradientai_rs.AsyncClient is AsyncGradientAI


def test_access_token_synonym(make_fake):
    fake = make_fake(3, token=SECRET)
    c = GradientAI(access_token=SECRET, base_url=fake.url)
    r = c.gpu_droplets.snapshots.list()
    assert [s.id for s in r.snapshots] == fake.ids()
    assert auth_of(fake.requests[-1]) == f"Bearer {SECRET}"


# --------------------------------------------------------------------------- token precedence


@pytest.fixture
def any_token_fake(make_fake):
    return make_fake(3, token=None)  # accepts any bearer token, so the header shows which one was used


def test_token_argument_beats_env(any_token_fake, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "from-do-env")
    monkeypatch.setenv("GRADIENTAI_API_KEY", "from-gradientai-env")
    GradientAI(api_key="from-arg", base_url=any_token_fake.url).gpu_droplets.snapshots.list()
    assert auth_of(any_token_fake.requests[-1]) == "Bearer from-arg"


def test_access_token_argument_beats_env(any_token_fake, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "from-do-env")
    GradientAI(access_token="from-arg", base_url=any_token_fake.url).gpu_droplets.snapshots.list()
    assert auth_of(any_token_fake.requests[-1]) == "Bearer from-arg"


def test_digitalocean_env_beats_gradientai_env(any_token_fake, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "from-do-env")
    monkeypatch.setenv("GRADIENTAI_API_KEY", "from-gradientai-env")
    GradientAI(base_url=any_token_fake.url).gpu_droplets.snapshots.list()
    assert auth_of(any_token_fake.requests[-1]) == "Bearer from-do-env"


def test_gradientai_env_used_last(any_token_fake, monkeypatch):
    monkeypatch.setenv("GRADIENTAI_API_KEY", "from-gradientai-env")
    GradientAI(base_url=any_token_fake.url).gpu_droplets.snapshots.list()
    assert auth_of(any_token_fake.requests[-1]) == "Bearer from-gradientai-env"


def test_missing_token_raises_before_sending(fake):
    c = GradientAI(base_url=fake.url)  # constructing without a token is fine (the SDK raises at request time)
    with pytest.raises(MissingAPIKeyError) as ei:
        c.gpu_droplets.snapshots.list()
    assert isinstance(ei.value, TypeError)
    assert isinstance(ei.value, GradientAIError)
    msg = str(ei.value)
    assert "api_key" in msg
    assert "DIGITALOCEAN_ACCESS_TOKEN" in msg
    assert "GRADIENTAI_API_KEY" in msg
    assert fake.requests == []


@pytest.mark.parametrize("call", ["retrieve", "delete"])
def test_missing_token_raises_before_sending_other_calls(fake, call):
    c = GradientAI(base_url=fake.url)
    with pytest.raises(MissingAPIKeyError):
        getattr(c.gpu_droplets.snapshots, call)(fake.ids()[0])
    assert fake.requests == []
    assert len(fake.ids()) == 45


def test_empty_env_token_is_missing(fake, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", "")
    c = GradientAI(base_url=fake.url)
    with pytest.raises(MissingAPIKeyError):
        c.gpu_droplets.snapshots.list()
    assert fake.requests == []


# --------------------------------------------------------------------------- base URL precedence


def test_base_url_argument_beats_env(make_fake, token, monkeypatch):
    arg, env1, env2 = make_fake(2), make_fake(2), make_fake(2)
    monkeypatch.setenv("GRADIENT_BASE_URL", env1.url)
    monkeypatch.setenv("GRADIENT_AI_BASE_URL", env2.url)
    c = GradientAI(api_key=token, base_url=arg.url)
    assert c.base_url == arg.url
    c.gpu_droplets.snapshots.list()
    assert (arg.request_count, env1.request_count, env2.request_count) == (1, 0, 0)


def test_gradient_base_url_env_beats_gradient_ai_base_url(make_fake, token, monkeypatch):
    env1, env2 = make_fake(2), make_fake(2)
    monkeypatch.setenv("GRADIENT_BASE_URL", env1.url)
    monkeypatch.setenv("GRADIENT_AI_BASE_URL", env2.url)
    c = GradientAI(api_key=token)
    assert c.base_url == env1.url
    c.gpu_droplets.snapshots.list()
    assert (env1.request_count, env2.request_count) == (1, 0)


def test_gradient_ai_base_url_env_used_last(make_fake, token, monkeypatch):
    env2 = make_fake(2)
    monkeypatch.setenv("GRADIENT_AI_BASE_URL", env2.url + "/")
    c = GradientAI(api_key=token)
    assert c.base_url == env2.url
    r = c.gpu_droplets.snapshots.list()
    assert r.meta.total == 2
    assert env2.requests[-1].path == "/v2/snapshots"


def test_base_url_default(token):
    assert GradientAI(api_key=token).base_url == "https://api.digitalocean.com"


def test_base_url_path_prefix_kept(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url + "/custom/")
    fake.enqueue(200, body=EMPTY_PAGE)
    r = c.gpu_droplets.snapshots.list(per_page=3)
    assert r.snapshots == []
    req = fake.requests[-1]
    assert req.path == "/custom/v2/snapshots"
    assert req.query == [("per_page", "3")]


def test_base_url_path_prefix_without_trailing_slash(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url + "/custom")
    fake.enqueue(200, body=EMPTY_PAGE)
    c.gpu_droplets.snapshots.list()
    assert fake.requests[-1].path == "/custom/v2/snapshots"


@pytest.mark.parametrize("suffix", ["/", "//"])
def test_trailing_slash_does_not_double(fake, token, suffix):
    c = GradientAI(api_key=token, base_url=fake.url + suffix)
    r = c.gpu_droplets.snapshots.list()
    assert r.meta.total == 45
    assert fake.requests[-1].path == "/v2/snapshots"


def test_path_prefix_kept_for_retrieve(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url + "/custom/")
    snap = fake.snapshots[0]
    fake.enqueue(200, body={"snapshot": snap})
    r = c.gpu_droplets.snapshots.retrieve(snap["id"])
    assert r.snapshot.id == snap["id"]
    assert fake.requests[-1].path == f"/custom/v2/snapshots/{snap['id']}"


# --------------------------------------------------------------------------- with_options / copy


@pytest.mark.parametrize("method", ["with_options", "copy"])
def test_with_options_changes_only_what_is_given(fake, token, method):
    base = GradientAI(api_key=token, base_url=fake.url, timeout=30, max_retries=2, default_headers={"x-team": "blue"})
    other = getattr(base, method)(timeout=7.5)
    assert other is not base
    assert other.timeout == 7.5
    assert other.max_retries == 2
    assert other.base_url == fake.url
    assert base.timeout == 30.0  # the original is unchanged
    other.gpu_droplets.snapshots.list()
    h = fake.requests[-1].headers
    assert h["x-stainless-read-timeout"] == "7.5"
    assert h["authorization"] == f"Bearer {token}"
    assert h["x-team"] == "blue"


@pytest.mark.parametrize("method", ["with_options", "copy"])
def test_with_options_max_retries_applied(fake, token, method):
    base = GradientAI(api_key=token, base_url=fake.url, max_retries=2)
    no_retry = getattr(base, method)(max_retries=0)
    assert no_retry.max_retries == 0
    fake.enqueue(500, count=3)
    with pytest.raises(InternalServerError):
        no_retry.gpu_droplets.snapshots.list()
    assert fake.request_count == 1
    assert base.max_retries == 2


def test_with_options_new_token_and_base_url(make_fake, token):
    a, b = make_fake(2, token=token), make_fake(3, token="other-token")
    c = GradientAI(api_key=token, base_url=a.url)
    c2 = c.with_options(api_key="other-token", base_url=b.url + "/")
    assert c2.base_url == b.url
    assert c2.gpu_droplets.snapshots.list().meta.total == 3
    assert auth_of(b.requests[-1]) == "Bearer other-token"
    assert c.gpu_droplets.snapshots.list().meta.total == 2
    assert auth_of(a.requests[-1]) == f"Bearer {token}"


def test_with_options_access_token(make_fake, token):
    b = make_fake(3, token="other-token")
    c = GradientAI(api_key=token, base_url=b.url).with_options(access_token="other-token")
    c.gpu_droplets.snapshots.list()
    assert auth_of(b.requests[-1]) == "Bearer other-token"


def test_with_options_keeps_env_resolved_token(any_token_fake, monkeypatch):
    monkeypatch.setenv("GRADIENTAI_API_KEY", "from-env")
    c = GradientAI(base_url=any_token_fake.url)
    monkeypatch.delenv("GRADIENTAI_API_KEY")
    c.with_options(timeout=5).gpu_droplets.snapshots.list()
    assert auth_of(any_token_fake.requests[-1]) == "Bearer from-env"


# --------------------------------------------------------------------------- close / context manager


def test_close_then_request_raises(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url)
    c.gpu_droplets.snapshots.list()
    c.close()
    assert c.is_closed() is True
    with pytest.raises(ClientClosedError):
        c.gpu_droplets.snapshots.list()
    with pytest.raises(ClientClosedError):
        c.gpu_droplets.snapshots.retrieve(fake.ids()[0])
    with pytest.raises(ClientClosedError):
        c.gpu_droplets.snapshots.delete(fake.ids()[0])
    assert fake.request_count == 1
    assert len(fake.ids()) == 45
    c.close()  # idempotent


def test_context_manager_closes(fake, token):
    with GradientAI(api_key=token, base_url=fake.url) as c:
        assert isinstance(c, GradientAI)
        assert c.gpu_droplets.snapshots.list().meta.total == 45
        assert c.is_closed() is False
    assert c.is_closed() is True
    with pytest.raises(ClientClosedError):
        c.gpu_droplets.snapshots.list()
    assert fake.request_count == 1


def test_context_manager_does_not_swallow_exceptions(fake, token):
    with pytest.raises(KeyError), GradientAI(api_key=token, base_url=fake.url) as c:
        raise KeyError("boom")
    assert c.is_closed() is True


def test_resource_obtained_before_close_is_closed_too(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url)
    snaps = c.gpu_droplets.snapshots
    c.close()
    with pytest.raises(ClientClosedError):
        snaps.list()
    assert fake.request_count == 0


# --------------------------------------------------------------------------- the request list() sends


def test_list_request_without_params(client, fake, token):
    client.gpu_droplets.snapshots.list()
    req = fake.requests[-1]
    assert req.method == "GET"
    assert req.path == "/v2/snapshots"
    assert req.query == []
    h = req.headers
    assert h["authorization"] == f"Bearer {token}"
    assert h["accept"] == "application/json"
    assert h["user-agent"] == f"gradientai-rs/{gradientai_rs.__version__}"
    assert h["x-stainless-retry-count"] == "0"
    assert h["x-stainless-read-timeout"] == "60"
    assert "content-type" not in h


def test_list_query_order_is_page_per_page_resource_type(client, fake):
    client.gpu_droplets.snapshots.list(resource_type="droplet", per_page=5, page=2)
    assert fake.requests[-1].query == [("page", "2"), ("per_page", "5"), ("resource_type", "droplet")]


@pytest.mark.parametrize(
    "kwargs, query",
    [
        ({"page": 3}, [("page", "3")]),
        ({"per_page": 200}, [("per_page", "200")]),
        ({"resource_type": "volume"}, [("resource_type", "volume")]),
        ({"page": 1, "resource_type": "droplet"}, [("page", "1"), ("resource_type", "droplet")]),
        ({"page": None, "per_page": None, "resource_type": None}, []),
    ],
)
def test_list_sends_only_given_params(client, fake, kwargs, query):
    client.gpu_droplets.snapshots.list(**kwargs)
    assert fake.requests[-1].query == query


def test_extra_query_merges_over_params(client, fake):
    client.gpu_droplets.snapshots.list(page=2, per_page=5, extra_query={"per_page": 7, "region": "nyc3"})
    assert fake.requests[-1].query == [("page", "2"), ("per_page", "7"), ("region", "nyc3")]


def test_extra_query_is_not_validated(client, fake):
    fake.enqueue(200, body=EMPTY_PAGE)
    r = client.gpu_droplets.snapshots.list(extra_query={"per_page": 500, "page": 0, "resource_type": "bogus"})
    assert r.meta.total == 0
    assert fake.requests[-1].query == [("per_page", "500"), ("page", "0"), ("resource_type", "bogus")]


def test_extra_headers_sent(client, fake):
    client.gpu_droplets.snapshots.list(extra_headers={"X-Trace": "abc", "x-other": "1"})
    h = fake.requests[-1].headers
    assert h["x-trace"] == "abc"
    assert h["x-other"] == "1"
    assert h["authorization"] == "Bearer fake-token"


def test_extra_headers_on_retrieve(client, fake):
    client.gpu_droplets.snapshots.retrieve(fake.ids()[1], extra_headers={"x-trace": "r"})
    assert fake.requests[-1].headers["x-trace"] == "r"


def test_per_call_timeout_header(client, fake):
    client.gpu_droplets.snapshots.list(timeout=12.5)
    assert fake.requests[-1].headers["x-stainless-read-timeout"] == "12.5"
    client.gpu_droplets.snapshots.list()
    assert fake.requests[-1].headers["x-stainless-read-timeout"] == "60"


@pytest.mark.timeout(30)
def test_per_call_timeout_overrides_client_timeout(fake, token):
    c = GradientAI(api_key=token, base_url=fake.url, timeout=0.2, max_retries=0)
    fake.enqueue(200, body=EMPTY_PAGE, delay_s=0.6)
    r = c.gpu_droplets.snapshots.list(timeout=5)
    assert r.meta.total == 0
    assert fake.request_count == 1


# --------------------------------------------------------------------------- retrieve / delete


def test_retrieve_by_str(client, fake):
    snap = fake.snapshots[3]
    r = client.gpu_droplets.snapshots.retrieve(snap["id"])
    assert isinstance(r, SnapshotRetrieveResponse)
    assert r.snapshot.id == snap["id"]
    assert r.snapshot.name == snap["name"]
    assert fake.requests[-1].method == "GET"
    assert fake.requests[-1].path == f"/v2/snapshots/{snap['id']}"


def test_retrieve_by_int(client, fake):
    droplet = next(s for s in fake.snapshots if s["resource_type"] == "droplet")
    r = client.gpu_droplets.snapshots.retrieve(int(droplet["id"]))
    assert r.snapshot.id == droplet["id"]
    assert r.snapshot.resource_type == "droplet"
    assert fake.requests[-1].path == f"/v2/snapshots/{droplet['id']}"


def test_retrieve_unknown_raises_not_found(client, fake):
    with pytest.raises(NotFoundError) as ei:
        client.gpu_droplets.snapshots.retrieve("does-not-exist")
    assert ei.value.status_code == 404
    assert fake.request_count == 1


def test_delete_returns_none_and_removes(client, fake):
    sid = fake.ids()[0]
    result = client.gpu_droplets.snapshots.delete(sid)
    assert result is None
    req = fake.requests[-1]
    assert req.method == "DELETE"
    assert req.path == f"/v2/snapshots/{sid}"
    assert req.headers["accept"] == "*/*"
    assert sid not in fake.ids()
    assert len(fake.ids()) == 44
    with pytest.raises(NotFoundError):
        client.gpu_droplets.snapshots.retrieve(sid)
    with pytest.raises(NotFoundError):
        client.gpu_droplets.snapshots.delete(sid)


def test_delete_by_int(client, fake):
    droplet = next(s for s in fake.snapshots if s["resource_type"] == "droplet")
    assert client.gpu_droplets.snapshots.delete(int(droplet["id"])) is None
    assert droplet["id"] not in fake.ids()


# --------------------------------------------------------------------------- object identity, repr, pickle


def test_gpu_droplets_identity(client):
    assert client.gpu_droplets is client.gpu_droplets
    assert client.gpu_droplets.snapshots is client.gpu_droplets.snapshots


def test_list_returns_response(client):
    assert isinstance(client.gpu_droplets.snapshots.list(), SnapshotListResponse)


@pytest.mark.parametrize("how", ["arg", "access_token", "env"])
def test_repr_and_str_hide_token(how, monkeypatch):
    if how == "arg":
        c = GradientAI(api_key=SECRET)
    elif how == "access_token":
        c = GradientAI(access_token=SECRET)
    else:
        monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", SECRET)
        c = GradientAI()
    for text in (
        repr(c),
        str(c),
        repr(c.with_options(timeout=3)),
        repr(c.gpu_droplets),
        repr(c.gpu_droplets.snapshots),
    ):
        assert SECRET not in text
        assert SECRET[:12] not in text
    assert "GradientAI" in repr(c)
    assert "***" in repr(c)


def test_pickle_client_raises_type_error_without_token():
    c = GradientAI(api_key=SECRET)
    with pytest.raises(TypeError) as ei:
        pickle.dumps(c)
    assert SECRET not in str(ei.value)
    assert SECRET not in repr(ei.value)


def test_log_lines_never_contain_token(make_fake, caplog):
    fake = make_fake(5, token=SECRET)
    logger = logging.getLogger("gradientai_rs")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    gradientai_rs.reset_logging()
    try:
        with caplog.at_level(logging.DEBUG, logger="gradientai_rs"):
            c = GradientAI(api_key=SECRET, base_url=fake.url)
            fake.enqueue(500, headers={"retry-after-ms": "10"})
            c.gpu_droplets.snapshots.list()
            fake.enqueue(404, body={"id": "not_found", "message": f"token {SECRET} not found"})
            with pytest.raises(NotFoundError):
                c.gpu_droplets.snapshots.list()
    finally:
        logger.setLevel(old)
        gradientai_rs.reset_logging()
    assert caplog.records, "expected at least the retry to be logged"
    assert SECRET not in caplog.text
    for rec in caplog.records:
        assert SECRET not in rec.getMessage()
