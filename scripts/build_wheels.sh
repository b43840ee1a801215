#!/usr/bin/env bash
# Builds what a release uploads for Linux into dist/: abi3 wheels (cp39-abi3, every CPython >= 3.9) for the
# targets named on the command line (default: manylinux2014 x86_64, i.e. glibc >= 2.17), and the sdist. maturin
# links through zig (the `ziglang` package from PyPI), which targets the chosen glibc (or musl) whatever this
# machine's glibc is, so no manylinux container is needed. Then scripts/audit_wheel.sh (`auditwheel show`) must
# report each wheel's tag.
# Everything it needs goes into ./.venv-build, created here; the Rust targets are added with rustup.
#
# LINUX_WHEELS below is the `linux` matrix of .github/workflows/release.yml, row for row, and the maturin flags
# are the workflow's (tests/test_release_matrix.py asserts both). Check the results with scripts/check_wheel.sh
# (x86_64) and scripts/check_wheel_emulated.sh (aarch64 under qemu). Each wheel is a fat-LTO release build:
# about 8-15 minutes on the shared 2-core machine (see docs/releasing.md); run it under `nice`.
#
#   scripts/build_wheels.sh                              # manylinux2014 x86_64 + sdist
#   scripts/build_wheels.sh aarch64-unknown-linux-gnu    # manylinux2014 aarch64 + sdist
#   scripts/build_wheels.sh all                          # the four Linux wheels + sdist (one after the other)
#   TARGET=x86_64-unknown-linux-musl scripts/build_wheels.sh   # the older spelling of one target
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-build

# Rust target, maturin --compatibility, the platform tag auditwheel must report.
LINUX_WHEELS=(
  "x86_64-unknown-linux-gnu    manylinux2014  manylinux_2_17_x86_64"
  "aarch64-unknown-linux-gnu   manylinux2014  manylinux_2_17_aarch64"
  "x86_64-unknown-linux-musl   musllinux_1_2  musllinux_1_2_x86_64"
  "aarch64-unknown-linux-musl  musllinux_1_2  musllinux_1_2_aarch64"
)
row_for() {  # the LINUX_WHEELS row of a target, or nothing
  local row
  for row in "${LINUX_WHEELS[@]}"; do
    [ "${row%% *}" = "$1" ] && { echo "$row"; return; }
  done
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${TARGET:-x86_64-unknown-linux-gnu}")
if [ "${targets[*]}" = all ]; then
  targets=()
  for row in "${LINUX_WHEELS[@]}"; do targets+=("${row%% *}"); done
fi
for target in "${targets[@]}"; do
  [ -n "$(row_for "$target")" ] && continue
  echo "unknown target $target; known: all$(printf ' %s' "${LINUX_WHEELS[@]%% *}")" >&2
  exit 2
done
start=$SECONDS

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Same maturin as the workflow (maturin-action's maturin-version) and pyproject's build-system.
"$VENV/bin/python" -m pip install --quiet 'maturin[zig]==1.16.*' 'ziglang==0.15.2' 'auditwheel>=6'

# A clean dist/ so check_wheel.sh and the tests below see only this build's files.
rm -rf dist
mkdir -p dist

build_one() {
  local target=$1 compatibility=$2 tag=$3 t=$SECONDS
  rustup target list --installed 2>/dev/null | grep -qx "$target" || rustup target add "$target"
  echo "== maturin build (release, zig, $compatibility, $target) =="
  # The workflow's `linux` job runs these flags (maturin-action: target + args).
  local maturin_args=(--release --zig --compatibility "$compatibility" --target "$target" --out dist)
  # maturin finds zig through the ziglang package of the interpreter it runs from, so run it from the build venv.
  PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/maturin" build "${maturin_args[@]}"

  shopt -s nullglob
  local wheels=(dist/*-cp39-abi3-*"$tag"*.whl)
  shopt -u nullglob
  [ ${#wheels[@]} -eq 1 ] || { echo "expected one cp39-abi3 $tag wheel in dist/, got: ${wheels[*]:-none}" >&2; exit 1; }
  local wheel=${wheels[0]}

  # The gate the workflow runs too (musllinux: see its comment on libc.so).
  AUDITWHEEL="$VENV/bin/auditwheel" bash scripts/audit_wheel.sh "$wheel" "$tag"
  echo "wheel: $wheel ($(du -k "$wheel" | cut -f1) KiB, $tag); built in $((SECONDS - t)) s"
}

for target in "${targets[@]}"; do
  # shellcheck disable=SC2046  # the row's three words
  build_one $(row_for "$target")
done

echo "== maturin sdist =="
"$VENV/bin/maturin" sdist --out dist
shopt -s nullglob
sdists=(dist/*.tar.gz)
[ ${#sdists[@]} -eq 1 ] || { echo "expected one sdist in dist/, got: ${sdists[*]:-none}" >&2; exit 1; }

ls -l dist/
echo "build_wheels: ${#targets[@]} wheel(s) + sdist in $((SECONDS - start)) s"
