"""Droplets and volumes for the fake: the sources of its snapshots, some of them gone.

The shapes follow the SDK's models (``gradient`` 3.12.2: ``types/shared/droplet.py``, ``shared/size.py``,
``shared/region.py``, ``shared/gpu_info.py``, ``gpu_droplets/volume_list_response.py``) and the examples of
DigitalOcean's OpenAPI description (``specification/resources/droplets/responses/examples.yml``,
https://github.com/digitalocean/openapi). Standard library only; never imports the parent package.
"""

from __future__ import annotations

import dataclasses
import gc
import random
import re
import time
from typing import Any, Iterable, Mapping, Optional

from ._data import HISTORY_NOW, REGIONS, TAGS, parse_created_at

__all__ = ["GPU_SIZES", "SIZES", "Sources", "generate_sources", "is_gpu_droplet", "region_object"]

_DAY = 86400
_TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

REGION_NAMES = {
    "nyc1": "New York 1",
    "nyc3": "New York 3",
    "sfo2": "San Francisco 2",
    "sfo3": "San Francisco 3",
    "ams3": "Amsterdam 3",
    "fra1": "Frankfurt 1",
    "lon1": "London 1",
    "sgp1": "Singapore 1",
    "blr1": "Bangalore 1",
    "tor1": "Toronto 1",
    "syd1": "Sydney 1",
}
_REGION_FEATURES = ("backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer")


@dataclasses.dataclass(frozen=True)
class _Size:
    slug: str
    vcpus: int
    memory: int  # MB
    disk: int  # GB
    transfer: float  # TB
    price_monthly: float
    price_hourly: float
    description: str
    gpu: Optional[tuple[int, str, int]] = None  # (count, model, VRAM GiB)
    scratch: int = 0  # GiB of a GPU size's scratch disk

    def to_json(self) -> dict[str, Any]:
        disk_info: list[dict[str, Any]] = [{"type": "local", "size": {"amount": self.disk, "unit": "gib"}}]
        if self.scratch:
            disk_info.append({"type": "scratch", "size": {"amount": self.scratch, "unit": "gib"}})
        out: dict[str, Any] = {
            "slug": self.slug,
            "memory": self.memory,
            "vcpus": self.vcpus,
            "disk": self.disk,
            "transfer": self.transfer,
            "price_monthly": self.price_monthly,
            "price_hourly": self.price_hourly,
            "regions": list(REGIONS),
            "available": True,
            "description": self.description,
            "disk_info": disk_info,
        }
        if self.gpu is not None:
            out["gpu_info"] = self.gpu_info()
        return out

    def gpu_info(self) -> dict[str, Any] | None:
        if self.gpu is None:
            return None
        count, model, vram = self.gpu
        return {"count": count, "model": model, "vram": {"amount": vram, "unit": "gib"}}


SIZES = (
    _Size("s-1vcpu-1gb", 1, 1024, 25, 1.0, 6.0, 0.00893, "Basic"),
    _Size("s-1vcpu-2gb", 1, 2048, 50, 2.0, 12.0, 0.01786, "Basic"),
    _Size("s-2vcpu-2gb", 2, 2048, 60, 3.0, 18.0, 0.02679, "Basic"),
    _Size("s-2vcpu-4gb", 2, 4096, 80, 4.0, 24.0, 0.03571, "Basic"),
    _Size("s-4vcpu-8gb", 4, 8192, 160, 5.0, 48.0, 0.07143, "Basic"),
    _Size("g-2vcpu-8gb", 2, 8192, 25, 4.0, 63.0, 0.09375, "General Purpose"),
    _Size("c-4", 4, 8192, 50, 5.0, 84.0, 0.125, "CPU-Optimized"),
    _Size("s-8vcpu-16gb", 8, 16384, 320, 6.0, 96.0, 0.14286, "Basic"),
)
GPU_SIZES = (
    _Size("gpu-h100x1-80gb", 20, 245760, 720, 15.0, 2522.16, 3.39, "GPU", (1, "nvidia_h100", 80), 5120),
    _Size("gpu-l40sx1-48gb", 8, 65536, 500, 10.0, 1168.08, 1.57, "GPU", (1, "nvidia_l40s", 48), 0),
    _Size("gpu-mi300x1-192gb", 20, 245760, 720, 15.0, 1480.56, 1.99, "GPU", (1, "amd_mi300x", 192), 5120),
    _Size("gpu-h100x8-640gb", 160, 1966080, 2046, 60.0, 17796.48, 23.92, "GPU", (8, "nvidia_h100", 640), 40960),
)
_IMAGES = {
    False: {"id": 169200000, "name": "24.04 (LTS) x64", "distribution": "Ubuntu", "slug": "ubuntu-24-04-x64"},
    True: {"id": 169300000, "name": "AI/ML Ready", "distribution": "Ubuntu", "slug": "gpu-h100x1-base"},
}


def region_object(slug: str) -> dict[str, Any]:
    """A region as droplets and volumes carry it (``shared/region.py``: slug, name, sizes, features, available)."""
    return {
        "name": REGION_NAMES.get(slug, slug),
        "slug": slug,
        "features": list(_REGION_FEATURES),
        "available": True,
        "sizes": [s.slug for s in SIZES + GPU_SIZES],
    }


def is_gpu_droplet(droplet: Mapping[str, Any]) -> bool:
    """Whether the API lists this droplet under ``type=gpus`` only: it has a ``gpu_info``, or a ``gpu-`` size."""
    if droplet.get("gpu_info") is not None:
        return True
    slug = droplet.get("size_slug")
    return isinstance(slug, str) and slug.startswith("gpu-")


@dataclasses.dataclass
class Sources:
    """What :func:`generate_sources` makes: the droplets and volumes that exist, and those that existed (the
    sources of snapshots whose source is gone), as API dicts."""

    droplets: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    destroyed_droplets: list[dict[str, Any]]
    destroyed_volumes: list[dict[str, Any]]


@dataclasses.dataclass
class _Ref:
    """One resource the snapshots name: what its snapshots tell of it."""

    resource_id: str
    region: str
    first_created: str  # the oldest snapshot's created_at ("" if none)
    min_disk: int
    label: str
    tags: Optional[frozenset[str]]  # the tags all its snapshots share
    snapshot_ids: list[int]


_TS_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_LABEL_RE = re.compile(r"[a-z][a-z0-9-]{0,40}")
_VOLATILE_TAGS = frozenset({"keep", "weekly"})


def _refs(snapshots: Iterable[Any], resource_type: str) -> list[_Ref]:
    refs: dict[str, _Ref] = {}
    for s in snapshots:
        if not isinstance(s, dict) or s.get("resource_type") != resource_type:
            continue
        rid = s.get("resource_id")
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            continue
        rid = str(rid)
        if resource_type == "droplet" and not rid.isdigit():
            continue  # a droplet's id is an integer
        regions = s.get("regions")
        region = regions[0] if isinstance(regions, list) and regions and isinstance(regions[0], str) else "nyc3"
        created = s.get("created_at")
        created = created if isinstance(created, str) and _TS_RE.fullmatch(created) else ""
        min_disk = s.get("min_disk_size")
        min_disk = min_disk if isinstance(min_disk, int) and not isinstance(min_disk, bool) else 0
        name = s.get("name")
        label = name.rsplit("-", 2)[0] if isinstance(name, str) else ""
        tags = s.get("tags")
        tag_set = frozenset(t for t in tags if isinstance(t, str)) - _VOLATILE_TAGS if isinstance(tags, list) else None
        sid = s.get("id")
        ref = refs.get(rid)
        if ref is None:
            ref = refs[rid] = _Ref(rid, region, created, min_disk, label, tag_set, [])
        else:
            # the API's timestamps (YYYY-MM-DDTHH:MM:SSZ) sort as text; parsed once per source below
            ref.first_created = min(ref.first_created, created) if created else ref.first_created
            ref.min_disk = max(ref.min_disk, min_disk)
            ref.tags = None if ref.tags is None or tag_set is None else ref.tags & tag_set
        if resource_type == "droplet" and isinstance(sid, (str, int)) and str(sid).isdigit():
            ref.snapshot_ids.append(int(sid))
    return list(refs.values())


def _first_ts(ref: _Ref) -> int:
    return parse_created_at(ref.first_created) or 0


def _split(rng: random.Random, refs: list[_Ref], count: Optional[int]) -> tuple[list[_Ref], list[_Ref], int]:
    """(surviving refs, gone refs, number of fresh sources without snapshots). About a third of the referenced
    sources are gone, and at least one of each when there are two or more."""
    refs = list(refs)
    rng.shuffle(refs)
    n_gone = min(len(refs) - 1, max(1, round(len(refs) / 3))) if len(refs) >= 2 else 0
    gone, alive = refs[:n_gone], refs[n_gone:]
    if count is None:
        count = len(alive) + max(1, len(refs) // 6)
    if count < 0:
        raise ValueError("the number of droplets / volumes must be >= 0")
    if count < len(alive):
        gone, alive = gone + alive[count:], alive[:count]
    return alive, gone, count - len(alive)


def _iso(ts: int) -> str:
    return time.strftime(_TS_FORMAT, time.gmtime(ts))


def generate_sources(
    snapshots: Iterable[Any],
    seed: int = 0,
    *,
    droplets: Optional[int] = None,
    volumes: Optional[int] = None,
    gpus: Optional[int] = None,
    now: Optional[int] = None,
) -> Sources:
    """Droplets and volumes for ``snapshots``, deterministically for ``seed``.

    Of the distinct sources the snapshots name (``resource_id`` by ``resource_type``), about a third are gone
    (destroyed before ``now``; at least one, and at least one survivor, when there are two or more of a type);
    the others exist, with the region, disk size, name prefix and shared tags of their snapshots, created before
    their first snapshot. ``droplets`` / ``volumes`` is how many exist: by default the survivors plus a few
    sources without snapshots (about one for six referenced); fewer turn more of the referenced ones gone, more
    add sources without snapshots. ``gpus`` existing droplets are GPU droplets (default: a fifth, at least one
    when two or more exist), the first among the survivors (so a GPU droplet has snapshots) and the next among
    the fresh ones when there are any; a quarter of the gone droplets were GPU droplets too (at least one when
    two or more are gone). Droplet ids are integers (the snapshots' ``resource_id`` is their text), volume ids
    UUIDs; each droplet lists its snapshots' ids in ``snapshot_ids``; some volumes are attached to a droplet of
    their region (``droplet_ids`` / ``volume_ids``).
    """
    was_enabled = gc.isenabled()
    gc.disable()  # many small containers and no cycles: avoid repeated cyclic-GC passes (as _data does)
    try:
        return _generate(list(snapshots), seed, droplets, volumes, gpus, now)
    finally:
        if was_enabled:
            gc.enable()


def _generate(
    snapshots: list[Any],
    seed: int,
    droplets: Optional[int],
    volumes: Optional[int],
    gpus: Optional[int],
    now: Optional[int],
) -> Sources:
    rng = random.Random(f"gradientai-sources-{seed}")
    if now is None:
        created = (s.get("created_at") for s in snapshots if isinstance(s, dict))
        latest = parse_created_at(max((c for c in created if isinstance(c, str) and _TS_RE.fullmatch(c)), default=""))
        now = (latest or HISTORY_NOW) + _DAY
    now_ts = now
    used_ids: set[str] = set()

    def fresh_droplet_id() -> str:
        while True:
            rid = str(3_000_000 + rng.getrandbits(28))
            if rid not in used_ids:
                used_ids.add(rid)
                return rid

    def fresh_uuid() -> str:
        while True:
            g = rng.getrandbits
            rid = "%08x-%04x-4%03x-%04x-%012x" % (g(32), g(16), g(12), 0x8000 | g(14), g(48))
            if rid not in used_ids:
                used_ids.add(rid)
                return rid

    def fresh_ref(prefix: str, n: int, droplet: bool) -> _Ref:
        rid = fresh_droplet_id() if droplet else fresh_uuid()
        tags = frozenset(rng.sample(TAGS, rng.randint(0, 2)))
        created = now_ts - rng.randrange(_DAY, 400 * _DAY)
        return _Ref(rid, rng.choice(REGIONS), _iso(created), 0, f"{prefix}-{n:02d}", tags, [])

    droplet_refs = _refs(snapshots, "droplet")
    volume_refs = _refs(snapshots, "volume")
    used_ids.update(r.resource_id for r in droplet_refs + volume_refs)

    # droplets
    alive, gone, n_fresh = _split(rng, droplet_refs, droplets)
    fresh = [fresh_ref("spare", i + 1, True) for i in range(n_fresh)]
    n_alive = len(alive) + len(fresh)
    if gpus is None:
        gpus = max(1, round(n_alive / 5)) if n_alive >= 2 else 0
    if not 0 <= gpus <= n_alive:
        raise ValueError(f"gpus must be within 0..{n_alive} (the number of droplets)")
    gpu_ids: set[str] = set()
    pools = [list(alive), list(fresh)]
    turn = 0
    while len(gpu_ids) < gpus:
        pool = pools[turn % 2] or pools[(turn + 1) % 2]
        gpu_ids.add(pool.pop(rng.randrange(len(pool))).resource_id)
        turn += 1
    gone_gpus = max(1, round(len(gone) / 4)) if len(gone) >= 2 else 0
    gpu_ids.update(r.resource_id for r in rng.sample(gone, gone_gpus))

    def droplet(ref: _Ref) -> dict[str, Any]:
        gpu = ref.resource_id in gpu_ids
        sizes = [s for s in (GPU_SIZES if gpu else SIZES) if s.disk >= ref.min_disk] or [SIZES[-1]]
        size = rng.choice(sizes)
        first = _first_ts(ref)
        created = first - rng.randrange(_DAY // 2, 90 * _DAY) if first else now_ts - 30 * _DAY
        label = ref.label if _LABEL_RE.fullmatch(ref.label) else "droplet"
        tags = sorted(ref.tags or ()) + (["gpu"] if gpu else [])
        octets = [rng.randrange(1, 255) for _ in range(4)]
        backups = rng.random() < 0.3
        out: dict[str, Any] = {
            "id": int(ref.resource_id),
            "name": f"{label}.example.com" if not gpu else f"{label}-gpu",
            "memory": size.memory,
            "vcpus": size.vcpus,
            "disk": size.disk,
            "locked": False,
            "status": "active" if rng.random() < 0.85 else "off",
            "kernel": None,
            "created_at": _iso(created),
            "features": (["backups"] if backups else []) + ["monitoring", "private_networking", "ipv6"],
            "backup_ids": [],
            "next_backup_window": (
                {"start": _iso(now_ts - now_ts % _DAY + _DAY), "end": _iso(now_ts - now_ts % _DAY + 2 * _DAY - 3600)}
                if backups
                else None
            ),
            "snapshot_ids": list(ref.snapshot_ids),
            "image": dict(
                _IMAGES[gpu],
                public=True,
                regions=[ref.region],
                created_at="2025-04-17T10:00:00Z",
                type="base",
                min_disk_size=20 if not gpu else 100,
                size_gigabytes=2.71 if not gpu else 31.4,
                description="",
                tags=[],
                status="available",
                error_message="",
            ),
            "volume_ids": [],
            "size": size.to_json(),
            "size_slug": size.slug,
            "networks": {
                "v4": [
                    {
                        "ip_address": f"10.{octets[0]}.{octets[1]}.{octets[2]}",
                        "netmask": "255.255.0.0",
                        "gateway": None,
                        "type": "private",
                    },
                    {
                        "ip_address": f"{octets[3]}.{octets[1]}.{octets[2]}.{octets[0]}",
                        "netmask": "255.255.240.0",
                        "gateway": f"{octets[3]}.{octets[1]}.{octets[2]}.1",
                        "type": "public",
                    },
                ],
                "v6": [],
            },
            "region": region_object(ref.region),
            "tags": tags,
            "vpc_uuid": fresh_uuid(),
            "disk_info": size.to_json()["disk_info"],
        }
        if gpu:
            out["gpu_info"] = size.gpu_info()
        return out

    existing_droplets = [droplet(r) for r in sorted(alive + fresh, key=lambda r: int(r.resource_id))]
    destroyed_droplets = [droplet(r) for r in sorted(gone, key=lambda r: int(r.resource_id))]

    # volumes
    alive_v, gone_v, n_fresh_v = _split(rng, volume_refs, volumes)
    fresh_v = [fresh_ref("volume", i + 1, False) for i in range(n_fresh_v)]
    by_region: dict[str, list[dict[str, Any]]] = {}
    for d in existing_droplets:
        by_region.setdefault(d["region"]["slug"], []).append(d)

    def volume(ref: _Ref, attach: bool) -> dict[str, Any]:
        first = _first_ts(ref)
        created = first - rng.randrange(_DAY // 2, 90 * _DAY) if first else now_ts - 30 * _DAY
        label = ref.label if _LABEL_RE.fullmatch(ref.label) else "volume"
        size = max(ref.min_disk, rng.choice((10, 25, 50, 100, 250, 500)))
        droplet_ids: list[int] = []
        candidates = by_region.get(ref.region)
        if attach and candidates and rng.random() < 0.4:
            host = rng.choice(candidates)
            host["volume_ids"].append(ref.resource_id)
            droplet_ids.append(host["id"])
        return {
            "id": ref.resource_id,
            "region": region_object(ref.region),
            "droplet_ids": droplet_ids,
            "name": f"{label}-{ref.resource_id[:4]}",
            "description": f"Block storage for {label}",
            "size_gigabytes": size,
            "created_at": _iso(created),
            "filesystem_type": "ext4",
            "filesystem_label": label[:16],
            "tags": sorted(ref.tags or ()),
        }

    # oldest first (the order the API lists them in is not documented; the fake keeps this one)
    existing_volumes = [
        volume(r, True) for r in sorted(alive_v + fresh_v, key=lambda r: (r.first_created, r.resource_id))
    ]
    destroyed_volumes = [volume(r, False) for r in sorted(gone_v, key=lambda r: (r.first_created, r.resource_id))]
    return Sources(existing_droplets, existing_volumes, destroyed_droplets, destroyed_volumes)
