#!/usr/bin/env bash
# Every benchmark against two builds, alternately, in one sitting: BEFORE and AFTER are directories that a wheel
# was installed into with `pip install --no-deps --target DIR WHEEL` (selected with PYTHONPATH). bench_list and
# bench_select run twice each way, then profile_list once each way, then the rest once each way. Only AFTER's
# runs save benchmarks/results/*.json (the second of bench_list's and bench_select's).
#
#   maturin build --release -o /tmp/before && .venv/bin/python -m pip install --no-deps --target /tmp/b /tmp/before/*.whl
#   ... the same for the change into /tmp/a ...
#   bash benchmarks/before_after.sh /tmp/b /tmp/a 2>&1 | tee /tmp/before_after.log
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] && [ -d "$1" ] && [ -d "$2" ] || { echo "usage: $0 BEFORE_DIR AFTER_DIR" >&2; exit 2; }
declare -A SITE=([before]="$1" [after]="$2")

run() {  # run NAME VARIANT SAVE
  local name=$1 variant=$2 save=$3
  local flags=(--no-save)
  [ "$save" = save ] && flags=()
  echo "=================== $name $variant $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  PYTHONPATH="${SITE[$variant]}" .venv/bin/python "benchmarks/$name.py" "${flags[@]}" | grep -vE '^\s*$'
}

for b in bench_list bench_select; do
  run "$b" before no; run "$b" after no; run "$b" before no; run "$b" after save
done
for v in before after; do
  echo "=================== profile_list $v"
  PYTHONPATH="${SITE[$v]}" .venv/bin/python benchmarks/profile_list.py --calls 3000
done
for b in bench_list_all bench_async bench_arrow bench_network bench_orphans bench_sync; do
  run "$b" before no; run "$b" after save
done
