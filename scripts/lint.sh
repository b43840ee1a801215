#!/usr/bin/env bash
# Lint gates (run by .ci/run after scripts/test.sh, which creates ./.venv): clippy with -D warnings, with and
# without default features, and cargo-deny (licences, bans, sources; see deny.toml for why not advisories).
set -euo pipefail
cd "$(dirname "$0")/.."

export PYO3_PYTHON="${PYO3_PYTHON:-$PWD/.venv/bin/python}"
echo "== clippy (default features: the Python binding) =="
cargo clippy --all-targets --profile fast --quiet -- -D warnings
echo "== clippy (--no-default-features: the core alone) =="
cargo clippy --all-targets --no-default-features --profile fast --quiet -- -D warnings

echo "== cargo deny =="
# From crates.io when missing (a few minutes once; later runs on the same machine reuse ~/.cargo/bin).
command -v cargo-deny >/dev/null || cargo install --locked --quiet cargo-deny
cargo deny check licenses bans sources
