"""Droplets, volumes and where each snapshot came from, over real HTTP to the fake: ``gpu_droplets.list`` /
``list_all``, ``gpu_droplets.volumes.list`` / ``list_all``, ``snapshots.list_all(with_sources=True)``,
``orphans()``, ``select(orphaned=...)``, ``summary(by="source")``, the ``source_exists`` column and the evidence
rule (a refused or failed source listing raises; nothing is ever called orphaned without complete evidence)."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any, Dict, List

import pytest

from gradientai_rs import (
    AsyncGradientAI,
    Droplet,
    DropletList,
    GradientAI,
    PermissionDeniedError,
    Region,
    RetentionPolicy,
    Volume,
    VolumeList,
    list_all_accounts,
)
from gradientai_rs.testing import FakeDigitalOcean

pytestmark = pytest.mark.timeout(60)

TOKEN = "fake-token"


def client_for(fake: FakeDigitalOcean, **kwargs: Any) -> GradientAI:
    return GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0, **kwargs)


@pytest.fixture
def history(make_fake: Any) -> FakeDigitalOcean:
    """A realistic account: some sources gone, GPU droplets among the existing and the gone ones."""
    fake: FakeDigitalOcean = make_fake(history=True, seed=3)
    return fake


@pytest.fixture
def hc(history: FakeDigitalOcean) -> Any:
    c = client_for(history)
    yield c
    c.close()


# ------------------------------------------------------------------------------------------ droplets and volumes


def test_droplets_list_default_is_non_gpu_and_type_gpus_is_gpu_only(history, hc):
    gpu_ids = {d["id"] for d in history.gpu_droplets}
    plain = hc.gpu_droplets.list(per_page=200)
    gpus = hc.gpu_droplets.list(type="gpus", per_page=200)
    assert gpu_ids and {d.id for d in gpus.droplets} == gpu_ids
    assert not gpu_ids & {d.id for d in plain.droplets}
    assert {d.id for d in plain.droplets} | gpu_ids == {d["id"] for d in history.droplets}
    assert history.requests[-1].query == [("per_page", "200"), ("type", "gpus")]
    d = gpus.droplets[0]
    assert isinstance(d, Droplet) and isinstance(d.id, int) and isinstance(d.region, Region)
    assert d.region.slug == history.gpu_droplets[0]["region"]["slug"]
    assert d.gpu_info == history.gpu_droplets[0]["gpu_info"]  # every other field kept


def test_tag_name_with_name_or_type_is_refused_locally(history, hc):
    before = history.request_count
    with pytest.raises(ValueError, match=r"tag_name can not be combined with name \("):
        hc.gpu_droplets.list(tag_name="prod", name="web")
    with pytest.raises(ValueError, match=r"tag_name can not be combined with name or type"):
        hc.gpu_droplets.list_all(tag_name="prod", name="web", type="gpus")
    with pytest.raises(ValueError, match=r"with type"):
        hc.gpu_droplets.list(tag_name="prod", type="gpus")
    with pytest.raises(ValueError, match=r"type must be one of 'droplets', 'gpus', got \"gpu\""):
        hc.gpu_droplets.list(type="gpu")
    with pytest.raises(TypeError, match=r"region must be a str"):
        hc.gpu_droplets.volumes.list(region=1)
    with pytest.raises(ValueError, match=r"per_page must be an integer between 1 and 200"):
        hc.gpu_droplets.volumes.list(per_page=500)
    assert history.request_count == before
    hc.gpu_droplets.list(tag_name="prod")
    assert history.requests[-1].query == [("tag_name", "prod")]


def test_list_all_pages_droplets_and_volumes_exactly_once(history, hc):
    everything = hc.gpu_droplets.list_all(per_page=2)
    gpus = hc.gpu_droplets.list_all(type="gpus", per_page=1)
    assert isinstance(everything, DropletList) and everything.pages > 1
    ids = [d.id for d in everything] + [d.id for d in gpus]
    assert sorted(ids) == sorted(d["id"] for d in history.droplets)
    assert len(set(ids)) == len(ids)
    vols = hc.gpu_droplets.volumes.list_all(per_page=1)
    assert isinstance(vols, VolumeList) and len(vols) == len(history.volumes) == vols.total
    assert [v.id for v in vols] == [v["id"] for v in history.volumes]
    region = history.volumes[0]["region"]["slug"]
    one = hc.gpu_droplets.volumes.list_all(region=region)
    assert one and all(v.region.slug == region for v in one)
    assert history.requests[-1].params["region"] == region


def test_models_keep_the_protocol(history, hc):
    d = hc.gpu_droplets.list_all()[0]
    v = hc.gpu_droplets.volumes.list().volumes[0]
    for m in (d, v, d.region):
        assert pickle.loads(pickle.dumps(m)) == m
        assert repr(m).startswith(type(m).__name__ + "(")
        with pytest.raises(TypeError, match="unhashable"):
            hash(m)
    assert d.to_dict()["region"]["slug"] == d.region.slug
    assert isinstance(v.created_at, str) and isinstance(v.size_gigabytes, int)
    assert Volume is type(v)
    page = hc.gpu_droplets.volumes.list(per_page=1)
    assert pickle.loads(pickle.dumps(page)) == page
    assert page.meta.total == len(history.volumes) and len(page.volumes) == 1
    listing = hc.gpu_droplets.list_all()
    again = pickle.loads(pickle.dumps(listing))
    assert again == listing and [x.id for x in again] == [x.id for x in listing]
    assert listing.to_dicts(mode="json")[0]["id"] == listing[0].id


def test_droplet_and_volume_exports(history, hc):
    pa = pytest.importorskip("pyarrow")
    table = hc.gpu_droplets.list_all(type="gpus").to_arrow()
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("snapshot_ids").type == pa.list_(pa.int64())
    assert table.column("region").to_pylist() == [d["region"]["slug"] for d in history.gpu_droplets]
    vols = hc.gpu_droplets.volumes.list_all().to_arrow()
    assert vols.column_names == ["id", "name", "created_at", "region", "size_gigabytes", "droplet_ids", "tags"]
    pytest.importorskip("pandas")
    df = hc.gpu_droplets.volumes.list_all().to_pandas(lists="python")
    assert isinstance(df["droplet_ids"].iloc[0], list)


# ------------------------------------------------------------------------------------------------------ sources


def test_with_sources_agrees_with_the_fake(history, hc):
    listing = hc.gpu_droplets.snapshots.list_all(with_sources=True)
    assert dict(zip((s.id for s in listing), listing.source_states)) == history.source_states()
    orphans = hc.gpu_droplets.snapshots.orphans()
    assert [s.id for s in orphans] == history.orphaned_snapshot_ids()
    assert set(orphans.source_states) == {"gone"}
    kept = listing.select(orphaned=False)
    assert len(kept) + len(orphans) == len(listing)
    assert "gone" not in kept.source_states
    # Without with_sources there is no verdict at all.
    plain = hc.gpu_droplets.snapshots.list_all()
    assert plain.source_states is None
    with pytest.raises(ValueError, match=r"with_sources=True"):
        plain.select(orphaned=True)
    with pytest.raises(ValueError, match=r"with_sources=True"):
        plain.summary(by="source")
    with pytest.raises(TypeError, match=r"orphaned must be True, False or None"):
        listing.select(orphaned="yes")


def test_a_gpu_droplets_snapshots_are_not_orphaned(history, hc):
    gpu_ids = {str(d["id"]) for d in history.gpu_droplets}
    listing = hc.gpu_droplets.snapshots.list_all(with_sources=True)
    on_gpus = [i for i, s in enumerate(listing) if s.resource_id in gpu_ids and s.resource_type == "droplet"]
    assert on_gpus, "the history has snapshots of an existing GPU droplet"
    assert {listing.source_states[i] for i in on_gpus} == {"exists"}
    orphan_ids = {s.id for s in hc.gpu_droplets.snapshots.orphans()}
    assert not orphan_ids & {listing[i].id for i in on_gpus}
    # The naive check (one default listing) would have called them orphaned.
    naive = {str(d.id) for d in hc.gpu_droplets.list_all()}
    assert all(listing[i].resource_id not in naive for i in on_gpus)


@pytest.mark.parametrize(
    ("refuse", "listing", "scope"),
    [
        ("gpus", ("GPU droplets",), "droplet:read"),
        # both droplet listings are refused: whichever answers first is named
        ("droplets", ("droplets", "GPU droplets"), "droplet:read"),
        ("volumes", ("volumes",), "block_storage:read"),
    ],
)
def test_a_refused_source_listing_raises_and_deletes_nothing(history, hc, refuse, listing, scope):
    history.configure(refuse=(refuse,))
    with pytest.raises(PermissionDeniedError) as info:
        hc.gpu_droplets.snapshots.orphans()
    err = info.value
    assert err.status_code == 403 and err.listing in listing and err.scope == scope
    assert f"the {err.listing} listing" in str(err) and f"needs the {scope} scope" in str(err)
    assert "no snapshot can be called orphaned" in str(err)
    with pytest.raises(PermissionDeniedError, match=scope):
        hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=True)
    with pytest.raises(PermissionDeniedError):
        hc.gpu_droplets.snapshots.list_all(with_sources=True)
    assert history.deleted_ids == []
    assert not any(r.method == "DELETE" for r in history.requests)


def test_a_volume_filter_needs_only_the_volume_listing(history, hc):
    history.configure(refuse=("droplets",))
    vols = hc.gpu_droplets.snapshots.orphans(resource_type="volume")
    expected = [i for i in history.orphaned_snapshot_ids() if history.source_states()[i] == "gone"]
    assert [s.id for s in vols] == [i for i in expected if i in {s.id for s in vols}]
    assert vols and {s.resource_type for s in vols} == {"volume"}
    assert not any(r.path == "/v2/droplets" for r in history.requests)


def test_an_orphans_only_plan_deletes_exactly_what_it_shows(history):
    orphan_ids = set(history.orphaned_snapshot_ids())
    hc = client_for(history, requests_per_minute=0)  # hundreds of deletes: no pacing
    plan = hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=True)
    shown = plan.delete_ids
    assert shown and set(shown) <= orphan_ids
    assert {s.id for s in plan.keep} <= orphan_ids  # the newest orphan of each destroyed source is kept
    assert len(plan.keep) + len(plan.delete) == len(orphan_ids)
    result = plan.apply()
    assert result.ok and result.deleted == shown
    assert sorted(history.deleted_ids) == sorted(shown)  # concurrent deletes: any order, exactly these
    hc.close()
    # Re-listing: every kept orphan still there, and nothing that had a source was touched.
    states = history.source_states()
    assert all(states[s.id] == "gone" for s in plan.keep)


def test_integer_ids_match_string_ids(make_fake):
    snaps: List[Dict[str, Any]] = [
        {"id": "1", "name": "a", "resource_id": "12345", "resource_type": "droplet", "size_gigabytes": 1.0},
        {"id": "2", "name": "b", "resource_id": "54321", "resource_type": "droplet", "size_gigabytes": 2.0},
        {"id": "3", "name": "c", "resource_id": "AB12CD34-0000-4000-8000-000000000001", "resource_type": "volume"},
        {"id": "4", "name": "d", "resource_id": "ab12cd34-0000-4000-8000-000000000002", "resource_type": "volume"},
        {"id": "5", "name": "e", "resource_type": "droplet", "size_gigabytes": 4.0},
        {"id": "6", "name": "f", "resource_id": "12345", "size_gigabytes": 8.0},
        {"id": "7", "name": "g", "resource_id": "12345", "resource_type": "image"},
    ]
    droplets = [{"id": 12345, "name": "web", "size_slug": "s-1vcpu-1gb"}]
    volumes = [{"id": "ab12cd34-0000-4000-8000-000000000001", "name": "v"}]
    fake = make_fake(snaps, droplets=droplets, volumes=volumes)
    with client_for(fake) as c:
        listing = c.gpu_droplets.snapshots.list_all(with_sources=True)
        assert listing.source_states == ["exists", "gone", "exists", "gone", "unknown", "unknown", "unknown"]
        assert [s.id for s in c.gpu_droplets.snapshots.orphans()] == ["2", "4"]
        rows = {r[0]: r[1:3] for r in listing.summary(by="source").rows}
        assert rows == {"exists": (2, 1.0), "gone": (2, 2.0), "unknown": (3, 12.0)}
    assert fake.source_states()["1"] == "exists" and fake.source_states()["5"] == "unknown"


def test_source_listings_run_concurrently_with_the_snapshots(make_fake):
    fake = make_fake(history=True, seed=5, latency_ms=60)
    with client_for(fake) as c:
        c.gpu_droplets.snapshots.list_all(with_sources=True, per_page=20)
    reqs = fake.requests
    second_page = min(r.time for r in reqs if r.path == "/v2/snapshots" and r.page == 2)
    firsts = {}
    for r in reqs:
        key = (r.path, r.params.get("type"))
        firsts.setdefault(key, r.time)
    assert set(firsts) == {
        ("/v2/snapshots", None),
        ("/v2/droplets", None),
        ("/v2/droplets", "gpus"),
        ("/v2/volumes", None),
    }
    # Every listing started before the snapshot listing's first answer came back.
    assert all(t < second_page for t in firsts.values())
    # The source listings don't get the snapshot listing's extra_query.
    assert all("resource_type" not in r.params for r in reqs if r.path != "/v2/snapshots")


def test_source_exists_column(history, hc):
    pa = pytest.importorskip("pyarrow")
    listing = hc.gpu_droplets.snapshots.list_all(with_sources=True)
    table = listing.to_arrow(source_exists=True)
    assert table.schema.field("source_exists").type == pa.bool_()
    want = {"exists": True, "gone": False, "unknown": None}
    assert table.column("source_exists").to_pylist() == [want[s] for s in listing.source_states]
    assert "source_exists" not in listing.to_arrow().column_names
    orphans = listing.select(orphaned=True)
    assert set(orphans.to_arrow(source_exists=True).column("source_exists").to_pylist()) == {False}
    with pytest.raises(ValueError, match="with_sources=True"):
        hc.gpu_droplets.snapshots.list_all().to_arrow(source_exists=True)
    pytest.importorskip("polars")
    frame = listing.to_polars(source_exists=True, monthly_cost=True)
    assert frame["source_exists"].null_count() == listing.source_states.count("unknown")


def test_summary_by_source_prices_the_gone_row(history, hc):
    listing = hc.gpu_droplets.snapshots.list_all(with_sources=True)
    summary = listing.summary(by="source", rate_per_gb_month=0.06)
    rows = {r[0]: r for r in summary.rows}
    orphans = listing.select(orphaned=True)
    assert rows["gone"][1] == len(orphans) == len(history.orphaned_snapshot_ids())
    assert rows["gone"][2] == pytest.approx(orphans.size_gigabytes)
    assert rows["gone"][3] == pytest.approx(orphans.monthly_cost(0.06))
    assert [r[0] for r in summary.rows][:2] == ["exists", "gone"]
    assert pickle.loads(pickle.dumps(listing)).source_states == listing.source_states
    assert pickle.loads(pickle.dumps(orphans)).source_states == ["gone"] * len(orphans)


def test_orphans_checks_its_filters_before_listing(history, hc):
    before = history.request_count
    with pytest.raises(TypeError):
        hc.gpu_droplets.snapshots.orphans(colour="red")
    with pytest.raises(TypeError, match="orphaned"):
        hc.gpu_droplets.snapshots.orphans(orphaned=False)
    assert history.request_count == before
    big = hc.gpu_droplets.snapshots.orphans(min_size_gb=10)
    assert all(s.size_gigabytes >= 10 for s in big)


def test_accounts_each_get_their_own_verdicts(make_fake):
    a, b = make_fake(history=True, seed=1), make_fake(history=True, seed=2)
    with client_for(a) as ca, client_for(b) as cb:
        merged = list_all_accounts({"a": ca, "b": cb}, with_sources=True)
    gone = merged.select(orphaned=True)
    assert len(gone) == len(a.orphaned_snapshot_ids()) + len(b.orphaned_snapshot_ids())
    by_account = {name: [s.id for i, s in enumerate(gone) if gone.account_of(i) == name] for name in ("a", "b")}
    assert by_account == {"a": a.orphaned_snapshot_ids(), "b": b.orphaned_snapshot_ids()}


# --------------------------------------------------------------------------------------------------------- async


def test_async_parity(history):
    sync = client_for(history)
    want_states = sync.gpu_droplets.snapshots.list_all(with_sources=True).source_states
    want_orphans = [s.id for s in sync.gpu_droplets.snapshots.orphans()]
    want_droplets = [d.id for d in sync.gpu_droplets.list_all(type="gpus")]
    want_volumes = sync.gpu_droplets.volumes.list(per_page=2)
    sync.close()

    async def main() -> Any:
        async with AsyncGradientAI(api_key=TOKEN, base_url=history.url, max_retries=0) as c:
            listing, orphans, gpus, vols = await asyncio.gather(
                c.gpu_droplets.snapshots.list_all(with_sources=True),
                c.gpu_droplets.snapshots.orphans(),
                c.gpu_droplets.list_all(type="gpus"),
                c.gpu_droplets.volumes.list(per_page=2),
            )
            history.configure(refuse=("volumes",))
            try:
                await c.gpu_droplets.snapshots.orphans()
            except PermissionDeniedError as exc:
                refused = exc
            history.configure(refuse=())
            plan = await c.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=True)
            return listing, orphans, gpus, vols, refused, plan

    listing, orphans, gpus, vols, refused, plan = asyncio.run(main())
    assert listing.source_states == want_states
    assert [s.id for s in orphans] == want_orphans
    assert [d.id for d in gpus] == want_droplets
    assert vols == want_volumes
    assert refused.scope == "block_storage:read"
    assert set(plan.delete_ids) <= set(want_orphans)


def test_a_plan_exports_source_exists_and_refuses_without_sources(history, hc):
    pytest.importorskip("pyarrow")
    plan = hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=True)
    table = plan.to_arrow(source_exists=True)
    assert set(table.column("source_exists").to_pylist()) == {False}
    assert table.column("action").to_pylist().count("delete") == len(plan.delete)
    kept = hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=False)
    assert "gone" not in kept.keep.source_states + kept.delete.source_states
    plain = hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1))
    with pytest.raises(ValueError, match="with_sources=True"):
        plain.to_arrow(source_exists=True)
    with pytest.raises(TypeError, match="orphaned must be True, False or None"):
        hc.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned="yes")
