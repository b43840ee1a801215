"""A typed user script over the public API, checked with ``mypy --strict`` and ``pyright`` (``tests/test_typed.py``)
and run against the fake API. Every ``reveal``-style assignment below pins the type a user sees."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import gradientai_rs
from gradientai_rs import (
    APIConnectionError,
    APIResponse,
    APIStatusError,
    AsyncGradientAI,
    Droplet,
    DropletList,
    GPUDropletListResponse,
    GradientAI,
    MetaProperties,
    NotFoundError,
    PrunePlan,
    PruneResult,
    RetentionPolicy,
    Snapshot,
    SnapshotList,
    SnapshotListResponse,
    SnapshotRetrieveResponse,
    Summary,
    Volume,
    VolumeList,
    VolumeListResponse,
)


def newest_names(client: GradientAI) -> List[str]:
    page: SnapshotListResponse = client.gpu_droplets.snapshots.list(per_page=5, resource_type="droplet")
    meta: Optional[MetaProperties] = page.meta
    assert meta is None or meta.total is None or meta.total >= 0
    ordered = sorted(page.snapshots, key=lambda s: s.name or "", reverse=True)
    names = [s.name for s in ordered]
    while page.has_next_page():
        page = page.get_next_page()
        names.extend(s.name for s in page.snapshots)
    for later in client.gpu_droplets.snapshots.list(per_page=50).iter_pages():
        names.extend(s.id for s in later.snapshots[:0])
    return names


def sizes(client: GradientAI) -> float:
    everything: SnapshotList = client.gpu_droplets.snapshots.list_all(per_page=100)
    first: Snapshot = everything[0]
    when: dt.datetime = first.created_at
    assert when.tzinfo is not None
    some: List[Snapshot] = everything[:3]
    return sum(s.size_gigabytes for s in everything) + len(some)


def raw_and_errors(client: GradientAI) -> int:
    raw: APIResponse[SnapshotListResponse] = client.gpu_droplets.snapshots.with_raw_response.list(per_page=2)
    parsed: SnapshotListResponse = raw.parse()
    one: SnapshotRetrieveResponse = client.gpu_droplets.snapshots.retrieve(parsed.snapshots[0].id)
    assert one.snapshot is not None and one.snapshot.id == parsed.snapshots[0].id
    try:
        client.gpu_droplets.snapshots.retrieve("no-such-snapshot")
    except NotFoundError as exc:
        status: int = exc.status_code
        request_id: Optional[str] = exc.request_id
        assert request_id is None or isinstance(request_id, str)
        return status
    except (APIStatusError, APIConnectionError):
        raise
    return 0


def exports(client: GradientAI) -> int:
    everything = client.gpu_droplets.snapshots.list_all()
    data: str = everything.to_json(indent=4)
    dicts = everything.to_dicts(mode="json")
    return len(data) + len(dicts)


def cleaning_up(client: GradientAI) -> int:
    everything = client.gpu_droplets.snapshots.list_all()
    now = dt.datetime.now(dt.timezone.utc)
    chosen: SnapshotList = everything.select(name="*", tags_any=["web"], older_than="30d", now=now)
    by_regex: SnapshotList = everything.select(name=re.compile("^web", re.IGNORECASE), newer_than=dt.timedelta(days=7))
    newest: SnapshotList = everything.most_recent("resource_id").sort_by("size_gigabytes", reverse=True)
    usd: float = chosen.monthly_cost(0.06)
    summary: Summary = everything.summary("region")
    rows: List[Tuple[str, int, float, float]] = summary.rows
    policy = RetentionPolicy(keep_last=3, keep_daily=7, keep_within="30d")
    plan: PrunePlan = client.gpu_droplets.snapshots.plan_prune(policy, resource_type="droplet", name="web-*")
    doomed: SnapshotList = plan.delete
    reasons: Dict[str, List[str]] = plan.reasons
    freed: float = plan.freed_gigabytes + plan.freed_monthly_cost()
    result: PruneResult = client.gpu_droplets.snapshots.delete_many([])
    gone: List[str] = result.deleted + result.already_gone
    return len(by_regex) + len(newest) + int(usd) + len(rows) + len(doomed) + len(reasons) + int(freed) + len(gone)


def sources(client: GradientAI) -> int:
    page: GPUDropletListResponse = client.gpu_droplets.list(type="gpus", per_page=10)
    gpus: List[Droplet] = page.droplets
    ids: List[int] = [d.id for d in gpus]
    droplets: DropletList = client.gpu_droplets.list_all()
    vols: VolumeListResponse = client.gpu_droplets.volumes.list(region="nyc1")
    every_volume: VolumeList = client.gpu_droplets.volumes.list_all()
    first: Optional[Volume] = every_volume[0] if len(every_volume) else None
    created: Optional[str] = first.created_at if first is not None else None
    listing: SnapshotList = client.gpu_droplets.snapshots.list_all(with_sources=True)
    states: Optional[Sequence[str]] = listing.source_states
    orphans: SnapshotList = client.gpu_droplets.snapshots.orphans(older_than="30d")
    gone: Summary = listing.summary(by="source")
    plan: PrunePlan = client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1), orphaned=True)
    kept: SnapshotList = listing.select(orphaned=False)
    return (
        len(ids)
        + len(droplets)
        + len(vols.volumes)
        + len(states or [])
        + len(orphans)
        + len(gone)
        + len(plan.delete)
        + len(kept)
        + len(created or "")
    )


async def async_part(url: str) -> int:
    async with AsyncGradientAI(api_key="fake-token", base_url=url) as client:
        page = await client.gpu_droplets.snapshots.list(per_page=10)
        count = len(page.snapshots)
        if page.has_next_page():
            nxt = await page.get_next_page()
            count += len(nxt.snapshots)
        async for snap in page:
            count += 1 if snap.id else 0
        async for p in page.iter_pages():
            count += 0 * len(p.snapshots)
        everything = await client.gpu_droplets.snapshots.list_all()
        raw = await client.gpu_droplets.snapshots.with_raw_response.retrieve(everything[0].id)
        retrieved: SnapshotRetrieveResponse = raw.parse()
        assert retrieved.snapshot is not None
        plan = await client.gpu_droplets.snapshots.plan_prune(RetentionPolicy(keep_last=1000))
        result: PruneResult = await plan.apply()
        orphans: SnapshotList = await client.gpu_droplets.snapshots.orphans()
        gpus: DropletList = await client.gpu_droplets.list_all(type="gpus")
        return count + len(everything) + len(result.deleted) + len(orphans) + len(gpus)


def main(url: str) -> int:
    with GradientAI(api_key="fake-token", base_url=url) as client:
        total = len(newest_names(client)) + int(sizes(client)) + raw_and_errors(client) + exports(client)
        total += cleaning_up(client) + sources(client)
    total += asyncio.run(async_part(url))
    print(gradientai_rs.__version__, total)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
