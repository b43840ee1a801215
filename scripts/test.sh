#!/usr/bin/env bash
# Installs everything into ./.venv (the Rust extension is built by pip through maturin) and runs every test:
# the pure-Rust core with cargo, the type stubs with mypy.stubtest, the Python surface with pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

echo "== cargo test (core, no libpython) =="
cargo test --no-default-features --quiet

echo "== stubtest =="
.venv/bin/python -m mypy.stubtest gradientai_rs._core --allowlist .mypy-stubtest-allowlist

echo "== pytest =="
.venv/bin/python -m pytest "$@"
