"""Deterministic, realistic-looking DigitalOcean snapshot data.

Standard library only; never imports the parent package.
"""

from __future__ import annotations

import calendar
import gc
import itertools
import json
import random
import time
from json.encoder import encode_basestring  # the ensure_ascii=False string encoder (C)
from typing import Any, Iterable

__all__ = ["HISTORY_NOW", "HISTORY_TAGS", "MIN_DISK_SIZES", "REGIONS", "TAGS", "generate_history", "generate_snapshots"]

REGIONS = ("nyc1", "nyc3", "sfo2", "sfo3", "ams3", "fra1", "lon1", "sgp1", "blr1", "tor1", "syd1")
TAGS = (
    "web",
    "env:prod",
    "env:staging",
    "k8s",
    "k8s:worker",
    "team:data",
    "backup",
    "db",
    "frontend",
    "monitoring",
)
MIN_DISK_SIZES = (20, 25, 50, 60, 80, 100, 160, 320)

_DROPLET_PREFIXES = (
    "web",
    "api",
    "db",
    "worker",
    "cache",
    "lb",
    "app",
    "staging-web",
    "ci-runner",
    "k8s-node",
)
_VOLUME_PREFIXES = ("pvc", "data", "pg-data", "backup-vol", "volume-nyc1", "media")
_UNICODE_PREFIXES = (
    "données-ñ-東京-✓",
    "снимок-базы",
    "バックアップ-日次",
    "café-crème",
    "straße-süd-ß",
    "数据库-备份",
    "🚀-launch-día",
)

# Ordered k-permutations, so that picking one uniformly equals random.sample(pool, k) (but ~10x cheaper).
# Each entry is (tuple, its compact JSON text) so serialisation needs no per-item encoding.
_REGION_PERMS = {
    k: tuple((p, json.dumps(list(p), separators=(",", ":"))) for p in itertools.permutations(REGIONS, k))
    for k in (1, 2, 3)
}
_TAG_PERMS = {
    k: tuple((p, json.dumps(list(p), separators=(",", ":"))) for p in itertools.permutations(TAGS, k))
    for k in (1, 2, 3)
}

# created_at = "YYYY-MM-DD" + _HM[minute of day] + _SS[second]
_HM = tuple("T%02d:%02d:" % divmod(m, 60) for m in range(1440))
_SS = tuple("%02dZ" % s for s in range(60))

# 2020-01-01T00:00:00Z: the first generated created_at is a little after this.
_BASE_TS = 1577836800
_TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_created_at(value: Any) -> int | None:
    """Parse a ``YYYY-MM-DDTHH:MM:SSZ`` timestamp to a Unix epoch, or None."""
    if not isinstance(value, str):
        return None
    try:
        return calendar.timegm(time.strptime(value, _TS_FORMAT))
    except (ValueError, OverflowError):
        return None


class SnapshotGenerator:
    """A resumable generator: every call to :meth:`generate` continues the same seeded stream.

    ``used_ids`` are never produced (ids stay unique across calls), and every generated
    ``created_at`` is strictly later than ``last_ts`` and than any previously generated one.
    """

    def __init__(self, seed: int = 0, *, used_ids: Iterable[str] = (), last_ts: int | None = None) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set(used_ids)
        self.last_ts = _BASE_TS if last_ts is None else int(last_ts)
        self._droplet_resources: list[str] = []
        self._volume_resources: list[str] = []

    def _uuid(self) -> str:
        # A random (version 4, RFC 4122 variant) UUID from the seeded RNG.
        g = self.rng.getrandbits
        return "%08x-%04x-4%03x-%04x-%012x" % (g(32), g(16), g(12), 0x8000 | g(14), g(48))

    def generate(self, n: int) -> list[dict[str, Any]]:
        """The next ``n`` snapshots."""
        return self._run(n, False)[0]

    def generate_with_json(self, n: int) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The next ``n`` snapshots and, for each, its compact UTF-8 JSON encoding."""
        snaps, encoded = self._run(n, True)
        return snaps, encoded  # type: ignore[return-value]

    def _run(self, n: int, with_json: bool) -> tuple[list[dict[str, Any]], list[bytes] | None]:
        if n < 0:
            raise ValueError("n must be >= 0")
        # Building many small containers triggers repeated cyclic-GC passes over the growing
        # result, which dominates the cost; nothing here creates reference cycles.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._generate(n, with_json)
        finally:
            if was_enabled:
                gc.enable()

    def _generate(self, n: int, with_json: bool) -> tuple[list[dict[str, Any]], list[bytes] | None]:
        # Hot loop, tuned for CPython: one 128-bit draw per snapshot is carved into bit fields
        # (far cheaper than a dozen rand() calls); choices among k items use (field * k) >> bits.
        getrandbits = self.rng.getrandbits
        new_uuid = self._uuid
        region_perms = _REGION_PERMS
        tag_perms = _TAG_PERMS
        hm_table = _HM
        ss_table = _SS
        droplet_prefixes = _DROPLET_PREFIXES
        volume_prefixes = _VOLUME_PREFIXES
        unicode_prefixes = _UNICODE_PREFIXES
        n_dp, n_vp, n_up = len(droplet_prefixes), len(volume_prefixes), len(unicode_prefixes)
        disk_sizes = MIN_DISK_SIZES  # exactly 8: a 3-bit field
        day_cache: dict[int, str] = {}
        used = self.used
        gmtime = time.gmtime
        strftime = time.strftime
        droplet_res = self._droplet_resources
        volume_res = self._volume_resources
        ts = self.last_ts
        out: list[dict[str, Any]] = []
        append = out.append
        encoded: list[bytes] | None = [] if with_json else None
        jappend = encoded.append if encoded is not None else None
        quote = encode_basestring

        for _ in range(n):
            b = getrandbits(128)
            ts += 1 + (b & 2047)  # bits 0..10: 1..2048 s after the previous one
            is_droplet = ((b >> 11) & 1023) < 614  # bits 11..20: ~60 %
            r = (b >> 21) & 1023  # bits 21..30: reuse a recent resource ~30 % of the time

            if is_droplet:
                sid = str(1_000_000 + getrandbits(27))  # 1,000,000 .. ~135,000,000
                while sid in used:
                    sid = str(1_000_000 + getrandbits(27))
                if r < 307 and droplet_res:
                    resource_id = droplet_res[r * len(droplet_res) // 307]
                else:
                    resource_id = str(3_000_000 + getrandbits(28))
                    if len(droplet_res) < 64:
                        droplet_res.append(resource_id)
                    else:
                        droplet_res[r & 63] = resource_id
                prefix = droplet_prefixes[(((b >> 31) & 1023) * n_dp) >> 10]  # bits 31..40
            else:
                sid = new_uuid()
                while sid in used:
                    sid = new_uuid()
                if r < 307 and volume_res:
                    resource_id = volume_res[r * len(volume_res) // 307]
                else:
                    resource_id = new_uuid()
                    if len(volume_res) < 64:
                        volume_res.append(resource_id)
                    else:
                        volume_res[r & 63] = resource_id
                prefix = volume_prefixes[(((b >> 31) & 1023) * n_vp) >> 10]
            used.add(sid)

            r = (b >> 41) & 1023  # bits 41..50: ~5 % non-ASCII names
            if r < 51:
                prefix = unicode_prefixes[r * n_up // 51]
            name = "%s-%02d-%d" % (
                prefix,
                1 + ((((b >> 51) & 31) * 20) >> 5),  # bits 51..55: 01..20
                ts * 1000 + ((((b >> 56) & 1023) * 1000) >> 10),  # bits 56..65: milliseconds
            )

            r = (b >> 66) & 1023  # bits 66..75: 1 region 60 %, 2 regions 30 %, 3 regions 10 %
            perms = region_perms[1 if r < 614 else (2 if r < 921 else 3)]
            regions_t, regions_json = perms[(((b >> 76) & 0xFFFF) * len(perms)) >> 16]  # bits 76..91

            min_disk = disk_sizes[(b >> 92) & 7]  # bits 92..94
            # 2 %..92 % of min_disk_size in units of 0.0001 GB: k / 10000 is the float nearest a
            # 4-decimal number (what round(x, 4) gives, but much cheaper)
            size = (min_disk * 200 + ((getrandbits(24) * min_disk * 9000) >> 24)) / 10000

            r = (b >> 109) & 1023  # bits 109..118: tags null 10 %, empty 20 %, else 1..3 tags
            if r < 102:
                tags: list[str] | None = None
                tags_json = "null"
            elif r < 307:
                tags = []
                tags_json = "[]"
            else:
                perms = tag_perms[1 + (r - 307) * 3 // 717]
                tags_t, tags_json = perms[getrandbits(16) * len(perms) >> 16]
                tags = list(tags_t)

            day, secs = divmod(ts, 86400)
            date = day_cache.get(day)
            if date is None:
                date = day_cache[day] = strftime("%Y-%m-%d", gmtime(day * 86400))

            created_at = date + hm_table[secs // 60] + ss_table[secs % 60]
            resource_type = "droplet" if is_droplet else "volume"
            append(
                {
                    "id": sid,
                    "name": name,
                    "regions": list(regions_t),
                    "created_at": created_at,
                    "resource_id": resource_id,
                    "resource_type": resource_type,
                    "min_disk_size": min_disk,
                    "size_gigabytes": size,
                    "tags": tags,
                }
            )
            if jappend is not None:
                # byte-for-byte json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")):
                # ids, timestamps and resource types never need escaping; float repr == JSON.
                jappend(
                    f'{{"id":"{sid}","name":{quote(name)},"regions":{regions_json},'
                    f'"created_at":"{created_at}","resource_id":"{resource_id}",'
                    f'"resource_type":"{resource_type}","min_disk_size":{min_disk},'
                    f'"size_gigabytes":{size!r},"tags":{tags_json}}}'.encode()
                )

        self.last_ts = ts
        return out, encoded


def generate_snapshots(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """Generate ``n`` realistic snapshot dicts, deterministically for ``seed``.

    ``created_at`` is strictly increasing along the list; ids are unique.
    """
    return SnapshotGenerator(seed).generate(n)


# ---------------------------------------------------------------------------------------------- histories

# 2026-01-01T00:00:00Z: the default "now" of generated histories (fixed, so tests don't depend on the clock).
HISTORY_NOW = 1767225600
# Tags that retention rules can use, besides the ones of TAGS.
HISTORY_TAGS = ("keep", "prod", "weekly")

_DAY = 86400
_HOUR = 3600
# (rhythm, how many resources of each in a default history of 24 resources, in this cycle)
_RHYTHMS = (
    "daily",  # one a day at about 02:00 for the last 120 days
    "weekly",  # one a week (Sundays) for two years, tagged "weekly"
    "twice-daily",  # 02:00 and 14:00 for the last 21 days
    "monthly",  # the 1st of every month for two years
    "single",  # one snapshot, anywhere in the two years
    "irregular",  # 3..15 at random times over two years
)


def _to_epoch(now: Any) -> int:
    if now is None:
        return HISTORY_NOW
    if isinstance(now, (int, float)):
        return int(now)
    if isinstance(now, str):
        ts = parse_created_at(now)
        if ts is None:
            raise ValueError(f"now must be a YYYY-MM-DDTHH:MM:SSZ timestamp, got {now!r}")
        return ts
    ts = getattr(now, "timestamp", None)  # an aware datetime
    if ts is not None:
        return int(ts())
    raise TypeError(f"now must be an epoch, a timestamp string or a datetime, got {type(now).__name__}")


def _iso(ts: int) -> str:
    return time.strftime(_TS_FORMAT, time.gmtime(ts))


def generate_history(seed: int = 0, *, now: Any = None, resources: int = 24) -> list[dict[str, Any]]:
    """Snapshots as a real account accumulates them, deterministically for ``seed``: ``resources`` droplets and
    volumes, each with its own rhythm over the two years before ``now`` (default :data:`HISTORY_NOW`), cycling
    through daily (last 120 days), weekly (Sundays, two years, tagged ``weekly``), twice-daily (last 21 days),
    monthly (the 1st, two years), a single snapshot, and irregular (3..15 at random times).

    Every resource keeps its region(s), type, size class and name prefix; about a third are tagged ``prod``; the
    oldest snapshot of every monthly resource and a few others carry ``keep``; some snapshots have ``tags: null``
    or ``[]``. Sorted by ``created_at`` (oldest first, as the default data); ids are unique; every ``created_at``
    is before ``now``.
    """
    if resources < 0:
        raise ValueError("resources must be >= 0")
    now_ts = _to_epoch(now)
    rng = random.Random(f"gradientai-history-{seed}")
    used: set[str] = set()
    out: list[tuple[int, str, dict[str, Any]]] = []

    def uuid4() -> str:
        g = rng.getrandbits
        return "%08x-%04x-4%03x-%04x-%012x" % (g(32), g(16), g(12), 0x8000 | g(14), g(48))

    def new_id(droplet: bool) -> str:
        while True:
            sid = str(1_000_000 + rng.getrandbits(27)) if droplet else uuid4()
            if sid not in used:
                used.add(sid)
                return sid

    start = now_ts - 730 * _DAY
    midnight = now_ts - now_ts % _DAY
    for r in range(resources):
        rhythm = _RHYTHMS[r % len(_RHYTHMS)]
        droplet = rng.random() < 0.6
        resource_id = str(3_000_000 + rng.getrandbits(28)) if droplet else uuid4()
        prefix = rng.choice(_DROPLET_PREFIXES if droplet else _VOLUME_PREFIXES)
        label = "%s-%02d" % (prefix, r + 1)
        regions = rng.sample(REGIONS, 1 if rng.random() < 0.8 else 2)
        min_disk = rng.choice(MIN_DISK_SIZES)
        base_size = min_disk * rng.uniform(0.05, 0.6)
        prod = rng.random() < 0.35
        base_tags = ["prod"] if prod else rng.choice(([], None, ["team:data"], ["k8s"]))

        if rhythm == "daily":
            times = [midnight - d * _DAY + 2 * _HOUR for d in range(1, 121)]
        elif rhythm == "weekly":
            # Sundays (1970-01-04 was one) at 03:00
            last_sunday = midnight - ((midnight // _DAY - 3) % 7) * _DAY
            times = [last_sunday - w * 7 * _DAY + 3 * _HOUR for w in range(104)]
        elif rhythm == "twice-daily":
            times = [midnight - d * _DAY + h * _HOUR for d in range(1, 22) for h in (2, 14)]
        elif rhythm == "monthly":
            times = []
            y, m = time.gmtime(now_ts)[:2]
            for _ in range(24):
                times.append(calendar.timegm((y, m, 1, 4, 0, 0)))
                y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        elif rhythm == "single":
            times = [start + rng.randrange(730 * _DAY)]
        else:
            times = [start + rng.randrange(730 * _DAY) for _ in range(rng.randint(3, 15))]
        times = sorted({t + rng.randrange(0, 600) for t in times if t < now_ts})  # a few minutes of jitter
        times = [t for t in times if start <= t < now_ts]

        for k, ts in enumerate(times):
            tags = None if base_tags is None else list(base_tags)
            if rhythm == "weekly":
                tags = (tags or []) + ["weekly"]
            if (rhythm == "monthly" and k == 0) or rng.random() < 0.03:
                tags = (tags or []) + ["keep"]
            size = round(base_size * (1 + 0.002 * k) + rng.uniform(0, 0.05), 4)
            sid = new_id(droplet)
            snap: dict[str, Any] = {
                "id": sid,
                "name": "%s-%s" % (label, time.strftime("%Y%m%d-%H%M", time.gmtime(ts))),
                "regions": list(regions),
                "created_at": _iso(ts),
                "resource_id": resource_id,
                "resource_type": "droplet" if droplet else "volume",
                "min_disk_size": min_disk,
                "size_gigabytes": min(size, float(min_disk)),
                "tags": tags,
            }
            out.append((ts, sid, snap))
    out.sort(key=lambda t: (t[0], t[1]))
    return [s for _, _, s in out]
