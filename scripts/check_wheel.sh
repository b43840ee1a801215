#!/usr/bin/env bash
# Installs a built wheel into a fresh venv with no Rust toolchain on PATH and tests the *installed* package:
#   1. `python -m gradientai_rs demo` and `gradientai-rs --version`;
#   2. the wheel's size and the median time of `import gradientai_rs`;
#   3. the whole pytest suite, run from a scratch copy of tests/ (plus the few repo files tests read: README.md,
#      scripts/soak.py, Cargo.toml, CHANGELOG.md, pyproject.toml), so python/ is never on sys.path;
#      GRADIENTAI_RS_EXPECT_INSTALLED=1 makes tests/test_version.py assert the import comes from site-packages.
# Mirrors the `test` job of .github/workflows/release.yml. Extra arguments go to pytest. WHEELCHECK_DEPS replaces
# the `test` extra (musllinux in CI: no pyarrow/polars wheels there, so those tests skip); WHEELCHECK_VENV moves
# the venv (default ./.venv-wheelcheck, recreated on every run). WHEELCHECK_READY_VENV names a venv that already
# has the wheel and its test deps (scripts/check_wheel_emulated.sh builds one under qemu): no venv, no install;
# WHEELCHECK_IMPORT_RUNS sets the import-time samples (default 15).
#
#   scripts/check_wheel.sh                       # the one wheel in dist/ (scripts/build_wheels.sh)
#   scripts/check_wheel.sh dist/x.whl -x -q      # a given wheel, pytest options after it
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
start=$SECONDS

if [ $# -gt 0 ] && [[ "$1" == *.whl ]]; then
  WHEEL=$1
  shift
else
  shopt -s nullglob
  wheels=(dist/*.whl)
  shopt -u nullglob
  [ ${#wheels[@]} -eq 1 ] || { echo "give the wheel: dist/ has ${#wheels[@]} wheels" >&2; exit 2; }
  WHEEL=${wheels[0]}
fi
WHEEL=$(realpath "$WHEEL")
# The real interpreter, resolved before PATH changes (a pyenv shim needs its own PATH).
PYTHON=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
VENV=${WHEELCHECK_READY_VENV:-${WHEELCHECK_VENV:-$ROOT/.venv-wheelcheck}}
VBIN=$VENV/bin
case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) VBIN=$VENV/Scripts ;; esac

# PATH without a Rust toolchain: drop ~/.cargo/bin, rustup and anything holding cargo or rustc, so a source build
# (if pip ever fell back to the sdist) would fail instead of quietly compiling.
clean_path=
IFS=: read -ra parts <<<"$PATH"
for dir in "${parts[@]}"; do
  case "$dir" in *.cargo*|*rustup*|"") continue ;; esac
  [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ] || [ -x "$dir/cargo.exe" ] && continue
  clean_path=${clean_path:+$clean_path:}$dir
done
export PATH="$VBIN:$clean_path"
unset CARGO_HOME RUSTUP_HOME CARGO_TARGET_DIR VIRTUAL_ENV PYTHONPATH
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  echo "cargo/rustc still on PATH: $(command -v cargo rustc)" >&2
  exit 1
fi
echo "== no Rust toolchain on PATH (command -v cargo/rustc fail) =="

if [ -n "${WHEELCHECK_READY_VENV:-}" ]; then
  echo "== ready venv $VENV (installed by the caller) =="
  python -c 'import importlib.metadata as m; print("gradientai-rs", m.version("gradientai-rs"))'
else
  echo "== fresh venv $VENV; pip install $(basename "$WHEEL") ${WHEELCHECK_DEPS:-[test]} =="
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  python -m pip install --quiet --upgrade pip
  # --only-binary for our own package: pip must take this wheel, never build anything of ours.
  if [ -n "${WHEELCHECK_DEPS:-}" ]; then
    # shellcheck disable=SC2086  # a list of requirements
    python -m pip install --quiet --prefer-binary --only-binary gradientai-rs "$WHEEL" $WHEELCHECK_DEPS
  else
    python -m pip install --quiet --prefer-binary --only-binary gradientai-rs "$WHEEL[test]"
  fi
fi

# A scratch tree with the tests and the repo files they read, and nothing importable.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/gradientai-rs-wheelcheck.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/scripts"
cp -r tests "$SCRATCH/tests"
cp README.md CHANGELOG.md Cargo.toml pyproject.toml "$SCRATCH/"
cp scripts/soak.py "$SCRATCH/scripts/"
find "$SCRATCH" -name __pycache__ -prune -exec rm -rf {} +
cd "$SCRATCH"
if [ -e python ] || [ -e src ]; then echo "scratch tree has source folders" >&2; exit 1; fi

echo "== installed package =="
python - <<'EOF'
import sysconfig, gradientai_rs, gradientai_rs._core as core
from pathlib import Path
site = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
for mod in (gradientai_rs, core):
    where = Path(mod.__file__).resolve()
    assert any(s in where.parents for s in site), f"{mod.__name__} imported from {where}, not site-packages {site}"
    print(f"{mod.__name__}: {where}")
EOF
gradientai-rs --version

echo "== python -m gradientai_rs demo =="
env -u DIGITALOCEAN_ACCESS_TOKEN -u GRADIENTAI_API_KEY -u GRADIENT_BASE_URL -u GRADIENT_AI_BASE_URL \
  python -m gradientai_rs demo | tail -n 15

echo "== size and import time =="
WHEELCHECK_IMPORT_RUNS=${WHEELCHECK_IMPORT_RUNS:-15} python - "$WHEEL" <<'EOF'
import os, re, statistics, subprocess, sys, time
from pathlib import Path
import gradientai_rs._core as core

wheel = Path(sys.argv[1])
so = Path(core.__file__)
print(f"wheel: {wheel.name}: {wheel.stat().st_size:,} bytes ({wheel.stat().st_size / 2**20:.2f} MiB); "
      f"{so.name} installed: {so.stat().st_size:,} bytes ({so.stat().st_size / 2**20:.2f} MiB)")

def run(code):
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, out.stderr

run("import gradientai_rs")  # warm the page cache and write the .pyc files
runs = int(os.environ["WHEELCHECK_IMPORT_RUNS"])
cumulative, walls, bases = [], [], []
for _ in range(runs):
    wall, err = run("import gradientai_rs")
    walls.append(wall)
    # -X importtime: "import time: self [us] | cumulative | imported package"; the top-level line of our package.
    cumulative.append(int(re.search(r"^import time:\s+\d+ \|\s+(\d+) \| gradientai_rs$", err, re.M).group(1)))
    bases.append(run("pass")[0])
ms = lambda xs: statistics.median(xs) * 1e3
print(f"import gradientai_rs: median {statistics.median(cumulative) / 1e3:.1f} ms (-X importtime cumulative, {runs} runs); "
      f"python -c 'import gradientai_rs' {ms(walls):.0f} ms vs python -c pass {ms(bases):.0f} ms")
EOF

echo "== pytest against the installed package (from $SCRATCH) =="
# -p no:cacheprovider: nothing written next to the tests; the scratch copy is the rootdir (its pyproject.toml).
GRADIENTAI_RS_EXPECT_INSTALLED=1 python -m pytest -p no:cacheprovider "$@"

echo "check_wheel: PASS ($(basename "$WHEEL")) in $((SECONDS - start)) s"
