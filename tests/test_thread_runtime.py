"""Blocking one-request calls run on the calling thread (issue 20): no hand-off to the runtime's worker, one
keep-alive connection per thread and client, reused call after call, never a stale one; calls made from inside a
running call (a progress callback) still work; the listings stay on the process runtime."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from gradientai_rs import GradientAI

pytestmark = pytest.mark.timeout(60)

TOKEN = "fake-token"


def _runtime_threads_switches() -> int:
    """Context switches so far of the process runtime's threads (named ``gradientai-rs``), from /proc."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            if (task / "comm").read_text().strip() != "gradientai-rs":
                continue
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:  # the thread ended meanwhile
            continue
    return total


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_one_request_calls_leave_the_runtime_worker_asleep(make_fake) -> None:
    fake = make_fake(450)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    s = c.gpu_droplets.snapshots
    assert len(s.list_all(per_page=50)) == 450  # the process runtime exists and has run
    before = _runtime_threads_switches()
    for i in range(100):
        s.list(per_page=50, page=i % 9 + 1)
        s.retrieve(fake.ids()[i])
    page = s.list(per_page=50)
    while page.has_next_page():
        page = page.get_next_page()
    woke = _runtime_threads_switches() - before
    # Handed over, each call would wake the worker at least twice (the task, then the answer): 400+ switches.
    assert woke < 40, woke


def test_a_thread_reuses_one_connection_per_client(make_fake) -> None:
    fake = make_fake(45)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    for i in range(30):
        c.gpu_droplets.snapshots.list(per_page=5, page=i % 9 + 1)
    assert fake.connection_count == 1

    def work() -> None:
        for i in range(10):
            c.gpu_droplets.snapshots.list(per_page=5, page=i % 9 + 1)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One more per thread (each thread's calls use the connections of its own runtime), none per call.
    assert fake.connection_count == 4
    assert fake.request_count == 60


def test_a_keep_alive_connection_the_server_closed_is_not_reused(make_fake) -> None:
    fake = make_fake(45)
    # No retries: a request sent on the closed connection would fail.
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    s = c.gpu_droplets.snapshots
    s.list(per_page=5)
    for round_ in range(1, 4):
        assert fake.close_connections() == 1
        time.sleep(0.1)
        r = s.with_raw_response.list(per_page=5)
        assert r.retries_taken == 0
        assert len(r.parse().snapshots) == 5
        assert fake.connection_count == 1 + round_


def test_a_blocking_call_from_a_progress_callback(make_fake) -> None:
    fake = make_fake(90)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    inner: list[int] = []

    def progress(*_args: object) -> None:
        if not inner:
            inner.append(len(c.gpu_droplets.snapshots.list(per_page=3).snapshots))

    got = c.gpu_droplets.snapshots.list_all(per_page=30, progress=progress)
    assert len(got) == 90
    assert inner == [3]


def test_each_thread_of_a_pool_gets_the_right_pages(make_fake) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fake = make_fake(200)
    ids = fake.ids()
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)

    def page(n: int) -> list[str]:
        return [str(s.id) for s in c.gpu_droplets.snapshots.list(per_page=10, page=n).snapshots]

    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(page, [n % 20 + 1 for n in range(200)]))
    for n, got in enumerate(pages):
        k = n % 20
        assert got == [str(i) for i in ids[k * 10 : (k + 1) * 10]]
    assert fake.connection_count <= 8


def _wait_for(cond, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


@pytest.mark.parametrize("how", ["close", "del"])
def test_closing_or_dropping_a_client_closes_this_threads_connections_at_once(make_fake, how: str) -> None:
    import gc

    fake = make_fake(45)
    c = GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
    c.gpu_droplets.snapshots.list(per_page=5)
    assert _wait_for(lambda: fake.open_connections == 1)
    if how == "close":
        c.close()
    else:
        del c
        gc.collect()
    # Not at this thread's next call: now.
    assert _wait_for(lambda: fake.open_connections == 0), fake.open_connections


FORK_CHILD_EXITS_NORMALLY = """
import os, sys, time
from gradientai_rs import GradientAI
c = GradientAI(api_key="fake-token", base_url=sys.argv[1], max_retries=0, timeout=3)
s = c.gpu_droplets.snapshots
s.list(per_page=5)  # this thread's runtime now holds an idle keep-alive connection
pid = os.fork()
if pid == 0:
    sys.exit(0)  # a normal exit: the child's thread-locals are destroyed (os._exit would skip that)
os.waitpid(pid, 0)
t0 = time.monotonic()
s.list(per_page=5)  # on the kept connection: its socket must still be registered with this runtime's epoll set
print("parent-ok", round(time.monotonic() - t0, 3), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_that_exits_normally_leaves_the_parents_connections_alone(make_fake) -> None:
    import subprocess
    import sys

    fake = make_fake(45)
    p = subprocess.run(
        [sys.executable, "-c", FORK_CHILD_EXITS_NORMALLY, fake.url], capture_output=True, text=True, timeout=30
    )
    assert p.returncode == 0, p.stderr
    assert "parent-ok" in p.stdout, p.stdout + p.stderr
    assert float(p.stdout.split()[-1]) < 1.0, p.stdout
    assert fake.connection_count == 1  # the parent's second call reused its connection
