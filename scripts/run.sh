#!/usr/bin/env bash
# The main job: installs the package into ./.venv and runs the seed example. Without a token in
# DIGITALOCEAN_ACCESS_TOKEN / GRADIENTAI_API_KEY it runs against the embedded fake DigitalOcean API;
# with one it lists your real snapshots (read-only).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet .

if [ -n "${DIGITALOCEAN_ACCESS_TOKEN:-}${GRADIENTAI_API_KEY:-}" ]; then
  exec .venv/bin/python -m gradientai_rs demo --live "$@"
else
  exec .venv/bin/python -m gradientai_rs demo "$@"
fi
