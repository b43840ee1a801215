#!/usr/bin/env bash
# Lint gates (run by .ci/run after scripts/test.sh, which creates ./.venv and installs the `test` extra): ruff
# (lint and format) over every Python tree, mypy --strict over the package, clippy with -D warnings, with and
# without default features, and cargo-deny (licences, bans, sources; see deny.toml for why not advisories).
set -euo pipefail
cd "$(dirname "$0")/.."

export PYO3_PYTHON="${PYO3_PYTHON:-$PWD/.venv/bin/python}"
PY_TREES=(python tests benchmarks scripts)
echo "== ruff check / ruff format --check (${PY_TREES[*]}) =="
.venv/bin/ruff check "${PY_TREES[@]}"
.venv/bin/ruff format --check "${PY_TREES[@]}"
echo "== mypy --strict (python/gradientai_rs; config in pyproject.toml) =="
.venv/bin/mypy
echo "== clippy (default features: the Python binding) =="
cargo clippy --all-targets --profile fast --quiet -- -D warnings
echo "== clippy (--no-default-features: the core alone) =="
cargo clippy --all-targets --no-default-features --profile fast --quiet -- -D warnings

echo "== cargo deny =="
# From crates.io when missing (a few minutes once; later runs on the same machine reuse ~/.cargo/bin).
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny
cargo deny check licenses bans sources
