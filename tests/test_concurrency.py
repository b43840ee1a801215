"""Threads, fork, multiprocessing, pickling across processes, interpreter exit and Ctrl-C with requests in flight.

Run with ``-s`` to see the measured figures printed as ``[figure] ...``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import gradientai_rs
from gradientai_rs import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncGradientAI,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    GradientAI,
    InternalServerError,
    MissingAPIKeyError,
    NotFoundError,
    RateLimitError,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
N = 2000
UNLIMITED = 10**9


def make_client(url: str, **kw: Any) -> GradientAI:
    kw.setdefault("requests_per_minute", None)
    kw.setdefault("timeout", 30)
    return GradientAI(api_key=TOKEN, base_url=url, **kw)


def figure(name: str, value: str) -> None:
    print(f"\n[figure] {name}: {value}")


@pytest.fixture(scope="module")
def big_fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(N, seed=11, token=TOKEN, hourly_remaining=UNLIMITED) as fake:
        yield fake


@pytest.fixture()
def hanging_fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(45, seed=5, token=TOKEN, hang=True, hourly_remaining=UNLIMITED) as fake:
        yield fake


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


# ------------------------------------------------------------------------------------------------------- threads


@pytest.mark.timeout(90)
def test_one_client_shared_by_16_threads(big_fake: FakeDigitalOcean) -> None:
    client = make_client(big_fake.url, max_retries=0)
    expected = big_fake.ids()
    barrier = threading.Barrier(16)

    def work(i: int) -> List[Tuple[str, Any, List[str]]]:
        barrier.wait(timeout=10)
        out = []
        for r in range(4):
            if (i + r) % 2:
                per_page = (200, 100, 37, 13)[(i + r) % 4]
                everything = client.gpu_droplets.snapshots.list_all(per_page=per_page, max_concurrency=1 + i % 8)
                out.append(("list_all", per_page, [s.id for s in everything]))
            else:
                page_no = 1 + (i * 4 + r) % 10
                page = client.gpu_droplets.snapshots.list(page=page_no, per_page=200)
                out.append(("list", page_no, [s.id for s in page.snapshots]))
        return out

    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(16)))
    secs = time.monotonic() - start
    calls = [c for r in results for c in r]
    figure(
        "16 threads x 4 calls (2 list + 2 list_all of 2,000) on one client",
        f"{secs:.2f} s, {big_fake.request_count} requests",
    )
    assert len(calls) == 64
    for kind, arg, ids in calls:
        if kind == "list_all":
            assert ids == expected, f"list_all(per_page={arg}) differs"
        else:
            assert ids == expected[(arg - 1) * 200 : arg * 200], f"list(page={arg}) differs"


@pytest.mark.timeout(60)
def test_async_client_shared_by_16_tasks(big_fake: FakeDigitalOcean) -> None:
    expected = big_fake.ids()

    async def main() -> List[List[str]]:
        client = AsyncGradientAI(api_key=TOKEN, base_url=big_fake.url, requests_per_minute=None, max_retries=0)
        snaps = client.gpu_droplets.snapshots

        async def one(i: int) -> List[str]:
            if i % 2:
                return [s.id for s in await snaps.list_all(per_page=(200, 50)[i % 4 // 2])]
            page = await snaps.list(page=1 + i % 10, per_page=200)
            return [s.id for s in page.snapshots]

        return list(await asyncio.gather(*(one(i) for i in range(16))))

    for i, ids in enumerate(asyncio.run(main())):
        assert ids == (expected if i % 2 else expected[(i % 10) * 200 : (i % 10 + 1) * 200])


def _list_while_blocked(
    url: str, listing: Callable[[GradientAI], Any], inside: threading.Event, unblock: threading.Event
) -> float:
    """Runs ``listing(client)`` on a thread until Python code that the runtime's thread called for it blocks
    (``inside``), times another client's ``list()`` meanwhile, then unblocks it; the listing must still finish,
    complete. Returns the seconds the ``list()`` took."""
    client, other = make_client(url, max_retries=0), make_client(url, max_retries=0)
    results: List[int] = []
    worker = threading.Thread(target=lambda: results.append(len(listing(client))), daemon=True)
    worker.start()
    try:
        assert inside.wait(20), "the blocking Python code never ran"
        started = time.monotonic()
        page = other.gpu_droplets.snapshots.list(per_page=5)
        secs = time.monotonic() - started
    finally:
        unblock.set()
        worker.join(30)
    assert len(page.snapshots) == 5
    assert not worker.is_alive() and results == [N]
    return secs


@pytest.mark.timeout(60)
def test_a_blocked_progress_callback_does_not_hold_up_other_requests(big_fake: FakeDigitalOcean) -> None:
    """Progress callbacks run between pages on the runtime's (single) worker thread; while one blocks, here for up
    to 10 s, the runtime's other work — another client's request — must go on (the callback runs in
    ``block_in_place``, which hands the runtime to another thread)."""
    inside, unblock = threading.Event(), threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 1:
            inside.set()
            unblock.wait(10)

    secs = _list_while_blocked(
        big_fake.url, lambda c: c.gpu_droplets.snapshots.list_all(per_page=200, progress=progress), inside, unblock
    )
    figure("list() while a progress callback blocks", f"{secs * 1000:.1f} ms")
    assert secs < 5


@pytest.mark.timeout(60)
def test_a_blocked_log_handler_does_not_hold_up_other_requests(big_fake: FakeDigitalOcean) -> None:
    """Log records of the core reach Python's logging from the runtime's thread; while a handler blocks there (up
    to 10 s), another client's request must go on (the record is handled in ``block_in_place`` too)."""
    import logging

    inside, unblock = threading.Event(), threading.Event()

    class Blocking(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if threading.current_thread() is not threading.main_thread() and not inside.is_set():
                inside.set()
                unblock.wait(10)

    logger, handler = logging.getLogger("gradientai_rs.pagination"), Blocking(logging.DEBUG)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    gradientai_rs.reset_logging()
    try:
        secs = _list_while_blocked(
            big_fake.url, lambda c: c.gpu_droplets.snapshots.list_all(per_page=200), inside, unblock
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        gradientai_rs.reset_logging()
    figure("list() while a log handler blocks", f"{secs * 1000:.1f} ms")
    assert secs < 5


# ------------------------------------------------------------------------------------------------------- fork


def _fork_and_run(child: Callable[[], Any], timeout: float = 30) -> Any:
    """Runs ``child()`` in an ``os.fork()`` child; returns its JSON result. Kills the child and fails on timeout."""
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded, use of fork() may lead to deadlocks"
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(r)
            try:
                payload = {"ok": child()}
                code = 0
            except BaseException as exc:
                payload = {"error": f"{type(exc).__name__}: {exc}"}
            data = json.dumps(payload).encode()
            while data:
                data = data[os.write(w, data) :]
        finally:
            os._exit(code)
    os.close(w)
    chunks: List[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the forked child did not finish within {timeout} s (killed)")
            chunk = os.read(r, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b"{}")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, result)
    return result["ok"]


@pytest.mark.timeout(60)
def test_client_used_before_fork_works_in_child(big_fake: FakeDigitalOcean) -> None:
    client = make_client(big_fake.url, max_retries=0)
    expected = big_fake.ids()
    assert [s.id for s in client.gpu_droplets.snapshots.list_all()] == expected  # runtime, pool: all in use now

    def child() -> Dict[str, List[str]]:
        page = client.gpu_droplets.snapshots.list(page=3, per_page=50)
        everything = client.gpu_droplets.snapshots.list_all(per_page=100)
        return {"list": [s.id for s in page.snapshots], "all": [s.id for s in everything]}

    start = time.monotonic()
    out = _fork_and_run(child)
    figure("forked child: list() + list_all() with the parent's used client", f"{time.monotonic() - start:.2f} s")
    assert out["list"] == expected[100:150]
    assert out["all"] == expected
    # ... and the parent's client still works after the fork.
    assert [s.id for s in client.gpu_droplets.snapshots.list_all()] == expected


@pytest.mark.timeout(60)
def test_fork_while_another_thread_has_a_request_in_flight() -> None:
    with FakeDigitalOcean(300, seed=2, token=TOKEN, hourly_remaining=UNLIMITED) as fake:
        fake.hang_path("/v2/snapshots/hang-here")
        client = make_client(fake.url, max_retries=0, timeout=20)
        errors: List[BaseException] = []

        def hang() -> None:
            try:
                client.gpu_droplets.snapshots.retrieve("hang-here")
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=hang, daemon=True)
        t.start()
        wait_for(lambda: any(r.path.endswith("hang-here") for r in fake.requests), 10, "the hanging request")

        out = _fork_and_run(lambda: [s.id for s in client.gpu_droplets.snapshots.list_all()])
        assert out == fake.ids()
        fake.configure(hang_paths=())  # releases the parent's request: answered 404 (no such snapshot)
        t.join(timeout=10)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], NotFoundError), errors


# ------------------------------------------------------------------------------------------------------- multiprocessing

_INHERITED: Optional[GradientAI] = None


def list_all_in_child(base_url: str, token: str, per_page: int) -> gradientai_rs.SnapshotList:
    """Module level, so that the spawn start method can import it."""
    client = GradientAI(api_key=token, base_url=base_url, requests_per_minute=None, timeout=30)
    return client.gpu_droplets.snapshots.list_all(per_page=per_page)


def list_all_with_inherited_client() -> gradientai_rs.SnapshotList:
    assert _INHERITED is not None, "only meaningful with the fork start method"
    return _INHERITED.gpu_droplets.snapshots.list_all()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool_returns_snapshot_lists(big_fake: FakeDigitalOcean, method: str) -> None:
    global _INHERITED
    expected = big_fake.ids()
    _INHERITED = make_client(big_fake.url)
    reference = _INHERITED.gpu_droplets.snapshots.list_all()  # used before the pool forks
    ctx = multiprocessing.get_context(method)
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ctx.Pool(2) as pool:
            results = [pool.apply_async(list_all_in_child, (big_fake.url, TOKEN, pp)) for pp in (200, 64)]
            if method == "fork":
                results.append(pool.apply_async(list_all_with_inherited_client))
            lists = [r.get(timeout=60) for r in results]
    figure(f"multiprocessing {method} pool (2 workers, {len(lists)} list_all)", f"{time.monotonic() - start:.2f} s")
    _INHERITED = None
    for got in lists:
        assert isinstance(got, gradientai_rs.SnapshotList)
        assert [s.id for s in got] == expected
        assert got == reference
        assert got.total == N


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method", ["default", "spawn"])
def test_process_pool_executor_returns_snapshot_lists(big_fake: FakeDigitalOcean, method: str) -> None:
    expected = big_fake.ids()
    ctx = None if method == "default" else multiprocessing.get_context(method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with ProcessPoolExecutor(2, mp_context=ctx) as pool:
            futures = [pool.submit(list_all_in_child, big_fake.url, TOKEN, pp) for pp in (200, 150, 20)]
            lists = [f.result(timeout=60) for f in futures]
    for got in lists:
        assert [s.id for s in got] == expected
        assert got.pages >= N // 200


# ------------------------------------------------------------------------------------------------------- pickling


def describe(obj: Any) -> Any:
    """What a process can observe of an object: compared on both sides of the pipe."""
    if isinstance(obj, BaseException):
        fields = {k: repr(v) for k, v in sorted(vars(obj).items())}
        return [type(obj).__module__, type(obj).__qualname__, str(obj), list(obj.args), fields]
    if isinstance(obj, gradientai_rs.SnapshotList):
        return ["SnapshotList", obj.to_json(), obj.total, obj.pages]
    return [type(obj).__qualname__, obj.to_json(indent=None)]


def echo(obj: Any) -> Tuple[Any, Any]:
    """Runs in the worker: the unpickled object and what the worker saw of it."""
    return obj, describe(obj)


def _raise(fn: Callable[[], Any]) -> BaseException:
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError("expected an exception")


@pytest.fixture(scope="module")
def spawn_pool() -> Iterator[ProcessPoolExecutor]:
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    yield pool
    pool.shutdown(wait=False, cancel_futures=True)


def _results(big_fake: FakeDigitalOcean) -> Dict[str, Any]:
    client = make_client(big_fake.url)
    snaps = client.gpu_droplets.snapshots
    page = snaps.list(page=2, per_page=10)
    return {
        "SnapshotListResponse": page,
        "Snapshot": page.snapshots[3],
        "SnapshotList": snaps.list_all(),
        "SnapshotRetrieveResponse": snaps.retrieve(page.snapshots[0].id),
        "MetaProperties": page.meta,
        "PageLinks": page.links,
        "Pages": page.links.pages,
    }


@pytest.mark.timeout(120)
def test_every_result_object_pickles_across_processes(
    big_fake: FakeDigitalOcean, spawn_pool: ProcessPoolExecutor
) -> None:
    for name, obj in _results(big_fake).items():
        back, seen = spawn_pool.submit(echo, obj).result(timeout=60)
        assert type(back) is type(obj), name
        assert back == obj, name
        assert seen == describe(obj), f"{name} looks different in the other process"
        assert pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)) == obj, name


def _errors(fake: FakeDigitalOcean, make_fake: Callable[..., FakeDigitalOcean]) -> Dict[str, BaseException]:
    client = make_client(fake.url, max_retries=0)
    snaps = client.gpu_droplets.snapshots
    errors: Dict[str, BaseException] = {}
    errors["404"] = _raise(lambda: snaps.retrieve("no-such-snapshot"))
    errors["401"] = _raise(lambda: GradientAI(api_key="wrong", base_url=fake.url).gpu_droplets.snapshots.list())
    fake.enqueue(500)
    errors["500"] = _raise(snaps.list)
    errors["400"] = _raise(lambda: snaps.list(extra_query={"page": "abc"}))
    fake.enqueue(200, body="<html>not json</html>")
    errors["validation"] = _raise(snaps.list)
    fake.configure(fail_pages={3: [503]})
    errors["list_all page 3 failed"] = _raise(lambda: snaps.list_all(per_page=100))
    fake.configure(fail_pages={})
    quota = make_fake(200, token=TOKEN, hourly_remaining=0)
    errors["429 hourly quota"] = _raise(lambda: make_client(quota.url, max_retries=0).gpu_droplets.snapshots.list())
    low = make_fake(200, token=TOKEN, hourly_remaining=3)
    errors["list_all over quota"] = _raise(lambda: make_client(low.url).gpu_droplets.snapshots.list_all(per_page=20))
    hang = make_fake(5, token=TOKEN, hang=True)
    errors["timeout"] = _raise(lambda: make_client(hang.url, max_retries=0, timeout=0.3).gpu_droplets.snapshots.list())
    dead = make_fake(1)
    dead_url = dead.url
    dead.close()
    errors["connection"] = _raise(lambda: make_client(dead_url, max_retries=0).gpu_droplets.snapshots.list())
    errors["missing key"] = _raise(lambda: GradientAI(base_url=fake.url).gpu_droplets.snapshots.list())
    closed = make_client(fake.url)
    closed.close()
    errors["closed"] = _raise(closed.gpu_droplets.snapshots.list)
    return errors


EXPECTED_ERRORS = {
    "404": NotFoundError,
    "401": AuthenticationError,
    "500": InternalServerError,
    "400": BadRequestError,
    "validation": APIResponseValidationError,
    "list_all page 3 failed": InternalServerError,
    "429 hourly quota": RateLimitError,
    "list_all over quota": RateLimitError,
    "timeout": APITimeoutError,
    "connection": APIConnectionError,
    "missing key": MissingAPIKeyError,
    "closed": ClientClosedError,
}


@pytest.mark.timeout(120)
def test_every_exception_pickles_across_processes(
    make_fake: Callable[..., FakeDigitalOcean], spawn_pool: ProcessPoolExecutor
) -> None:
    fake = make_fake(400, seed=1, token=TOKEN, hourly_remaining=UNLIMITED)
    errors = _errors(fake, make_fake)
    assert {k: type(v) for k, v in errors.items()} == EXPECTED_ERRORS
    assert errors["list_all page 3 failed"].page == 3  # type: ignore[attr-defined]
    assert errors["list_all over quota"].remaining == 2  # type: ignore[attr-defined]  (page 1 used one of 3)
    for name, exc in errors.items():
        back, seen = spawn_pool.submit(echo, exc).result(timeout=60)
        assert type(back) is type(exc), name
        assert back.args == exc.args, name
        assert vars(back) == vars(exc), name
        assert str(back) == str(exc), name
        assert seen == describe(exc), f"{name} looks different in the other process"


# ------------------------------------------------------------------------------------------------------- exit


_EXIT_CHILD = {
    "thread-list": """
        c = g.GradientAI(api_key=TOKEN, base_url=URL, max_retries=0)
        threading.Thread(target=c.gpu_droplets.snapshots.list, daemon=True).start()
        ready()
        sys.exit(0)
    """,
    "thread-list_all": """
        c = g.GradientAI(api_key=TOKEN, base_url=URL, max_retries=0)
        threading.Thread(target=c.gpu_droplets.snapshots.list_all, daemon=True).start()
        ready()
        sys.exit(0)
    """,
    "asyncio-run-returns-with-pending-task": """
        async def main():
            c = g.AsyncGradientAI(api_key=TOKEN, base_url=URL, max_retries=0)
            task = asyncio.ensure_future(c.gpu_droplets.snapshots.list())
            await asyncio.sleep(0)
            await asyncio.get_running_loop().run_in_executor(None, ready)
            return task   # asyncio.run cancels it
        asyncio.run(main())
    """,
    "thread-running-asyncio-loop": """
        async def hang():
            c = g.AsyncGradientAI(api_key=TOKEN, base_url=URL, max_retries=0)
            await c.gpu_droplets.snapshots.list_all()
        threading.Thread(target=asyncio.run, args=(hang(),), daemon=True).start()
        ready()
        sys.exit(0)
    """,
}

_EXIT_PRELUDE = """
import asyncio, sys, threading, time
import gradientai_rs as g
TOKEN, URL = sys.argv[1], sys.argv[2]
def ready():
    sys.stdout.write("READY\\n"); sys.stdout.flush()
    sys.stdin.readline()   # the parent saw the request arrive
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", list(_EXIT_CHILD))
def test_interpreter_exits_with_a_request_in_flight(hanging_fake: FakeDigitalOcean, case: str) -> None:
    code = _EXIT_PRELUDE + textwrap.dedent(_EXIT_CHILD[case])
    proc = subprocess.Popen(
        [sys.executable, "-c", code, TOKEN, hanging_fake.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline().strip() == "READY"
        wait_for(lambda: hanging_fake.request_count >= 1, 10, "the request to reach the fake")
        start = time.monotonic()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        try:
            _, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"the interpreter did not exit within 5 s with a request in flight; stderr: {err[-2000:]}")
        secs = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    figure(f"exit with a hanging request in flight ({case})", f"{secs:.2f} s, returncode {proc.returncode}")
    assert proc.returncode == 0, err[-3000:]
    assert "panick" not in err and "Fatal Python error" not in err, err[-3000:]


_EXIT_DURING_CALLBACK = """
import sys, threading, time
import gradientai_rs as g
c = g.GradientAI(api_key=sys.argv[1], base_url=sys.argv[2], max_retries=0)
inside = threading.Event()
def slow_progress(done, total):
    inside.set()
    time.sleep(0.2)  # the GIL is free: the main thread goes on to exit meanwhile
threading.Thread(target=c.gpu_droplets.snapshots.list_all, kwargs={"per_page": 5, "progress": slow_progress},
                 daemon=True).start()
assert inside.wait(10)
garbage = [[i] for i in range(3_000_000)]  # freeing this makes finalization outlast the callback
"""


@pytest.mark.timeout(120)
def test_exit_while_a_runtime_thread_is_running_python_code(fake: FakeDigitalOcean) -> None:
    """A progress callback runs on a runtime thread. If the interpreter starts finalizing while that thread is
    attached, CPython < 3.14 ends it when it asks for the GIL back and the process aborts ("PyGILState_Release:
    thread state must be current"), which the old code did 5 times out of 5. The atexit gate waits for it."""
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-c", _EXIT_DURING_CALLBACK, TOKEN, fake.url], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Fatal Python error" not in proc.stderr, proc.stderr[-3000:]


# ------------------------------------------------------------------------------------------------------- Ctrl-C

_SIGINT_CHILD = """
import sys, time
import gradientai_rs as g
c = g.GradientAI(api_key=sys.argv[1], base_url=sys.argv[2], max_retries=0, timeout=60, requests_per_minute=None)
call = getattr(c.gpu_droplets.snapshots, sys.argv[3])
print("READY", flush=True)
try:
    call()
    print("NOT-INTERRUPTED", flush=True)
except KeyboardInterrupt:
    print("INTERRUPTED", time.monotonic(), flush=True)
sys.stdin.readline()          # the parent turned the hang off
out = call()
print("OK", len(out.snapshots) if sys.argv[3] == "list" else len(out), flush=True)
"""


class Lines:
    """A subprocess's stdout lines, read by a thread, so that every read can have a timeout."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.q: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.q.put(line.strip())
        self.q.put("<EOF>")

    def next(self, timeout: float) -> str:
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output from the child within {timeout} s")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call, expected", [("list", 20), ("list_all", 45)])
def test_ctrl_c_interrupts_quickly_and_the_client_still_works(
    hanging_fake: FakeDigitalOcean, call: str, expected: int
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SIGINT_CHILD, TOKEN, hanging_fake.url, call],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = Lines(proc)
        assert lines.next(30) == "READY"
        wait_for(lambda: hanging_fake.request_count >= 1, 10, "the request to reach the fake")
        time.sleep(0.2)  # well inside the call
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        word, _, when = lines.next(5).partition(" ")
        seen = time.monotonic()
        assert word == "INTERRUPTED", word
        latency = float(when) - sent  # CLOCK_MONOTONIC is system-wide: comparable across processes
        hanging_fake.configure(hang=False)
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        again = time.monotonic()
        assert lines.next(20) == f"OK {expected}"
        reuse = time.monotonic() - again
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    figure(
        f"Ctrl-C during {call}()",
        f"KeyboardInterrupt {latency * 1000:.0f} ms after SIGINT "
        f"(parent saw it after {(seen - sent) * 1000:.0f} ms); same client answered again in {reuse * 1000:.0f} ms",
    )
    assert latency < 0.5, f"KeyboardInterrupt took {latency:.3f} s"
    assert proc.returncode == 0, err[-3000:]
