#!/usr/bin/env bash
# Builds what a release uploads for Linux into dist/: an abi3 wheel (by default manylinux2014 x86_64, i.e.
# glibc >= 2.17) and the sdist. maturin links through zig (the `ziglang` package from PyPI), which targets the
# chosen glibc (or musl) whatever this machine's glibc is, so no manylinux container is needed. Then
# `auditwheel show` must report the expected tag (manylinux_2_17_x86_64 by default). Everything it needs goes into
# ./.venv-build, created here. Mirrors the `linux` and `sdist` jobs of .github/workflows/release.yml (same flags,
# same maturin); check the result with scripts/check_wheel.sh.
#
#   scripts/build_wheels.sh            # manylinux2014 x86_64 + sdist: about 5-8 minutes on 2 cores (fat LTO)
#   TARGET=aarch64-unknown-linux-musl COMPATIBILITY=musllinux_1_2 scripts/build_wheels.sh   # the other CI wheels
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv-build
TARGET="${TARGET:-x86_64-unknown-linux-gnu}"
COMPATIBILITY="${COMPATIBILITY:-manylinux2014}"
ARCH="${TARGET%%-*}"
case "$COMPATIBILITY" in   # the tag auditwheel must report
  manylinux2014) EXPECTED_TAG="manylinux_2_17_$ARCH" ;;
  *) EXPECTED_TAG="${COMPATIBILITY}_$ARCH" ;;
esac
start=$SECONDS

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# Same maturin as the workflow (maturin-action's maturin-version) and pyproject's build-system.
"$VENV/bin/python" -m pip install --quiet 'maturin[zig]==1.16.*' 'ziglang==0.15.2' 'auditwheel>=6'

# A clean dist/ so check_wheel.sh and the tests below see only this build's files.
rm -rf dist
mkdir -p dist
rustup target list --installed 2>/dev/null | grep -qx "$TARGET" || rustup target add "$TARGET"

echo "== maturin build (release, zig, $COMPATIBILITY, $TARGET) =="
# maturin finds zig through the ziglang package of the interpreter it runs from, so run it from the build venv.
PATH="$PWD/$VENV/bin:$PATH" "$VENV/bin/maturin" build --release --zig --compatibility "$COMPATIBILITY" \
    --target "$TARGET" --out dist
echo "== maturin sdist =="
"$VENV/bin/maturin" sdist --out dist

shopt -s nullglob
wheels=(dist/*.whl)
sdists=(dist/*.tar.gz)
[ ${#wheels[@]} -eq 1 ] || { echo "expected one wheel in dist/, got: ${wheels[*]:-none}" >&2; exit 1; }
[ ${#sdists[@]} -eq 1 ] || { echo "expected one sdist in dist/, got: ${sdists[*]:-none}" >&2; exit 1; }
wheel=${wheels[0]}
case "$wheel" in
  *-cp39-abi3-*"$EXPECTED_TAG"*.whl) ;;
  *) echo "unexpected wheel name (want cp39-abi3-...$EXPECTED_TAG): $wheel" >&2; exit 1 ;;
esac

echo "== auditwheel show =="
report=$("$VENV/bin/auditwheel" show "$wheel")
echo "$report"
# auditwheel wraps its report at 79 columns; join it before matching.
if ! tr -s ' \n' ' ' <<<"$report" | grep -qF "consistent with the following platform tag: \"$EXPECTED_TAG\""; then
  echo "auditwheel: $wheel is not $EXPECTED_TAG ($COMPATIBILITY)" >&2
  exit 1
fi

ls -l dist/
echo "wheel: $wheel ($(du -k "$wheel" | cut -f1) KiB); built in $((SECONDS - start)) s"
