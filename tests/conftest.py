"""Shared fixtures for every test file: a fake DigitalOcean API, a client pointed at it, and a clean environment."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from gradientai_rs import GradientAI
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"

# Variables a developer's shell may set; tests must never see them.
_ENV_VARS = (
    "DIGITALOCEAN_ACCESS_TOKEN",
    "GRADIENTAI_API_KEY",
    "GRADIENT_BASE_URL",
    "GRADIENT_AI_BASE_URL",
    "GRADIENTAI_RS_LOG",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def make_fake() -> Iterator[Callable[..., FakeDigitalOcean]]:
    """``make_fake(snapshots=N, **switches)`` -> a started ``FakeDigitalOcean``, closed at teardown."""
    fakes: List[FakeDigitalOcean] = []

    def factory(*args: Any, **kwargs: Any) -> FakeDigitalOcean:
        fake = FakeDigitalOcean(*args, **kwargs)
        fakes.append(fake)
        return fake.start()

    yield factory
    for fake in reversed(fakes):
        fake.close()


@pytest.fixture
def fakes(make_fake: Callable[..., FakeDigitalOcean]) -> Callable[..., FakeDigitalOcean]:
    """The pagination and async tests' name for ``make_fake``."""
    return make_fake


@pytest.fixture
def f45(make_fake: Callable[..., FakeDigitalOcean]) -> FakeDigitalOcean:
    """45 snapshots (mixed droplets/volumes), seed 7, started by ``make_fake``."""
    return make_fake(45, seed=7)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    """45 snapshots (3 pages of the default 20), seed 7, token ``fake-token``."""
    with FakeDigitalOcean(snapshots=45, seed=7, token=TOKEN) as f:
        yield f


@pytest.fixture
def client(fake: FakeDigitalOcean) -> Iterator[GradientAI]:
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=2)
    yield c
    c.close()
