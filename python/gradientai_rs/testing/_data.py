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

__all__ = ["generate_snapshots", "REGIONS", "TAGS", "MIN_DISK_SIZES"]

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
