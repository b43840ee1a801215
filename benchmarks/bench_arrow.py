"""Issue 5: DataFrame conversion of 100,000 already-fetched snapshots.

Fetching is NOT timed: ours with ``list_all()`` (``requests_per_minute=None``), the SDK's with the page loop a user
writes today. Then, interleaved, only the conversion step is timed:
  ours:  ``snapshot_list.to_pandas()``                          (the target variant)
         ``pyarrow.table(snapshot_list).to_pandas()``           (info: the same Arrow C stream, spelled by hand)
         ``snapshot_list.to_arrow()``                           (info: Arrow table only)
  SDK:   ``pd.DataFrame([s.to_dict() for s in sdk_snapshots])`` (what an SDK user writes today)

    .venv/bin/python benchmarks/bench_arrow.py [--quick]
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

N_SNAPSHOTS = 100_000
PER_PAGE = C.PER_PAGE


def describe(df):
    return {"shape": list(df.shape), "dtypes": {k: str(v) for k, v in df.dtypes.items()}}


def main() -> int:
    args = C.base_parser(__doc__).parse_args()
    rounds = args.reps or (3 if args.quick else 9)
    env = C.environment()
    C.print_header(f"bench_arrow: DataFrame of {N_SNAPSHOTS} fetched snapshots", env, "quick" if args.quick else "full")
    payload = {"env": env, "mode": "quick" if args.quick else "full", "snapshots": N_SNAPSHOTS, "rounds": rounds}

    import do_gradientai
    import pandas as pd
    import pyarrow as pa

    import gradientai_rs

    with C.FakeServer(N_SNAPSHOTS, latency_ms=0) as fake:
        print(f"   fake: {fake.url} ({N_SNAPSHOTS} snapshots)")
        t0 = time.perf_counter()
        ours = gradientai_rs.GradientAI(api_key=C.API_KEY, base_url=fake.url, requests_per_minute=None)
        try:
            snapshot_list = ours.gpu_droplets.snapshots.list_all()
        except Exception as exc:
            snapshot_list = None
            payload["ours_fetch_error"] = traceback.format_exc()
            print(f"   !! our list_all() failed: {type(exc).__name__}: {exc}")
        t1 = time.perf_counter()
        sdk = do_gradientai.GradientAI(api_key=C.API_KEY, base_url=fake.url)
        sdk_snapshots = C.page_loop(sdk)
        t2 = time.perf_counter()
        ours.close()
        sdk.close()
    print(
        f"   fetched (untimed for the benchmark): ours {len(snapshot_list) if snapshot_list is not None else 'n/a'}"
        f" in {t1 - t0:.2f}s, SDK {len(sdk_snapshots)} in {t2 - t1:.2f}s\n"
    )
    payload["fetch_wall_s"] = {"ours_list_all": t1 - t0, "sdk_page_loop": t2 - t1}

    variants = [
        C.Variant("sdk: pd.DataFrame([s.to_dict() ...])", lambda: pd.DataFrame([s.to_dict() for s in sdk_snapshots]))
    ]
    if snapshot_list is not None:
        variants += [
            C.Variant("ours: snapshot_list.to_pandas()", lambda: snapshot_list.to_pandas()),
            C.Variant("ours: pa.table(snapshot_list).to_pandas() (info)", lambda: pa.table(snapshot_list).to_pandas()),
            C.Variant("ours: snapshot_list.to_arrow() (info)", lambda: snapshot_list.to_arrow()),
        ]

    # sanity: same frame shape and values (one untimed conversion each)
    try:
        df_sdk = pd.DataFrame([s.to_dict() for s in sdk_snapshots])
        payload["sdk_frame"] = describe(df_sdk)
        if snapshot_list is not None:
            df_ours = snapshot_list.to_pandas()
            payload["our_frame"] = describe(df_ours)
            cols = [c for c in df_sdk.columns if c in df_ours.columns]
            same_ids = df_sdk["id"].tolist() == df_ours["id"].tolist()
            same_times = (
                pd.to_datetime(df_sdk["created_at"], utc=True).tolist()
                == pd.to_datetime(df_ours["created_at"], utc=True).tolist()
            )
            print(
                f"   sanity: SDK frame {df_sdk.shape}, ours {df_ours.shape}; common columns {len(cols)}; "
                f"ids equal: {same_ids}; created_at equal: {same_times}"
            )
            print(f"   created_at dtype: SDK {df_sdk['created_at'].dtype}, ours {df_ours['created_at'].dtype}")
            payload["sanity"] = {"ids_equal": same_ids, "created_at_equal": same_times}
        del df_sdk
        df_ours = None
    except Exception as exc:
        payload["sanity_error"] = traceback.format_exc()
        print(f"   !! sanity check failed: {type(exc).__name__}: {exc}")

    recs = C.run_interleaved(variants, rounds, 1, label="convert")
    S = {name: C.summary(r) for name, r in recs.items()}
    print(f"\n-- conversion of {N_SNAPSHOTS} snapshots to a pandas DataFrame (medians, interquartile range)")
    C.print_table(C.TIMING_HEADERS, C.timing_rows(S, [v.name for v in variants]))

    T = C.Targets()
    sdk_s = S["sdk: pd.DataFrame([s.to_dict() ...])"]
    our_s = S.get("ours: snapshot_list.to_pandas()")
    r_wall = C.ratio(C.med(sdk_s, "wall"), C.med(our_s, "wall"))
    r_cpu = C.ratio(C.med(sdk_s, "cpu"), C.med(our_s, "cpu"))
    print(f"\n   SDK / ours to_pandas(): wall {C.fmt_x(r_wall)}, client CPU {C.fmt_x(r_cpu)}")
    T.add(
        "to_pandas >= 20x faster (wall) than pd.DataFrame([s.to_dict()...])",
        r_wall,
        20,
        ">=",
        f"SDK {C.fmt_s(C.med(sdk_s, 'wall'))} vs ours {C.fmt_s(C.med(our_s, 'wall'))}",
    )
    T.print()
    payload.update(
        {"results": S, "ratios": {"wall_sdk_over_ours": r_wall, "cpu_sdk_over_ours": r_cpu}, "targets": T.items}
    )
    C.save_json("bench_arrow", payload, args.no_save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
