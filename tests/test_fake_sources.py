"""The fake's droplets and volumes (the sources of snapshots): GET /v2/droplets and /v2/volumes over real HTTP
(http.client), their filters and pagination, the ``refuse`` switch, and the histories in which some sources are
gone."""

from __future__ import annotations

import collections
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import pytest

from gradientai_rs.testing import FakeDigitalOcean, generate_history, generate_sources, is_gpu_droplet

TOKEN = "fake-token"
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
FORBIDDEN = {"id": "forbidden", "message": "You are not authorized to perform this operation"}


def call(fake: FakeDigitalOcean, path: str, method: str = "GET") -> Tuple[int, Dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
        r = conn.getresponse()
        body = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        return r.status, headers, json.loads(body) if body else None
    finally:
        conn.close()


def get(fake: FakeDigitalOcean, path: str) -> Any:
    status, _, body = call(fake, path)
    assert status == 200, (path, status, body)
    return body


def walk(fake: FakeDigitalOcean, path: str, key: str, per_page: int = 200) -> List[Dict[str, Any]]:
    """Every item of a listing, following the absolute ``links.pages.next`` URLs."""
    sep = "&" if "?" in path else "?"
    url: Optional[str] = f"{fake.url}{path}{sep}per_page={per_page}"
    items: List[Dict[str, Any]] = []
    total = None
    while url is not None:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == fake.url, url
        body = get(fake, f"{parts.path}?{parts.query}")
        assert set(body) == {key, "links", "meta"}
        total = body["meta"]["total"] if total is None else total
        assert body["meta"] == {"total": total}
        items += body[key]
        url = body["links"].get("pages", {}).get("next")
    assert len(items) == total
    return items


def ids(items: List[Dict[str, Any]]) -> List[Any]:
    return [x["id"] for x in items]


@pytest.fixture(scope="module")
def history() -> Any:
    with FakeDigitalOcean(history=True, seed=0) as fake:
        yield fake


# --------------------------------------------------------------------------- GET /v2/droplets


def test_gpu_droplets_appear_only_under_type_gpus(history: FakeDigitalOcean) -> None:
    everything = history.droplets
    gpu = [d for d in everything if is_gpu_droplet(d)]
    plain = [d for d in everything if not is_gpu_droplet(d)]
    assert gpu and plain and history.gpu_droplets == gpu
    assert walk(history, "/v2/droplets", "droplets", per_page=4) == plain
    assert walk(history, "/v2/droplets?type=droplets", "droplets", per_page=4) == plain
    assert walk(history, "/v2/droplets?type=gpus", "droplets", per_page=2) == gpu
    for d in gpu:
        assert d["size_slug"].startswith("gpu-") and d["gpu_info"]["count"] >= 1
        assert d["size"]["gpu_info"] == d["gpu_info"]
    assert all("gpu_info" not in d and not d["size_slug"].startswith("gpu-") for d in plain)


@pytest.mark.parametrize(
    "query",
    ["tag_name=prod&name=web-01", "tag_name=prod&type=gpus", "tag_name=prod&type=droplets", "name=x&tag_name=y"],
)
def test_tag_name_with_name_or_type_is_400(history: FakeDigitalOcean, query: str) -> None:
    status, headers, body = call(history, f"/v2/droplets?{query}")
    assert status == 400
    assert body == {
        "id": "bad_request",
        "message": "tag_name cannot be combined with name or type",
        "request_id": headers["x-request-id"],
    }


@pytest.mark.parametrize(
    "query, message",
    [
        ("type=gpu", "type must be one of: droplets, gpus"),
        ("type=", "type must be one of: droplets, gpus"),
        ("page=0", "page must be an integer >= 1"),
        ("per_page=201", "per_page must be an integer between 1 and 200"),
        ("per_page=x&type=gpus", "per_page must be an integer between 1 and 200"),
    ],
)
def test_bad_droplet_params_are_400(history: FakeDigitalOcean, query: str, message: str) -> None:
    status, _, body = call(history, f"/v2/droplets?{query}")
    assert (status, body["id"], body["message"]) == (400, "bad_request", message)


def test_droplet_name_and_tag_filters(history: FakeDigitalOcean) -> None:
    plain = [d for d in history.droplets if not is_gpu_droplet(d)]
    target = plain[1]
    # name: exact, case-insensitive (the SDK's docstring); a GPU droplet's name only under type=gpus
    named = walk(history, f"/v2/droplets?name={target['name'].upper()}", "droplets")
    assert named == [d for d in plain if d["name"] == target["name"]] and target in named
    assert walk(history, f"/v2/droplets?name={target['name'][:-1]}", "droplets") == []
    gpu = history.gpu_droplets[0]
    assert walk(history, f"/v2/droplets?name={gpu['name']}", "droplets") == []
    assert walk(history, f"/v2/droplets?name={gpu['name']}&type=gpus", "droplets") == [gpu]
    # tag_name: droplets carrying that tag
    tags = collections.Counter(t for d in plain for t in d["tags"])
    assert tags, "the history's droplets carry tags"
    for tag in tags:
        tagged = walk(history, f"/v2/droplets?tag_name={tag}", "droplets", per_page=1)
        assert tagged == [d for d in plain if tag in d["tags"]] and len(tagged) == tags[tag]
    assert walk(history, "/v2/droplets?tag_name=no-such-tag", "droplets") == []


def test_droplet_pagination_is_like_snapshots(history: FakeDigitalOcean) -> None:
    base = history.url
    plain = [d for d in history.droplets if not is_gpu_droplet(d)]
    n = len(plain)
    assert n > 6
    last = -(-n // 3)
    p1 = get(history, "/v2/droplets?per_page=3")
    assert p1["droplets"] == plain[:3] and p1["meta"] == {"total": n}
    assert p1["links"] == {
        "pages": {
            "last": f"{base}/v2/droplets?page={last}&per_page=3",
            "next": f"{base}/v2/droplets?page=2&per_page=3",
        }
    }
    p2 = get(history, "/v2/droplets?page=2&per_page=3")
    assert p2["droplets"] == plain[3:6]
    assert p2["links"]["pages"] == {
        "first": f"{base}/v2/droplets?page=1&per_page=3",
        "prev": f"{base}/v2/droplets?page=1&per_page=3",
        "last": f"{base}/v2/droplets?page={last}&per_page=3",
        "next": f"{base}/v2/droplets?page=3&per_page=3",
    }
    end = get(history, f"/v2/droplets?page={last}&per_page=3")
    assert "next" not in end["links"]["pages"] and end["droplets"] == plain[3 * (last - 1) :]
    past = get(history, f"/v2/droplets?page={last + 5}&per_page=3")
    assert past["droplets"] == [] and past["meta"] == {"total": n}
    whole = get(history, "/v2/droplets?per_page=200")
    assert whole == {"droplets": plain, "links": {}, "meta": {"total": n}}
    assert len(get(history, "/v2/droplets")["droplets"]) == min(n, 20)  # default per_page 20
    # the filters are repeated in the links
    gpus = get(history, "/v2/droplets?type=gpus&per_page=1")
    assert gpus["links"]["pages"]["next"] == f"{base}/v2/droplets?page=2&per_page=1&type=gpus"
    tags = collections.Counter(t for d in plain for t in d["tags"])
    tag = next(t for t, n in tags.most_common() if ":" in t and n >= 2)  # an escaped one
    tagged = get(history, f"/v2/droplets?tag_name={tag}&per_page=1&page=2")
    escaped = tag.replace(":", "%3A")
    assert tagged["links"]["pages"]["first"] == f"{base}/v2/droplets?page=1&per_page=1&tag_name={escaped}"
    # recorded like snapshot list requests
    assert history.requests[-1].page == 2


def test_retrieve_droplet_and_volume(history: FakeDigitalOcean) -> None:
    for d in history.droplets:  # GPU droplets too
        assert get(history, f"/v2/droplets/{d['id']}") == {"droplet": d}
    for v in history.volumes:
        assert get(history, f"/v2/volumes/{v['id']}") == {"volume": v}
    gone = history.destroyed_droplets[0]
    for path in (f"/v2/droplets/{gone['id']}", f"/v2/volumes/{history.destroyed_volumes[0]['id']}", "/v2/droplets/x"):
        status, _, body = call(history, path)
        assert status == 404 and body["id"] == "not_found"
    status, _, _ = call(history, f"/v2/droplets/{history.droplets[0]['id']}", "DELETE")
    assert status == 404  # the fake destroys sources through destroy_droplet(), not over HTTP


# --------------------------------------------------------------------------- GET /v2/volumes


def test_volume_listing_filters_and_pagination(history: FakeDigitalOcean) -> None:
    volumes = history.volumes
    assert len(volumes) >= 3
    assert walk(history, "/v2/volumes", "volumes", per_page=2) == volumes
    p1 = get(history, "/v2/volumes?per_page=2")
    assert p1["links"]["pages"]["next"] == f"{history.url}/v2/volumes?page=2&per_page=2"
    assert get(history, "/v2/volumes?per_page=200") == {
        "volumes": volumes,
        "links": {},
        "meta": {"total": len(volumes)},
    }
    regions = collections.Counter(v["region"]["slug"] for v in volumes)
    for region, count in regions.items():
        got = walk(history, f"/v2/volumes?region={region}", "volumes", per_page=1)
        assert got == [v for v in volumes if v["region"]["slug"] == region] and len(got) == count
    assert walk(history, "/v2/volumes?region=nyc2", "volumes") == [v for v in volumes if v["region"]["slug"] == "nyc2"]
    target = volumes[-1]
    assert walk(history, f"/v2/volumes?name={target['name']}", "volumes") == [target]
    assert walk(history, f"/v2/volumes?name={target['name'].upper()}", "volumes") == []
    both = walk(history, f"/v2/volumes?name={target['name']}&region={target['region']['slug']}", "volumes")
    assert both == [target]
    other = next(r for r in sorted(set(regions) | {"nyc2"}) if r != target["region"]["slug"])
    assert walk(history, f"/v2/volumes?name={target['name']}&region={other}", "volumes") == []
    with FakeDigitalOcean(300, droplets=10, volumes=40) as many:
        region, count = collections.Counter(v["region"]["slug"] for v in many.volumes).most_common(1)[0]
        assert count >= 2
        two = get(many, f"/v2/volumes?region={region}&per_page=1")
        assert two["links"]["pages"]["next"] == f"{many.url}/v2/volumes?page=2&per_page=1&region={region}"
        assert two["meta"] == {"total": count}
    status, _, body = call(history, "/v2/volumes?per_page=0")
    assert status == 400 and body["id"] == "bad_request"


# --------------------------------------------------------------------------- shapes


def test_droplet_and_volume_shapes(history: FakeDigitalOcean) -> None:
    # the SDK's Droplet model (gradient 3.12.2, types/shared/droplet.py): required fields and their types
    required = {
        "id": int,
        "name": str,
        "memory": int,
        "vcpus": int,
        "disk": int,
        "locked": bool,
        "status": str,
        "created_at": str,
        "features": list,
        "backup_ids": list,
        "snapshot_ids": list,
        "image": dict,
        "volume_ids": list,
        "size": dict,
        "size_slug": str,
        "networks": dict,
        "region": dict,
        "tags": list,
    }
    for d in history.droplets + history.destroyed_droplets:
        for field, kind in required.items():
            assert isinstance(d[field], kind) and not (kind is int and isinstance(d[field], bool)), (field, d[field])
        assert {"kernel", "next_backup_window", "vpc_uuid"} <= set(d)
        assert d["status"] in ("new", "active", "off", "archive")
        assert TS_RE.fullmatch(d["created_at"])
        assert set(d["region"]) == {"slug", "name", "sizes", "features", "available"}
        assert d["size"]["slug"] == d["size_slug"] and d["size"]["disk"] == d["disk"]
        size_fields = {"available", "description", "disk", "memory", "price_hourly", "price_monthly", "regions"}
        assert size_fields | {"slug", "transfer", "vcpus"} <= set(d["size"])
        assert all(isinstance(i, int) for i in d["snapshot_ids"] + d["backup_ids"])
        assert all(str(uuid.UUID(v)) == v for v in d["volume_ids"])
        assert {n["type"] for n in d["networks"]["v4"]} == {"public", "private"}
        assert str(uuid.UUID(d["vpc_uuid"])) == d["vpc_uuid"]
    # the SDK's Volume (gpu_droplets/volume_list_response.py)
    for v in history.volumes + history.destroyed_volumes:
        assert set(v) == {
            "id",
            "name",
            "region",
            "droplet_ids",
            "description",
            "size_gigabytes",
            "created_at",
            "filesystem_type",
            "filesystem_label",
            "tags",
        }
        assert str(uuid.UUID(v["id"])) == v["id"]
        assert isinstance(v["created_at"], str) and TS_RE.fullmatch(v["created_at"])
        assert isinstance(v["size_gigabytes"], int) and v["size_gigabytes"] > 0
        assert re.fullmatch(r"[a-z][a-z0-9-]{0,63}", v["name"])
        assert set(v["region"]) == {"slug", "name", "sizes", "features", "available"}
        assert all(isinstance(i, int) for i in v["droplet_ids"]) and len(v["droplet_ids"]) <= 1
    # attachments agree both ways
    by_id = {d["id"]: d for d in history.droplets}
    for v in history.volumes:
        for did in v["droplet_ids"]:
            assert v["id"] in by_id[did]["volume_ids"] and by_id[did]["region"] == v["region"]
    attached = {vid for d in history.droplets for vid in d["volume_ids"]}
    assert attached == {v["id"] for v in history.volumes if v["droplet_ids"]}


def test_the_sdk_reads_them() -> None:
    do_gradientai = pytest.importorskip("do_gradientai")
    with FakeDigitalOcean(history=True, seed=2) as fake:
        sdk = do_gradientai.GradientAI(api_key=TOKEN, base_url=fake.url, max_retries=0)
        page = sdk.gpu_droplets.list(per_page=200)
        assert [d.id for d in page.droplets] == [d["id"] for d in fake.droplets if not is_gpu_droplet(d)]
        assert page.meta.total == len(page.droplets)
        gpus = sdk.gpu_droplets.list(type="gpus", per_page=200).droplets
        assert [d.id for d in gpus] == [d["id"] for d in fake.gpu_droplets]
        assert all(d.gpu_info is not None and d.gpu_info.count >= 1 for d in gpus)
        assert isinstance(gpus[0].id, int) and gpus[0].region.slug == fake.gpu_droplets[0]["region"]["slug"]
        volumes = sdk.gpu_droplets.volumes.list(per_page=200).volumes
        assert [v.id for v in volumes] == [v["id"] for v in fake.volumes]
        assert isinstance(volumes[0].created_at, str) and isinstance(volumes[0].size_gigabytes, int)
        assert sdk.gpu_droplets.retrieve(gpus[0].id).droplet.name == gpus[0].name
        with pytest.raises(do_gradientai.BadRequestError):
            sdk.gpu_droplets.list(tag_name="prod", type="gpus")


# --------------------------------------------------------------------------- refuse


@pytest.mark.parametrize(
    "refuse, refused, allowed",
    [
        ("droplets", ["/v2/droplets", "/v2/droplets?type=gpus", "/v2/droplets?type=droplets&page=9", "DROPLET"], []),
        ("gpus", ["/v2/droplets?type=gpus", "/v2/droplets?type=gpus&per_page=1"], ["/v2/droplets", "DROPLET"]),
        ("volumes", ["/v2/volumes", "/v2/volumes?region=nyc3", "VOLUME"], ["/v2/droplets?type=gpus"]),
        ("snapshots", ["/v2/snapshots", "/v2/snapshots?resource_type=volume", "SNAPSHOT"], ["/v2/volumes"]),
    ],
)
def test_refuse_answers_403(refuse: str, refused: List[str], allowed: List[str]) -> None:
    with FakeDigitalOcean(history=True, refuse=(refuse,)) as fake:
        items = {
            "DROPLET": f"/v2/droplets/{fake.droplets[0]['id']}",
            "VOLUME": f"/v2/volumes/{fake.volumes[0]['id']}",
            "SNAPSHOT": f"/v2/snapshots/{fake.ids()[0]}",
        }
        for path in refused:
            status, headers, body = call(fake, items.get(path, path))
            assert status == 403, path
            assert body == dict(FORBIDDEN, request_id=headers["x-request-id"])
            assert uuid.UUID(headers["x-request-id"]).version == 4
        for path in allowed + ["/v2/snapshots/nope"] * (refuse != "snapshots"):
            assert call(fake, items.get(path, path))[0] in (200, 404), path
        assert fake.switches.refuse == frozenset({refuse})
        fake.configure(refuse=())
        for path in refused:
            assert call(fake, items.get(path, path))[0] == 200, path


def test_refuse_switch_validation_and_forms() -> None:
    with pytest.raises(ValueError, match="refuse: unknown listing"):
        FakeDigitalOcean(3, refuse=("droplet",))
    with FakeDigitalOcean(3) as fake:
        assert call(fake, "/v2/droplets")[0] == 200
        fake.configure(refuse="droplets")  # one name
        assert call(fake, "/v2/droplets")[0] == 403
        with pytest.raises(ValueError):
            fake.configure(refuse=["volumes", "bogus"])
        assert fake.switches.refuse == frozenset({"droplets"})  # a refused configure changes nothing
        fake.configure(refuse=["volumes", "gpus"])
        assert call(fake, "/v2/droplets")[0] == 200
        assert call(fake, "/v2/droplets?type=gpus")[0] == 403 and call(fake, "/v2/volumes")[0] == 403
        # a refused request still counts against the rate limit, like any answered one
        remaining = int(call(fake, "/v2/volumes")[1]["ratelimit-remaining"])
        assert int(call(fake, "/v2/volumes")[1]["ratelimit-remaining"]) == remaining - 1


def test_an_unknown_switch_is_a_type_error_naming_the_valid_ones() -> None:
    with pytest.raises(TypeError, match=r"unknown switch\(es\): bogus; the switches are: token, latency_ms, .*refuse"):
        FakeDigitalOcean(3, bogus=1)
    with FakeDigitalOcean(3, latency_ms=5) as fake:
        with pytest.raises(TypeError, match="unknown switch"):
            fake.configure(latency_ms=0, refuze=("droplets",))
        assert fake.switches.latency_ms == 5.0 and fake.switches.refuse == frozenset()  # nothing changed


# --------------------------------------------------------------------------- histories


def _orphans_over_http(fake: FakeDigitalOcean) -> List[str]:
    """The obvious client: list snapshots, both droplet types and volumes, and compare ids as text."""
    snapshots = walk(fake, "/v2/snapshots", "snapshots")
    droplets = walk(fake, "/v2/droplets", "droplets") + walk(fake, "/v2/droplets?type=gpus", "droplets")
    volumes = walk(fake, "/v2/volumes", "volumes")
    existing = {"droplet": {str(d["id"]) for d in droplets}, "volume": {v["id"] for v in volumes}}
    return [s["id"] for s in snapshots if s["resource_id"] not in existing[s["resource_type"]]]


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_history_invariants(seed: int) -> None:
    with FakeDigitalOcean(history=True, seed=seed) as fake:
        snaps = fake.snapshots
        assert snaps == generate_history(seed)  # the snapshots are the history's, unchanged
        droplets, volumes = fake.droplets, fake.volumes
        gone_d, gone_v = fake.destroyed_droplets, fake.destroyed_volumes
        existing = {"droplet": {str(d["id"]) for d in droplets}, "volume": {v["id"] for v in volumes}}
        destroyed = {"droplet": {str(d["id"]) for d in gone_d}, "volume": {v["id"] for v in gone_v}}
        for kind in ("droplet", "volume"):
            assert not existing[kind] & destroyed[kind]
        by_source = collections.defaultdict(list)
        for s in snaps:
            # every snapshot's source exists or was destroyed; droplet ids are integers, resource ids their text
            assert s["resource_id"] in existing[s["resource_type"]] | destroyed[s["resource_type"]]
            by_source[s["resource_type"], s["resource_id"]].append(s["id"])
        by_source = dict(by_source)  # no entries for sources without snapshots
        assert all(isinstance(d["id"], int) for d in droplets + gone_d)

        orphans = fake.orphaned_snapshot_ids()
        assert orphans == _orphans_over_http(fake)
        assert orphans == [s["id"] for s in snaps if s["resource_id"] in destroyed[s["resource_type"]]]
        states = fake.source_states()
        assert list(states) == [s["id"] for s in snaps] and set(states.values()) == {"exists", "gone"}
        assert [sid for sid, st in states.items() if st == "gone"] == orphans

        def with_snapshots(objs: List[Dict[str, Any]], kind: str) -> List[Dict[str, Any]]:
            return [o for o in objs if (kind, str(o["id"])) in by_source]

        # some sources are gone and some exist, of both types, with snapshots; GPU droplets among both
        assert with_snapshots(droplets, "droplet") and with_snapshots(gone_d, "droplet")
        assert with_snapshots(volumes, "volume") and with_snapshots(gone_v, "volume")
        live_gpu = [d for d in with_snapshots(droplets, "droplet") if is_gpu_droplet(d)]
        gone_gpu = [d for d in with_snapshots(gone_d, "droplet") if is_gpu_droplet(d)]
        assert live_gpu and gone_gpu
        # a GPU droplet's snapshots are not orphans, though the default listing doesn't show it
        for d in live_gpu:
            assert d not in walk(fake, "/v2/droplets", "droplets")
            assert all(states[sid] == "exists" for sid in by_source.get(("droplet", str(d["id"])), ()))
        for d in gone_gpu:
            assert all(states[sid] == "gone" for sid in by_source.get(("droplet", str(d["id"])), ()))
        # sources without snapshots exist too
        assert len(with_snapshots(droplets, "droplet")) < len(droplets)
        # a droplet lists its snapshots
        for d in droplets:
            assert sorted(d["snapshot_ids"]) == sorted(int(i) for i in by_source.get(("droplet", str(d["id"])), ()))
        # created before their first snapshot
        first = {k: min(s["created_at"] for s in snaps if s["id"] in v) for k, v in by_source.items()}
        for d in droplets + gone_d:
            if ("droplet", str(d["id"])) in first:
                assert d["created_at"] < first["droplet", str(d["id"])]


def test_history_sources_are_deterministic() -> None:
    with FakeDigitalOcean(history=True, seed=3) as a, FakeDigitalOcean(history=True, seed=3) as b:
        assert a.droplets == b.droplets and a.volumes == b.volumes and a.destroyed_droplets == b.destroyed_droplets
    with FakeDigitalOcean(history=True, seed=4) as c:
        assert c.droplets != a.droplets
    history = generate_history(3)
    made = generate_sources(history, 3, now=a.history_now)
    assert made.droplets == a.droplets and made.destroyed_volumes == a.destroyed_volumes


def test_destroying_a_source_keeps_its_snapshots() -> None:
    with FakeDigitalOcean(history=True, seed=1) as fake:
        snaps_before = fake.snapshots
        orphans_before = set(fake.orphaned_snapshot_ids())
        by_source = collections.defaultdict(set)
        for s in snaps_before:
            by_source[s["resource_type"], s["resource_id"]].add(s["id"])
        victim = next(d for d in fake.gpu_droplets if ("droplet", str(d["id"])) in by_source)
        assert fake.destroy_droplet(victim["id"]) and not fake.destroy_droplet(victim["id"])
        assert fake.snapshots == snaps_before
        assert set(fake.orphaned_snapshot_ids()) == orphans_before | by_source["droplet", str(victim["id"])]
        assert victim not in fake.droplets and fake.destroyed_droplets[-1] == victim
        assert victim["id"] not in ids(walk(fake, "/v2/droplets?type=gpus", "droplets"))
        assert call(fake, f"/v2/droplets/{victim['id']}")[0] == 404
        assert set(fake.orphaned_snapshot_ids()) == set(_orphans_over_http(fake))

        vol = next(v for v in fake.volumes if ("volume", v["id"]) in by_source)
        assert fake.destroy_volume(str(uuid.UUID(vol["id"]))) and not fake.destroy_volume(vol["id"])
        assert vol["id"] not in ids(walk(fake, "/v2/volumes", "volumes"))
        assert by_source["volume", vol["id"]] <= set(fake.orphaned_snapshot_ids())
        assert set(fake.orphaned_snapshot_ids()) == set(_orphans_over_http(fake))
        for d in fake.droplets:
            assert vol["id"] not in d["volume_ids"]
        # destroying a droplet detaches its volumes (which stay)
        host = next(d for d in fake.droplets if d["volume_ids"])
        attached = [v for v in fake.volumes if host["id"] in v["droplet_ids"]]
        assert [v["id"] for v in attached] == host["volume_ids"]
        assert fake.destroy_droplet(str(host["id"]))
        assert [v["id"] for v in fake.volumes if v["id"] in host["volume_ids"]] == host["volume_ids"]
        assert all(host["id"] not in v["droplet_ids"] for v in walk(fake, "/v2/volumes", "volumes"))


def test_snapshot_deletes_keep_snapshot_ids_in_step() -> None:
    with FakeDigitalOcean(history=True, seed=0) as fake:
        d = next(d for d in fake.droplets if d["snapshot_ids"])
        sid = str(d["snapshot_ids"][0])
        assert call(fake, f"/v2/snapshots/{sid}", "DELETE")[0] == 204
        now = get(fake, f"/v2/droplets/{d['id']}")["droplet"]
        assert now["snapshot_ids"] == d["snapshot_ids"][1:]
        assert int(sid) in d["snapshot_ids"]  # the dict handed out before is not edited
        assert sid not in fake.source_states()


def test_unknown_sources_are_never_orphans() -> None:
    snaps = [
        {"id": "1", "resource_id": "100", "resource_type": "droplet"},
        {"id": "2", "resource_id": "200", "resource_type": "droplet"},
        {"id": "3", "resource_id": "vol-a", "resource_type": "volume"},
        {"id": "4", "resource_type": "droplet"},
        {"id": "5", "resource_id": "100", "resource_type": "image"},
        {"id": "6", "resource_id": "", "resource_type": "volume"},
        {"id": "7", "resource_id": 100, "resource_type": "droplet"},
        {"id": "8", "resource_id": "100", "resource_type": "volume"},
    ]
    droplets = [
        {"id": 100, "name": "a", "size_slug": "s-1vcpu-1gb"},
        {"id": 300, "name": "g", "gpu_info": {"count": 1}},
    ]
    with FakeDigitalOcean(snaps, droplets=droplets, volumes=[{"id": "vol-a", "name": "v"}]) as fake:
        assert fake.source_states() == {
            "1": "exists",
            "2": "gone",
            "3": "exists",
            "4": "unknown",
            "5": "unknown",
            "6": "unknown",
            "7": "exists",
            "8": "gone",
        }
        assert fake.orphaned_snapshot_ids() == ["2", "8"]
        assert walk(fake, "/v2/droplets", "droplets") == [droplets[0]]
        assert walk(fake, "/v2/droplets?type=gpus", "droplets") == [droplets[1]]
        fake.add_droplets([{"id": 200, "name": "b"}])
        assert fake.orphaned_snapshot_ids() == ["8"] and len(walk(fake, "/v2/droplets", "droplets")) == 2
        fake.add_volumes([{"id": "100", "name": "odd"}])
        assert fake.orphaned_snapshot_ids() == []
    with pytest.raises(ValueError, match="with an id"):
        FakeDigitalOcean(3, droplets=[{"name": "no id"}])


# --------------------------------------------------------------------------- generated sources


def test_generated_counts_and_gpus() -> None:
    with FakeDigitalOcean(400, seed=2, droplets=30, volumes=12, gpus=5) as fake:
        assert len(fake.droplets) == 30 and len(fake.gpu_droplets) == 5 and len(fake.volumes) == 12
        assert len(walk(fake, "/v2/droplets", "droplets", per_page=7)) == 25
        assert len(walk(fake, "/v2/droplets?type=gpus", "droplets", per_page=2)) == 5
        states = collections.Counter(fake.source_states().values())
        assert states["exists"] > 0 and states["gone"] > 0 and states["unknown"] == 0
        assert fake.orphaned_snapshot_ids() == _orphans_over_http(fake)
        refs = {s["resource_id"] for s in fake.snapshots if s["resource_type"] == "droplet"}
        assert any(str(d["id"]) in refs for d in fake.gpu_droplets)  # a GPU droplet with snapshots
    with FakeDigitalOcean(10, seed=1) as plain:  # sources only when asked for
        assert plain.droplets == [] and plain.volumes == [] and plain.destroyed_droplets == []
        assert get(plain, "/v2/droplets") == {"droplets": [], "links": {}, "meta": {"total": 0}}
        assert get(plain, "/v2/volumes") == {"volumes": [], "links": {}, "meta": {"total": 0}}
        assert set(plain.source_states().values()) == {"gone"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gpus": 2}, "gpus needs generated droplets"),
        ({"droplets": 3, "gpus": 4}, "gpus must be within 0..3"),
        ({"droplets": -1}, "droplets must be a number >= 0"),
        ({"volumes": True}, "volumes must be a number >= 0"),
    ],
)
def test_bad_source_arguments(kwargs: Dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FakeDigitalOcean(20, **kwargs)


# --------------------------------------------------------------------------- CLI


def test_cli_history_serves_sources_and_refuses() -> None:
    env = dict(os.environ)
    pkg_parent = str(Path(__import__("gradientai_rs").__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "gradientai_rs.testing", "--history", "30", "--seed", "2", "--gpus", "3"]
    cmd += ["--refuse", "volumes", "--token", TOKEN]
    expected = FakeDigitalOcean(history=30, seed=2, gpus=3)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            line = proc.stdout.readline().strip() if proc.stdout else ""
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line), line
            port = int(line.rsplit(":", 1)[1])

            class Remote:
                url = line

                def __init__(self) -> None:
                    self.port = port

            remote: Any = Remote()
            assert walk(remote, "/v2/droplets?type=gpus", "droplets") == expected.gpu_droplets
            assert len(expected.gpu_droplets) == 3
            assert walk(remote, "/v2/snapshots", "snapshots") == expected.snapshots
            status, _, body = call(remote, "/v2/volumes")
            assert status == 403 and body["id"] == "forbidden"
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=5)
            assert proc.returncode == 0 and "Traceback" not in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
