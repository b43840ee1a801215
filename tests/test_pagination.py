"""Pagination: the page helpers of ``SnapshotListResponse`` and ``list_all`` (issue 3).

Every test runs against ``FakeDigitalOcean`` and checks both the result and what the fake recorded.
"""

from __future__ import annotations

import asyncio
import collections
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from typing import Any, Dict, List

import pytest

from gradientai_rs import (
    APIResponseValidationError,
    AsyncGradientAI,
    GradientAI,
    InternalServerError,
    ListingChangedWarning,
    RateLimitError,
    Snapshot,
    SnapshotList,
    SnapshotListResponse,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


# --------------------------------------------------------------------------- helpers


def make_client(fake: FakeDigitalOcean, **kw: Any) -> GradientAI:
    return GradientAI(api_key=TOKEN, base_url=fake.url, **kw)


def ids_of(items) -> List[str]:
    return [s.id for s in items]


def ids_of_type(fake: FakeDigitalOcean, resource_type: str) -> List[str]:
    return [s["id"] for s in fake.snapshots if s["resource_type"] == resource_type]


def list_params(fake: FakeDigitalOcean) -> List[Dict[str, str]]:
    return [r.params for r in fake.requests]


def assert_quiet(fake: FakeDigitalOcean, seconds: float) -> None:
    """Nothing keeps running: after a short settle (requests already on the wire get recorded), the fake records
    no new request for ``seconds``."""
    time.sleep(0.15)
    before = fake.request_count
    time.sleep(seconds)
    assert fake.request_count == before


@pytest.fixture
def c45(f45) -> GradientAI:
    c = make_client(f45)
    yield c
    c.close()


# =========================================================================== page helpers


def test_get_next_page_keeps_filters_and_per_page(c45, f45):
    droplets = ids_of_type(f45, "droplet")
    assert len(droplets) > 14  # the seed gives enough droplets for 3 pages of 7
    first = c45.gpu_droplets.snapshots.list(per_page=7, resource_type="droplet")
    assert ids_of(first.snapshots) == droplets[:7]
    assert first.has_next_page() is True
    assert f45.request_count == 1

    second = first.get_next_page()
    assert type(second) is SnapshotListResponse
    assert f45.request_count == 2
    assert f45.requests[-1].params == {"page": "2", "per_page": "7", "resource_type": "droplet"}
    assert f45.requests[-1].path == "/v2/snapshots"
    assert ids_of(second.snapshots) == droplets[7:14]

    third = second.get_next_page()
    assert f45.requests[-1].params == {"page": "3", "per_page": "7", "resource_type": "droplet"}
    assert ids_of(third.snapshots) == droplets[14:21]


def test_get_next_page_without_per_page_sends_none(c45, f45):
    first = c45.gpu_droplets.snapshots.list()
    second = first.get_next_page()
    assert f45.requests[-1].params == {"page": "2"}
    assert ids_of(second.snapshots) == f45.ids()[20:40]


def test_walking_pages_by_hand_reaches_the_end(c45, f45):
    page = c45.gpu_droplets.snapshots.list(per_page=10)
    seen = ids_of(page.snapshots)
    pages = 1
    while page.has_next_page():
        page = page.get_next_page()
        seen += ids_of(page.snapshots)
        pages += 1
    assert pages == 5
    assert seen == f45.ids()
    assert [p["page"] for p in list_params(f45)[1:]] == ["2", "3", "4", "5"]
    assert page.has_next_page() is False
    with pytest.raises(RuntimeError, match="No next page"):
        page.get_next_page()
    assert f45.request_count == 5  # the failing call sent nothing


def test_last_page_of_exact_multiple_has_no_next(fakes):
    f = fakes(40, seed=3)
    c = make_client(f)
    second = c.gpu_droplets.snapshots.list(page=2, per_page=20)
    assert len(second.snapshots) == 20
    assert second.has_next_page() is False
    with pytest.raises(RuntimeError):
        second.get_next_page()
    assert f.request_count == 1


def test_empty_listing_has_no_next_page(fakes):
    f = fakes(0)
    c = make_client(f)
    page = c.gpu_droplets.snapshots.list()
    assert page.snapshots == []
    assert page.has_next_page() is False
    assert list(page) == []
    assert f.request_count == 1


def test_iter_pages_is_lazy(c45, f45):
    first = c45.gpu_droplets.snapshots.list(per_page=10, resource_type="volume")
    volumes = ids_of_type(f45, "volume")
    expected_pages = math.ceil(len(volumes) / 10)
    assert expected_pages >= 2
    it = first.iter_pages()
    assert f45.request_count == 1
    p1 = next(it)
    assert p1 is first or ids_of(p1.snapshots) == ids_of(first.snapshots)
    assert f45.request_count == 1  # this page needs no request
    collected = ids_of(p1.snapshots)
    for n in range(2, expected_pages + 1):
        page = next(it)
        assert f45.request_count == n  # exactly one request per page reached
        assert f45.requests[-1].params == {"page": str(n), "per_page": "10", "resource_type": "volume"}
        collected += ids_of(page.snapshots)
    with pytest.raises(StopIteration):
        next(it)
    assert f45.request_count == expected_pages
    assert collected == volumes


def test_iter_pages_from_a_later_page(c45, f45):
    third = c45.gpu_droplets.snapshots.list(page=3, per_page=10)
    pages = list(third.iter_pages())
    assert [ids_of(p.snapshots) for p in pages] == [f45.ids()[20:30], f45.ids()[30:40], f45.ids()[40:45]]
    assert [p["page"] for p in list_params(f45)] == ["3", "4", "5"]


def test_iterating_a_page_fetches_later_pages_lazily(c45, f45):
    first = c45.gpu_droplets.snapshots.list(per_page=10)
    it = iter(first)
    got = [next(it) for _ in range(10)]
    assert all(type(s) is Snapshot for s in got)
    assert f45.request_count == 1  # page 1 consumed, page 2 not yet needed
    got.append(next(it))
    assert f45.request_count == 2
    assert f45.requests[-1].params == {"page": "2", "per_page": "10"}
    got += [next(it) for _ in range(9)]
    assert f45.request_count == 2
    got += list(it)
    assert f45.request_count == 5
    assert ids_of(got) == f45.ids()


def test_iterating_a_filtered_page_keeps_the_filter(c45, f45):
    first = c45.gpu_droplets.snapshots.list(per_page=4, resource_type="droplet")
    assert ids_of(first) == ids_of_type(f45, "droplet")
    assert all(r.params["resource_type"] == "droplet" and r.params["per_page"] == "4" for r in f45.requests)


def test_iterating_twice_starts_over(c45, f45):
    first = c45.gpu_droplets.snapshots.list(per_page=20)
    assert ids_of(first) == f45.ids()
    assert ids_of(first) == f45.ids()
    assert f45.request_count == 1 + 2 + 2


# =========================================================================== list_all: result


def test_list_all_returns_snapshot_list_in_page_order(c45, f45):
    result = c45.gpu_droplets.snapshots.list_all(per_page=10)
    assert type(result) is SnapshotList
    expected = f45.ids()
    assert len(result) == 45
    assert ids_of(result) == expected
    assert result.total == 45
    assert result.pages == 5
    assert result.changed is None
    assert type(result[0]) is Snapshot
    assert result[0].id == expected[0]
    assert result[44].id == expected[44]
    assert result[-1].id == expected[-1]
    assert result[-45].id == expected[0]
    assert ids_of(result[3:7]) == expected[3:7]
    assert ids_of(result[::-10]) == expected[::-10]
    assert ids_of(result[40:100]) == expected[40:]
    assert result[10:5] == []
    with pytest.raises(IndexError):
        result[45]
    with pytest.raises(IndexError):
        result[-46]
    assert result[7].to_dict(mode="json") == f45.snapshots[7]
    # one request per page, page 1 first, all on the list path
    reqs = f45.requests
    assert reqs[0].page == 1
    assert sorted(r.page for r in reqs) == [1, 2, 3, 4, 5]
    assert {r.path for r in reqs} == {"/v2/snapshots"}


def test_list_all_default_per_page_is_200(fakes):
    f = fakes(450, seed=11)
    result = make_client(f).gpu_droplets.snapshots.list_all()
    assert ids_of(result) == f.ids()
    assert result.pages == 3
    assert sorted(r.page for r in f.requests) == [1, 2, 3]
    assert {r.params["per_page"] for r in f.requests} == {"200"}


@pytest.mark.parametrize("resource_type", ["droplet", "volume"])
def test_list_all_filter_and_per_page_on_every_request(c45, f45, resource_type):
    result = c45.gpu_droplets.snapshots.list_all(resource_type=resource_type, per_page=3)
    expected = ids_of_type(f45, resource_type)
    assert ids_of(result) == expected
    assert result.total == len(expected)
    pages = math.ceil(len(expected) / 3)
    assert sorted(r.page for r in f45.requests) == list(range(1, pages + 1))
    for r in f45.requests:
        assert r.params == {"page": str(r.page), "per_page": "3", "resource_type": resource_type}


def test_list_all_of_an_empty_account(fakes):
    f = fakes(0)
    result = make_client(f).gpu_droplets.snapshots.list_all()
    assert len(result) == 0
    assert list(result) == []
    assert result.total == 0
    assert f.request_count == 1


def test_list_all_single_page_makes_one_request(c45, f45):
    result = c45.gpu_droplets.snapshots.list_all(per_page=200)
    assert ids_of(result) == f45.ids()
    assert f45.request_count == 1
    assert result.pages == 1


def test_exact_multiple_of_per_page_needs_no_extra_request(fakes):
    # meta.total (30) and links.pages.last (page=3) agree on 3 pages: a 4th request is wasted quota (and with
    # requests_per_minute=3 it costs a 60 s wait).
    f = fakes(30, seed=5)
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    assert ids_of(result) == f.ids()
    assert sorted(r.page for r in f.requests) == [1, 2, 3]
    assert result.pages == 3


def test_results_stay_in_page_order_when_pages_answer_out_of_order(fakes):
    # page 2 fails once (503, retried after a backoff), so pages 3..6 are answered before it
    f = fakes(57, seed=9, fail_pages={2: [503]})  # 6 pages
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    pages_in_arrival_order = [r.page for r in f.requests]
    assert pages_in_arrival_order.count(2) == 2
    last_2 = len(pages_in_arrival_order) - 1 - pages_in_arrival_order[::-1].index(2)
    assert last_2 > pages_in_arrival_order.index(6)  # page 2's answer came after page 6's request
    assert ids_of(result) == f.ids()


# =========================================================================== list_all: faults


@pytest.mark.timeout(60)
def test_exact_dataset_with_ten_percent_5xx(fakes):
    f = fakes(115, seed=21, error_rate=0.1)  # 12 pages, the last one short
    c = make_client(f, max_retries=5)
    result = c.gpu_droplets.snapshots.list_all(per_page=10)
    assert ids_of(result) == f.ids()
    assert len(result) == 115
    counts = collections.Counter(r.page for r in f.requests)
    assert set(counts) == set(range(1, 13))
    retried = sum(counts.values()) - len(counts)
    assert retried >= 1  # the fault injection really hit (deterministic error sequence, seed 21)
    assert all(r.params["per_page"] == "10" for r in f.requests)


@pytest.mark.timeout(60)
def test_exact_dataset_under_burst_rate_limit_and_429_pauses_workers(fakes):
    concurrency = 8
    f = fakes(45, seed=7, burst_limit=5, burst_window_s=1, retry_after="0.5")
    c = make_client(f, max_retries=6)
    result = c.gpu_droplets.snapshots.list_all(per_page=5, max_concurrency=concurrency)
    assert ids_of(result) == f.ids()
    reqs = f.requests
    # every attempt of a page but its last one was answered 429 (no other fault is injected)
    by_page: Dict[int, List[float]] = collections.defaultdict(list)
    for r in reqs:
        by_page[r.page].append(r.time)
    failed = sorted(t for times in by_page.values() for t in times[:-1])
    assert len(failed) >= 1  # the limiter really answered 429s
    assert len(failed) <= 2 * concurrency  # no storm
    for times in by_page.values():  # each retry honoured retry-after
        for a, b in zip(times, times[1:]):
            assert b - a >= 0.45
    # the pause gate: after a 429, no request at all (any page) starts until retry-after has passed
    arrivals = sorted(r.time for r in reqs)
    for t in failed:
        early = [round(a - t, 3) for a in arrivals if t + 0.05 < a < t + 0.45]
        assert early == []


@pytest.mark.timeout(30)
def test_429_with_retry_after_pauses_other_callers_of_the_client(fakes):
    f = fakes(45, seed=7)
    c = make_client(f)
    f.enqueue(429, headers={"retry-after": "1"})
    results: Dict[str, Any] = {}
    a = threading.Thread(target=lambda: results.setdefault("a", c.gpu_droplets.snapshots.list()))
    a.start()
    deadline = time.monotonic() + 5
    while f.request_count < 1 and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(0.1)  # A's 429 has been answered; B starts now
    b = c.gpu_droplets.snapshots.list(page=2)
    a.join(10)
    reqs = f.requests
    assert sorted(r.page for r in reqs) == [1, 1, 2]
    assert reqs[0].page == 1
    a_retry = [r for r in reqs[1:] if r.page == 1][0]
    b_request = [r for r in reqs if r.page == 2][0]
    assert a_retry.time - reqs[0].time >= 0.95  # A waited retry-after
    assert b_request.time - reqs[0].time >= 0.95  # B waited behind the same gate
    assert ids_of(b.snapshots) == f.ids()[20:40]
    assert ids_of(results["a"].snapshots) == f.ids()[:20]


@pytest.mark.timeout(30)
def test_page_that_keeps_failing_fails_the_call(fakes):
    f = fakes(100, seed=4, fail_pages={3: [500] * 10})
    c = make_client(f)  # max_retries=2: 3 attempts for page 3
    with pytest.raises(InternalServerError) as info:
        c.gpu_droplets.snapshots.list_all(per_page=10)
    err = info.value
    assert err.page == 3
    assert err.status_code == 500
    assert "page 3" in str(err)
    assert str(err).startswith("page 3: ")
    assert collections.Counter(r.page for r in f.requests)[3] == 3
    assert_quiet(f, 0.5)


def test_truncated_page_is_an_error_not_a_short_list(fakes):
    f = fakes(45, seed=7, truncate_pages=[2])
    c = make_client(f)
    with pytest.raises(APIResponseValidationError) as info:
        c.gpu_droplets.snapshots.list_all(per_page=10)
    assert info.value.page == 2
    assert "page 2" in str(info.value)
    assert collections.Counter(r.page for r in f.requests)[2] == 1
    assert_quiet(f, 0.3)


def test_foreign_host_links_are_never_requested(fakes):
    foreign = fakes(45, seed=99)  # plays the other host the links point at
    f = fakes(45, seed=7, links_base=foreign.url)
    c = make_client(f)
    page = c.gpu_droplets.snapshots.list(per_page=10)
    assert page.links.pages.next.startswith(foreign.url)  # the trap is set
    result = c.gpu_droplets.snapshots.list_all(per_page=10)
    assert ids_of(result) == f.ids()
    assert ids_of(page) == f.ids()  # iterating follows pages too
    second = page.get_next_page()
    assert ids_of(list(second.iter_pages())[-1].snapshots) == f.ids()[40:]
    assert foreign.request_count == 0
    assert all(r.path == "/v2/snapshots" for r in f.requests)
    assert all(r.headers["host"] == f.url.split("//")[1] for r in f.requests)


def test_links_to_an_unreachable_host_are_ignored(fakes):
    f = fakes(45, seed=7, links_base="http://127.0.0.2:9")
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    assert ids_of(result) == f.ids()
    assert sorted(r.page for r in f.requests) == [1, 2, 3, 4, 5]


# =========================================================================== list_all: changes underneath


def test_account_changed_once_lists_again_exactly(fakes):
    f = fakes(45, seed=7)
    inserted: List[str] = []

    def progress(done: int, total: int) -> None:
        if done == 1 and not inserted:  # after page 1 of the first attempt, before the other pages
            inserted.extend(s["id"] for s in f.add_snapshots(3, at="front"))

    with warnings.catch_warnings():
        warnings.simplefilter("error", ListingChangedWarning)
        result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10, progress=progress)
    assert len(inserted) == 3
    assert ids_of(result) == f.ids()  # the new state, exactly
    assert ids_of(result)[:3] == inserted
    assert result.total == 48
    assert result.changed is None
    assert [r.page for r in f.requests].count(1) == 2  # one relisting


def test_snapshots_inserted_during_listing_no_duplicates_none_missing(fakes):
    f = fakes(45, seed=7, insert_per_list_request=1)
    before = f.ids()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ListingChangedWarning)
        result = make_client(f).gpu_droplets.snapshots.list_all(per_page=5)
    got = ids_of(result)
    assert len(got) == len(set(got))  # no duplicates ever
    missing = [i for i in before if i not in set(got)]
    assert missing == []  # nothing that existed at the start is missing
    assert set(got) <= set(f.ids())


def test_listing_that_keeps_changing_warns_by_how_much(fakes):
    f = fakes(45, seed=7, insert_per_list_request=1)
    with pytest.warns(ListingChangedWarning) as record:
        result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    assert len(record) == 1
    message = str(record[0].message)
    assert issubclass(record[0].category, UserWarning)
    expected = (
        f"the account changed during the listing: meta.total moved from 45 to {result.total} over 3 attempt(s); "
        f"returning {len(result)} unique snapshots"
    )
    assert message == expected
    assert result.changed == expected
    assert result.total > 45
    assert [r.page for r in f.requests].count(1) == 3  # default max_attempts
    got = ids_of(result)
    assert len(got) == len(set(got))


def test_max_attempts_bounds_relisting(fakes):
    f = fakes(45, seed=7, insert_per_list_request=1)
    with pytest.warns(ListingChangedWarning, match=r"over 2 attempt\(s\)"):
        result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10, max_attempts=2)
    assert [r.page for r in f.requests].count(1) == 2
    assert "over 2 attempt(s)" in result.changed


def test_listing_changed_warning_points_at_the_caller(fakes):
    f = fakes(45, seed=7, insert_per_list_request=1)
    with pytest.warns(ListingChangedWarning) as record:
        make_client(f).gpu_droplets.snapshots.list_all(per_page=10, max_attempts=1)
    assert record[0].filename == __file__


# =========================================================================== list_all: rate limits


def test_hourly_quota_precheck_raises_after_page_one(fakes):
    f = fakes(45, seed=7, hourly_remaining=3)  # after page 1: 2 left, 4 pages needed
    c = make_client(f)
    with pytest.raises(RateLimitError) as info:
        c.gpu_droplets.snapshots.list_all(per_page=10)
    err = info.value
    assert f.request_count == 1
    assert f.requests[0].page == 1
    assert err.status_code == 429
    assert err.page is None
    assert err.needed == 4
    assert err.remaining == 2
    assert isinstance(err.reset, int) and abs(err.reset - (time.time() + 60)) < 5
    assert "4 more requests" in str(err)
    assert "ratelimit-remaining is 2" in str(err)
    assert "wait_for_rate_limit" in str(err)
    assert_quiet(f, 0.2)


def test_hourly_quota_exactly_enough_does_not_raise(fakes):
    f = fakes(45, seed=7, hourly_remaining=5)  # after page 1: 4 left, 4 needed
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    assert ids_of(result) == f.ids()
    assert f.request_count == 5


def _canned_first_page(f: FakeDigitalOcean, per_page: int, remaining: int, reset: int) -> None:
    body = {"snapshots": f.snapshots[:per_page], "links": {}, "meta": {"total": len(f.snapshots)}}
    f.enqueue(200, body=body, headers={"ratelimit-remaining": str(remaining), "ratelimit-reset": str(reset)})


def test_quota_precheck_reports_the_reset(fakes):
    f = fakes(45, seed=7)
    reset = int(time.time()) + 2
    _canned_first_page(f, 10, remaining=1, reset=reset)
    with pytest.raises(RateLimitError) as info:
        make_client(f).gpu_droplets.snapshots.list_all(per_page=10)
    assert info.value.reset == reset
    assert info.value.remaining == 1
    assert f.request_count == 1


@pytest.mark.timeout(30)
def test_wait_for_rate_limit_sleeps_until_reset(fakes):
    f = fakes(45, seed=7)
    reset = int(time.time()) + 2
    _canned_first_page(f, 10, remaining=1, reset=reset)
    offset = time.time() - time.monotonic()
    started = time.monotonic()
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=10, wait_for_rate_limit=True)
    elapsed = time.monotonic() - started
    assert ids_of(result) == f.ids()
    reqs = f.requests
    assert [r.page for r in reqs][0] == 1
    assert sorted(r.page for r in reqs[1:]) == [2, 3, 4, 5]
    second_start_wall = min(r.time for r in reqs[1:]) + offset
    assert second_start_wall >= reset - 0.05  # waited for ratelimit-reset
    assert elapsed < 3.5


def test_requests_per_minute_default_and_setting(fakes):
    f = fakes(25, seed=7)
    assert make_client(f).requests_per_minute == 250
    c = make_client(f, requests_per_minute=3)
    assert c.requests_per_minute == 3
    started = time.monotonic()
    result = c.gpu_droplets.snapshots.list_all(per_page=10)  # 3 pages: within the budget
    assert time.monotonic() - started < 1.0
    assert ids_of(result) == f.ids()
    assert f.request_count == 3


@pytest.mark.timeout(30)
def test_requests_per_minute_holds_back_the_next_start(fakes):
    # the blocking client would wait ~60 s; the async one lets the test give up after 1 s
    f = fakes(45, seed=7)

    async def run() -> None:
        c = AsyncGradientAI(api_key=TOKEN, base_url=f.url, requests_per_minute=2)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(c.gpu_droplets.snapshots.list_all(per_page=10), timeout=1.0)

    asyncio.run(run())
    assert f.request_count == 2
    assert_quiet(f, 0.3)


# =========================================================================== progress and concurrency


def test_progress_callback_counts(c45):
    calls: List[tuple] = []
    result = c45.gpu_droplets.snapshots.list_all(per_page=10, progress=lambda done, total: calls.append((done, total)))
    assert len(result) == 45
    assert calls == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert all(type(d) is int and type(t) is int for d, t in calls)


def test_progress_callback_with_filter(c45, f45):
    calls: List[tuple] = []
    c45.gpu_droplets.snapshots.list_all(resource_type="volume", per_page=4, progress=lambda d, t: calls.append((d, t)))
    n = math.ceil(len(ids_of_type(f45, "volume")) / 4)
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_progress_true_draws_a_tqdm_bar(c45, capsys):
    pytest.importorskip("tqdm")
    result = c45.gpu_droplets.snapshots.list_all(per_page=10, progress=True)
    assert len(result) == 45
    err = capsys.readouterr().err
    assert "snapshots" in err
    assert "5/5" in err


def test_progress_true_without_tqdm_is_silent(c45, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    result = c45.gpu_droplets.snapshots.list_all(per_page=10, progress=True)
    assert len(result) == 45
    assert capsys.readouterr().err == ""


def test_progress_false_and_none(c45):
    assert len(c45.gpu_droplets.snapshots.list_all(per_page=10, progress=False)) == 45
    assert len(c45.gpu_droplets.snapshots.list_all(per_page=10, progress=None)) == 45


@pytest.mark.timeout(60)
@pytest.mark.parametrize("concurrency", [2, 5])
def test_max_concurrency_bounds_requests_in_flight(fakes, concurrency):
    f = fakes(58, seed=7, latency_ms=200)  # 12 pages
    result = make_client(f).gpu_droplets.snapshots.list_all(per_page=5, max_concurrency=concurrency)
    assert ids_of(result) == f.ids()
    times = sorted(r.time for r in f.requests)
    assert len(times) == 12
    rest = times[1:]
    first_wave = [t for t in rest if t < rest[0] + 0.15]
    assert len(first_wave) == concurrency  # reaches the bound, never exceeds it
    # each request is in flight >= 200 ms: request i + concurrency can't start before request i finished
    for a, b in zip(rest, rest[concurrency:]):
        assert b - a >= 0.18


# =========================================================================== argument validation


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"per_page": 0}, ValueError),
        ({"per_page": 201}, ValueError),
        ({"per_page": -5}, ValueError),
        ({"per_page": "10"}, TypeError),
        ({"per_page": 2.0}, TypeError),
        ({"max_concurrency": 0}, ValueError),
        ({"max_concurrency": -1}, ValueError),
        ({"max_concurrency": "4"}, TypeError),
        ({"resource_type": "bad"}, ValueError),
        ({"resource_type": "Droplet"}, ValueError),
        ({"resource_type": 1}, TypeError),
        ({"progress": 5}, TypeError),
        ({"progress": "yes"}, TypeError),
        ({"max_attempts": 0}, ValueError),
        ({"timeout": -1}, ValueError),
    ],
)
def test_list_all_argument_validation_before_any_request(c45, f45, kwargs, exc):
    with pytest.raises(exc) as info:
        c45.gpu_droplets.snapshots.list_all(**kwargs)
    name = next(iter(kwargs))
    assert name in str(info.value)
    assert f45.request_count == 0


def test_list_all_rejects_positional_and_unknown_arguments(c45, f45):
    with pytest.raises(TypeError):
        c45.gpu_droplets.snapshots.list_all(10)  # type: ignore[misc]
    with pytest.raises(TypeError):
        c45.gpu_droplets.snapshots.list_all(page=2)  # type: ignore[call-arg]
    assert f45.request_count == 0


# =========================================================================== Ctrl-C

_CHILD = textwrap.dedent(
    """
    import sys, time
    from gradientai_rs import GradientAI
    c = GradientAI(api_key="fake-token", base_url=sys.argv[1], max_retries=0)
    try:
        c.gpu_droplets.snapshots.list_all(per_page=10, max_concurrency=4)
    except KeyboardInterrupt:
        print("KeyboardInterrupt", repr(time.monotonic()), flush=True)
        time.sleep(1.0)  # stay alive: nothing may keep requesting in the background
        print("still alive", flush=True)
        raise
    print("RETURNED", flush=True)
    """
)


@pytest.mark.timeout(60)
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery")
def test_ctrl_c_cancels_list_all_quickly(fakes, tmp_path):
    f = fakes(200, seed=1, latency_ms=300)
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = dict(os.environ)
    env.pop("GRADIENTAI_RS_LOG", None)
    proc = subprocess.Popen(
        [sys.executable, str(script), f.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 20
        while f.request_count < 1 and time.monotonic() < deadline:
            time.sleep(0.002)
        assert f.request_count >= 1
        f.configure(hang=True)  # page 1 is answered (latency already read); pages 2.. hang
        while f.request_count < 5 and time.monotonic() < deadline:
            time.sleep(0.002)
        assert f.request_count == 5  # page 1 + max_concurrency pages in flight
        time.sleep(0.1)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        line = proc.stdout.readline()
        assert line.startswith("KeyboardInterrupt"), line + proc.stderr.read()
        caught = float(line.split()[1])
        delay = caught - sent  # time.monotonic is system-wide on Linux
        print(f"\nMEASURED ctrl-c -> KeyboardInterrupt: {delay * 1000:.1f} ms")
        assert delay < 0.5
        count = f.request_count
        out, err = proc.communicate(timeout=10)
        assert f.request_count == count  # nothing ran on during the second the process stayed alive
        assert out == "still alive\n"
        assert "KeyboardInterrupt" in err
        assert proc.returncode in (-signal.SIGINT, 128 + signal.SIGINT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        f.configure(hang=False)
