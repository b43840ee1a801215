#!/usr/bin/env bash
# Runs an aarch64 Linux wheel on this x86_64 machine under qemu-user, with no container and no binfmt_misc:
#   1. qemu-user-static from the distribution (apt-get), if `qemu-aarch64-static` is missing;
#   2. Debian's arm64 CPython (the `python3` package of this machine's Debian release and its dependencies),
#      resolved and downloaded by apt-get from a private apt state under $EMU_DIR (the host's dpkg is untouched:
#      no `dpkg --add-architecture`), unpacked with `dpkg -x` into a sysroot;
#   3. the wheel's dependencies (the `test` extra) downloaded for manylinux aarch64 by the host's pip
#      (`pip download --platform manylinux..._aarch64 --only-binary :all:`), then installed with pip running
#      *under emulation* into an emulated venv, so pip's own tag check (packaging.tags of an aarch64 interpreter)
#      accepts or rejects our wheel exactly as on a real aarch64 machine;
#   4. scripts/check_wheel.sh on that venv (WHEELCHECK_READY_VENV): import from site-packages, `gradientai-rs
#      --version`, `python -m gradientai_rs demo`, import time, and pytest from a scratch copy of tests/.
#
# The venv's bin/python is a shell script that execs qemu (`-L SYSROOT -0 "$0"`), so sys.executable is a file the
# host kernel can run: the tests start subprocesses (the CLI, the fake in a child, soak) with sys.executable.
#
#   scripts/check_wheel_emulated.sh                     # the one manylinux aarch64 wheel in dist/
#   scripts/check_wheel_emulated.sh dist/x.whl -q -x    # a given wheel, pytest options after it
#
# Everything is cached under $EMU_DIR (default ./.cache/emu-aarch64): a second run skips the downloads. The venv
# is recreated on every run. Time on the shared 2-core machine: see docs/releasing.md.
# qemu-user: https://www.qemu.org/docs/master/user/main.html (-L, -0); apt's Dir::* and APT::Architecture options:
# apt.conf(5); pip's --platform/--only-binary: https://pip.pypa.io/en/stable/cli/pip_download/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
start=$SECONDS

ARCH=aarch64      # qemu and wheel tag name
DEB_ARCH=arm64    # Debian's name
EMU_DIR=${EMU_DIR:-$ROOT/.cache/emu-$ARCH}
mkdir -p "$EMU_DIR"
EMU_DIR=$(realpath "$EMU_DIR")
SYSROOT=$EMU_DIR/sysroot        # Debian's arm64 python3, unpacked
WHEELHOUSE=$EMU_DIR/wheelhouse  # the test extra's aarch64 wheels
VENV=$EMU_DIR/venv              # recreated on every run

if [ $# -gt 0 ] && [[ "$1" == *.whl ]]; then
  WHEEL=$1
  shift
else
  shopt -s nullglob
  wheels=(dist/*manylinux*_"$ARCH".whl)
  shopt -u nullglob
  [ ${#wheels[@]} -eq 1 ] || { echo "give the wheel: dist/ has ${#wheels[@]} manylinux $ARCH wheels" >&2; exit 2; }
  WHEEL=${wheels[0]}
fi
WHEEL=$(realpath "$WHEEL")
case "$(basename "$WHEEL")" in
  *linux*_"$ARCH".whl) ;;
  *) echo "not a Linux $ARCH wheel: $WHEEL" >&2; exit 2 ;;
esac
case "$(basename "$WHEEL")" in
  *musllinux*) echo "a musllinux wheel needs a musl CPython; Debian's is glibc (see docs/releasing.md)" >&2; exit 2 ;;
esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== qemu-user =="
QEMU=$(command -v "qemu-$ARCH-static" || command -v "qemu-$ARCH" || true)
if [ -z "$QEMU" ]; then
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends qemu-user-static
  QEMU=$(command -v "qemu-$ARCH-static")
fi
"$QEMU" --version | head -n 1

# python3: the interpreter and its stdlib; libstdc++6: what manylinux wheels of C++ code (pyarrow, duckdb) may
# expect from the system (the manylinux policy lists libstdc++ as provided by the platform).
SYSROOT_PACKAGES="python3 libstdc++6"
echo "== Debian $DEB_ARCH $SYSROOT_PACKAGES in $SYSROOT =="
if [ ! -x "$SYSROOT/usr/bin/python3" ] || [ "$(cat "$SYSROOT/.packages" 2>/dev/null)" != "$SYSROOT_PACKAGES" ]; then
  [ -r /etc/debian_version ] || { echo "needs a Debian host (apt-get, dpkg)" >&2; exit 1; }
  APT_DIR=$EMU_DIR/apt
  rm -rf "$APT_DIR" "$SYSROOT"
  mkdir -p "$APT_DIR"/{lists/partial,archives/partial,cache,sources} "$SYSROOT"
  : >"$APT_DIR/status"   # an empty dpkg status: apt resolves the whole closure for the sysroot
  # The host's own package sources (same mirror, same release), read with arm64 as the only architecture.
  cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$APT_DIR/sources/" 2>/dev/null || true
  sourcelist=/etc/apt/sources.list
  [ -s "$sourcelist" ] || sourcelist=/dev/null
  apt_private=(-q -o "APT::Architecture=$DEB_ARCH" -o "APT::Architectures::=$DEB_ARCH"
    -o "Dir::State::status=$APT_DIR/status" -o "Dir::State::Lists=$APT_DIR/lists"
    -o "Dir::Cache=$APT_DIR/cache" -o "Dir::Cache::archives=$APT_DIR/archives"
    -o "Dir::Etc::SourceParts=$APT_DIR/sources" -o "Dir::Etc::sourcelist=$sourcelist")
  apt-get "${apt_private[@]}" update
  # shellcheck disable=SC2086  # a list of packages
  apt-get "${apt_private[@]}" install --download-only -y --no-install-recommends $SYSROOT_PACKAGES
  for deb in "$APT_DIR"/archives/*.deb; do dpkg -x "$deb" "$SYSROOT"; done
  echo "$SYSROOT_PACKAGES" >"$SYSROOT/.packages"
  rm -rf "$APT_DIR/archives" "$APT_DIR/lists"   # ~25 MB of .debs and ~100 MB of package lists, no longer needed
fi
PYBIN=$(basename "$(readlink -f "$SYSROOT/usr/bin/python3")")   # python3.11 on bookworm
PYVER=${PYBIN#python}
# The emulated interpreter, bare (stdlib from the sysroot through -L).
emu() { "$QEMU" -L "$SYSROOT" "$SYSROOT/usr/bin/$PYBIN" "$@"; }
emu -c 'import platform, sys; print(sys.version.split()[0], platform.machine(), platform.libc_ver())'

echo "== venv $VENV (bin/python execs qemu) =="
rm -rf "$VENV"
mkdir -p "$VENV/bin" "$VENV/lib/$PYBIN/site-packages"
cat >"$VENV/pyvenv.cfg" <<EOF
home = /usr/bin
include-system-site-packages = false
version = $(emu -c 'import platform; print(platform.python_version())')
EOF
# -0 "$0": the interpreter sees argv[0] = this file, so sys.executable and sys.prefix are the venv's
# (CPython finds pyvenv.cfg beside argv[0]); /usr/... is looked up in the sysroot first (-L).
cat >"$VENV/bin/python" <<EOF
#!/bin/sh
exec "$QEMU" -L "$SYSROOT" -0 "\$0" "$SYSROOT/usr/bin/$PYBIN" "\$@"
EOF
chmod +x "$VENV/bin/python"
ln -s python "$VENV/bin/python3"
ln -s python "$VENV/bin/$PYBIN"
"$VENV/bin/python" -c 'import sys; assert sys.prefix != sys.base_prefix, sys.prefix; print("sys.executable", sys.executable)'

echo "== wheelhouse: the test extra for manylinux $ARCH, CPython $PYVER (host pip download) =="
mkdir -p "$WHEELHOUSE"
HOST_PY=${PYTHON:-python3}
# The test extra from pyproject.toml (one source of truth), plus pip itself for the emulated venv.
mapfile -t REQS < <("$HOST_PY" - <<'EOF'
import re, sys
try:
    import tomllib
except ImportError:  # Python < 3.11 on the host: a minimal reader of the one list we need
    tomllib = None
text = open("pyproject.toml", encoding="utf-8").read()
if tomllib:
    reqs = tomllib.loads(text)["project"]["optional-dependencies"]["test"]
else:
    block = re.search(r"^test = \[(.*?)^\]", text, re.S | re.M).group(1)
    reqs = re.findall(r'"([^"]+)"', block)
print("\n".join(reqs))
EOF
)
# pip compares --platform literally (no manylinux_2_X ladder), so name every glibc floor up to Debian's 2.36.
platforms=(--platform "manylinux2014_$ARCH")
for minor in 17 24 26 27 28 31 34 35 36; do platforms+=(--platform "manylinux_2_${minor}_$ARCH"); done
"$HOST_PY" -m pip download --quiet --only-binary :all: "${platforms[@]}" --python-version "$PYVER" \
  --implementation cp -d "$WHEELHOUSE" pip "${REQS[@]}"
echo "$(find "$WHEELHOUSE" -name '*.whl' | wc -l) wheels"

echo "== emulated pip install $(basename "$WHEEL")[test] (no index: the wheelhouse only) =="
t=$SECONDS
pipwhl=$(find "$WHEELHOUSE" -name 'pip-*.whl' | sort -V | tail -n 1)
# pip runs from its own wheel (a zip on sys.path), under emulation, into the emulated venv.
"$VENV/bin/python" "$pipwhl/pip" install --quiet --no-index --find-links "$WHEELHOUSE" --no-compile pip
# --no-compile: byte-compiling every installed module under emulation takes minutes; Python compiles the few the
# tests import when they import them.
"$VENV/bin/python" -m pip install --quiet --no-index --find-links "$WHEELHOUSE" --only-binary :all: --no-compile \
  "$WHEEL[test]"
echo "installed in $((SECONDS - t)) s"

echo "== scripts/check_wheel.sh on the emulated venv =="
# The suite less four tests that measure the machine rather than the wheel: under qemu on a shared 2-core box
# Python runs ~10x slower and the emulator has threads of its own, so wall-clock and thread-count bounds fail
# (measured: a 20 ms heartbeat got 58 of 60 beats, generating 100,000 fake snapshots took 6.2 s against a 3 s bound,
# a rate-limited worker resumed 61 ms early, the soak saw 4 then 3 OS threads). They run natively on the
# workflow's arm64 runner. --timeout 900: each CLI test starts several emulated interpreters (~5 s apiece).
EMULATION_DESELECT=(
  --deselect tests/test_async.py::test_heartbeat_never_stalls_during_list_all_of_10000
  --deselect tests/test_fake.py::test_generation_is_fast
  --deselect tests/test_pagination.py::test_exact_dataset_under_burst_rate_limit_and_429_pauses_workers
  --deselect tests/test_soak.py::test_short_soak
)
# Three import-time samples instead of fifteen: under emulation the number only says "it imports".
WHEELCHECK_READY_VENV=$VENV WHEELCHECK_IMPORT_RUNS=3 bash scripts/check_wheel.sh "$WHEEL" \
  --timeout 900 "${EMULATION_DESELECT[@]}" "$@"

echo "check_wheel_emulated: PASS ($(basename "$WHEEL"), $PYBIN $DEB_ARCH under $(basename "$QEMU")) in $((SECONDS - start)) s"
