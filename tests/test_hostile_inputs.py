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
