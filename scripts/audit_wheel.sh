#!/usr/bin/env bash
# The auditwheel gate of scripts/build_wheels.sh and of the release workflow's `linux` job:
#   scripts/audit_wheel.sh WHEEL TAG      (AUDITWHEEL=path/to/auditwheel, default: auditwheel on PATH)
# passes when `auditwheel show` says WHEEL is consistent with TAG (manylinux_2_17_x86_64, musllinux_1_2_aarch64...).
#
# musllinux: the zig-linked extension needs `libc.so`, upstream musl's soname, which musl's dynamic loader
# resolves to itself; auditwheel's musllinux policy only lists Alpine's name for it (`libc.musl-<arch>.so.1`), so
# auditwheel reports `linux_<arch>` with libc.so as the one library to eliminate (maturin's own musllinux audit
# accepts libc.so: PyO3/maturin#643). For musllinux the gate therefore also passes when libc.so is the *only*
# blocker, and says so. auditwheel runs with an empty --ldpaths there: on a glibc machine its default search finds
# glibc's /usr/lib/<arch>-linux-gnu/libc.so, a linker script, and crashes parsing it as ELF.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 WHEEL TAG" >&2; exit 2; }
wheel=$1 tag=$2
auditwheel=${AUDITWHEEL:-auditwheel}

args=()
if [[ "$tag" == musllinux_* ]]; then
  nolibs=$(mktemp -d)
  trap 'rm -rf "$nolibs"' EXIT
  args=(--ldpaths "$nolibs")
fi
echo "== auditwheel show $(basename "$wheel") =="
report=$("$auditwheel" show "${args[@]}" "$wheel" 2>&1)
echo "$report"
# auditwheel wraps its report at 79 columns; join it before matching.
flat=$(tr -s ' \n' ' ' <<<"$report")
if grep -qF "consistent with the following platform tag: \"$tag\"" <<<"$flat"; then
  echo "audit_wheel: $tag"
  exit 0
fi
if [[ "$tag" == musllinux_* ]] &&
  grep -qE "In order to achieve the tag platform tag '$tag' the following shared library dependencies will need to be eliminated: libc\.so ?$" <<<"$flat"; then
  echo "audit_wheel: $tag, but for libc.so (musl's own soname; see the comment at the top of $0)"
  exit 0
fi
echo "audit_wheel: $wheel is not $tag" >&2
exit 1
