"""SnapshotList.select / most_recent / sort_by / monthly_cost / summary against pure-Python references, on the fake's
account history."""

from __future__ import annotations

import collections
import datetime as dt
import fnmatch
import pickle
import re
from typing import Any, Dict, Iterator, List

import pytest

from gradientai_rs import DEFAULT_RATE_PER_GB_MONTH, GradientAI, SnapshotList, Summary
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def history() -> Iterator[tuple[FakeDigitalOcean, SnapshotList, dt.datetime]]:
    with FakeDigitalOcean(history=True, token=TOKEN) as fake:
        with GradientAI(api_key=TOKEN, base_url=fake.url) as client:
            listing = client.gpu_droplets.snapshots.list_all()
        assert fake.history_now is not None
        yield fake, listing, dt.datetime.fromtimestamp(fake.history_now, UTC)


def dicts(listing: SnapshotList) -> List[Dict[str, Any]]:
    return listing.to_dicts()


def ids(listing: SnapshotList) -> List[str]:
    return [s.id for s in listing]


def created(d: Dict[str, Any]) -> dt.datetime:
    value = d["created_at"]
    assert isinstance(value, dt.datetime)
    return value


def test_select_glob_matches_fnmatchcase(history):
    _, listing, _ = history
    rows = dicts(listing)
    for pattern in ["web-*", "*-2025-*", "db-?*", "[a-c]*", "*[!0-9]", "nothing*"]:
        want = [d["id"] for d in rows if fnmatch.fnmatchcase(d["name"], pattern)]
        assert ids(listing.select(name=pattern)) == want, pattern


def test_select_regex_matches_re_search(history):
    _, listing, _ = history
    rows = dicts(listing)
    for rx in [
        re.compile(r"^web"),
        re.compile(r"\d{4}-0[1-3]"),
        re.compile("WEB", re.IGNORECASE),
        re.compile(r"k8s|pg"),
    ]:
        want = [d["id"] for d in rows if rx.search(d["name"])]
        assert ids(listing.select(name=rx)) == want, rx


def test_select_regex_errors_name_the_parameter(history):
    _, listing, _ = history
    with pytest.raises(ValueError, match="name"):
        listing.select(name=re.compile(r"(?<=a)b"))
    with pytest.raises(ValueError, match="name"):
        listing.select(name=re.compile("a", re.ASCII))
    with pytest.raises(TypeError, match="name"):
        listing.select(name=re.compile(b"a"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name"):
        listing.select(name=3)  # type: ignore[arg-type]


def test_select_tags_regions_types_sizes(history):
    _, listing, _ = history
    rows = dicts(listing)
    tags = collections.Counter(t for d in rows for t in (d.get("tags") or []))
    some = [t for t, _ in tags.most_common(2)]
    assert ids(listing.select(tags_any=some)) == [d["id"] for d in rows if set(d.get("tags") or []) & set(some)]
    assert ids(listing.select(tags_all=some)) == [d["id"] for d in rows if set(some) <= set(d.get("tags") or [])]
    assert ids(listing.select(tags_any=some[0])) == [d["id"] for d in rows if some[0] in (d.get("tags") or [])]
    region = rows[0]["regions"][0]
    assert ids(listing.select(regions=[region])) == [d["id"] for d in rows if region in d["regions"]]
    assert ids(listing.select(resource_type="volume")) == [d["id"] for d in rows if d["resource_type"] == "volume"]
    rid = rows[-1]["resource_id"]
    assert ids(listing.select(resource_id=rid)) == [d["id"] for d in rows if d["resource_id"] == rid]
    assert ids(listing.select(min_size_gb=50)) == [d["id"] for d in rows if d["size_gigabytes"] >= 50]
    with pytest.raises(ValueError, match="resource_type"):
        listing.select(resource_type="image")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "older, newer",
    [("30d", None), (None, "7d"), ("2w", "90d"), (dt.timedelta(hours=12), None), ("1y", None)],
)
def test_select_ages_against_now(history, older, newer):
    _, listing, now = history
    rows = dicts(listing)

    def age(v: Any) -> dt.timedelta:
        if isinstance(v, dt.timedelta):
            return v
        n, unit = int(v[:-1]), v[-1]
        return dt.timedelta(**{"d": {"days": n}, "w": {"weeks": n}, "h": {"hours": n}, "y": {"days": 365 * n}}[unit])

    want = [
        d["id"]
        for d in rows
        if (older is None or created(d) < now - age(older)) and (newer is None or created(d) >= now - age(newer))
    ]
    assert ids(listing.select(older_than=older, newer_than=newer, now=now)) == want


def test_select_with_datetimes_and_naive_refused(history):
    _, listing, now = history
    rows = dicts(listing)
    cut = now - dt.timedelta(days=100)
    assert ids(listing.select(older_than=cut)) == [d["id"] for d in rows if created(d) < cut]
    with pytest.raises(ValueError, match="older_than"):
        listing.select(older_than=dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="now"):
        listing.select(newer_than="1d", now=dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="newer_than"):
        listing.select(newer_than="soon")
    with pytest.raises(TypeError, match="older_than"):
        listing.select(older_than=30)  # type: ignore[arg-type]


def test_most_recent_and_sort_by(history):
    _, listing, _ = history
    rows = dicts(listing)
    newest: Dict[str, Dict[str, Any]] = {}
    for d in rows:
        cur = newest.get(d["resource_id"])
        if cur is None or created(d) > created(cur):
            newest[d["resource_id"]] = d
    want = [d["id"] for d in rows if newest[d["resource_id"]] is d]
    assert ids(listing.most_recent()) == want
    assert ids(listing.most_recent("resource_id")) == want
    assert ids(listing.sort_by("size_gigabytes")) == [d["id"] for d in sorted(rows, key=lambda d: d["size_gigabytes"])]
    assert ids(listing.sort_by("name", reverse=True)) == [
        d["id"] for d in sorted(rows, key=lambda d: d["name"], reverse=True)
    ]
    with pytest.raises(ValueError, match="field"):
        listing.sort_by("colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="group_by"):
        listing.most_recent("colour")  # type: ignore[arg-type]


def test_selection_is_a_full_snapshot_list(history):
    _, listing, _ = history
    chosen = listing.select(name="web-*")
    assert isinstance(chosen, SnapshotList)
    assert len(chosen) == chosen.total
    assert chosen[0] == listing[[s.id for s in listing].index(chosen[0].id)]
    assert pickle.loads(pickle.dumps(chosen)) == chosen
    assert chosen.to_arrow().num_rows == len(chosen)


def test_monthly_cost_and_size(history):
    _, listing, _ = history
    rows = dicts(listing)
    total = sum(d["size_gigabytes"] for d in rows)
    assert listing.size_gigabytes == pytest.approx(total)
    assert listing.monthly_cost() == pytest.approx(total * 0.06)
    assert DEFAULT_RATE_PER_GB_MONTH == 0.06
    assert listing.monthly_cost(0.05) == pytest.approx(total * 0.05)
    with pytest.raises(ValueError, match="rate_per_gb_month"):
        listing.monthly_cost(-1)


def test_summary_by_type_region_age(history):
    _, listing, now = history
    rows = dicts(listing)
    s = listing.summary("resource_type")
    assert isinstance(s, Summary)
    got = {g: (n, gb) for g, n, gb, _ in s.rows}
    want: Dict[str, List[float]] = {}
    for d in rows:
        w = want.setdefault(d["resource_type"], [0, 0.0])
        w[0] += 1
        w[1] += d["size_gigabytes"]
    assert {g: (n, pytest.approx(gb)) for g, (n, gb) in got.items()} == {
        g: (n, pytest.approx(gb)) for g, (n, gb) in want.items()
    }
    costs = [r[3] for r in s.rows]
    assert costs == sorted(costs, reverse=True)
    by_region = listing.summary("region")
    assert sum(n for _, n, _, _ in by_region.rows) == sum(len(d["regions"]) for d in rows)
    by_age = listing.summary("age", now=now)
    assert sum(n for _, n, _, _ in by_age.rows) == len(rows)
    assert {g for g, *_ in by_age.rows} <= {"< 7d", "7-30d", "30-90d", "90-365d", "> 1y", "(unknown)"}
    assert s.to_dicts()[0] == dict(zip(("group", "count", "size_gigabytes", "monthly_cost_usd"), s.rows[0]))
    assert len(s) == len(s.rows) and s[0] == s.rows[0]
    assert "resource_type" in repr(s)
    assert "<table>" in s._repr_html_()
    assert pickle.loads(pickle.dumps(s)) == s
    with pytest.raises(ValueError, match="by"):
        listing.summary("colour")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="account"):
        listing.summary("account")


def test_summary_arrow_exports(history):
    pa = pytest.importorskip("pyarrow")
    _, listing, _ = history
    s = listing.summary("tag")
    table = s.to_arrow()
    assert table.column_names == ["group", "count", "size_gigabytes", "monthly_cost_usd"]
    assert table.num_rows == len(s)
    assert pa.table(s).equals(table)
    pytest.importorskip("pandas")
    assert list(s.to_pandas()["group"]) == [r[0] for r in s.rows]
    pytest.importorskip("polars")
    assert s.to_polars().height == len(s)


def test_arrow_extra_columns(history):
    pytest.importorskip("pyarrow")
    _, listing, now = history
    plain = listing.to_arrow()
    assert "age_days" not in plain.column_names and "monthly_cost_usd" not in plain.column_names
    table = listing.to_arrow(age_days=True, monthly_cost=True, now=now, rate_per_gb_month=0.05)
    rows = dicts(listing)
    ages = table.column("age_days").to_pylist()
    costs = table.column("monthly_cost_usd").to_pylist()
    for d, a, c in zip(rows, ages, costs):
        assert a == pytest.approx((now - created(d)).total_seconds() / 86400)
        assert c == pytest.approx(d["size_gigabytes"] * 0.05)
    only_cost = listing.to_arrow(monthly_cost=True)
    assert only_cost.column_names[-1] == "monthly_cost_usd"
    pytest.importorskip("pandas")
    df = listing.to_pandas(age_days=True, now=now)
    assert "age_days" in df.columns
    pytest.importorskip("polars")
    assert "monthly_cost_usd" in listing.to_polars(monthly_cost=True).columns
