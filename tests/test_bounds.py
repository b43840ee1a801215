"""Bounded by design: ``deadline=``, the capped ``ratelimit-reset`` wait (``max_rate_limit_wait``), visible pacing,
``max_concurrency=None`` (auto), and listings whose ``meta`` is missing or says 0."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import warnings
from typing import Callable, List

import pytest

from gradientai_rs import (
    APITimeoutError,
    AsyncGradientAI,
    GradientAI,
    ListingChangedWarning,
    RateLimitError,
    reset_logging,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


# ------------------------------------------------------------------------------------------------ deadline


def test_deadline_raises_a_timeout_naming_it(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(1000, latency_ms=300)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    t0 = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        c.gpu_droplets.snapshots.list_all(per_page=100, max_concurrency=1, deadline=0.5)
    elapsed = time.monotonic() - t0
    assert "deadline of 0.5s" in str(info.value)
    assert isinstance(info.value, TimeoutError)
    assert 0.45 <= elapsed < 1.5, elapsed


def test_a_generous_deadline_changes_nothing(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(450)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    assert [s.id for s in c.gpu_droplets.snapshots.list_all(deadline=60)] == fake.ids()


def test_deadline_async(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(100, latency_ms=400)

    async def main() -> None:
        c = AsyncGradientAI(api_key=TOKEN, base_url=fake.url)
        with pytest.raises(APITimeoutError, match="deadline"):
            await c.gpu_droplets.snapshots.list_all(deadline=0.2)

    asyncio.run(main())


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_deadline_must_be_positive(make_fake: Callable[..., FakeDigitalOcean], bad: float) -> None:
    c = GradientAI(api_key=TOKEN, base_url=make_fake(1).url)
    with pytest.raises(ValueError, match="deadline"):
        c.gpu_droplets.snapshots.list_all(deadline=bad)


# ------------------------------------------------------------------------------------------------ rate-limit waits


def test_ratelimit_reset_wait_is_capped_and_visible(
    make_fake: Callable[..., FakeDigitalOcean], caplog: pytest.LogCaptureFixture
) -> None:
    # 3 requests left this hour, reset in an hour, 5 pages to fetch: wait_for_rate_limit sleeps for the reset,
    # but never longer than max_rate_limit_wait.
    fake = make_fake(1000, hourly_remaining=3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_rate_limit_wait=1.2)
    assert c.max_rate_limit_wait == 1.2
    waits: List[float] = []

    def progress(done: int, total: int) -> None:
        pass

    def rate_limit_wait(seconds: float) -> None:
        waits.append(seconds)
        fake.configure(hourly_remaining=5000)  # the quota refills while we wait

    progress.rate_limit_wait = rate_limit_wait  # type: ignore[attr-defined]
    caplog.set_level(logging.INFO, logger="gradientai_rs")
    reset_logging()
    try:
        t0 = time.monotonic()
        got = c.gpu_droplets.snapshots.list_all(wait_for_rate_limit=True, progress=progress)
        elapsed = time.monotonic() - t0
    finally:
        caplog.set_level(logging.WARNING, logger="gradientai_rs")
        reset_logging()
    assert len(got) == 1000
    assert 1.1 <= elapsed < 3, elapsed
    assert waits and 1.0 <= waits[0] <= 1.2, waits
    msgs = [r.getMessage() for r in caplog.records if r.name == "gradientai_rs.ratelimit" and r.levelno == logging.INFO]
    assert any("waiting 1 s" in m and "max_rate_limit_wait" in m for m in msgs), msgs


def test_a_429_pause_is_logged_and_shown_once(
    make_fake: Callable[..., FakeDigitalOcean], caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 with retry-after pauses the whole client: a list_all started meanwhile waits, says why at INFO (once),
    and the progress callable's rate_limit_wait hears about it."""
    fake = make_fake(200 * 6)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=2)
    fake.enqueue(429, headers={"retry-after": "1.5"}, path="/v2/snapshots")
    waits: List[float] = []

    def progress(done: int, total: int) -> None:
        pass

    progress.rate_limit_wait = waits.append  # type: ignore[attr-defined]
    caplog.set_level(logging.INFO, logger="gradientai_rs")
    reset_logging()
    try:
        other = threading.Thread(target=lambda: c.gpu_droplets.snapshots.list())
        other.start()  # gets the 429, pauses the client, sleeps 1.5 s and retries
        deadline = time.monotonic() + 5
        while fake.request_count < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)
        got = c.gpu_droplets.snapshots.list_all(progress=progress)
        other.join(10)
    finally:
        caplog.set_level(logging.WARNING, logger="gradientai_rs")
        reset_logging()
    assert len(got) == 1200
    assert len(waits) == 1 and 1.0 <= waits[0] <= 1.5, waits
    msgs = [r.getMessage() for r in caplog.records if r.name == "gradientai_rs.ratelimit" and r.levelno == logging.INFO]
    assert len(msgs) == 1 and "429" in msgs[0] and "waiting 1." in msgs[0], msgs


def test_without_waiting_the_quota_error_comes_first(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(1000, hourly_remaining=3)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.raises(RateLimitError, match="wait_for_rate_limit"):
        c.gpu_droplets.snapshots.list_all()


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_max_rate_limit_wait_is_validated(bad: float) -> None:
    with pytest.raises(ValueError, match="max_rate_limit_wait"):
        GradientAI(api_key=TOKEN, base_url="http://127.0.0.1:9", max_rate_limit_wait=bad)


def test_max_rate_limit_wait_defaults_to_an_hour_and_copies() -> None:
    c = GradientAI(api_key=TOKEN, base_url="http://127.0.0.1:9")
    assert c.max_rate_limit_wait == 3600.0
    assert c.with_options(max_rate_limit_wait=5).max_rate_limit_wait == 5.0
    assert c.with_options(max_rate_limit_wait=5).with_options().max_rate_limit_wait == 5.0


def test_the_tqdm_bar_shows_the_wait(make_fake: Callable[..., FakeDigitalOcean], capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("tqdm")
    from gradientai_rs._export import progress_callback

    update, close = progress_callback(True)
    assert update is not None and close is not None
    update.rate_limit_wait(12.4)  # type: ignore[attr-defined]
    update(1, 5)
    close()
    err = capsys.readouterr().err
    assert "rate limit: waiting 12 s" in err


# ------------------------------------------------------------------------------------------------ max_concurrency


def test_max_concurrency_none_is_auto_and_ints_are_validated(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(450)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    assert len(c.gpu_droplets.snapshots.list_all(max_concurrency=None)) == 450
    assert len(c.gpu_droplets.snapshots.list_all(max_concurrency=256)) == 450
    for bad in (0, -1, 257):
        with pytest.raises(ValueError, match="max_concurrency"):
            c.gpu_droplets.snapshots.list_all(max_concurrency=bad)
    with pytest.raises(TypeError):
        c.gpu_droplets.snapshots.list_all(max_concurrency="4")  # type: ignore[arg-type]


def test_auto_over_http1_opens_at_most_32_connections(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(200 * 60, latency_ms=50)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    assert len(c.gpu_droplets.snapshots.list_all()) == 200 * 60
    # 32 pages in flight at once; the connection of page 1 may not be back in the pool when they start.
    assert 2 <= fake.connection_count <= 33, fake.connection_count


# ------------------------------------------------------------------------------------------------ meta missing / zero


def test_no_meta_counts_what_it_saw(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(5)
    snaps = fake.snapshots
    fake.enqueue(200, body={"snapshots": snaps}, path="/v2/snapshots")
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ListingChangedWarning)
        got = c.gpu_droplets.snapshots.list_all(per_page=10)
    assert [s.id for s in got] == [s["id"] for s in snaps]
    assert got.total == 5
    assert fake.request_count == 1


def test_meta_total_zero_on_every_page_is_not_an_account_change(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(5)
    snaps = fake.snapshots
    body = {"snapshots": snaps, "meta": {"total": 0}}
    fake.enqueue(200, body=body, path="/v2/snapshots", count=10)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ListingChangedWarning)
        got = c.gpu_droplets.snapshots.list_all(per_page=10)
    assert [s.id for s in got] == [s["id"] for s in snaps]
    assert got.changed is None
    # Two identical listings settle it (not three, and no "from 0 to 0" warning).
    assert fake.request_count == 2


def test_a_real_change_still_warns(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    fake = make_fake(45, insert_per_list_request=1)
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.warns(ListingChangedWarning):
        c.gpu_droplets.snapshots.list_all(per_page=10)
