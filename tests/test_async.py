"""The asyncio client (issue 4): ``AsyncGradientAI`` / ``AsyncGradient``.

Plain pytest tests driving ``asyncio.run`` (pytest-asyncio is not installed).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator, List

import pytest

from gradientai_rs import (
    APIResponseValidationError,
    AsyncGradient,
    AsyncGradientAI,
    AuthenticationError,
    ClientClosedError,
    GradientAI,
    InternalServerError,
    ListingChangedWarning,
    MissingAPIKeyError,
    NotFoundError,
    RateLimitError,
    Snapshot,
    SnapshotList,
    SnapshotListResponse,
    SnapshotRetrieveResponse,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


# --------------------------------------------------------------------------- helpers / fixtures


def ids_of(items) -> List[str]:
    return [s.id for s in items]


def aclient(fake: FakeDigitalOcean, **kw: Any) -> AsyncGradientAI:
    return AsyncGradientAI(api_key=TOKEN, base_url=fake.url, **kw)


def settle_then_count(fake: FakeDigitalOcean) -> int:
    time.sleep(0.15)  # requests already on the wire get recorded
    return fake.request_count


@pytest.fixture
def external_fake() -> Iterator[Callable[..., str]]:
    """A fake in another process (``python -m gradientai_rs.testing``): its threads never take our GIL."""
    procs: List[subprocess.Popen] = []

    def start(*args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gradientai_rs.testing", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(proc)
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        return url

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# =========================================================================== client surface


def test_alias_and_constructor_options(f45):
    assert AsyncGradient is AsyncGradientAI
    c = AsyncGradient(api_key=TOKEN, base_url=f45.url, timeout=12.5, max_retries=4, requests_per_minute=99)
    assert type(c) is AsyncGradientAI
    assert c.base_url == f45.url
    assert c.timeout == 12.5
    assert c.max_retries == 4
    assert c.requests_per_minute == 99
    assert c.is_closed() is False


def test_missing_token_is_the_same_error_as_sync(f45):
    # as in the SDK (and the blocking client), constructing is fine; the awaited request raises before sending
    async def main():
        c = AsyncGradientAI(base_url=f45.url)
        with pytest.raises(MissingAPIKeyError) as info:
            await c.gpu_droplets.snapshots.list()
        with pytest.raises(MissingAPIKeyError):
            await c.gpu_droplets.snapshots.list_all()
        return info.value

    err = asyncio.run(main())
    assert isinstance(err, TypeError)
    assert "DIGITALOCEAN_ACCESS_TOKEN" in str(err)
    assert f45.request_count == 0


def test_token_from_environment(f45, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)

    async def main():
        c = AsyncGradientAI(base_url=f45.url)
        page = await c.gpu_droplets.snapshots.list()
        await c.close()
        return page

    page = asyncio.run(main())
    assert len(page.snapshots) == 20
    assert f45.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_async_with_closes_the_client(f45):
    async def main():
        async with aclient(f45) as c:
            assert type(c) is AsyncGradientAI
            page = await c.gpu_droplets.snapshots.list(per_page=5)
            assert ids_of(page.snapshots) == f45.ids()[:5]
            assert c.is_closed() is False
        assert c.is_closed() is True
        with pytest.raises(ClientClosedError):
            await c.gpu_droplets.snapshots.list()

    asyncio.run(main())
    assert f45.request_count == 1


def test_await_close(f45):
    async def main():
        c = aclient(f45)
        await c.gpu_droplets.snapshots.list()
        result = await c.close()
        assert c.is_closed() is True
        with pytest.raises(ClientClosedError):
            await c.gpu_droplets.snapshots.list_all()
        return result

    result = asyncio.run(main())
    assert f45.request_count == 1
    assert result is None  # the SDK's close() returns None


# =========================================================================== calls and objects


def test_list_returns_the_same_objects_as_sync(f45):
    async def main():
        async with aclient(f45) as c:
            return await c.gpu_droplets.snapshots.list(page=2, per_page=7, resource_type="droplet")

    page = asyncio.run(main())
    sync = GradientAI(api_key=TOKEN, base_url=f45.url).gpu_droplets.snapshots.list(
        page=2, per_page=7, resource_type="droplet"
    )
    assert type(page) is SnapshotListResponse
    assert type(page.snapshots[0]) is Snapshot
    assert page == sync
    droplets = [s["id"] for s in f45.snapshots if s["resource_type"] == "droplet"]
    assert ids_of(page.snapshots) == droplets[7:14]
    assert page.meta.total == len(droplets)
    assert f45.requests[0].params == {"page": "2", "per_page": "7", "resource_type": "droplet"}
    assert f45.requests[0].params == f45.requests[1].params


def test_retrieve(f45):
    sid = f45.ids()[3]

    async def main():
        async with aclient(f45) as c:
            return await c.gpu_droplets.snapshots.retrieve(sid)

    got = asyncio.run(main())
    assert type(got) is SnapshotRetrieveResponse
    assert type(got.snapshot) is Snapshot
    assert got.snapshot.id == sid
    assert got.snapshot.to_dict(mode="json") == f45.snapshots[3]
    assert got == GradientAI(api_key=TOKEN, base_url=f45.url).gpu_droplets.snapshots.retrieve(sid)
    assert f45.requests[0].path == f"/v2/snapshots/{sid}"


def test_delete_returns_none(f45):
    sid = f45.ids()[0]

    async def main():
        async with aclient(f45) as c:
            return await c.gpu_droplets.snapshots.delete(sid)

    result = asyncio.run(main())
    assert sid not in f45.ids()
    assert f45.requests[0].method == "DELETE"
    assert result is None


def test_list_all(f45):
    async def main():
        async with aclient(f45) as c:
            return await c.gpu_droplets.snapshots.list_all(per_page=10)

    result = asyncio.run(main())
    assert type(result) is SnapshotList
    assert len(result) == 45
    assert ids_of(result) == f45.ids()
    assert result.total == 45
    assert result.pages == 5
    assert result.changed is None
    assert result == GradientAI(api_key=TOKEN, base_url=f45.url).gpu_droplets.snapshots.list_all(per_page=10)
    assert all(r.params["per_page"] == "10" for r in f45.requests)


def test_list_all_filter_and_progress(f45):
    calls: List[tuple] = []

    async def main():
        async with aclient(f45) as c:
            return await c.gpu_droplets.snapshots.list_all(
                resource_type="volume", per_page=4, progress=lambda d, t: calls.append((d, t))
            )

    result = asyncio.run(main())
    volumes = [s["id"] for s in f45.snapshots if s["resource_type"] == "volume"]
    assert ids_of(result) == volumes
    n = -(-len(volumes) // 4)
    assert calls == [(i, n) for i in range(1, n + 1)]
    assert all(r.params["resource_type"] == "volume" for r in f45.requests)


def test_list_all_warns_when_the_listing_keeps_changing(fakes):
    f = fakes(45, seed=7, insert_per_list_request=1)

    async def main():
        async with aclient(f) as c:
            return await c.gpu_droplets.snapshots.list_all(per_page=10)

    with pytest.warns(ListingChangedWarning, match=r"meta\.total moved from 45 to \d+"):
        result = asyncio.run(main())
    assert result.changed is not None
    assert len(set(ids_of(result))) == len(result)


# =========================================================================== async pages


def test_get_next_page_is_awaitable_and_keeps_filters(f45):
    droplets = [s["id"] for s in f45.snapshots if s["resource_type"] == "droplet"]

    async def main():
        async with aclient(f45) as c:
            first = await c.gpu_droplets.snapshots.list(per_page=10, resource_type="droplet")
            assert first.has_next_page() is True
            second = await first.get_next_page()
            assert type(second) is SnapshotListResponse
            assert f45.requests[-1].params == {"page": "2", "per_page": "10", "resource_type": "droplet"}
            third = await second.get_next_page()
            assert third.has_next_page() is False
            with pytest.raises(RuntimeError, match="No next page"):
                await third.get_next_page()
            return first, second, third

    pages = asyncio.run(main())
    assert [ids_of(p.snapshots) for p in pages] == [droplets[:10], droplets[10:20], droplets[20:]]
    assert f45.request_count == 3


def test_async_iter_pages_is_lazy(f45):
    async def main():
        async with aclient(f45) as c:
            first = await c.gpu_droplets.snapshots.list(per_page=10)
            seen = []
            counts = []
            async for page in first.iter_pages():
                counts.append(f45.request_count)
                seen.append(ids_of(page.snapshots))
            return seen, counts

    seen, counts = asyncio.run(main())
    ids = f45.ids()
    assert seen == [ids[0:10], ids[10:20], ids[20:30], ids[30:40], ids[40:45]]
    assert counts == [1, 2, 3, 4, 5]  # one request per page, when reached
    assert [r.params for r in f45.requests][1:] == [{"page": str(n), "per_page": "10"} for n in range(2, 6)]


def test_async_for_snapshots_is_lazy(f45):
    async def main():
        async with aclient(f45) as c:
            first = await c.gpu_droplets.snapshots.list(per_page=10)
            got = []
            counts = []
            async for s in first:
                got.append(s)
                counts.append(f45.request_count)
            return got, counts

    got, counts = asyncio.run(main())
    assert all(type(s) is Snapshot for s in got)
    assert ids_of(got) == f45.ids()
    assert counts == [1] * 10 + [2] * 10 + [3] * 10 + [4] * 10 + [5] * 5


def test_sync_for_on_an_async_page_is_a_clear_error(f45):
    async def main():
        async with aclient(f45) as c:
            page = await c.gpu_droplets.snapshots.list()
            with pytest.raises(TypeError, match="async for"):
                for _ in page:
                    pass

    asyncio.run(main())
    assert f45.request_count == 1


# =========================================================================== errors


def test_errors_are_raised_from_awaited_calls(fakes):
    f = fakes(45, seed=7)

    async def main():
        async with aclient(f, max_retries=0) as c:
            call = c.gpu_droplets.snapshots.retrieve("does-not-exist")
            with pytest.raises(NotFoundError) as nf:
                await call
            assert nf.value.status_code == 404
            assert nf.value.body["id"] == "not_found"
            with pytest.raises(NotFoundError):
                await c.gpu_droplets.snapshots.delete("does-not-exist")
            f.enqueue(500)
            with pytest.raises(InternalServerError) as ise:
                await c.gpu_droplets.snapshots.list()
            assert ise.value.status_code == 500
        async with AsyncGradientAI(api_key="wrong", base_url=f.url) as bad:
            with pytest.raises(AuthenticationError) as auth:
                await bad.gpu_droplets.snapshots.list()
            assert auth.value.status_code == 401

    asyncio.run(main())
    assert f.request_count == 4


@pytest.mark.timeout(30)
def test_list_all_errors_name_the_page(fakes):
    failing = fakes(100, seed=4, fail_pages={3: [500] * 10})
    truncated = fakes(45, seed=7, truncate_pages=[2])
    quota = fakes(45, seed=7, hourly_remaining=3)

    async def main():
        async with aclient(failing, max_retries=1) as c:
            with pytest.raises(InternalServerError) as e1:
                await c.gpu_droplets.snapshots.list_all(per_page=10)
        async with aclient(truncated) as c:
            with pytest.raises(APIResponseValidationError) as e2:
                await c.gpu_droplets.snapshots.list_all(per_page=10)
        async with aclient(quota) as c:
            with pytest.raises(RateLimitError) as e3:
                await c.gpu_droplets.snapshots.list_all(per_page=10)
        return e1.value, e2.value, e3.value

    e1, e2, e3 = asyncio.run(main())
    assert e1.page == 3 and str(e1).startswith("page 3: ")
    assert e2.page == 2 and "page 2" in str(e2)
    assert e3.needed == 4 and e3.remaining == 2
    assert quota.request_count == 1


# =========================================================================== event loop: never blocked


@pytest.mark.timeout(60)
def test_heartbeat_never_stalls_during_list_all_of_10000(external_fake):
    url = external_fake("--snapshots", "10000", "--latency-ms", "20", "--seed", "3")
    tick = 0.005

    async def main():
        gaps: List[float] = []
        stop = asyncio.Event()

        async def heartbeat():
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(tick)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        async with AsyncGradientAI(api_key=TOKEN, base_url=url) as c:
            await c.gpu_droplets.snapshots.list(per_page=1)  # warm the connection pool
            hb = asyncio.ensure_future(heartbeat())
            await asyncio.sleep(0.02)
            gaps.clear()
            started = time.perf_counter()
            result = await c.gpu_droplets.snapshots.list_all()
            elapsed = time.perf_counter() - started
            stop.set()
            await hb
        return result, gaps, elapsed

    worst_stall = 0.0
    for _ in range(2):
        result, gaps, elapsed = asyncio.run(main())
        assert len(result) == 10000
        assert len({s.id for s in result}) == 10000
        assert result.total == 10000
        # the heartbeat really ran throughout: at least one tick per 20 ms on average
        assert len(gaps) >= elapsed / 0.02
        worst_stall = max(worst_stall, max(gaps) - tick)
    print(
        f"\nMEASURED worst heartbeat stall during list_all(10,000): {worst_stall * 1000:.1f} ms (elapsed {elapsed:.3f} s)"
    )
    assert worst_stall < 0.100


@pytest.mark.timeout(60)
def test_no_thread_per_call(external_fake):
    url = external_fake("--snapshots", "300", "--latency-ms", "300")

    def threads() -> int:
        return len(os.listdir("/proc/self/task"))

    async def main():
        async with AsyncGradientAI(api_key=TOKEN, base_url=url) as c:
            await c.gpu_droplets.snapshots.list(per_page=1)
            base = threads()
            peak = base
            done = False

            async def sample():
                nonlocal peak
                while not done:
                    peak = max(peak, threads())
                    await asyncio.sleep(0.002)

            s = asyncio.ensure_future(sample())
            pages = await asyncio.gather(*[c.gpu_droplets.snapshots.list(page=i + 1, per_page=3) for i in range(100)])
            done = True
            await s
            return base, peak, pages

    if not os.path.isdir("/proc/self/task"):
        pytest.skip("needs /proc")
    base, peak, pages = asyncio.run(main())
    assert [len(p.snapshots) for p in pages] == [3] * 100
    print(f"\nMEASURED threads during 100 concurrent calls: {base} -> {peak}")
    assert peak - base < 50


# =========================================================================== cancellation


@pytest.mark.timeout(60)
def test_task_cancel_stops_list_all_and_its_requests(fakes):
    f = fakes(200, seed=1, latency_ms=300)
    measured = {}

    async def main():
        async with aclient(f) as c:
            task = asyncio.ensure_future(c.gpu_droplets.snapshots.list_all(per_page=10, max_concurrency=4))
            while f.request_count < 5:  # page 1 answered, pages 2..5 in flight
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
            assert not task.done()
            t0 = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            measured["cancel_s"] = time.perf_counter() - t0
            assert task.cancelled()

    asyncio.run(main())
    count = settle_then_count(f)
    assert count == 5
    time.sleep(1.0)  # the listing would have gone on with pages 6..20 by now
    assert f.request_count == count
    print(f"\nMEASURED task.cancel() -> CancelledError: {measured['cancel_s'] * 1000:.1f} ms; requests after: 0")


@pytest.mark.timeout(60)
def test_create_task_works_as_with_the_sdk(f45):
    # the SDK's async methods are coroutines: asyncio.create_task(client....list()) is the usual way to cancel
    async def main():
        async with aclient(f45) as c:
            t1 = asyncio.create_task(c.gpu_droplets.snapshots.list(per_page=5))
            t2 = asyncio.create_task(c.gpu_droplets.snapshots.list_all(per_page=10))
            return await t1, await t2

    page, everything = asyncio.run(main())
    assert ids_of(page.snapshots) == f45.ids()[:5]
    assert ids_of(everything) == f45.ids()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("timeout", [0.2, 0.45])
def test_wait_for_timeout_cancels_requests(fakes, timeout):
    f = fakes(200, seed=1, latency_ms=300)

    async def main():
        async with aclient(f) as c:
            t0 = time.perf_counter()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(
                    c.gpu_droplets.snapshots.list_all(per_page=10, max_concurrency=4), timeout=timeout
                )
            return time.perf_counter() - t0

    took = asyncio.run(main())
    assert timeout <= took < timeout + 0.2
    count = settle_then_count(f)
    assert count == (1 if timeout < 0.3 else 5)
    time.sleep(1.0)
    assert f.request_count == count


@pytest.mark.timeout(60)
def test_cancel_during_retry_backoff_sends_no_retry(fakes):
    f = fakes(45, seed=7, fail_pages={1: [503] * 5})

    async def main():
        async with aclient(f, max_retries=5) as c:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(c.gpu_droplets.snapshots.list(), timeout=0.2)  # backoff is >= 375 ms

    asyncio.run(main())
    assert settle_then_count(f) == 1
    time.sleep(1.0)
    assert f.request_count == 1


# =========================================================================== loops


def test_works_across_asyncio_run_calls(f45):
    c = aclient(f45)

    async def one(page: int):
        return await c.gpu_droplets.snapshots.list(page=page, per_page=10)

    first = asyncio.run(one(1))
    second = asyncio.run(one(2))
    assert ids_of(first.snapshots) == f45.ids()[:10]
    assert ids_of(second.snapshots) == f45.ids()[10:20]


def test_works_inside_an_already_running_loop(f45):
    # Jupyter style: the loop is already running and the caller awaits in it; also a second loop in a thread
    async def inner():
        c = aclient(f45)
        page = await c.gpu_droplets.snapshots.list(per_page=10)
        rest = await c.gpu_droplets.snapshots.list_all(per_page=10)
        # the blocking client also works from inside a running loop
        sync = GradientAI(api_key=TOKEN, base_url=f45.url).gpu_droplets.snapshots.list_all(per_page=10)
        await c.close()
        return page, rest, sync

    async def outer():
        return await asyncio.ensure_future(inner())

    loop = asyncio.new_event_loop()
    try:
        page, rest, sync = loop.run_until_complete(outer())
    finally:
        loop.close()
    assert ids_of(page.snapshots) == f45.ids()[:10]
    assert ids_of(rest) == f45.ids()
    assert ids_of(sync) == f45.ids()

    results = {}

    def in_thread():
        results["t"] = asyncio.run(inner())

    t = threading.Thread(target=in_thread)
    t.start()
    t.join(30)
    assert ids_of(results["t"][1]) == f45.ids()


@pytest.mark.parametrize("call", ["list", "list_all", "retrieve", "delete"])
def test_asyncio_run_of_a_call_works_like_the_sdk(f45, call):
    """Calls return coroutines (the SDK's methods are ``async def``): ``asyncio.run(client.….list())`` works, and
    nothing is sent before the coroutine runs."""
    c = aclient(f45)
    method = getattr(c.gpu_droplets.snapshots, call)
    args = (f45.ids()[0],) if call in ("retrieve", "delete") else ()
    coro = method(*args)
    assert inspect.iscoroutine(coro)
    time.sleep(0.1)
    assert f45.request_count == 0
    asyncio.run(coro)
    assert f45.request_count >= 1


@pytest.mark.parametrize("call", ["list", "list_all"])
def test_driving_a_call_without_a_running_loop_is_a_clear_error(f45, call):
    c = aclient(f45)
    coro = getattr(c.gpu_droplets.snapshots, call)()
    with pytest.raises(RuntimeError, match="asyncio") as info:
        coro.send(None)
    assert "GradientAI" in str(info.value)
    assert f45.request_count == 0


def test_close_is_a_coroutine(f45):
    c = aclient(f45)
    assert asyncio.run(c.close()) is None
    assert c.is_closed()


@pytest.mark.timeout(60)
def test_twenty_concurrent_lists_with_gather(fakes):
    f = fakes(200, seed=13, latency_ms=50)

    async def main():
        async with aclient(f) as c:
            t0 = time.perf_counter()
            pages = await asyncio.gather(*[c.gpu_droplets.snapshots.list(page=i + 1, per_page=10) for i in range(20)])
            return pages, time.perf_counter() - t0

    pages, took = asyncio.run(main())
    ids = f.ids()
    assert [ids_of(p.snapshots) for p in pages] == [ids[i * 10 : (i + 1) * 10] for i in range(20)]
    assert sorted(r.page for r in f.requests) == list(range(1, 21))
    assert took < 0.5  # concurrent: 20 sequential calls would take >= 1 s
