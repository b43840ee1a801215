#!/usr/bin/env bash
# Renders the notebook HTML repr of SnapshotList / SnapshotListResponse to docs/repr_html.png.
# Needs the built extension in ./.venv and a headless Chromium (Debian: apt-get install chromium).
# Usage: scripts/render_repr_html.sh [WIDTHxHEIGHT]   (default 1440x840, fits the content)
set -euo pipefail
cd "$(dirname "$0")/.."

HTML="${REPR_HTML:-/tmp/repr.html}"
PNG="docs/repr_html.png"
SIZE="${1:-1440x840}"
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome)}"

.venv/bin/python scripts/render_repr_html.py "$HTML"
mkdir -p docs
"$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --force-device-scale-factor=1 --window-size="${SIZE/x/,}" \
  --screenshot="$PNG" "file://$(realpath "$HTML")" 2>/dev/null
ls -l "$PNG"
