#!/usr/bin/env bash
# The long property runs (CI runs the same tests with small case counts):
#   1. hypothesis (tests/test_properties.py) with HYPOTHESIS_PROFILE=fuzz and HYPOTHESIS_MAX_EXAMPLES examples per test;
#   2. proptest (tests/props.rs) with PROPTEST_CASES cases per property, in release mode.
# Prints the executions and failures of each; exits non-zero if any property failed.
#
#   scripts/fuzz.sh                                   # 3,000 examples / 100,000 cases
#   HYPOTHESIS_MAX_EXAMPLES=20000 PROPTEST_CASES=1000000 scripts/fuzz.sh
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
EXAMPLES=${HYPOTHESIS_MAX_EXAMPLES:-3000}
CASES=${PROPTEST_CASES:-100000}
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT
status=0

echo "== hypothesis: $EXAMPLES examples per test (HYPOTHESIS_PROFILE=fuzz)"
start=$SECONDS
HYPOTHESIS_PROFILE=fuzz HYPOTHESIS_MAX_EXAMPLES=$EXAMPLES "$PY" -m pytest tests/test_properties.py -q -p no:cacheprovider \
    --hypothesis-show-statistics 2>&1 | tee "$LOG/hypothesis.txt" || status=1
echo "-- hypothesis executions:"
grep -E "^tests/test_properties.py::|passing, .* failing|Stopped because" "$LOG/hypothesis.txt" | sed 's/^ */   /'
echo "-- hypothesis: $(grep -E '(passed|failed)' "$LOG/hypothesis.txt" | tail -1) in $((SECONDS - start)) s"

echo
echo "== proptest: $CASES cases per property (PROPTEST_CASES=$CASES, --release)"
start=$SECONDS
PROPTEST_CASES=$CASES cargo test --release --no-default-features --test props 2>&1 | tee "$LOG/proptest.txt" || status=1
props=$(grep -cE '^test .* \.\.\. (ok|FAILED)$' "$LOG/proptest.txt")
failed=$(grep -cE '^test .* \.\.\. FAILED$' "$LOG/proptest.txt")
echo "-- proptest executions: $props properties, up to $CASES cases each (a failing property stops at its first"
echo "   failure and shrinks it); $failed failed in $((SECONDS - start)) s:"
grep -E '^test .* \.\.\. FAILED$|minimal failing input' "$LOG/proptest.txt" | sed 's/^/   /'

echo
if [ $status -eq 0 ]; then echo "fuzz: PASS"; else echo "fuzz: FAIL"; fi
exit $status
