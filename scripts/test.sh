#!/usr/bin/env bash
# Installs everything into ./.venv (the Rust extension is built by pip through maturin) and runs every test:
# the pure-Rust core with cargo, the type stubs with mypy.stubtest, the Python surface with pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# Tests build the optimised `fast` profile (no LTO: minutes faster on 2 cores); `pip install .` uses `release`.
MATURIN_PEP517_ARGS="--profile fast" .venv/bin/python -m pip install --quiet -e '.[test]'

echo "== cargo test (core, no libpython) =="
# Same profile as the extension, so the dependencies compiled for it are reused.
cargo test --no-default-features --profile fast --quiet

echo "== stubtest =="
.venv/bin/python -m mypy.stubtest gradientai_rs._core --allowlist .mypy-stubtest-allowlist

echo "== pytest =="
.venv/bin/python -m pytest "$@"
