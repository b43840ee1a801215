#!/usr/bin/env bash
# The GitHub workflows, checked here without a network (scripts/lint.sh calls this):
#   1. check-jsonschema --builtin-schema vendor.github-workflows: every workflow against GitHub's workflow schema
#      (the copy vendored inside check-jsonschema, so no download);
#   2. zizmor --offline: GitHub Actions' static security audits (unpinned actions, template injection, persisted
#      credentials, excessive permissions, ...). release.yml is clean with no suppressions; a suppression would go
#      in .github/zizmor.yml (zizmor finds it there), one per finding, with its reason.
# Both come from the pinned `test` extra of pyproject.toml; they are installed into ./.venv (scripts/test.sh's)
# when missing or at another version.
#
#   scripts/lint_workflows.sh            # about 5 s once installed
# Docs: https://check-jsonschema.readthedocs.io/en/stable/usage.html#builtin-schema,
# https://docs.zizmor.sh/usage/ (--offline, exit codes), https://docs.zizmor.sh/configuration/.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=${LINT_VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"

# The pins, read from the test extra (one place to bump them).
mapfile -t pins < <("$VENV/bin/python" - <<'PY'
import re
text = open("pyproject.toml", encoding="utf-8").read()
for name in ("check-jsonschema", "zizmor"):
    print(re.search(rf'"({re.escape(name)}==[^"]+)"', text).group(1))
PY
)
if ! "$VENV/bin/python" - "${pins[@]}" <<'PY'
import importlib.metadata as m, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    try:
        if m.version(name) != version:
            sys.exit(1)
    except m.PackageNotFoundError:
        sys.exit(1)
PY
then
  "$VENV/bin/python" -m pip install --quiet "${pins[@]}"
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
[ ${#workflows[@]} -gt 0 ] || { echo "no workflows under .github/workflows" >&2; exit 1; }

echo "== check-jsonschema (GitHub workflow schema): ${workflows[*]} =="
"$VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "== zizmor --offline =="
"$VENV/bin/zizmor" --offline --no-progress "${workflows[@]}"
