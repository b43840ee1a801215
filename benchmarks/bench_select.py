"""Issue 11: selecting from 100,000 already-fetched snapshots.

Nothing is fetched: ours is a ``SnapshotList`` rebuilt from the fake's JSON (``_core._snapshot_list_from_json``, what
``list_all()`` holds), the SDK's is a ``SnapshotListResponse`` validated from the same JSON (its ``snapshots`` are the
SDK's pydantic ``Snapshots``). Then, interleaved, only the selection is timed — the same question both ways:
"droplet snapshots named ``web-*`` or ``db-*``-ish (glob ``*-0[0-4]*``), tagged ``env:prod`` or ``backup``, in nyc3 or
sfo3, older than 30 days, at least 10 GB":

  ours:  ``snapshot_list.select(name=..., tags_any=..., regions=..., resource_type=..., older_than="30d", ...)``
         (the target variant: a new ``SnapshotList``)
         ``snapshot_list.most_recent()`` and ``.sort_by("size_gigabytes", reverse=True)`` (info)
  SDK:   the obvious loop: ``[s for s in page.snapshots if fnmatchcase(s.name, ...) and ...]``

Target: select under 50 ms (median wall).

    .venv/bin/python benchmarks/bench_select.py [--quick]
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 100_000
NAME = "*-0[0-4]*"
TAGS = ["env:prod", "backup"]
REGIONS = ["nyc3", "sfo3"]


def main() -> int:
    args = C.base_parser(__doc__).parse_args()
    rounds = args.reps or (5 if args.quick else 31)
    env = C.environment()
    C.print_header(f"bench_select: select from {N_SNAPSHOTS} fetched snapshots", env, "quick" if args.quick else "full")
    payload = {"env": env, "mode": "quick" if args.quick else "full", "snapshots": N_SNAPSHOTS, "rounds": rounds}

    from do_gradientai.types.gpu_droplets.snapshot_list_response import SnapshotListResponse

    import gradientai_rs
    from gradientai_rs.testing import generate_snapshots

    data = generate_snapshots(N_SNAPSHOTS, seed=7)
    text = json.dumps(data)
    ours = gradientai_rs._core._snapshot_list_from_json(text, N_SNAPSHOTS, N_SNAPSHOTS // 200)
    sdk = SnapshotListResponse.model_validate({"snapshots": data, "meta": {"total": N_SNAPSHOTS}, "links": {}})
    sdk_snapshots = sdk.snapshots
    del data, text
    now = max(s.created_at for s in sdk_snapshots) + dt.timedelta(days=1)
    cutoff = now - dt.timedelta(days=30)
    print(f"   inputs: ours {len(ours)} rows, SDK {len(sdk_snapshots)} pydantic Snapshots; now = {now.isoformat()}\n")

    def select_ours():
        return ours.select(
            name=NAME,
            tags_any=TAGS,
            regions=REGIONS,
            resource_type="droplet",
            older_than="30d",
            min_size_gb=10,
            now=now,
        )

    def select_sdk():
        return [
            s
            for s in sdk_snapshots
            if s.resource_type == "droplet"
            and s.size_gigabytes >= 10
            and any(r in REGIONS for r in s.regions)
            and any(t in TAGS for t in (s.tags or []))
            and s.created_at < cutoff
            and fnmatch.fnmatchcase(s.name, NAME)
        ]

    want = [s.id for s in select_sdk()]
    got = [s.id for s in select_ours()]
    same = want == got
    print(f"   sanity: SDK loop selects {len(want)}, ours {len(got)}; same ids in the same order: {same}")
    payload["sanity"] = {"selected": len(got), "same_ids": same}

    variants = [
        C.Variant("sdk: list comprehension over pydantic Snapshots", select_sdk),
        C.Variant("ours: snapshot_list.select(...)", select_ours),
        C.Variant("ours: snapshot_list.most_recent() (info)", lambda: ours.most_recent()),
        C.Variant(
            "ours: snapshot_list.sort_by('size_gigabytes', reverse=True) (info)",
            lambda: ours.sort_by("size_gigabytes", reverse=True),
        ),
        C.Variant(
            "ours: snapshot_list.select(resource_type='droplet') (info: ~half kept)",
            lambda: ours.select(resource_type="droplet"),
        ),
    ]
    recs = C.run_interleaved(variants, rounds, 2, label="select")
    S = {name: C.summary(r) for name, r in recs.items()}
    print(f"\n-- selecting from {N_SNAPSHOTS} snapshots (medians, interquartile range)")
    C.print_table(C.TIMING_HEADERS, C.timing_rows(S, [v.name for v in variants]))

    T = C.Targets()
    sdk_s = S["sdk: list comprehension over pydantic Snapshots"]
    our_s = S["ours: snapshot_list.select(...)"]
    ours_wall = C.med(our_s, "wall")
    r_wall = C.ratio(C.med(sdk_s, "wall"), ours_wall)
    print(f"\n   ours select(): median {C.fmt_s(ours_wall)}; SDK loop / ours: wall {C.fmt_x(r_wall)}")
    T.add(
        "select() over 100,000 snapshots < 50 ms (median wall, seconds)",
        ours_wall,
        0.050,
        "<=",
        f"ours {C.fmt_s(ours_wall)}, SDK loop {C.fmt_s(C.med(sdk_s, 'wall'))}",
    )
    T.add("select() agrees with the pure-Python loop", 1.0 if same else 0.0, 1.0, ">=")
    for name, label in [
        ("ours: snapshot_list.most_recent() (info)", "most_recent()"),
        ("ours: snapshot_list.sort_by('size_gigabytes', reverse=True) (info)", "sort_by('size_gigabytes')"),
    ]:
        wall = C.med(S[name], "wall")
        T.add(f"{label} over 100,000 snapshots < 10 ms (issue 20; median wall, seconds)", wall, 0.010, "<=")
    T.print()
    payload.update({"results": S, "ratios": {"wall_sdk_over_ours": r_wall}, "targets": T.items})
    C.save_json("bench_select", payload, args.no_save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
