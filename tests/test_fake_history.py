"""The fake API's account histories and delete switches (real HTTP via http.client; no client needed)."""

from __future__ import annotations

import calendar
import collections
import http.client
import json
import time

import pytest

from gradientai_rs.testing import FakeDigitalOcean, generate_snapshots
from gradientai_rs.testing._data import HISTORY_NOW, generate_history

TOKEN = "fake-token"
DAY = 86400


def call(fake: FakeDigitalOcean, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def list_ids(fake: FakeDigitalOcean, query: str = "") -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        status, _, body = call(fake, f"/v2/snapshots?per_page=200&page={page}{query}")
        assert status == 200
        snaps = json.loads(body)["snapshots"]
        ids += [s["id"] for s in snaps]
        if len(snaps) < 200:
            return ids
        page += 1


def epoch(ts: str) -> int:
    return calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))


def test_default_data_is_unchanged():
    with FakeDigitalOcean(30, seed=3) as fake:
        assert fake.snapshots == generate_snapshots(30, seed=3)
        assert fake.history_now is None
        assert fake.deleted_ids == []


def test_history_is_realistic_and_deterministic():
    history = generate_history()
    assert history == generate_history(0)
    assert history != generate_history(1)
    ids = [s["id"] for s in history]
    assert len(set(ids)) == len(ids)
    times = [epoch(s["created_at"]) for s in history]
    assert times == sorted(times)
    assert times[0] >= HISTORY_NOW - 730 * DAY and times[-1] < HISTORY_NOW
    assert times[-1] > HISTORY_NOW - 2 * DAY and times[0] < HISTORY_NOW - 700 * DAY  # spans two years

    per_resource = collections.defaultdict(list)
    for s in history:
        per_resource[s["resource_id"]].append(s)
    counts = sorted(len(v) for v in per_resource.values())
    assert len(per_resource) == 24
    assert counts.count(1) >= 3  # single snapshots
    assert counts[-1] >= 100  # daily / weekly rhythms
    for snaps in per_resource.values():
        # A resource keeps its type, regions and name prefix.
        assert len({s["resource_type"] for s in snaps}) == 1
        assert len({tuple(s["regions"]) for s in snaps}) == 1
        assert len({s["name"].rsplit("-", 2)[0] for s in snaps}) == 1
    # A daily rhythm: consecutive days.
    daily = [v for v in per_resource.values() if len(v) == 120]
    assert daily
    gaps = {round((epoch(b["created_at"]) - epoch(a["created_at"])) / DAY) for a, b in zip(daily[0], daily[0][1:])}
    assert gaps == {1}
    # A weekly rhythm, tagged "weekly".
    weekly = [v for v in per_resource.values() if all("weekly" in (s["tags"] or []) for s in v)]
    assert weekly and all(len(v) >= 100 for v in weekly)
    tags = collections.Counter(t for s in history for t in (s["tags"] or []))
    assert tags["keep"] >= 4 and tags["prod"] > 0 and tags["weekly"] > 0
    assert any(s["tags"] is None for s in history) and any(s["tags"] == [] for s in history)


def test_history_now_and_resources():
    now = "2025-06-01T00:00:00Z"
    snaps = generate_history(2, now=now, resources=6)
    assert len({s["resource_id"] for s in snaps}) == 6
    assert max(s["created_at"] for s in snaps) < now
    assert generate_history(2, now=epoch(now), resources=6) == snaps
    with pytest.raises(ValueError):
        generate_history(now="yesterday")
    assert generate_history(resources=0) == []


def test_fake_serves_a_history():
    with FakeDigitalOcean(history=True, seed=4) as fake:
        assert fake.history_now == HISTORY_NOW
        assert fake.snapshots == generate_history(4)
        assert list_ids(fake) == [s["id"] for s in generate_history(4)]
    with FakeDigitalOcean(history=5, history_now="2025-01-01T00:00:00Z") as fake:
        assert fake.history_now == epoch("2025-01-01T00:00:00Z")
        assert len({s["resource_id"] for s in fake.snapshots}) == 5
        # The stream of add_snapshots continues after the history.
        new = fake.add_snapshots(2, at="end")
        assert all(s["created_at"] > fake.snapshots[-3]["created_at"] for s in new)


def test_delete_removes_and_is_recorded():
    with FakeDigitalOcean(history=4) as fake:
        before = fake.snapshots
        victims = [before[0], before[5]]
        rtype = victims[0]["resource_type"]
        list_ids(fake, f"&resource_type={rtype}")  # fills the per-type cache
        for s in victims:
            status, headers, body = call(fake, f"/v2/snapshots/{s['id']}", "DELETE")
            assert status == 204 and body == b""
        assert fake.deleted_ids == [s["id"] for s in victims]
        remaining = list_ids(fake)
        assert remaining == [s["id"] for s in before if s not in victims]
        assert victims[0]["id"] not in list_ids(fake, f"&resource_type={rtype}")
        _, _, body = call(fake, "/v2/snapshots?per_page=1")
        assert json.loads(body)["meta"]["total"] == len(before) - 2
        assert call(fake, f"/v2/snapshots/{victims[0]['id']}")[0] == 404
        # Deleting again: 404, not recorded twice.
        assert call(fake, f"/v2/snapshots/{victims[0]['id']}", "DELETE")[0] == 404
        assert fake.deleted_ids == [s["id"] for s in victims]
        # Direct deletes aren't HTTP deletes.
        assert fake.delete_snapshot(before[1]["id"])
        assert fake.deleted_ids == [s["id"] for s in victims]
        fake.clear_deleted()
        assert fake.deleted_ids == []


def test_delete_failures():
    with FakeDigitalOcean(20, delete_failures={"x": 500}) as fake:
        a, b, c = (s["id"] for s in fake.snapshots[:3])
        fake.configure(delete_failures={a: 500, b: [503, 429], c: 404})
        for _ in range(2):
            assert call(fake, f"/v2/snapshots/{a}", "DELETE")[0] == 500
        status, _, body = call(fake, f"/v2/snapshots/{b}", "DELETE")
        assert status == 503 and json.loads(body)["id"] == "service_unavailable"
        status, headers, _ = call(fake, f"/v2/snapshots/{b}", "DELETE")
        assert status == 429 and headers["retry-after"] == "1"
        assert call(fake, f"/v2/snapshots/{b}", "DELETE")[0] == 204  # the plan is used up
        assert call(fake, f"/v2/snapshots/{c}", "DELETE")[0] == 404
        assert fake.deleted_ids == [b]
        ids = list_ids(fake)
        assert a in ids and c in ids and b not in ids
        # Reconfiguring replaces the mapping.
        fake.configure(delete_failures={})
        assert call(fake, f"/v2/snapshots/{a}", "DELETE")[0] == 204
        assert fake.deleted_ids == [b, a]
        # A failed delete still counts against the rate limit and is recorded as a request.
        assert [r.method for r in fake.requests].count("DELETE") == 7


def test_delete_error_rate_is_deterministic():
    def outcomes(seed: int) -> list[int]:
        with FakeDigitalOcean(40, seed=seed, delete_error_rate=0.5) as fake:
            return [call(fake, f"/v2/snapshots/{s['id']}", "DELETE")[0] for s in fake.snapshots]

    first = outcomes(1)
    assert first == outcomes(1)
    assert set(first) == {204, 500}
    with FakeDigitalOcean(5, delete_error_rate=1.0) as fake:
        sid = fake.snapshots[0]["id"]
        assert call(fake, f"/v2/snapshots/{sid}", "DELETE")[0] == 500
        assert fake.deleted_ids == [] and sid in list_ids(fake)
        fake.configure(delete_error_rate=0)
        assert call(fake, f"/v2/snapshots/{sid}", "DELETE")[0] == 204


@pytest.mark.parametrize(
    "switches",
    [
        {"delete_error_rate": 1.5},
        {"delete_failures": {"a": 200}},
        {"delete_failures": {"a": [500, 302]}},
    ],
)
def test_delete_switch_validation(switches):
    with FakeDigitalOcean(1) as fake, pytest.raises(ValueError):
        fake.configure(**switches)


def test_command_line_serves_a_history():
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ)
    pkg_parent = str(Path(__import__("gradientai_rs").__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "gradientai_rs.testing", "--history", "6"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) as proc:
        try:
            url = proc.stdout.readline().strip()
            host, port = url.rsplit(":", 1)
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
            conn.request("GET", "/v2/snapshots?per_page=1", headers={"Authorization": f"Bearer {TOKEN}"})
            total = json.loads(conn.getresponse().read())["meta"]["total"]
            conn.close()
            assert total == len(generate_history(resources=6))
        finally:
            proc.terminate()
            proc.communicate(timeout=5)
