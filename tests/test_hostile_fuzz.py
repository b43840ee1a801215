"""Hostile page-1 answers to ``list_all``: ``meta.total`` and ``links`` across the whole integer range, negative,
float, string, huge, wrong types. None may panic or abort the process (an abort would take pytest down with it);
each one either lists or raises a ``GradientAIError``, and counts beyond 1,000,000 pages are refused by name."""

from __future__ import annotations

import json
import warnings
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradientai_rs import (
    APIResponseValidationError,
    GradientAI,
    GradientAIError,
    ListingChangedWarning,
)
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
MAX_PAGES = 1_000_000
# A listing needing more pages than this is refused up front with a rate-limit error (the fake's quota), so no
# example fetches more than a handful of pages.
QUOTA = 12


@pytest.fixture(scope="module")
def fuzz_fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(30, seed=11, token=TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def fuzz_client(fuzz_fake: FakeDigitalOcean) -> Iterator[GradientAI]:
    c = GradientAI(api_key=TOKEN, base_url=fuzz_fake.url, max_retries=0, requests_per_minute=None)
    yield c
    c.close()


huge_ints = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.sampled_from([0, -1, 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), 10**12, 10**30]),
)
numbers = st.one_of(
    huge_ints,
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e12, 1e300, -1e300, 0.5, -0.0, 2.0**63, 1e-300]),
)
json_values = st.one_of(
    numbers,
    st.text(max_size=20),
    numbers.map(str),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
page_links = st.one_of(
    json_values,
    numbers.map(lambda n: f"https://api.digitalocean.com/v2/snapshots?page={n}&per_page=200"),
    st.text(max_size=30).map(lambda t: f"https://h/v2/snapshots?page={t}"),
)


def _page(total: Any, last: Any, snapshots: Any, with_meta: bool, with_links: bool) -> bytes:
    body: dict = {"snapshots": snapshots}
    if with_links:
        body["links"] = {"pages": {"last": last, "next": last}}
    if with_meta:
        body["meta"] = {"total": total}
    return json.dumps(body).encode()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    total=json_values,
    last=page_links,
    with_meta=st.booleans(),
    with_links=st.booleans(),
    full_page=st.booleans(),
    per_page=st.sampled_from([1, 7, 200]),
)
def test_hostile_page_one_never_panics(
    fuzz_fake: FakeDigitalOcean,
    fuzz_client: GradientAI,
    total: Any,
    last: Any,
    with_meta: bool,
    with_links: bool,
    full_page: bool,
    per_page: int,
) -> None:
    fuzz_fake.clear_queue()
    fuzz_fake.configure(hourly_remaining=QUOTA)
    snaps = fuzz_fake.snapshots[: per_page if full_page else 1]
    fuzz_fake.enqueue(200, body=_page(total, last, snaps, with_meta, with_links), path="/v2/snapshots", count=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ListingChangedWarning)
        try:
            got = fuzz_client.gpu_droplets.snapshots.list_all(per_page=per_page, max_attempts=1)
        except GradientAIError as exc:
            if isinstance(exc, APIResponseValidationError) and "plausible" in str(exc):
                # The refused value is named in the message.
                named = str(total) if isinstance(total, int) and "meta.total" in str(exc) else None
                assert named is None or named in str(exc), str(exc)
            return
    assert len(got) >= 1 or not full_page
    assert len(got) <= QUOTA * per_page + per_page


@pytest.mark.parametrize(
    "body, named",
    [
        ({"snapshots": [], "meta": {"total": 1_000_000_000_000}}, "1000000000000"),
        ({"snapshots": [], "meta": {"total": 2**63 - 1}}, str(2**63 - 1)),
        ({"snapshots": [], "links": {"pages": {"last": "https://h/v2/snapshots?page=1000001"}}}, "1000001"),
        ({"snapshots": [], "links": {"pages": {"last": f"https://h/v2/snapshots?page={2**64 - 1}"}}}, str(2**64 - 1)),
        (
            {
                "snapshots": [],
                "links": {"pages": {"last": "https://h/v2/snapshots?page=5000000"}},
                "meta": {"total": 3},
            },
            "5000000",
        ),
    ],
)
def test_implausible_page_counts_are_refused_by_name(
    make_fake: Callable[..., FakeDigitalOcean], body: dict, named: str
) -> None:
    fake = make_fake(5)
    fake.enqueue(200, body=body, path="/v2/snapshots")
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.raises(APIResponseValidationError) as info:
        c.gpu_droplets.snapshots.list_all()
    assert named in str(info.value)
    assert "page 1" in str(info.value)
    assert fake.request_count == 1


def test_a_cap_sized_listing_is_not_preallocated(make_fake: Callable[..., FakeDigitalOcean]) -> None:
    """Exactly MAX_PAGES pages announced: accepted, and nothing is sized from it (the quota check stops it)."""
    fake = make_fake(5, hourly_remaining=3)
    fake.enqueue(200, body={"snapshots": [{"id": "x"}], "meta": {"total": MAX_PAGES}}, path="/v2/snapshots")
    c = GradientAI(api_key=TOKEN, base_url=fake.url)
    with pytest.raises(GradientAIError, match="ratelimit-remaining"):
        c.gpu_droplets.snapshots.list_all(per_page=1)
