"""Runtime behaviour: the GIL is released while waiting on the network, Ctrl-C interrupts a hung request quickly,
no Rust panic reaches Python, and one client is safe to share between threads."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from gradientai_rs import GradientAI, Snapshot, SnapshotList, _core

pytestmark = pytest.mark.timeout(30)


# --------------------------------------------------------------------------- GIL


def test_gil_released_during_slow_request(make_fake, token):
    fake = make_fake(5, latency_ms=1000)
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    try:
        time.sleep(0.05)
        before = counter[0]
        t0 = time.monotonic()
        r = c.gpu_droplets.snapshots.list()
        elapsed = time.monotonic() - t0
        during = counter[0] - before
    finally:
        stop.set()
        t.join(timeout=5)
    assert r.meta.total == 5
    assert elapsed >= 0.95
    assert during > 1000, during


def test_gil_released_for_other_python_threads_doing_requests(make_fake, token):
    # two blocking calls in two threads overlap instead of running one after the other
    fake = make_fake(5, latency_ms=600)
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    results = []

    def call():
        results.append(c.gpu_droplets.snapshots.list().meta.total)

    threads = [threading.Thread(target=call) for _ in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    elapsed = time.monotonic() - t0
    assert results == [5, 5]
    assert elapsed < 1.1, elapsed


# --------------------------------------------------------------------------- Ctrl-C


CHILD = textwrap.dedent(
    """
    import sys, time
    from gradientai_rs import GradientAI
    c = GradientAI(api_key="fake-token", base_url=sys.argv[1], max_retries=0, timeout=60)
    print("ready", flush=True)
    try:
        if sys.argv[2] == "list":
            c.gpu_droplets.snapshots.list(timeout=60)
        else:
            c.gpu_droplets.snapshots.list_all(timeout=60)
    except KeyboardInterrupt:
        print("interrupted-at", time.monotonic(), flush=True)
        raise
    print("returned", flush=True)
    """
)


def _start_child(code, fake, call):
    """The child script against the (hanging) fake, without any token or log setting of ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DIGITALOCEAN_ACCESS_TOKEN", "GRADIENTAI_API_KEY", "GRADIENTAI_RS_LOG")
    }
    return subprocess.Popen(
        [sys.executable, "-c", code, fake.url, call],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _sigint_once_blocked(proc, fake):
    """Waits until the child's request reached the fake and hangs there, sends SIGINT; returns when it was sent."""
    deadline = time.monotonic() + 15
    while fake.request_count == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "child never reached the fake"
        time.sleep(0.01)
    time.sleep(0.2)  # the child is now blocked in the hung request
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    return sent


def _interrupt_child(fake, call):
    proc = _start_child(CHILD, fake, call)
    try:
        sent = _sigint_once_blocked(proc, fake)
        out, err = proc.communicate(timeout=10)
        exited = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    interrupted_at = None
    for line in out.splitlines():
        if line.startswith("interrupted-at "):
            interrupted_at = float(line.split()[1])
    return proc.returncode, out, err, sent, interrupted_at, exited


@pytest.mark.parametrize("call", ["list", "list_all"])
def test_ctrl_c_interrupts_hung_request(make_fake, call):
    fake = make_fake(45, hang=True)
    rc, out, err, sent, interrupted_at, exited = _interrupt_child(fake, call)
    print(
        f"{call}: KeyboardInterrupt after {None if interrupted_at is None else round(interrupted_at - sent, 3)} s, "
        f"process exit after {exited - sent:.3f} s"
    )
    assert "returned" not in out
    assert "KeyboardInterrupt" in err
    assert rc != 0
    assert interrupted_at is not None, (out, err)
    assert interrupted_at - sent < 0.5, interrupted_at - sent  # CLOCK_MONOTONIC is shared between processes
    assert exited - sent < 2.0


# --------------------------------------------------------------------------- panics


def _odd_calls(fake_url):
    c = GradientAI(api_key="fake-token", base_url=fake_url, max_retries=0)
    s = c.gpu_droplets.snapshots
    return [
        lambda: Snapshot(min_disk_size=math.nan),
        lambda: Snapshot(size_gigabytes=math.inf),
        lambda: Snapshot(id=2**70),
        lambda: Snapshot(**{"": 1}),
        lambda: Snapshot(id="a").to_json(indent=-1),
        lambda: Snapshot(id="a").to_json(indent=10**30),
        lambda: _core._model_from_json("Nope", "{}"),
        lambda: _core._model_from_json("Snapshot", "[]"),
        lambda: _core._model_from_json("SnapshotListResponse", '{"snapshots": 5}'),
        lambda: _core._snapshot_list_from_json("not json", 0, 0),
        lambda: _core._snapshot_list_from_json("[1]", 0, 0),
        lambda: _core._snapshot_list_from_json("[]", 2**64, 0),
        lambda: SnapshotList([1, 2]),
        lambda: SnapshotList([Snapshot(id="a")])[10**20],
        lambda: SnapshotList([Snapshot(id="a")])[::0],
        lambda: GradientAI(api_key="x", timeout=math.nan),
        lambda: GradientAI(api_key="x", max_retries=2**40),
        lambda: GradientAI(api_key="x", base_url="http://[::1"),
        lambda: GradientAI(api_key="x", default_headers={"bad header": "v"}),
        lambda: GradientAI(api_key="x", requests_per_minute=-1),
        lambda: GradientAI(api_key="t\r\nX: y", base_url=fake_url, max_retries=0).gpu_droplets.snapshots.list(),
        lambda: s.list(timeout=1e-9),
        lambda: s.list(extra_headers={"a": "\n"}),
        lambda: s.list(extra_query={1: 2}),
        lambda: s.retrieve("../.."),
        lambda: s.retrieve(2**80),
        lambda: s.list_all(max_concurrency=0),
        lambda: s.list_all(per_page=10**30),
    ]


def test_no_panic_reaches_python(make_fake):
    fake = make_fake(5)
    for i, f in enumerate(_odd_calls(fake.url)):
        try:
            f()
        except Exception:
            pass  # an ordinary exception is fine
        except BaseException as e:  # pyo3's PanicException derives from BaseException
            pytest.fail(f"case {i}: {type(e).__module__}.{type(e).__name__}: {e}")


def test_no_panic_on_hostile_bodies(make_fake, token):
    fake = make_fake(5)
    c = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    bodies = [
        (b"\x1f\x8b\x08garbage", {"content-encoding": "gzip"}),
        (b"\xff\xfe{", {}),
        (b'{"snapshots":[{"created_at":"9999-99-99T99:99:99Z"},{"created_at":"+275760-09-13T00:00:00Z"}]}', {}),
        (b'{"snapshots":[' + b"[" * 5000 + b"]" * 5000 + b"]}", {}),
        (b'{"snapshots":[{"id":"a","tags":[' + b'"t",' * 10000 + b'"t"]}]}', {}),
        (b'{"snapshots":[],"meta":{"total":-1}}', {}),
        (b'{"snapshots":[],"meta":{"total":1e400}}', {}),
    ]
    for body, headers in bodies:
        fake.enqueue(200, body=body, headers=headers)
        try:
            r = c.gpu_droplets.snapshots.list()
            repr(r)
            r.to_dict(mode="json")
            for s in r.snapshots or []:
                repr(s.created_at)
        except Exception:
            pass
        except BaseException as e:
            pytest.fail(f"{body[:40]!r}: {type(e).__name__}: {e}")


# --------------------------------------------------------------------------- threads


def test_many_threads_share_one_client(client, fake):
    ids = fake.ids()
    errors = []
    results = {}

    def work(n):
        try:
            for k in range(5):
                page = (n + k) % 9 + 1
                r = client.gpu_droplets.snapshots.list(page=page, per_page=5)
                results[(n, k)] = (page, [s.id for s in r.snapshots], r.meta.total)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert len(results) == 40
    for page, got, total in results.values():
        assert total == 45
        assert got == ids[(page - 1) * 5 : page * 5]
    assert fake.request_count == 40


ASYNC_CHILD = textwrap.dedent(
    """
    import asyncio, sys, time
    from gradientai_rs import AsyncGradientAI
    c = AsyncGradientAI(api_key="fake-token", base_url=sys.argv[1], max_retries=0, timeout=60)
    s = c.gpu_droplets.snapshots
    calls = {
        "list": lambda: s.list(),
        "list_all": lambda: s.list_all(),
        "retrieve": lambda: s.retrieve("1"),
        "delete": lambda: s.delete("1"),
        "next_page": lambda: s.list(per_page=1),
    }
    print("ready", flush=True)
    try:
        asyncio.run(calls[sys.argv[2]]())
    except KeyboardInterrupt:
        print("interrupted-at", time.monotonic(), flush=True)
    sys.stdin.readline()  # the parent un-hangs the fake, then the same client must work
    page = asyncio.run(s.list(per_page=2))
    print("usable", len(page.snapshots), flush=True)
    """
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call", ["list", "list_all", "retrieve", "delete"])
def test_ctrl_c_interrupts_each_async_call_and_the_client_stays_usable(make_fake, call):
    fake = make_fake(45, hang=True)
    proc = _start_child(ASYNC_CHILD, fake, call)
    try:
        sent = _sigint_once_blocked(proc, fake)
        line = ""
        while not line.startswith("interrupted-at"):
            line = proc.stdout.readline()
            assert line, proc.communicate()
        interrupted_at = float(line.split()[1])
        requests_after = fake.request_count
        time.sleep(0.5)
        assert fake.request_count == requests_after, "requests went on after the interrupt"
        fake.configure(hang=False)
        out, err = proc.communicate("go\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(f"async {call}: KeyboardInterrupt after {interrupted_at - sent:.3f} s")
    assert interrupted_at - sent < 0.5
    assert proc.returncode == 0, err
    assert "usable 2" in out, (out, err)
