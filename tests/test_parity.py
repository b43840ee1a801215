"""Parity with the pure-Python SDK ``do_gradientai``: the same calls against the same fake send the same query and
give the same values and errors.

Deliberate, documented differences are not tested here: we validate arguments locally (the SDK sends them as given),
``links`` is never ``None``, and iterating a response yields snapshots.
"""

from __future__ import annotations

import warnings

import pytest

do_gradientai = pytest.importorskip("do_gradientai")

from gradientai_rs import GradientAI  # noqa: E402

pytestmark = pytest.mark.timeout(30)

CORE_HEADERS = ("accept", "authorization", "x-stainless-lang", "x-stainless-retry-count", "x-stainless-read-timeout")


@pytest.fixture
def pair(fake, token):
    sdk = do_gradientai.GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    ours = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    yield sdk, ours
    sdk.close()
    ours.close()


@pytest.fixture(autouse=True)
def _quiet_pydantic():
    # the SDK's lenient path makes pydantic warn when dumping values of unexpected types
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def both(fake, pair, call):
    """Runs ``call(client)`` with the SDK then with ours; returns ((result, request), (result, request))."""
    out = []
    for c in pair:
        before = fake.request_count
        res = call(c)
        assert fake.request_count == before + 1
        out.append((res, fake.requests[-1]))
    return out


LIST_KWARGS = [
    {},
    {"page": 2},
    {"per_page": 5},
    {"page": 2, "per_page": 5},
    {"resource_type": "volume"},
    {"resource_type": "droplet", "per_page": 7, "page": 1},
    {"page": 3, "per_page": 20, "resource_type": "droplet"},
    {"page": 2, "extra_query": {"per_page": 7, "region": "nyc3"}},
    {"extra_query": {"page": 3}},
    {"per_page": 200},
]


@pytest.mark.parametrize("kwargs", LIST_KWARGS, ids=[str(k) for k in LIST_KWARGS])
def test_same_query_and_values(fake, pair, kwargs):
    (a, ra), (b, rb) = both(fake, pair, lambda c: c.gpu_droplets.snapshots.list(**kwargs))
    assert ra.method == rb.method == "GET"
    assert ra.path == rb.path == "/v2/snapshots"
    assert rb.query == ra.query
    for h in CORE_HEADERS:
        assert rb.headers.get(h) == ra.headers.get(h), h
    assert b.meta.total == a.meta.total
    assert len(b.snapshots) == len(a.snapshots)
    for sa, sb in zip(a.snapshots, b.snapshots):
        assert sb.to_dict(mode="json") == sa.to_dict(mode="json")
    assert b.to_dict(mode="json") == a.to_dict(mode="json")


def test_every_snapshot_field_equal(fake, pair):
    sdk, ours = pair
    for page in (1, 2, 3):
        a = sdk.gpu_droplets.snapshots.list(page=page)
        b = ours.gpu_droplets.snapshots.list(page=page)
        assert b.meta.total == a.meta.total == 45
        for sa, sb in zip(a.snapshots, b.snapshots):
            for f in (
                "id",
                "name",
                "created_at",
                "regions",
                "resource_id",
                "resource_type",
                "min_disk_size",
                "size_gigabytes",
                "tags",
            ):
                va, vb = getattr(sa, f), getattr(sb, f)
                assert vb == va, f
                assert type(vb) is type(va), f
            assert sb.to_dict(mode="json") == sa.to_dict(mode="json")
            assert sb.to_dict() == sa.to_dict()


def test_links_values_equal_when_present(fake, pair):
    sdk, ours = pair
    a = sdk.gpu_droplets.snapshots.list(page=2, per_page=10)
    b = ours.gpu_droplets.snapshots.list(page=2, per_page=10)
    for key in ("first", "prev", "next", "last"):
        assert getattr(b.links.pages, key) == getattr(a.links.pages, key), key


LENIENT_BODY = {
    "snapshots": [
        {"id": 6372321, "name": "a", "new_field": {"x": [1, None]}},
        {
            "id": "6372321",
            "name": "web",
            "created_at": "2020-07-28T16:47:44Z",
            "regions": ["nyc3"],
            "resource_id": "2",
            "resource_type": "droplet",
            "min_disk_size": 25,
            "size_gigabytes": 2,
            "tags": None,
            "created_by": "me",
        },
    ],
    "meta": {"total": 2, "page": 1},
    "links": {"pages": {"prev": "https://x/v2/snapshots?page=1", "next": "https://x/v2/snapshots?page=3"}},
    "top": 1,
}


def test_lenient_body_equal(fake, pair):
    def call(c):
        fake.enqueue(200, body=LENIENT_BODY)
        return c.gpu_droplets.snapshots.list()

    (a, _), (b, _) = both(fake, pair, call)
    assert b.to_dict(mode="json") == a.to_dict(mode="json")
    assert b.to_dict() == a.to_dict()
    assert b.top == a.top == 1
    assert b.meta.page == a.meta.page == 1
    for sa, sb in zip(a.snapshots, b.snapshots):
        # model_fields_set is not compared: the SDK's construct() path leaves extras out of it, its validated path
        # puts them in; ours always includes them (as pydantic validation does).
        assert sb.model_extra == sa.model_extra


def test_retrieve_equal(fake, pair):
    sid = fake.ids()[4]
    (a, ra), (b, rb) = both(fake, pair, lambda c: c.gpu_droplets.snapshots.retrieve(sid))
    assert rb.path == ra.path
    assert rb.query == ra.query
    assert b.snapshot.to_dict(mode="json") == a.snapshot.to_dict(mode="json")
    assert b.to_dict(mode="json") == a.to_dict(mode="json")


def test_delete_equal(fake, pair):
    ids = fake.ids()
    (a, ra), (b, rb) = both(fake, pair, lambda c: c.gpu_droplets.snapshots.delete(ids.pop(0)))
    assert ra.method == rb.method == "DELETE"
    assert rb.headers["accept"] == ra.headers["accept"]
    assert a is None
    assert b is a


@pytest.mark.parametrize("status", [404, 429, 400, 401, 403, 409, 422, 500, 503, 418])
def test_same_exception(fake, pair, status):
    body = {"id": f"e{status}", "message": f"status {status}", "request_id": "rid"}
    results = []
    for c in pair:
        fake.enqueue(status, body=body)
        with pytest.raises(Exception) as ei:
            c.gpu_droplets.snapshots.list()
        results.append(ei.value)
    a, b = results
    assert type(b).__name__ == type(a).__name__
    assert b.status_code == a.status_code == status
    assert b.body == a.body
    assert str(b) == str(a)
    assert fake.request_count == 2


@pytest.mark.parametrize("body", ["<html>bad gateway</html>", b""], ids=["text", "empty"])
def test_same_exception_non_json_body(fake, pair, body):
    results = []
    for c in pair:
        fake.enqueue(502, body=body, headers={"content-type": "text/html"})
        with pytest.raises(Exception) as ei:
            c.gpu_droplets.snapshots.list()
        results.append(ei.value)
    a, b = results
    assert type(b).__name__ == type(a).__name__ == "InternalServerError"
    assert b.status_code == a.status_code
    assert str(b) == str(a)
    assert b.body == a.body


def test_same_exception_real_404(fake, pair):
    results = []
    for c in pair:
        with pytest.raises(Exception) as ei:
            c.gpu_droplets.snapshots.retrieve("does-not-exist")
        results.append(ei.value)
    a, b = results
    assert type(b).__name__ == type(a).__name__ == "NotFoundError"
    assert b.status_code == a.status_code == 404
    assert {k: v for k, v in b.body.items() if k != "request_id"} == {
        k: v for k, v in a.body.items() if k != "request_id"
    }


def test_same_retry_count_on_500(fake, token):
    sdk = do_gradientai.GradientAI(api_key=token, base_url=fake.url, max_retries=2)
    ours = GradientAI(api_key=token, base_url=fake.url, max_retries=2)
    counts = []
    for c in (sdk, ours):
        fake.clear_requests()
        fake.enqueue(500, headers={"retry-after-ms": "10"}, count=3)
        with pytest.raises(Exception) as ei:
            c.gpu_droplets.snapshots.list()
        assert type(ei.value).__name__ == "InternalServerError"
        counts.append([r.headers["x-stainless-retry-count"] for r in fake.requests])
    assert counts[1] == counts[0] == ["0", "1", "2"]
    sdk.close()


# ------------------------------------------------------------------------------------------ droplets and volumes

DROPLET_FIELDS = (
    "id",
    "created_at",
    "disk",
    "memory",
    "name",
    "size_slug",
    "snapshot_ids",
    "status",
    "tags",
    "vcpus",
    "volume_ids",
)
VOLUME_FIELDS = ("id", "created_at", "droplet_ids", "name", "size_gigabytes", "tags")


@pytest.fixture
def sourced_pair(make_fake, token):
    fake = make_fake(history=True, seed=4, token=token)
    sdk = do_gradientai.GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    ours = GradientAI(api_key=token, base_url=fake.url, max_retries=0)
    yield fake, (sdk, ours)
    sdk.close()
    ours.close()


def same_typed_fields(a, b, fields):
    for f in fields:
        va, vb = getattr(a, f), getattr(b, f)
        assert vb == va, f
        assert type(vb) is type(va), f
    # The nested region: the SDK's Region model, ours with the same values.
    assert (b.region is None) == (a.region is None)
    if a.region is not None:
        for f in ("slug", "name", "sizes", "features"):
            assert getattr(b.region, f) == getattr(a.region, f), f
        assert b.region.available == a.region.available
    assert b.to_dict(mode="json") == a.to_dict(mode="json")


DROPLET_KWARGS = [
    {},
    {"type": "gpus"},
    {"per_page": 3, "page": 2},
    {"type": "droplets", "per_page": 5},
    {"tag_name": "prod"},
]


@pytest.mark.parametrize("kwargs", DROPLET_KWARGS, ids=[str(k) for k in DROPLET_KWARGS])
def test_droplets_same_query_values_and_types(sourced_pair, kwargs):
    fake, pair = sourced_pair
    (a, ra), (b, rb) = both(fake, pair, lambda c: c.gpu_droplets.list(**kwargs))
    assert ra.path == rb.path == "/v2/droplets"
    assert rb.query == ra.query
    assert b.meta.total == a.meta.total
    assert len(b.droplets) == len(a.droplets)
    for da, db in zip(a.droplets, b.droplets):
        same_typed_fields(da, db, DROPLET_FIELDS)
    assert b.to_dict(mode="json") == a.to_dict(mode="json")


VOLUME_KWARGS = [{}, {"per_page": 2, "page": 2}, {"region": "nyc1"}, {"name": "nope"}]


@pytest.mark.parametrize("kwargs", VOLUME_KWARGS, ids=[str(k) for k in VOLUME_KWARGS])
def test_volumes_same_query_values_and_types(sourced_pair, kwargs):
    fake, pair = sourced_pair
    (a, ra), (b, rb) = both(fake, pair, lambda c: c.gpu_droplets.volumes.list(**kwargs))
    assert ra.path == rb.path == "/v2/volumes"
    assert rb.query == ra.query
    assert b.meta.total == a.meta.total
    assert len(b.volumes) == len(a.volumes)
    for va, vb in zip(a.volumes, b.volumes):
        same_typed_fields(va, vb, VOLUME_FIELDS)
    assert b.to_dict(mode="json") == a.to_dict(mode="json")


def test_orphans_equal_the_sdk_script(sourced_pair):
    """The obvious SDK script done right (three page loops, GPU droplets included, then a set difference) and
    ``orphans()`` find the same snapshots."""
    fake, (sdk, ours) = sourced_pair

    def every(call, key):
        out, page = [], 1
        while True:
            items = getattr(call(page), key)
            out += items
            if len(items) < 200:
                return out
            page += 1

    snaps = every(lambda p: sdk.gpu_droplets.snapshots.list(page=p, per_page=200), "snapshots")
    droplets = every(lambda p: sdk.gpu_droplets.list(page=p, per_page=200), "droplets")
    droplets += every(lambda p: sdk.gpu_droplets.list(page=p, per_page=200, type="gpus"), "droplets")
    volumes = every(lambda p: sdk.gpu_droplets.volumes.list(page=p, per_page=200), "volumes")
    alive = {str(d.id) for d in droplets} | {v.id for v in volumes}
    expected = [
        s.id for s in snaps if s.resource_id and s.resource_type in ("droplet", "volume") and s.resource_id not in alive
    ]
    assert expected and [s.id for s in ours.gpu_droplets.snapshots.orphans()] == expected
