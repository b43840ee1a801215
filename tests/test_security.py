"""What the client refuses and what it never repeats: cleartext off this machine, credentials in the URL, and
the values of sensitive headers in errors, reprs and log lines."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict

import pytest

from gradientai_rs import (
    APIResponseValidationError,
    APIStatusError,
    AsyncGradientAI,
    BadRequestError,
    GradientAI,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
SECRET = "sekrit-value-4711"


@pytest.fixture(autouse=True)
def _no_insecure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADIENTAI_RS_ALLOW_INSECURE_HTTP", raising=False)


# ------------------------------------------------------------------------------------------------ cleartext


@pytest.mark.parametrize("cls", [GradientAI, AsyncGradientAI])
@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.1.2.3:8080/v", "http://[2001:db8::1]"])
def test_cleartext_off_loopback_is_refused(cls: Any, url: str) -> None:
    with pytest.raises(ValueError, match="allow_insecure_http") as info:
        cls(api_key=TOKEN, base_url=url)
    assert "GRADIENTAI_RS_ALLOW_INSECURE_HTTP" in str(info.value)


def test_cleartext_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIENT_BASE_URL", "http://api.example.com")
    with pytest.raises(ValueError, match="cleartext"):
        GradientAI(api_key=TOKEN)


def test_cleartext_can_be_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert GradientAI(api_key=TOKEN, base_url="http://api.example.com", allow_insecure_http=True).base_url == (
        "http://api.example.com"
    )
    monkeypatch.setenv("GRADIENTAI_RS_ALLOW_INSECURE_HTTP", "1")
    GradientAI(api_key=TOKEN, base_url="http://api.example.com")
    monkeypatch.setenv("GRADIENTAI_RS_ALLOW_INSECURE_HTTP", "0")
    with pytest.raises(ValueError):
        GradientAI(api_key=TOKEN, base_url="http://api.example.com")


def test_with_options_checks_the_new_url_too() -> None:
    c = GradientAI(api_key=TOKEN, base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="cleartext"):
        c.with_options(base_url="http://api.example.com")
    assert c.with_options(base_url="http://api.example.com", allow_insecure_http=True).base_url.startswith("http://")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1",
        "http://127.3.4.5",
        "http://localhost:8",
        "http://[::1]:9",
        "http://api.localhost",
        "https://api.example.com",
    ],
)
def test_loopback_and_https_are_fine(url: str) -> None:
    GradientAI(api_key=TOKEN, base_url=url)


# ------------------------------------------------------------------------------------------------ credentials in URLs


@pytest.mark.parametrize(
    "url",
    [f"https://user:{SECRET}@api.example.com", f"https://{SECRET}@api.example.com", f"http://u:{SECRET}@127.0.0.1:1"],
)
def test_credentials_in_the_url_are_refused_and_not_echoed(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="credentials") as info:
        GradientAI(api_key=TOKEN, base_url=url)
    assert SECRET not in str(info.value)
    monkeypatch.setenv("GRADIENT_BASE_URL", url)
    with pytest.raises(ValueError, match="credentials") as info:
        GradientAI(api_key=TOKEN)
    assert SECRET not in str(info.value)


def test_a_malformed_url_with_credentials_is_not_echoed() -> None:
    with pytest.raises(ValueError) as info:
        GradientAI(api_key=TOKEN, base_url=f"ht!tp://u:{SECRET}@host")
    assert SECRET not in str(info.value)


# ------------------------------------------------------------------------------------------------ redaction


SENSITIVE: Dict[str, str] = {
    "X-Api-Key": SECRET,
    "x-session-TOKEN": SECRET + "-b",
    "X-Client-Secret": SECRET + "-c",
}


def _everything(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), repr(getattr(exc, "body", None)), repr(getattr(exc, "headers", None))]
    parts.append(repr(getattr(getattr(exc, "response", None), "headers", None)))
    return "\n".join(parts)


@pytest.mark.parametrize("through", ["extra_headers", "default_headers"])
def test_sensitive_header_values_are_redacted_from_status_errors(
    make_fake: Callable[..., FakeDigitalOcean], through: str
) -> None:
    fake = make_fake(5)
    echo = " ".join(SENSITIVE.values())
    # A server that echoes request headers back in the body and in a header.
    fake.enqueue(400, body={"id": "bad_request", "message": f"you sent {echo}"}, headers={"x-echo": echo})
    kwargs: Dict[str, Any] = {}
    c = GradientAI(
        api_key=TOKEN,
        base_url=fake.url,
        max_retries=0,
        **({"default_headers": SENSITIVE} if through == "default_headers" else {}),
    )
    call: Dict[str, Any] = {"extra_headers": SENSITIVE} if through == "extra_headers" else {}
    with pytest.raises(BadRequestError) as info:
        c.gpu_droplets.snapshots.list(**call, **kwargs)
    text = _everything(info.value)
    for v in SENSITIVE.values():
        assert v not in text, text
    assert "***" in text
    # The headers were really sent.
    assert fake.requests[-1].headers["x-api-key"] == SECRET


def test_authorization_override_is_redacted(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(5)
    fake.enqueue(401, body=f"bad credentials: Bearer {SECRET}")
    c = GradientAI(api_key=TOKEN, base_url=fake.url, default_headers={"Authorization": f"Bearer {SECRET}"})
    with pytest.raises(APIStatusError) as info:
        c.gpu_droplets.snapshots.list()
    assert SECRET not in _everything(info.value)
    assert SECRET not in repr(c)
    assert fake.requests[-1].headers["authorization"] == f"Bearer {SECRET}"


def test_sensitive_values_are_redacted_from_validation_errors(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(5)
    fake.enqueue(200, body=f"not json, but it echoes {SECRET}")
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.raises(APIResponseValidationError) as info:
        c.gpu_droplets.snapshots.list(extra_headers={"X-Api-Key": SECRET})
    assert SECRET not in _everything(info.value)


def test_sensitive_values_are_redacted_from_log_lines(
    make_fake: Callable[..., FakeDigitalOcean], caplog: pytest.LogCaptureFixture
) -> None:
    from gradientai_rs import reset_logging

    fake = make_fake(5)
    fake.enqueue(503, body=f"upstream said {SECRET}")
    caplog.set_level(logging.DEBUG, logger="gradientai_rs")
    reset_logging()
    try:
        c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=1, default_headers={"X-Api-Key": SECRET})
        assert len(c.gpu_droplets.snapshots.list().snapshots) == 5
    finally:
        caplog.set_level(logging.WARNING, logger="gradientai_rs")
        reset_logging()
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("gradientai_rs")]
    assert any("retrying" in line for line in lines), lines
    assert all(SECRET not in line for line in lines), lines


def test_ordinary_headers_are_not_redacted(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(5)
    fake.enqueue(400, body={"id": "bad_request", "message": "trace visible-trace-123"})
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.raises(BadRequestError) as info:
        c.gpu_droplets.snapshots.list(extra_headers={"X-Trace": "visible-trace-123"})
    assert "visible-trace-123" in str(info.value)
