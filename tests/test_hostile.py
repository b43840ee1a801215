"""The client against a misbehaving server (tests/hostile.py): every case ends in the documented typed error or the
correct result, within its timeout, without a panic and without inventing data.

Run with ``-s`` to see the figures (times, RSS) printed as ``[figure] ...``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from typing import Any, Tuple

import pytest

from gradientai_rs import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    GradientAI,
    InternalServerError,
)
from hostile import BIG_PAGE_COUNT, HostileServer

TOKEN = "hostile-test-token"


def client_for(url: str, **kw: Any) -> GradientAI:
    kw.setdefault("timeout", 2)
    kw.setdefault("max_retries", 0)
    return GradientAI(api_key=TOKEN, base_url=url, requests_per_minute=None, **kw)


def list_page(srv: HostileServer, **kw: Any) -> Tuple[Any, float]:
    """``(result or exception, seconds)`` of one ``list(per_page=5)``."""
    client = client_for(srv.url, **kw)
    start = time.monotonic()
    try:
        out: Any = client.gpu_droplets.snapshots.list(per_page=5)
    except Exception as exc:
        out = exc
    return out, time.monotonic() - start


def figure(name: str, value: str) -> None:
    print(f"\n[figure] {name}: {value}")


# ---------------------------------------------------------------------------------------------- broken transfers


@pytest.mark.timeout(10)
def test_reset_mid_body_is_a_connection_error() -> None:
    with HostileServer("reset_mid_body") as srv:
        err, secs = list_page(srv)
    assert isinstance(err, APIConnectionError) and not isinstance(err, APITimeoutError), repr(err)
    assert len(srv.requests) == 1
    assert secs < 2


@pytest.mark.timeout(15)
def test_reset_mid_body_is_retried_then_reported() -> None:
    with HostileServer("reset_mid_body") as srv:
        err, secs = list_page(srv, max_retries=2)
    assert isinstance(err, APIConnectionError) and not isinstance(err, APITimeoutError), repr(err)
    assert len(srv.requests) == 3, "a transport error is retried like the SDK does (max_retries=2)"
    assert secs < 6


@pytest.mark.timeout(10)
def test_short_body_is_a_connection_error() -> None:
    with HostileServer("short_body") as srv:
        err, secs = list_page(srv)
    assert isinstance(err, APIConnectionError) and not isinstance(err, APITimeoutError), repr(err)
    assert secs < 2


@pytest.mark.timeout(10)
def test_trickle_hits_the_timeout() -> None:
    with HostileServer("trickle") as srv:
        err, secs = list_page(srv, timeout=1)
    figure("trickle (timeout=1)", f"APITimeoutError after {secs:.2f} s")
    assert isinstance(err, APITimeoutError), repr(err)
    assert isinstance(err, TimeoutError)
    assert 0.9 <= secs < 2.0, secs


# ---------------------------------------------------------------------------------------------- wrong bodies


@pytest.mark.timeout(10)
def test_empty_200_is_a_validation_error() -> None:
    with HostileServer("empty_200") as srv:
        err, _ = list_page(srv)
    assert isinstance(err, APIResponseValidationError), repr(err)
    assert err.status_code == 200
    assert "EOF" in str(err)


@pytest.mark.timeout(10)
def test_html_200_is_a_validation_error_with_an_excerpt() -> None:
    with HostileServer("html_200") as srv:
        err, _ = list_page(srv)
    assert isinstance(err, APIResponseValidationError), repr(err)
    assert err.status_code == 200
    assert "<!DOCTYPE html>" in str(err.body)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "body, needle",
    [
        ({"snapshots": {}, "meta": {"total": 1}}, "snapshots"),
        ({"snapshots": "none", "meta": {"total": 1}}, "snapshots"),
        ({"snapshots": [], "meta": "3"}, "meta"),
        ({"snapshots": [], "links": [1]}, "links"),
        (
            {"snapshots": [{"id": "1"}, 7], "meta": {"total": 2}},
            "snapshots[1]: expected a snapshot object, got a number",
        ),
        ({"snapshots": [3.5]}, "snapshots[0]"),
        ([{"id": "1"}], "response"),
        ("snapshots", "response"),
    ],
    ids=[
        "snapshots-object",
        "snapshots-string",
        "meta-string",
        "links-list",
        "snapshot-number",
        "snapshot-float",
        "top-level-list",
        "top-level-string",
    ],
)
def test_wrong_shape_is_a_validation_error_naming_the_path(body: Any, needle: str) -> None:
    with HostileServer("wrong_shape", body=body) as srv:
        err, _ = list_page(srv)
        assert isinstance(err, APIResponseValidationError), repr(err)
        assert needle in str(err), str(err)
        # list_all: the same error, for page 1, and nothing partial.
        with pytest.raises(APIResponseValidationError) as info:
            client_for(srv.url).gpu_droplets.snapshots.list_all()
    assert info.value.page == 1
    assert needle in str(info.value)


@pytest.mark.timeout(10)
def test_wrong_types_inside_snapshots_are_lenient() -> None:
    """Fields of the wrong type are kept as sent (the SDK's pydantic models don't validate responses either)."""
    body = {
        "snapshots": [{"id": 6372321, "min_disk_size": "25", "regions": "nyc3", "tags": None}],
        "meta": {"total": "1"},
    }
    with HostileServer("wrong_shape", body=body) as srv:
        page, _ = list_page(srv)
    assert not isinstance(page, Exception), repr(page)
    s = page.snapshots[0]
    assert (s.id, s.min_disk_size, s.regions, s.tags) == (6372321, "25", "nyc3", None)
    assert page.meta.total == "1"


@pytest.mark.timeout(10)
@pytest.mark.parametrize("mode", ["no_content_type", "wrong_content_type"])
def test_json_without_a_json_content_type_is_parsed(mode: str) -> None:
    """What we do: the Content-Type is ignored and the body is decoded as JSON (as the SDK does for models)."""
    with HostileServer(mode) as srv:
        page, _ = list_page(srv)
    assert not isinstance(page, Exception), repr(page)
    assert [s.id for s in page.snapshots] == ["0", "1", "2"]
    assert page.meta.total == 3


@pytest.mark.timeout(10)
def test_html_502_is_a_status_error() -> None:
    with HostileServer("html_502") as srv:
        err, _ = list_page(srv)
    assert isinstance(err, InternalServerError) and isinstance(err, APIStatusError), repr(err)
    assert err.status_code == 502
    assert isinstance(err.body, str) and "502 Bad Gateway" in err.body
    assert len(srv.requests) == 1


@pytest.mark.timeout(10)
def test_html_502_is_retried() -> None:
    with HostileServer("html_502") as srv:
        err, secs = list_page(srv, max_retries=1)
    assert isinstance(err, InternalServerError), repr(err)
    assert err.status_code == 502
    assert len(srv.requests) == 2
    assert secs < 3


# ---------------------------------------------------------------------------------------------- size


@pytest.mark.timeout(60)
def test_big_page_parses_exactly() -> None:
    with HostileServer("big_page") as srv:
        from hostile import big_page_body

        size = len(big_page_body())  # built before the clock starts
        client = client_for(srv.url, timeout=30)
        start = time.monotonic()
        page = client.gpu_droplets.snapshots.list()
        fetched = time.monotonic() - start
        snaps = page.snapshots
        ids = [s.id for s in snaps]
        total = time.monotonic() - start
    figure(
        "big page", f"{size / 1e6:.1f} MB, {len(ids)} snapshots: list() {fetched:.2f} s, + ids in Python {total:.2f} s"
    )
    assert page.meta.total == BIG_PAGE_COUNT
    assert len(ids) == BIG_PAGE_COUNT
    assert ids == [str(i) for i in range(BIG_PAGE_COUNT)]
    assert (
        snaps[-1].name
        == f"web-{(BIG_PAGE_COUNT - 1) % 20:02d}-s-2vcpu-4gb-fra1-snapshot-{1595954862243 + BIG_PAGE_COUNT - 1}"
    )


# Linux keeps ru_maxrss across fork+exec (the child starts with the pytest process's peak), so the child also
# reads VmHWM, its own address space's peak, which starts afresh at exec. Both are printed; VmHWM is asserted.
_BOMB_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    import gradientai_rs as g

    def hwm_kb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

    client = g.GradientAI(api_key="t", base_url=sys.argv[1], timeout=30, max_retries=0, requests_per_minute=None)
    call = getattr(client.gpu_droplets.snapshots, sys.argv[2])
    out = {"maxrss_before_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "hwm_before_kb": hwm_kb()}
    start = time.monotonic()
    try:
        call()
        out.update(error=None, message="")
    except BaseException as exc:
        out.update(error=type(exc).__name__, message=str(exc))
    out["seconds"] = time.monotonic() - start
    out["maxrss_after_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["hwm_after_kb"] = hwm_kb()
    print(json.dumps(out))
    """
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "fill, call, pages",
    [(b" ", "list", None), (b"\0", "list", None), (b" ", "list_all", 17)],
    ids=["list-spaces", "list-zeros", "list_all-16-bombs-at-once"],
)
def test_gzip_bomb_is_refused_without_eating_memory(fill: bytes, call: str, pages: Any) -> None:
    """``list_all``: page 1 is valid and announces 17 pages; pages 2-17 (fetched 16 at a time) are all bombs."""
    from hostile import gzip_bomb

    gzip_bomb(fill)  # built before the child starts
    with HostileServer("gzip_bomb", fill=fill, pages=pages) as srv:
        proc = subprocess.run(
            [sys.executable, "-c", _BOMB_CHILD, srv.url, call], capture_output=True, text=True, timeout=50
        )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    growth_mb = (out["hwm_after_kb"] - out["hwm_before_kb"]) / 1024
    maxrss_growth_mb = (out["maxrss_after_kb"] - out["maxrss_before_kb"]) / 1024
    figure(
        f"gzip bomb ({call}, {fill!r}, 1 GiB inflated, {len(gzip_bomb(fill)) / 1e6:.2f} MB on the wire)",
        f"{out['error']} after {out['seconds']:.2f} s; peak RSS (VmHWM) {out['hwm_before_kb'] / 1024:.0f} -> "
        f"{out['hwm_after_kb'] / 1024:.0f} MB (+{growth_mb:.0f} MB); ru_maxrss +{maxrss_growth_mb:.0f} MB "
        f"(from an inherited {out['maxrss_before_kb'] / 1024:.0f} MB)",
    )
    assert out["error"] == "APIResponseValidationError", out
    assert "larger than" in out["message"] and "decompressed" in out["message"], out["message"]
    assert growth_mb < 400, f"peak RSS grew by {growth_mb:.0f} MB"
    assert maxrss_growth_mb < 400


# ---------------------------------------------------------------------------------------------- redirects


@pytest.mark.timeout(10)
def test_redirect_to_a_foreign_origin_is_not_followed() -> None:
    with HostileServer("valid") as foreign, HostileServer("redirect_foreign", location=foreign.url) as srv:
        err, _ = list_page(srv, max_retries=2)
        assert foreign.requests == [], "the foreign host must never be contacted"
    assert all("authorization" not in foreign.headers(i) for i in range(len(foreign.requests)))
    assert srv.headers(0)["authorization"] == f"Bearer {TOKEN}"
    # The 302 is answered as the status error it is, not retried, and the token is nowhere in it.
    assert isinstance(err, APIStatusError), repr(err)
    assert err.status_code == 302
    assert len(srv.requests) == 1
    assert TOKEN not in repr(err.__dict__) and TOKEN not in str(err)


@pytest.mark.timeout(10)
def test_redirect_same_origin_is_followed() -> None:
    with HostileServer("redirect_same_origin") as srv:
        page, _ = list_page(srv)
    assert not isinstance(page, Exception), repr(page)
    assert [s.id for s in page.snapshots] == ["0", "1", "2"]
    assert len(srv.requests) == 2
    assert srv.requests[1].startswith("GET /moved/v2/snapshots?per_page=5 ")
    assert srv.headers(1)["authorization"] == f"Bearer {TOKEN}"
