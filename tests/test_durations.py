"""Every duration is converted once, exactly (issue 19, item 1): a ``timedelta`` beyond what microseconds in 64
bits hold never wraps around. A cutoff (``older_than`` / ``newer_than``) that far back is before every date, so
``older_than=timedelta.max`` matches nothing and ``newer_than=timedelta.max`` every dated snapshot; a
``keep_within`` beyond the range is refused with a message that says so. On ``main`` these wrapped: a selection
meant to match nothing matched everything, and a long ``keep_within`` kept nothing."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest

from gradientai_rs import GradientAI, RetentionPolicy, Snapshot, SnapshotList
from gradientai_rs.testing import FakeDigitalOcean

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)
TOKEN = "fake-token"
# 213,503,985 days is just over 2**64 microseconds: wrapped, it was about 2.7 days.
JUST_OVER_2_64 = dt.timedelta(days=213_503_985)
# The longest duration in microseconds in an i64: 106,751,991 days and a bit.
LONGEST = dt.timedelta(microseconds=2**63 - 1)


def listing(n: int = 50) -> SnapshotList:
    """``n`` snapshots, one a day back from ``NOW``, and one without a date."""
    rows = [
        Snapshot(
            id=str(i),
            name=f"snap-{i}",
            created_at=(NOW - dt.timedelta(days=i, hours=1)).isoformat(),
            resource_id="1",
            resource_type="droplet",
            size_gigabytes=1.0,
        )
        for i in range(n)
    ]
    rows.append(Snapshot(id="undated", name="undated", created_at="unknown", resource_id="1"))
    return SnapshotList(rows)


@pytest.mark.parametrize("age", [dt.timedelta.max, JUST_OVER_2_64, LONGEST + dt.timedelta(microseconds=1)])
def test_older_than_a_huge_age_matches_nothing(age: dt.timedelta) -> None:
    assert len(listing().select(older_than=age, now=NOW)) == 0


@pytest.mark.parametrize("age", [dt.timedelta.max, JUST_OVER_2_64, LONGEST])
def test_newer_than_a_huge_age_matches_every_dated_snapshot(age: dt.timedelta) -> None:
    got = listing().select(newer_than=age, now=NOW)
    assert len(got) == 50 and "undated" not in {s.id for s in got}


def test_negative_huge_ages_are_cutoffs_in_the_far_future() -> None:
    rows = listing()
    assert len(rows.select(older_than=dt.timedelta.min, now=NOW)) == 50
    assert len(rows.select(newer_than=dt.timedelta.min, now=NOW)) == 0
    assert len(rows.select(older_than=-JUST_OVER_2_64, now=NOW)) == 50


def test_ordinary_ages_are_unchanged() -> None:
    rows = listing()
    assert {s.id for s in rows.select(older_than=dt.timedelta(days=47), now=NOW)} == {"47", "48", "49"}
    assert len(rows.select(newer_than="3d", now=NOW)) == 3
    assert len(rows.select(older_than=dt.timedelta(days=10), newer_than=dt.timedelta(days=12), now=NOW)) == 2


def test_the_string_path_is_still_checked() -> None:
    with pytest.raises(ValueError, match=r"older_than: invalid duration.*too large"):
        listing().select(older_than="99999999999d", now=NOW)


@pytest.mark.parametrize("within", [dt.timedelta.max, JUST_OVER_2_64, LONGEST + dt.timedelta(microseconds=1)])
def test_keep_within_beyond_the_range_is_refused_saying_so(within: dt.timedelta) -> None:
    with pytest.raises(ValueError, match=r"keep_within must be at most 106751991 days") as info:
        RetentionPolicy(keep_within=within)
    assert "positive" not in str(info.value)
    assert repr(within) in str(info.value)


def test_keep_within_must_still_be_positive() -> None:
    for bad in (dt.timedelta(0), dt.timedelta(days=-1), dt.timedelta.min):
        with pytest.raises(ValueError, match="keep_within must be a positive duration"):
            RetentionPolicy(keep_within=bad)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    rows = [s.to_dict(mode="json") for s in listing()]
    with FakeDigitalOcean(rows, token=TOKEN) as f:
        yield f


def test_a_plan_over_older_than_timedelta_max_deletes_nothing(fake: FakeDigitalOcean) -> None:
    with GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=None) as client:
        plan = client.gpu_droplets.snapshots.plan_prune(
            RetentionPolicy(keep_last=1), older_than=dt.timedelta.max, now=NOW
        )
        assert len(plan.keep) == 0 and len(plan.delete) == 0
        assert plan.apply().deleted == []
        # The longest keep_within there is keeps every snapshot (the undated one for its own reason).
        plan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_within=LONGEST), now=NOW)
        assert len(plan.keep) == 51 and len(plan.delete) == 0
        assert plan.reasons["7"] == ["within"] and plan.reasons["undated"] == ["unknown date"]
    assert fake.deleted_ids == []
