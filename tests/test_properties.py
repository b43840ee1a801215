"""Hypothesis tests of the Python surface of ``snapshots.list(...)`` / ``list_all(...)`` and of lenient decoding.

1. Arbitrary values for the arguments either raise ``TypeError``/``ValueError`` naming the parameter before any
   request (the fake records nothing), or send exactly the valid values; never any other exception.
2. Arbitrary snapshot JSON objects served by the fake decode without raising, and ``to_dict()`` keeps every key.

``HYPOTHESIS_PROFILE=fuzz`` (with ``HYPOTHESIS_MAX_EXAMPLES``, default 3000) for long runs: see scripts/fuzz.sh.
"""

from __future__ import annotations

import datetime
import math
import os
import pickle
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gradientai_rs import APITimeoutError, GradientAI
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
CLIENT_TIMEOUT = 5

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "3000")) if FUZZ else 60
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TIMEOUT = 3600 if FUZZ else 60

KNOWN = [
    "id",
    "name",
    "created_at",
    "regions",
    "resource_id",
    "resource_type",
    "min_disk_size",
    "size_gigabytes",
    "tags",
]
EMPTY_PAGE = {"snapshots": [], "links": {}, "meta": {"total": 0}}
I64_MAX = 2**63 - 1


@pytest.fixture(scope="module")
def prop_fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(0, token=TOKEN, hourly_remaining=10**9) as fake:
        yield fake


@pytest.fixture(scope="module")
def prop_client(prop_fake: FakeDigitalOcean) -> Iterator[GradientAI]:
    client = GradientAI(
        api_key=TOKEN, base_url=prop_fake.url, max_retries=0, timeout=CLIENT_TIMEOUT, requests_per_minute=None
    )
    yield client
    client.close()


# ---------------------------------------------------------------------------------------------- argument oracle


class Invalids(list):
    """The oracle's verdicts on a call with invalid arguments."""


class Invalid(Exception):
    """The oracle's verdict: this argument must be refused with one of ``types``, naming ``param``."""

    def __init__(self, param: str, *types: type) -> None:
        super().__init__(param)
        self.param, self.types = param, types


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class Refusable(Invalid):
    """A valid value that the client may still refuse (with ``types``, naming ``param``); if sent, it is ``value``."""

    def __init__(self, param: str, value: str, *types: type) -> None:
        super().__init__(param, *types)
        self.value = value


def int_param(name: str, v: Any, lo: int, hi: Optional[int]) -> Optional[str]:
    """The query value sent for an integer argument, ``None`` when not sent; raises Invalid."""
    if v is None:
        return None
    if not is_int(v):
        raise Invalid(name, TypeError)
    if v < lo or (hi is not None and v > hi):
        raise Invalid(name, ValueError)
    if v > I64_MAX:  # no upper bound in the API, but refusing what no server takes is fine; changing it is not
        raise Refusable(name, str(v), ValueError)
    return str(v)


def resource_type_param(v: Any) -> Optional[str]:
    if v is None:
        return None
    if not isinstance(v, str):
        raise Invalid("resource_type", TypeError)
    if v not in ("droplet", "volume"):
        raise Invalid("resource_type", ValueError)
    return v


def encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def extra_query_param(v: Any) -> List[Tuple[str, str]]:
    if v is None:
        return []
    if not isinstance(v, dict):
        raise Invalid("extra_query", TypeError)
    out = []
    for k, val in v.items():
        if not isinstance(k, str):
            raise Invalid("extra_query", TypeError)
        if val is None:
            continue
        text = ("true" if val else "false") if isinstance(val, bool) else str(val)
        if not (encodable(k) and encodable(text)):
            raise Invalid("extra_query", ValueError, TypeError)  # can't be put in a URL
        out.append((k, text))
    return out


def timeout_param(v: Any) -> Optional[float]:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Invalid("timeout", TypeError)
    try:
        secs = float(v)
    except OverflowError:
        raise Invalid("timeout", TypeError, ValueError) from None
    if not (math.isfinite(secs) and 0 < secs <= 86_400 * 365):
        raise Invalid("timeout", ValueError)
    return secs


def merge(base: List[Tuple[str, str]], extra: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """``extra_query`` replaces the value of a parameter it names, in place; other keys are appended."""
    out = list(base)
    for k, v in extra:
        for i, (name, _) in enumerate(out):
            if name == k:
                out[i] = (k, v)
                break
        else:
            out.append((k, v))
    return out


# ---------------------------------------------------------------------------------------------- strategies

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=8),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.just(object()),
)
ints = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=260),
    st.integers(),
    st.integers(min_value=I64_MAX - 2, max_value=2**64 + 2),
    anything,
)
resource_types = st.one_of(st.sampled_from(["droplet", "volume", "Droplet", "image", "", "droplet "]), anything)
SURROGATES = ["\ud800", "id-\udc80"]  # str that can't be UTF-8 encoded (e.g. from os.fsdecode of bad bytes)
keys = st.one_of(
    st.sampled_from(["page", "per_page", "resource_type", "tag_name", ""]),
    st.text(max_size=6),
    st.sampled_from(SURROGATES),
)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(SURROGATES),
)
extra_queries = st.one_of(
    st.none(),
    st.dictionaries(keys, values, max_size=4),
    st.dictionaries(st.one_of(keys, st.integers(), st.none()), values, max_size=3),
    anything,
)
timeouts = st.one_of(
    st.none(), st.floats(), st.integers(min_value=-5, max_value=10**6), st.floats(min_value=0.5, max_value=60), anything
)


def verdicts(*checks: Any) -> Tuple[List[Any], Invalids, Invalids]:
    """Runs each ``(function, *args)``: the values of the valid arguments, the verdicts on the invalid ones, and
    the valid values that may be refused."""
    sent, invalid, refusable = [], Invalids(), Invalids()
    for fn, *args in checks:
        try:
            sent.append(fn(*args))
        except Refusable as ref:
            sent.append(ref.value)
            refusable.append(ref)
        except Invalid as inv:
            sent.append(None)
            invalid.append(inv)
    return sent, invalid, refusable


def check_call(
    fake: FakeDigitalOcean, call: Any, expected_query: Any, timeout: Any, kwargs: Dict[str, Any], refusable: Invalids
) -> None:
    """Runs one call; ``expected_query`` is the list the first request must carry, or the list of ``Invalid``
    verdicts (when several arguments are invalid, an error about any of them will do). A refusal is also fine
    when it is about one of the ``refusable`` values."""
    fake.clear_queue()
    fake.clear_requests()
    fake.enqueue(200, body=EMPTY_PAGE, count=3)
    try:
        call(**kwargs)
    except (TypeError, ValueError) as exc:
        # With several bad arguments an error about any of them will do, a refusable value included.
        reasons = [*expected_query, *refusable] if isinstance(expected_query, Invalids) else refusable
        assert reasons, f"{kwargs!r} refused: {exc!r}"
        assert fake.request_count == 0, f"{kwargs!r}: a request was sent before {exc!r}"
        named = [inv for inv in reasons if inv.param in str(exc)]
        assert named, f"{kwargs!r}: {exc!r} names none of {[inv.param for inv in reasons]}"
        assert any(isinstance(exc, inv.types) for inv in named), f"{kwargs!r}: {exc!r} is not a {named[0].types}"
        return
    except APITimeoutError:
        # Only a valid timeout under a second may legitimately expire before the fake answers.
        assert not isinstance(expected_query, Invalids), f"{kwargs!r} should have been refused"
        assert timeout is not None and timeout < 1, f"{kwargs!r}: timed out"
        # The abandoned request may still reach the fake; let it land now, not in the next example's record.
        deadline = time.monotonic() + 0.5
        while fake.request_count == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        return
    assert not isinstance(expected_query, Invalids), f"{kwargs!r} accepted, but {expected_query[0].param} is invalid"
    first = fake.requests[0]
    assert first.query == expected_query, f"{kwargs!r}: sent {first.query!r}"
    sent = float(first.headers["x-stainless-read-timeout"])
    want = CLIENT_TIMEOUT if timeout is None else timeout
    assert abs(sent - want) <= 1e-9 + 1e-12 * want, f"{kwargs!r}: x-stainless-read-timeout {sent} != {want}"


@pytest.mark.timeout(TIMEOUT)
@SETTINGS
@given(page=ints, per_page=ints, resource_type=resource_types, extra_query=extra_queries, timeout=timeouts)
# Edges found by this test, kept as explicit examples so that every run checks them:
@example(page=2**63, per_page=None, resource_type=None, extra_query=None, timeout=None)  # just past i64
@example(page=2**70, per_page=20, resource_type=None, extra_query=None, timeout=None)
@example(page=None, per_page=None, resource_type=None, extra_query={"tag_name": "\udc80"}, timeout=None)
@example(page=None, per_page=None, resource_type=None, extra_query={"\ud800": "x"}, timeout=None)
@example(page=None, per_page=None, resource_type=None, extra_query=None, timeout=10**400)
@example(page=None, per_page=None, resource_type=None, extra_query=None, timeout=1e-300)  # valid, but 0 ns
def test_list_arguments(
    prop_fake: FakeDigitalOcean,
    prop_client: GradientAI,
    page: Any,
    per_page: Any,
    resource_type: Any,
    extra_query: Any,
    timeout: Any,
) -> None:
    kwargs = dict(page=page, per_page=per_page, resource_type=resource_type, extra_query=extra_query, timeout=timeout)
    (p, pp, rt, extra, secs), invalid, refusable = verdicts(
        (int_param, "page", page, 1, None),
        (int_param, "per_page", per_page, 1, 200),
        (resource_type_param, resource_type),
        (extra_query_param, extra_query),
        (timeout_param, timeout),
    )
    base = [(k, v) for k, v in (("page", p), ("per_page", pp), ("resource_type", rt)) if v is not None]
    expected = Invalids(invalid) if invalid else merge(base, extra)
    check_call(prop_fake, prop_client.gpu_droplets.snapshots.list, expected, secs, kwargs, refusable)


@pytest.mark.timeout(TIMEOUT)
@SETTINGS
@given(
    per_page=ints,
    resource_type=resource_types,
    max_concurrency=ints,
    max_attempts=ints,
    extra_query=extra_queries,
    timeout=timeouts,
)
@example(
    per_page=None,
    resource_type=None,
    max_concurrency=None,
    max_attempts=None,
    extra_query={"page": "\ud800"},
    timeout=None,
)
@example(per_page=2**64, resource_type=None, max_concurrency=2**64, max_attempts=None, extra_query=None, timeout=None)
def test_list_all_arguments(
    prop_fake: FakeDigitalOcean,
    prop_client: GradientAI,
    per_page: Any,
    resource_type: Any,
    max_concurrency: Any,
    max_attempts: Any,
    extra_query: Any,
    timeout: Any,
) -> None:
    kwargs = dict(
        per_page=per_page,
        resource_type=resource_type,
        max_concurrency=max_concurrency,
        max_attempts=max_attempts,
        extra_query=extra_query,
        timeout=timeout,
    )
    (pp, rt, _, _, extra, secs), invalid, refusable = verdicts(
        (int_param, "per_page", per_page, 1, 200),
        (resource_type_param, resource_type),
        (int_param, "max_concurrency", max_concurrency, 1, 256),
        (int_param, "max_attempts", max_attempts, 1, 10),
        (extra_query_param, extra_query),
        (timeout_param, timeout),
    )
    base = [("page", "1"), ("per_page", pp or "200")] + ([("resource_type", rt)] if rt else [])
    expected = Invalids(invalid) if invalid else merge(base, extra)
    check_call(prop_fake, prop_client.gpu_droplets.snapshots.list_all, expected, secs, kwargs, refusable)


# ---------------------------------------------------------------------------------------------- lenient decoding

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
# Floats as the API writes them (few digits); full-precision floats have their own test below.
api_floats = st.integers(min_value=-(10**9), max_value=10**9).flatmap(
    lambda m: st.sampled_from([m / 10**e for e in range(7)])
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    api_floats,
    text,
    st.sampled_from(
        [
            "2020-07-28T16:47:44Z",
            "2020-07-28T22:17:44+05:30",
            "2021-02-29",
            # parse, but outside Python's datetime (years 1..9999):
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:30:00+01:00",
        ]
    ),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)
typed = {
    "id": st.one_of(st.text(max_size=12), st.integers(min_value=0, max_value=2**40)),
    "regions": st.lists(text, max_size=3),
    "tags": st.one_of(st.none(), st.lists(text, max_size=3)),
    "min_disk_size": st.integers(min_value=0, max_value=10**6),
    "size_gigabytes": api_floats,
}
# Known keys with a value of their documented type or of any JSON type, then unknown keys with any JSON value.
snapshot_objects = st.builds(
    lambda known, extra: {**known, **extra},
    st.fixed_dictionaries({}, optional={k: st.one_of(typed.get(k, text), json_values) for k in KNOWN}),
    st.dictionaries(text.filter(lambda k: k not in KNOWN), json_values, max_size=4),
)


def same_json(a: Any, b: Any) -> bool:
    """Equality of JSON values where 1 == 1.0 (a float field may come back as the int it equals, and vice versa)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    return a == b and (type(a) is type(b) or {type(a), type(b)} <= {int, float})


@pytest.mark.timeout(TIMEOUT)
@SETTINGS
@given(
    snaps=st.lists(snapshot_objects, min_size=1, max_size=4), page_extra=st.dictionaries(text, json_values, max_size=2)
)
def test_any_snapshot_json_decodes_and_keeps_every_key(
    prop_fake: FakeDigitalOcean, prop_client: GradientAI, snaps: List[Dict[str, Any]], page_extra: Dict[str, Any]
) -> None:
    body = {**page_extra, "snapshots": snaps, "links": {}, "meta": {"total": len(snaps)}}
    prop_fake.clear_queue()
    prop_fake.enqueue(200, body=body)
    page = prop_client.gpu_droplets.snapshots.list()
    assert set(page.to_dict()) == set(body)
    assert len(page.snapshots) == len(snaps)
    for raw, snap in zip(snaps, page.snapshots):
        d = snap.to_dict()
        assert list(d) == [k for k in KNOWN if k in raw] + [k for k in raw if k not in KNOWN]
        as_json = snap.to_dict(mode="json")
        for key, value in raw.items():
            got = as_json[key]
            if key == "created_at" and isinstance(value, str) and isinstance(d[key], datetime.datetime):
                assert d[key].tzinfo is not None
                continue
            if key == "size_gigabytes" and type(value) is int:
                # A float field, as pydantic does: the JSON integer becomes the nearest float (2**53 + 1 -> 2**53).
                assert got == float(value), f"{key}: sent {value!r}, got {got!r}"
                continue
            assert same_json(got, value), f"{key}: sent {value!r}, got {got!r}"
        assert set(snap.model_extra) == {k for k in raw if k not in KNOWN}
        for key in KNOWN:  # every declared attribute reads, whatever was sent
            getattr(snap, key)
        repr(snap)
        assert snap == snap


@pytest.mark.timeout(TIMEOUT)
@SETTINGS
@given(x=st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.floats(min_value=0, max_value=10_000)))
@example(x=0.1 + 0.2)
@example(x=449.49106478873813)  # a size in GB that comes back as 449.4910647887382
def test_floats_are_not_changed(prop_fake: FakeDigitalOcean, prop_client: GradientAI, x: float) -> None:
    """A JSON float comes back as Python's ``json`` reads it: the same float (and again after pickling)."""
    prop_fake.clear_queue()
    prop_fake.enqueue(200, body={"snapshots": [{"id": "1", "size_gigabytes": x, "other": [x]}], "meta": {"total": 1}})
    snap = prop_client.gpu_droplets.snapshots.list().snapshots[0]
    assert snap.size_gigabytes == x, f"{x!r} decoded as {snap.size_gigabytes!r}"
    assert snap.other == [x], f"{x!r} in an unknown field decoded as {snap.other!r}"
    assert pickle.loads(pickle.dumps(snap)) == snap, "pickling changed the snapshot"


@pytest.mark.timeout(TIMEOUT)
@SETTINGS
@given(n=st.one_of(st.integers(min_value=-(2**80), max_value=2**80), st.integers()))
@example(n=2**64 - 1)  # the largest u64
@example(n=2**64)  # one past u64
@example(n=-(2**63))  # the smallest i64
@example(n=-(2**63) - 1)  # one past i64
def test_big_integers_are_not_changed(prop_fake: FakeDigitalOcean, prop_client: GradientAI, n: int) -> None:
    """A JSON integer in [-2**63, 2**64) comes back as an ``int`` with the same value; beyond that range it is read
    as the nearest float (a documented limit: serde_json without arbitrary precision), never an error."""
    prop_fake.clear_queue()
    prop_fake.enqueue(200, body={"snapshots": [{"id": "1", "n": n, "min_disk_size": n}], "meta": {"total": 1}})
    snap = prop_client.gpu_droplets.snapshots.list().snapshots[0]
    if -(2**63) <= n < 2**64:
        assert (snap.n, type(snap.n)) == (n, int), f"{n} decoded as {snap.n!r}"
        assert (snap.min_disk_size, type(snap.min_disk_size)) == (n, int), f"{n} decoded as {snap.min_disk_size!r}"
    else:
        assert (snap.n, type(snap.n)) == (float(n), float), f"{n} decoded as {snap.n!r}"
        assert snap.min_disk_size == float(n), f"{n} decoded as {snap.min_disk_size!r}"
