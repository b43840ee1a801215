"""Retention plans (plan_prune) and applying them (apply / delete_many), blocking and async, against the fake."""

from __future__ import annotations

import asyncio
import calendar
import datetime as dt
import pickle
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradientai_rs import (
    AsyncGradientAI,
    AsyncPrunePlan,
    AuthenticationError,
    GradientAI,
    InternalServerError,
    PermissionDeniedError,
    PrunePlan,
    PruneResult,
    RetentionPolicy,
    SnapshotList,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
UTC = dt.timezone.utc


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(history=True, token=TOKEN) as f:
        yield f


@pytest.fixture
def client(fake: FakeDigitalOcean) -> Iterator[GradientAI]:
    with GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=1, requests_per_minute=None) as c:
        yield c


def now_of(fake: FakeDigitalOcean) -> dt.datetime:
    assert fake.history_now is not None
    return dt.datetime.fromtimestamp(fake.history_now, UTC)


# --------------------------------------------------------------------------------------------- the policy class


def test_policy_is_frozen_with_repr_and_eq():
    p = RetentionPolicy(keep_last=3, keep_daily=7, keep_within="30d", keep_tags=["keep"])
    assert p == RetentionPolicy(keep_last=3, keep_daily=7, keep_within="30d", keep_tags=("keep",))
    assert p.keep_tags == ("keep",)
    assert repr(p) == "RetentionPolicy(keep_last=3, keep_daily=7, keep_within='30d', keep_tags=('keep',))"
    with pytest.raises(Exception):
        p.keep_last = 4  # type: ignore[misc]
    assert hash(p) == hash(RetentionPolicy(keep_last=3, keep_daily=7, keep_within="30d", keep_tags=("keep",)))
    RetentionPolicy(keep_within=dt.timedelta(days=2))


def test_policy_errors():
    with pytest.raises(ValueError, match="keeps nothing"):
        RetentionPolicy()
    with pytest.raises(ValueError, match="keep_last"):
        RetentionPolicy(keep_last=-1)
    with pytest.raises(TypeError, match="keep_daily"):
        RetentionPolicy(keep_daily="7")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keep_within"):
        RetentionPolicy(keep_within="soon")
    with pytest.raises(ValueError, match="keep_within"):
        RetentionPolicy(keep_within=dt.timedelta(0))


# --------------------------------------------------------------------------------------------- planning


def test_plan_prune_splits_everything_and_deletes_nothing(fake, client):
    policy = RetentionPolicy(keep_last=2, keep_daily=7, keep_monthly=3)
    plan = client.gpu_droplets.snapshots.plan_prune(policy, now=now_of(fake))
    assert isinstance(plan, PrunePlan)
    assert isinstance(plan.keep, SnapshotList) and isinstance(plan.delete, SnapshotList)
    keep, delete = {s.id for s in plan.keep}, {s.id for s in plan.delete}
    assert not keep & delete
    assert keep | delete == {s["id"] for s in fake.snapshots}
    assert set(plan.reasons) == keep
    assert all(plan.reasons[i] for i in keep)
    assert plan.policy is policy and plan.now == now_of(fake)
    assert plan.freed_gigabytes == pytest.approx(sum(s.size_gigabytes for s in plan.delete))
    assert plan.freed_monthly_cost() == pytest.approx(plan.freed_gigabytes * 0.06)
    assert fake.deleted_ids == []
    assert "PrunePlan(keep=" in repr(plan)
    assert "apply()" in plan._repr_html_()


def test_plan_prune_selects_first(fake, client):
    policy = RetentionPolicy(keep_last=1)
    plan = client.gpu_droplets.snapshots.plan_prune(policy, resource_type="volume", name="*", now=now_of(fake))
    everything = list(plan.keep) + list(plan.delete)
    assert everything and all(s.resource_type == "volume" for s in everything)
    # keep_last=1 per resource: one kept per volume
    assert len(plan.keep) == len({s.resource_id for s in everything})
    with pytest.raises(TypeError, match="policy"):
        client.gpu_droplets.snapshots.plan_prune({"keep_last": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.gpu_droplets.snapshots.plan_prune(policy, colour="red")  # type: ignore[call-arg]


def test_plan_arrow_has_action_and_reasons(fake, client):
    pytest.importorskip("pyarrow")
    plan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_weekly=4), now=now_of(fake))
    table = plan.to_arrow()
    assert table.num_rows == len(plan.keep) + len(plan.delete)
    actions = table.column("action").to_pylist()
    assert actions.count("keep") == len(plan.keep) and actions.count("delete") == len(plan.delete)
    by_id = dict(zip(table.column("id").to_pylist(), table.column("reasons").to_pylist()))
    for sid, reasons in plan.reasons.items():
        assert by_id[sid] == reasons
    pytest.importorskip("pandas")
    assert len(plan.to_pandas()) == table.num_rows


# --------------------------------------------------------------------------------------------- a pure-Python restic reference


def _periods(t: int) -> List[Any]:
    d = dt.datetime.fromtimestamp(t, UTC)
    iso = d.isocalendar()
    return [(d.year, d.month, d.day, d.hour), (d.year, d.month, d.day), (iso[0], iso[1]), (d.year, d.month), d.year]


def reference_plan(rows: List[Dict[str, Any]], policy: RetentionPolicy, now: int) -> Set[str]:
    """The ids restic's rules keep (grouped by resource_id, newest first, ties by id)."""
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["resource_id"], []).append(r)
    counts = [policy.keep_hourly, policy.keep_daily, policy.keep_weekly, policy.keep_monthly, policy.keep_yearly]
    kept: Set[str] = set()
    for members in groups.values():
        members.sort(key=lambda r: (-r["t"], r["id"]))
        left = list(counts)
        last: List[Optional[Any]] = [None] * 5
        for n, r in enumerate(members):
            keep = n < policy.keep_last
            for k, p in enumerate(_periods(r["t"])):
                if left[k] > 0 and p != last[k]:
                    last[k] = p
                    left[k] -= 1
                    keep = True
            if policy.keep_tags and set(r["tags"]) & set(policy.keep_tags):
                keep = True
            if keep:
                kept.add(r["id"])
    return kept


NOW = calendar.timegm((2026, 1, 1, 0, 0, 0))


@st.composite
def histories(draw: Any) -> List[Dict[str, Any]]:
    n = draw(st.integers(1, 30))
    out = []
    for i in range(n):
        t = NOW - draw(st.integers(0, 400 * 86400))
        out.append(
            {
                "id": str(1000 + i),
                "name": f"snap-{i}",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                "regions": ["nyc3"],
                "resource_id": str(draw(st.integers(1, 3))),
                "resource_type": "droplet",
                "min_disk_size": 20,
                "size_gigabytes": 1.5,
                "tags": draw(st.sampled_from([[], ["keep"], ["web"]])),
                "t": t,
            }
        )
    return out


policies = st.builds(
    RetentionPolicy,
    keep_last=st.integers(0, 3),
    keep_hourly=st.integers(0, 2),
    keep_daily=st.integers(0, 3),
    keep_weekly=st.integers(0, 2),
    keep_monthly=st.integers(0, 2),
    keep_yearly=st.integers(0, 1),
    keep_tags=st.sampled_from([(), ("keep",)]),
).filter(lambda p: True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=histories(), data=st.data())
def test_plan_matches_restic_reference(rows, data):
    counts = data.draw(st.tuples(*(st.integers(0, 3) for _ in range(6))))
    tags = data.draw(st.sampled_from([(), ("keep",)]))
    if not any(counts) and not tags:
        counts = (1, 0, 0, 0, 0, 0)
    policy = RetentionPolicy(*counts, keep_tags=tags)
    snaps = [{k: v for k, v in r.items() if k != "t"} for r in rows]
    with FakeDigitalOcean(snaps, token=TOKEN) as fake, GradientAI(api_key=TOKEN, base_url=fake.url) as client:
        plan = client.gpu_droplets.snapshots.plan_prune(policy, now=dt.datetime.fromtimestamp(NOW, UTC))
    assert {s.id for s in plan.keep} == reference_plan(rows, policy, NOW)
    assert {s.id for s in plan.delete} == {r["id"] for r in rows} - reference_plan(rows, policy, NOW)


# --------------------------------------------------------------------------------------------- applying


def test_apply_deletes_exactly_the_plan_with_failures(fake, client):
    plan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=3), now=now_of(fake))
    doomed = plan.delete_ids
    assert len(doomed) > 10
    gone, broken, flaky = doomed[0], doomed[1], doomed[2]
    fake.delete_snapshot(gone)  # someone else deleted it: 404
    fake.configure(delete_failures={broken: 500, flaky: [500]})
    seen: List[Any] = []
    result = plan.apply(max_concurrency=4, progress=lambda done, total: seen.append((done, total)))
    assert isinstance(result, PruneResult)
    assert result.already_gone == [gone]
    assert list(result.failed) == [broken]
    assert isinstance(result.failed[broken], InternalServerError)
    assert flaky in result.deleted  # retried by the client
    assert sorted(fake.deleted_ids) == sorted(set(doomed) - {gone, broken})
    assert set(result.deleted) == set(fake.deleted_ids)
    assert result.deleted == [i for i in doomed if i in set(result.deleted)]  # in plan order
    assert not result.not_attempted and result.stopped is None and not result.interrupted
    assert not result.ok
    assert seen[-1] == (len(doomed), len(doomed))
    kept = {s.id for s in plan.keep}
    assert not kept & set(fake.deleted_ids)

    # Applying again is safe: what is gone is already_gone, the broken one still fails.
    fake.clear_deleted()
    fake.configure(delete_failures={})
    again = plan.apply()
    assert again.deleted == [broken]
    assert set(again.already_gone) == set(doomed) - {broken}
    assert fake.deleted_ids == [broken]
    assert "PruneResult(" in repr(again)


@pytest.mark.parametrize("status, exc", [(401, AuthenticationError), (403, PermissionDeniedError)])
def test_apply_stops_at_once_on_auth_errors(fake, client, status, exc):
    plan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=3), now=now_of(fake))
    doomed = plan.delete_ids
    fake.configure(delete_failures={doomed[0]: status})
    result = plan.apply(max_concurrency=1)
    assert list(result.failed) == [doomed[0]]
    assert isinstance(result.failed[doomed[0]], exc)
    assert result.stopped and str(status) in result.stopped
    assert result.not_attempted == doomed[1:]
    assert fake.deleted_ids == []


def test_wrong_token_stops_concurrent_run(fake, client):
    plan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=3), now=now_of(fake))
    fake.configure(token="other")
    result = plan.apply(max_concurrency=4)
    assert result.stopped
    assert len(result.failed) <= 4
    assert len(result.failed) + len(result.not_attempted) == len(plan.delete)
    assert fake.deleted_ids == []


def test_delete_many_dedupes_and_validates(fake, client):
    ids = [s["id"] for s in fake.snapshots[:3]]
    result = client.gpu_droplets.snapshots.delete_many(ids + ids[:1], max_concurrency=2)
    assert sorted(result.deleted) == sorted(ids)
    assert sorted(fake.deleted_ids) == sorted(ids)
    with pytest.raises(ValueError, match="max_concurrency"):
        client.gpu_droplets.snapshots.delete_many(ids, max_concurrency=0)
    with pytest.raises(TypeError, match="snapshot_id"):
        client.gpu_droplets.snapshots.delete_many([1.5])  # type: ignore[list-item]
    assert client.gpu_droplets.snapshots.delete_many([]).deleted == []


def test_ctrl_c_keeps_the_partial_result(fake, client):
    ids = [s["id"] for s in fake.snapshots[:40]]
    fake.configure(latency_ms=100)
    import _thread

    timer = threading.Timer(0.35, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt) as info:
        client.gpu_droplets.snapshots.delete_many(ids, max_concurrency=2)
    timer.cancel()
    result = info.value.result  # type: ignore[attr-defined]
    assert isinstance(result, PruneResult) and result.interrupted
    assert result.deleted and result.not_attempted
    assert set(result.deleted) <= set(fake.deleted_ids)
    time.sleep(0.3)  # requests in flight at the interrupt may still land
    assert set(result.deleted) | set(result.not_attempted) == set(ids)


# --------------------------------------------------------------------------------------------- async


def test_async_plan_and_apply(fake):
    async def main() -> PruneResult:
        async with AsyncGradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None) as client:
            plan = await client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_daily=5), now=now_of(fake))
            assert isinstance(plan, AsyncPrunePlan)
            result = await plan.apply(max_concurrency=8)
            assert sorted(result.deleted) == sorted(plan.delete_ids)
            again = await client.gpu_droplets.snapshots.delete_many(plan.delete_ids[:2])
            assert again.already_gone == plan.delete_ids[:2]
            return result

    result = asyncio.run(main())
    assert sorted(fake.deleted_ids) == sorted(result.deleted)


def test_prune_result_pickles():
    r = PruneResult(deleted=["1"], already_gone=["2"], not_attempted=["3"], stopped="x")
    assert pickle.loads(pickle.dumps(r)) == r


def test_delete_many_with_a_progress_bar(fake, client, capsys):
    pytest.importorskip("tqdm")
    ids = [s["id"] for s in fake.snapshots[:5]]
    result = client.gpu_droplets.snapshots.delete_many(ids, progress=True)
    assert sorted(result.deleted) == sorted(ids)
    err = capsys.readouterr().err
    assert "deleting" in err and "5/5" in err
