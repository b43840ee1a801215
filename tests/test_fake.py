"""Tests of the fake DigitalOcean API server itself (real HTTP via http.client / urllib)."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from gradientai_rs.testing import FakeDigitalOcean, RecordedRequest, generate_snapshots

TOKEN = "fake-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
REGIONS = {"nyc1", "nyc3", "sfo2", "sfo3", "ams3", "fra1", "lon1", "sgp1", "blr1", "tor1", "syd1"}
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class Resp:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def call(fake, path, method="GET", *, token=TOKEN, headers=None, conn=None) -> Resp:
    hdrs = {} if token is None else {"Authorization": f"Bearer {token}"}
    hdrs.update(headers or {})
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request(method, path, headers=hdrs)
        r = conn.getresponse()
        body = r.read()
        resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, body)
    finally:
        if own:
            conn.close()
    check_common_headers(resp)
    return resp


def check_common_headers(r: Resp) -> None:
    h = r.headers
    assert h["ratelimit-limit"] == "5000"
    assert int(h["ratelimit-remaining"]) >= 0
    assert abs(int(h["ratelimit-reset"]) - time.time()) < 4000
    assert uuid.UUID(h["x-request-id"]).version == 4
    if r.status != 204:
        assert int(h["content-length"]) == len(r.body)
    if r.status >= 400 and r.body and "json" in h.get("content-type", ""):
        body = json.loads(gzip.decompress(r.body) if h.get("content-encoding") == "gzip" else r.body)
        assert h["content-type"] == "application/json; charset=utf-8"
        assert body["request_id"] == h["x-request-id"]
        assert isinstance(body["id"], str) and isinstance(body["message"], str)


@pytest.fixture
def fake():
    with FakeDigitalOcean(45, seed=1) as f:
        yield f


# --------------------------------------------------------------------------- listing


def test_pagination_links_and_meta(fake):
    base = fake.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base) and int(base.rsplit(":", 1)[1]) == fake.port
    seen = []
    r1 = call(fake, "/v2/snapshots?page=1&per_page=20")
    assert r1.status == 200 and r1.headers["content-type"] == "application/json; charset=utf-8"
    d1 = r1.json()
    assert d1["meta"] == {"total": 45}
    assert d1["links"] == {
        "pages": {
            "last": f"{base}/v2/snapshots?page=3&per_page=20",
            "next": f"{base}/v2/snapshots?page=2&per_page=20",
        }
    }
    assert list(d1["links"]["pages"]) == ["last", "next"]
    seen += d1["snapshots"]

    d2 = call(fake, "/v2/snapshots?page=2&per_page=20").json()
    assert d2["links"]["pages"] == {
        "first": f"{base}/v2/snapshots?page=1&per_page=20",
        "prev": f"{base}/v2/snapshots?page=1&per_page=20",
        "last": f"{base}/v2/snapshots?page=3&per_page=20",
        "next": f"{base}/v2/snapshots?page=3&per_page=20",
    }
    seen += d2["snapshots"]

    d3 = call(fake, "/v2/snapshots?page=3&per_page=20").json()
    assert d3["links"]["pages"] == {
        "first": f"{base}/v2/snapshots?page=1&per_page=20",
        "prev": f"{base}/v2/snapshots?page=2&per_page=20",
    }
    assert len(d3["snapshots"]) == 5
    seen += d3["snapshots"]
    assert seen == fake.snapshots
    assert [s["id"] for s in seen] == fake.ids()

    # page past the end: empty list, still the right total
    d9 = call(fake, "/v2/snapshots?page=9&per_page=20").json()
    assert d9["snapshots"] == [] and d9["meta"] == {"total": 45}
    assert "next" not in d9["links"]["pages"]


def test_defaults_single_page_and_unknown_params(fake):
    d = call(fake, "/v2/snapshots?foo=bar&page=1").json()  # default per_page 20
    assert len(d["snapshots"]) == 20
    assert d["links"]["pages"]["next"].endswith("/v2/snapshots?page=2&per_page=20")
    d = call(fake, "/v2/snapshots?per_page=200").json()
    assert d["links"] == {} and len(d["snapshots"]) == 45 and d["meta"]["total"] == 45
    d = call(fake, "/v2/snapshots?per_page=45").json()
    assert d["links"] == {}
    with FakeDigitalOcean(0) as empty:
        d = call(empty, "/v2/snapshots").json()
        assert d == {"snapshots": [], "links": {}, "meta": {"total": 0}}


def test_resource_type_filter(fake):
    all_snaps = fake.snapshots
    volumes = [s for s in all_snaps if s["resource_type"] == "volume"]
    assert 0 < len(volumes) < 45
    d = call(fake, "/v2/snapshots?resource_type=volume&per_page=5").json()
    assert d["meta"]["total"] == len(volumes)
    assert d["snapshots"] == volumes[:5]
    assert d["links"]["pages"]["next"] == f"{fake.url}/v2/snapshots?page=2&per_page=5&resource_type=volume"
    droplets = call(fake, "/v2/snapshots?resource_type=droplet&per_page=200").json()
    assert droplets["meta"]["total"] == 45 - len(volumes)
    assert all(s["resource_type"] == "droplet" for s in droplets["snapshots"])

    fake.configure(echo_resource_type=False)
    d = call(fake, "/v2/snapshots?resource_type=volume&per_page=5").json()
    assert d["links"]["pages"]["next"] == f"{fake.url}/v2/snapshots?page=2&per_page=5"


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
        "per_page=0",
        "per_page=201",
        "per_page=x",
        "resource_type=image",
    ],
)
def test_bad_params_400(fake, query):
    r = call(fake, f"/v2/snapshots?{query}")
    assert r.status == 400
    assert r.json()["id"] == "bad_request"


def test_links_base():
    with FakeDigitalOcean(30, links_base="https://api.digitalocean.com/") as f:
        d = call(f, "/v2/snapshots?per_page=10&page=2").json()
        assert d["links"]["pages"]["next"] == "https://api.digitalocean.com/v2/snapshots?page=3&per_page=10"


def test_keep_alive_reuses_connection(fake):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        for page in (1, 2, 3):
            assert call(fake, f"/v2/snapshots?page={page}", conn=conn).status == 200
        assert call(fake, "/nope", conn=conn).status == 404
        assert call(fake, "/v2/snapshots?page=1", conn=conn).status == 200
    finally:
        conn.close()


def test_concurrent_clients(fake):
    remaining, errors = [], []

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
        try:
            for i in range(25):
                r = call(fake, f"/v2/snapshots?page={i % 4 + 1}", conn=conn)
                assert r.status == 200
                remaining.append(int(r.headers["ratelimit-remaining"]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors and fake.request_count == 200
    assert sorted(remaining) == list(range(4800, 5000))


# --------------------------------------------------------------------------- auth, single items


def test_auth():
    with FakeDigitalOcean(3) as f:
        r = call(f, "/v2/snapshots", token=None)
        assert r.status == 401 and r.json()["id"] == "unauthorized"
        assert r.json()["message"] == "Unable to authenticate you."
        assert call(f, "/v2/snapshots", token="wrong").status == 401
        assert call(f, "/v2/snapshots", token=None, headers={"Authorization": "Basic abc"}).status == 401
        assert call(f, "/v2/snapshots").status == 200
    with FakeDigitalOcean(3, token=None) as f:
        assert call(f, "/v2/snapshots", token="anything").status == 200
        assert call(f, "/v2/snapshots", token=None).status == 401


def test_get_delete_and_404(fake):
    sid = fake.ids()[7]
    r = call(fake, f"/v2/snapshots/{sid}")
    assert r.status == 200 and r.json() == {"snapshot": fake.snapshots[7]}

    r = call(fake, f"/v2/snapshots/{sid}", "DELETE")
    assert r.status == 204 and r.body == b""
    assert sid not in fake.ids() and len(fake.snapshots) == 44
    assert call(fake, "/v2/snapshots?per_page=200").json()["meta"]["total"] == 44

    for path, method in [
        (f"/v2/snapshots/{sid}", "GET"),
        (f"/v2/snapshots/{sid}", "DELETE"),
        ("/v2/images", "GET"),  # /v2/droplets is served since the fake serves sources
        ("/", "GET"),
    ]:
        r = call(fake, path, method)
        assert r.status == 404
        assert r.json()["id"] == "not_found"
        assert r.json()["message"] == "The resource you requested could not be found."


def test_ratelimit_remaining_decrements(fake):
    a = int(call(fake, "/v2/snapshots").headers["ratelimit-remaining"])
    b = int(call(fake, "/v2/snapshots/nope").headers["ratelimit-remaining"])
    assert (a, b) == (4999, 4998)
    assert 50 <= int(call(fake, "/v2/snapshots").headers["ratelimit-reset"]) - time.time() <= 70


# --------------------------------------------------------------------------- data


def test_generate_snapshots_deterministic_and_realistic():
    a = generate_snapshots(2000, seed=42)
    assert a == generate_snapshots(2000, seed=42)
    assert a != generate_snapshots(2000, seed=43)
    ids = [s["id"] for s in a]
    assert len(set(ids)) == len(ids)
    created = [s["created_at"] for s in a]
    assert all(TS_RE.fullmatch(c) for c in created)
    assert all(x < y for x, y in zip(created, created[1:]))
    kinds = {"droplet": 0, "volume": 0}
    tags_null = tags_empty = non_ascii = 0
    for s in a:
        assert set(s) == {
            "id",
            "name",
            "created_at",
            "regions",
            "resource_id",
            "resource_type",
            "min_disk_size",
            "size_gigabytes",
            "tags",
        }
        kinds[s["resource_type"]] += 1
        if s["resource_type"] == "droplet":
            assert s["id"].isdigit() and s["resource_id"].isdigit()
        else:
            assert str(uuid.UUID(s["id"])) == s["id"] and str(uuid.UUID(s["resource_id"])) == s["resource_id"]
        assert 1 <= len(s["regions"]) <= 3 and len(set(s["regions"])) == len(s["regions"])
        assert set(s["regions"]) <= REGIONS
        assert s["min_disk_size"] in (20, 25, 50, 60, 80, 100, 160, 320)
        assert isinstance(s["size_gigabytes"], float) and s["size_gigabytes"] > 0
        assert round(s["size_gigabytes"], 4) == s["size_gigabytes"]
        if s["tags"] is None:
            tags_null += 1
        elif s["tags"] == []:
            tags_empty += 1
        else:
            assert 1 <= len(s["tags"]) <= 3 and all(isinstance(t, str) for t in s["tags"])
        if not s["name"].isascii():
            non_ascii += 1
    assert 0.5 < kinds["droplet"] / 2000 < 0.7
    assert 0.05 < tags_null / 2000 < 0.15
    assert 0.14 < tags_empty / 2000 < 0.26
    assert 0.02 < non_ascii / 2000 < 0.09


def test_generation_is_fast():
    t = time.perf_counter()
    assert len(generate_snapshots(100_000, seed=3)) == 100_000
    assert time.perf_counter() - t < 3.0


def test_unicode_round_trips_over_http():
    snaps = [{"id": "1", "name": "données-ñ-東京-✓🚀", "resource_type": "droplet"}]
    with FakeDigitalOcean(snaps) as f:
        assert call(f, "/v2/snapshots").json()["snapshots"] == snaps
        assert call(f, "/v2/snapshots/1").json() == {"snapshot": snaps[0]}


def test_generated_bodies_are_compact_utf8_json():
    with FakeDigitalOcean(300, seed=9) as f:
        snaps = f.snapshots
        assert any(not x["name"].isascii() for x in snaps)
        body = call(f, "/v2/snapshots?per_page=200").body
        items = b",".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")).encode() for x in snaps[:200])
        assert body.startswith(b'{"snapshots":[' + items + b'],"links":{"pages":{')
        assert body.endswith(b'},"meta":{"total":300}}')
        added = f.add_snapshots(5)
        one = call(f, f"/v2/snapshots/{added[0]['id']}").body
        assert one == b'{"snapshot":' + json.dumps(added[0], ensure_ascii=False, separators=(",", ":")).encode() + b"}"


def test_verbatim_list_and_add_snapshots():
    odd = [{"id": 5, "weird": [1, {"x": None}]}, {"name": "no id"}, {"id": "a", "created_at": "2030-01-01T00:00:00Z"}]
    with FakeDigitalOcean(odd) as f:
        assert call(f, "/v2/snapshots").json()["snapshots"] == odd
        assert call(f, "/v2/snapshots/5").json() == {"snapshot": odd[0]}
        new = f.add_snapshots(2, at="end")
        assert f.snapshots[:3] == odd and f.snapshots[3:] == new
        assert all(s["created_at"] > "2030-01-01T00:00:00Z" for s in new)

    with FakeDigitalOcean(10, seed=5) as f:
        before = f.snapshots
        front = f.add_snapshots(3)  # default at="front"
        assert f.snapshots == front + before
        assert len(set(f.ids())) == 13
        assert min(s["created_at"] for s in front) > max(s["created_at"] for s in before)
        assert f.delete_snapshot(front[0]["id"]) and not f.delete_snapshot("missing")


# --------------------------------------------------------------------------- failure injection


def test_fail_pages():
    with FakeDigitalOcean(60, fail_pages={2: [500, 503, 429]}, retry_after="7") as f:
        assert call(f, "/v2/snapshots?page=1").status == 200
        r = call(f, "/v2/snapshots?page=2")
        assert r.status == 500 and r.json()["id"] == "server_error"
        assert r.json()["message"] == "Unexpected server-side error"
        r = call(f, "/v2/snapshots?page=2")
        assert r.status == 503 and r.json() == {
            "id": "service_unavailable",
            "message": "Service Unavailable",
            "request_id": r.headers["x-request-id"],
        }
        r = call(f, "/v2/snapshots?page=2")
        assert r.status == 429 and r.headers["retry-after"] == "7"
        assert r.json()["id"] == "too_many_requests" and r.json()["message"] == "API Rate limit exceeded."
        assert call(f, "/v2/snapshots?page=2").status == 200
        assert call(f, "/v2/snapshots?page=3").status == 200


def test_truncate_pages():
    with FakeDigitalOcean(30, truncate_pages=[2]) as f:
        full = call(f, "/v2/snapshots?page=1&per_page=10")
        json.loads(full.body)
        r = call(f, "/v2/snapshots?page=2&per_page=10")  # common check asserts Content-Length == len(body)
        assert r.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.body)
        f.configure(truncate_pages=())
        whole = call(f, "/v2/snapshots?page=2&per_page=10").body
        assert r.body == whole[: len(whole) // 2]


def test_error_rate_is_deterministic():
    def statuses(seed):
        with FakeDigitalOcean(5, seed=seed, error_rate=0.4) as f:
            return [call(f, "/v2/snapshots").status for _ in range(40)]

    a = statuses(3)
    assert a == statuses(3)
    assert set(a) <= {200, 500, 503} and {500, 503} <= set(a)
    assert 5 < sum(s != 200 for s in a) < 30
    with FakeDigitalOcean(5, error_rate=1.0) as f:  # errors come before auth
        assert call(f, "/v2/snapshots", token=None).status in (500, 503)


def test_burst_limit():
    with FakeDigitalOcean(5, burst_limit=3, burst_window_s=0.3, retry_after="2") as f:
        assert [call(f, "/v2/snapshots").status for _ in range(3)] == [200, 200, 200]
        r = call(f, "/v2/snapshots")
        assert r.status == 429 and r.headers["retry-after"] == "2"
        assert r.headers["ratelimit-remaining"] == "0" and r.json()["id"] == "too_many_requests"
        assert call(f, "/v2/snapshots").status == 429  # 429s do not extend the window
        time.sleep(0.35)
        assert call(f, "/v2/snapshots").status == 200
        f.configure(retry_after=None, burst_limit=1, burst_window_s=60)
        r = call(f, "/v2/snapshots")
        assert r.status == 429 and "retry-after" not in r.headers


def test_hourly_quota():
    with FakeDigitalOcean(5, hourly_remaining=2) as f:
        assert call(f, "/v2/snapshots").headers["ratelimit-remaining"] == "1"
        assert call(f, "/v2/snapshots").headers["ratelimit-remaining"] == "0"
        r = call(f, "/v2/snapshots")
        assert r.status == 429 and "retry-after" not in r.headers
        assert r.headers["ratelimit-remaining"] == "0"
        assert int(r.headers["ratelimit-reset"]) - time.time() > 3000
        f.configure(hourly_remaining=10)
        assert call(f, "/v2/snapshots").status == 200


def test_insert_per_list_request():
    with FakeDigitalOcean(10, insert_per_list_request=2) as f:
        first_ids = f.ids()
        d1 = call(f, "/v2/snapshots?per_page=5").json()
        assert d1["meta"]["total"] == 10 and [s["id"] for s in d1["snapshots"]] == first_ids[:5]
        assert len(f.snapshots) == 12 and f.ids()[2:] == first_ids
        d2 = call(f, "/v2/snapshots?page=2&per_page=5").json()
        assert d2["meta"]["total"] == 12
        assert [s["id"] for s in d2["snapshots"]] == first_ids[3:8]  # shifted by the inserts
        assert call(f, "/v2/snapshots?page=0").status == 400
        assert len(f.snapshots) == 14  # failed requests insert nothing


def test_enqueue():
    with FakeDigitalOcean(5) as f:
        f.enqueue(503, count=2)
        f.enqueue(200, body={"snapshots": [], "links": {}, "meta": {"total": 0}}, path="/v2/snapshots")
        f.enqueue(429, headers={"Retry-After": "9", "ratelimit-remaining": "3"})
        f.enqueue(200, body="not json", headers={"x-extra": "yes"}, path="/other")
        f.enqueue(418, body=b"\x00raw", headers={"content-type": "application/octet-stream"})

        r = call(f, "/anything")
        assert r.status == 503 and r.json()["id"] == "service_unavailable"
        assert call(f, "/v2/snapshots").status == 503
        r = call(f, "/v2/snapshots?page=4")
        assert r.status == 200 and r.json()["meta"]["total"] == 0
        r = call(f, "/v2/snapshots")
        assert r.status == 429 and r.headers["retry-after"] == "9" and r.headers["ratelimit-remaining"] == "3"
        # /other canned answer waits for its path; the 418 is next for other paths (FIFO among matches)
        r = call(f, "/v2/snapshots")
        assert r.status == 418 and r.body == b"\x00raw"
        assert r.headers["content-type"] == "application/octet-stream"
        assert call(f, "/v2/snapshots").status == 200
        r = call(f, "/other")
        assert r.status == 200 and r.body == b"not json" and r.headers["x-extra"] == "yes"
        assert call(f, "/other").status == 404

        f.enqueue(500, count=5)
        f.clear_queue()
        assert call(f, "/v2/snapshots").status == 200

        f.enqueue(200, body=[1, 2], delay_s=0.2)
        t = time.monotonic()
        assert call(f, "/v2/snapshots").json() == [1, 2]
        assert time.monotonic() - t >= 0.19


def test_latency():
    with FakeDigitalOcean(5, latency_ms=150) as f:
        t = time.monotonic()
        assert call(f, "/v2/snapshots").status == 200
        assert time.monotonic() - t >= 0.14


def _start_hanging_request(fake, path):
    result = {}

    def run():
        conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=10)
        try:
            conn.request("GET", path, headers=AUTH)
            resp = conn.getresponse()
            resp.read()
            result["status"] = resp.status
        except Exception as exc:  # connection closed without an answer
            result["error"] = exc
        finally:
            conn.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, result


@pytest.mark.parametrize("mode", ["hang", "hang_path", "latency", "delay"])
def test_close_is_prompt_while_requests_hang(mode):
    f = FakeDigitalOcean(5).start()
    idle = http.client.HTTPConnection("127.0.0.1", f.port, timeout=5)  # an idle keep-alive connection
    assert call(f, "/v2/snapshots/x", conn=idle).status == 404
    if mode == "hang":
        f.configure(hang=True)
    elif mode == "hang_path":
        f.hang_path("/v2/snapshots")
        assert call(f, "/v2/snapshots/x").status == 404  # other paths still answer
    elif mode == "latency":
        f.configure(latency_ms=60_000)
    else:
        f.enqueue(200, body={}, delay_s=60)
    before = f.request_count
    t, result = _start_hanging_request(f, "/v2/snapshots")
    deadline = time.monotonic() + 2
    while f.request_count == before and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert t.is_alive()
    start = time.monotonic()
    f.close()
    t.join(3)
    assert time.monotonic() - start < 2
    assert not t.is_alive() and "error" in result
    idle.close()
    f.close()  # idempotent


def test_configure_hang_releases_and_unknown_switch(fake):
    fake.configure(hang=True)
    t, result = _start_hanging_request(fake, "/v2/snapshots")
    time.sleep(0.2)
    assert t.is_alive()
    fake.configure(hang=False)  # a hanging request resumes and is answered normally
    t.join(2)
    assert result == {"status": 200}
    assert call(fake, "/v2/snapshots").status == 200
    with pytest.raises(TypeError):
        fake.configure(bogus=1)


def test_recorded_requests(fake):
    call(fake, "/v2/snapshots?page=2&per_page=5&page=3&blank=&x=1", headers={"X-Custom": "v"})
    call(fake, "/v2/snapshots", token=None)  # 401 is recorded too
    call(fake, "/v2/snapshots/abc", "DELETE")
    call(fake, "/v2/snapshots?page=zz")
    reqs = fake.requests
    assert fake.request_count == 4 and all(isinstance(r, RecordedRequest) for r in reqs)
    r0 = reqs[0]
    assert r0.method == "GET" and r0.path == "/v2/snapshots"
    assert r0.query == [("page", "2"), ("per_page", "5"), ("page", "3"), ("blank", ""), ("x", "1")]
    assert r0.params == {"page": "3", "per_page": "5", "blank": "", "x": "1"}
    assert r0.headers["x-custom"] == "v" and r0.headers["authorization"] == f"Bearer {TOKEN}"
    assert r0.page == 3
    assert reqs[1].page == 1 and "authorization" not in reqs[1].headers
    assert reqs[2].method == "DELETE" and reqs[2].path == "/v2/snapshots/abc" and reqs[2].page is None
    assert reqs[3].page is None
    assert [r.time for r in reqs] == sorted(r.time for r in reqs)
    with pytest.raises(Exception):
        r0.method = "POST"  # frozen
    fake.clear_requests()
    assert fake.requests == [] and fake.request_count == 0


def test_gzip():
    with FakeDigitalOcean(30, gzip=True) as f:
        plain = call(f, "/v2/snapshots")
        assert "content-encoding" not in plain.headers
        z = call(f, "/v2/snapshots", headers={"Accept-Encoding": "gzip, deflate"})
        assert z.headers["content-encoding"] == "gzip"
        assert gzip.decompress(z.body) == plain.body
        err = call(f, "/nope", headers={"Accept-Encoding": "gzip"})
        assert err.status == 404 and err.headers["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(err.body))["id"] == "not_found"
    with FakeDigitalOcean(3) as f:  # off by default
        assert "content-encoding" not in call(f, "/v2/snapshots", headers={"Accept-Encoding": "gzip"}).headers


def test_handler_bug_answers_fake_error(fake, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(fake, "_list", boom)
    r = call(fake, "/v2/snapshots")
    assert r.status == 500 and r.json()["id"] == "fake_error"
    monkeypatch.undo()
    assert call(fake, "/v2/snapshots").status == 200


def test_urllib_client(fake):
    req = urllib.request.Request(f"{fake.url}/v2/snapshots?per_page=3", headers=AUTH)
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200 and len(json.load(resp)["snapshots"]) == 3
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{fake.url}/v2/snapshots", timeout=5)
    assert exc.value.code == 401
    assert json.loads(exc.value.read())["id"] == "unauthorized"
    exc.value.close()


# --------------------------------------------------------------------------- CLI


def test_cli_serves_and_exits_on_sigterm():
    env = dict(os.environ)
    pkg_parent = str(Path(__import__("gradientai_rs").__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    cmd = [
        sys.executable,
        "-m",
        "gradientai_rs.testing",
        "--port",
        "0",
        "--snapshots",
        "25",
        "--seed",
        "4",
        "--latency-ms",
        "0",
        "--token",
        "cli-token",
    ]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line), line
            req = urllib.request.Request(
                f"{line}/v2/snapshots?per_page=200", headers={"Authorization": "Bearer cli-token"}
            )
            with urllib.request.urlopen(req, timeout=5) as resp:
                data = json.load(resp)
            assert data["meta"]["total"] == 25 and data["snapshots"] == generate_snapshots(25, seed=4)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=5)
            assert proc.returncode == 0
            assert out == "" and "Traceback" not in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
