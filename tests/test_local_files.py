"""Every local file is read by one bounded reader (issue 19, item 2): only regular files, at most 16 MiB.

Each hostile path (a device, a FIFO, a socket, a directory, a file over the limit) is tried in a fresh interpreter
with a timeout, so that a regression shows up as a failed test, not as a hung or killed test run: on the old code
``verify="/dev/zero"`` grew without limit, ``SSL_CERT_FILE=/dev/zero`` aborted the process, and a FIFO blocked the
constructor forever. The doctl config reader's own bounds (aliases, nesting, duplicate keys) are tested here too,
from Python, with the peak memory measured.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, Optional, Tuple

import pytest

from gradientai_rs import GradientAI

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, sockets and /dev/zero are Unix things")

TOKEN = "dop_v1_" + "0123456789abcdef" * 4
LIMIT = "it is larger than 16 MiB, the limit for a local file"
_TRUST_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "DIGITALOCEAN_CONFIG", "DIGITALOCEAN_CONTEXT")


def run(code: str, env: Optional[Dict[str, str]] = None, timeout: float = 60) -> Tuple[int, str, str, float]:
    """Runs ``code`` in a fresh interpreter: (exit code, stdout, stderr, seconds)."""
    full_env = {k: v for k, v in os.environ.items() if k not in _TRUST_ENV}
    full_env.update(env or {})
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def expect_value_error(call: str, env: Optional[Dict[str, str]] = None) -> str:
    """``call`` raises ValueError in a fresh interpreter, quickly, printing nothing else: its message."""
    code = (
        "import gradientai_rs\n"
        "from gradientai_rs import GradientAI\n"
        "try:\n"
        f"    {call}\n"
        "except ValueError as e:\n"
        "    print('VALUE-ERROR', e)\n"
        "else:\n"
        "    print('NO-ERROR')\n"
    )
    rc, out, err, seconds = run(code, env)
    assert rc == 0, (rc, out, err)
    assert out.startswith("VALUE-ERROR "), out + err
    assert err == "", err
    assert seconds < 30, seconds
    return out[len("VALUE-ERROR ") :].strip()


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def sock(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    yield path
    s.close()


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A 17 MiB regular file (sparse: no blocks written)."""
    path = tmp_path / "big.pem"
    with open(path, "wb") as f:
        f.truncate(17 * 1024 * 1024)
    return path


def hostile(kind: str, tmp_path: Path, fifo: Path, sock: Path, big: Path) -> Tuple[str, str]:
    """The path of a hostile `kind`, and the words the refusal must contain."""
    return {
        "dev-zero": ("/dev/zero", "it is a character device; only regular files are read"),
        "fifo": (str(fifo), "it is a FIFO (named pipe); only regular files are read"),
        "socket": (str(sock), "it is a socket; only regular files are read"),
        "directory": (str(tmp_path), "it is a directory; only regular files are read"),
        "17-mib": (str(big), LIMIT),
    }[kind]


KINDS = ["dev-zero", "fifo", "socket", "directory", "17-mib"]

# ------------------------------------------------------------------------------------------------ verify=


@pytest.mark.parametrize("kind", KINDS)
def test_verify_reads_only_small_regular_files(kind: str, tmp_path: Path, fifo: Path, sock: Path, big: Path) -> None:
    path, why = hostile(kind, tmp_path, fifo, sock, big)
    msg = expect_value_error(f"GradientAI(api_key='t', base_url='https://127.0.0.1:9', verify={path!r})")
    assert msg == f"cannot read the CA file verify={path!r}: {why}".replace("'", '"'), msg


def test_verify_of_a_regular_file_at_the_limit_is_read(tmp_path: Path) -> None:
    """16 MiB exactly is allowed (it is then refused as holding no certificate, which proves it was read)."""
    path = tmp_path / "ca.pem"
    with open(path, "wb") as f:
        f.truncate(16 * 1024 * 1024)
    with pytest.raises(ValueError, match="holds no PEM certificate"):
        GradientAI(api_key="t", base_url="https://127.0.0.1:9", verify=str(path))


# ------------------------------------------------------------------------------------------------ SSL_CERT_FILE / DIR


@pytest.mark.parametrize("kind", KINDS)
def test_ssl_cert_file_reads_only_small_regular_files(
    kind: str, tmp_path: Path, fifo: Path, sock: Path, big: Path
) -> None:
    path, why = hostile(kind, tmp_path, fifo, sock, big)
    msg = expect_value_error("GradientAI(api_key='t', base_url='https://127.0.0.1:9')", {"SSL_CERT_FILE": path})
    assert msg.startswith(f'cannot load CA certificates from SSL_CERT_FILE="{path}": '), msg
    assert msg.endswith(why), msg


def test_ssl_cert_dir_skips_what_is_not_a_regular_file(tmp_path: Path) -> None:
    """A FIFO or a socket in SSL_CERT_DIR is skipped (as OpenSSL-style directories are read), never opened."""
    trustme = pytest.importorskip("trustme")
    d = tmp_path / "certs"
    d.mkdir()
    trustme.CA().cert_pem.write_to_path(str(d / "ca.pem"))
    os.mkfifo(d / "fifo.pem")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(d / "sock.pem"))
    try:
        code = (
            "import gradientai_rs\ngradientai_rs.GradientAI(api_key='t', base_url='https://127.0.0.1:9')\nprint('OK')"
        )
        rc, out, err, seconds = run(code, {"SSL_CERT_DIR": str(d)})
        assert (rc, out.strip(), err) == (0, "OK", ""), (rc, out, err)
        assert seconds < 30
    finally:
        s.close()


def test_a_file_over_the_limit_in_ssl_cert_dir_is_an_error(tmp_path: Path, big: Path) -> None:
    d = tmp_path / "certs"
    d.mkdir()
    big.rename(d / "big.pem")
    msg = expect_value_error("GradientAI(api_key='t', base_url='https://127.0.0.1:9')", {"SSL_CERT_DIR": str(d)})
    assert msg.startswith(f'cannot load CA certificates from SSL_CERT_DIR="{d}": cannot read the file'), msg
    assert msg.endswith(LIMIT), msg


# ------------------------------------------------------------------------------------------------ doctl's config


@pytest.mark.parametrize("kind", KINDS)
def test_from_doctl_config_path_reads_only_small_regular_files(
    kind: str, tmp_path: Path, fifo: Path, sock: Path, big: Path
) -> None:
    path, why = hostile(kind, tmp_path, fifo, sock, big)
    msg = expect_value_error(f"GradientAI.from_doctl(config_path={path!r})")
    assert msg == f"cannot read the doctl config file {path} (from config_path): {why}", msg


@pytest.mark.parametrize("kind", KINDS)
def test_digitalocean_config_reads_only_small_regular_files(
    kind: str, tmp_path: Path, fifo: Path, sock: Path, big: Path
) -> None:
    path, why = hostile(kind, tmp_path, fifo, sock, big)
    msg = expect_value_error("gradientai_rs._core._doctl_contexts()", {"DIGITALOCEAN_CONFIG": path})
    assert msg == f"cannot read the doctl config file {path} (from DIGITALOCEAN_CONFIG): {why}", msg


def test_a_45_mb_config_is_refused_quickly(tmp_path: Path) -> None:
    """Issue 19's 45 MB file: refused from its size (the old reader's duplicate check was O(n^2) on it)."""
    path = tmp_path / "config.yaml"
    with open(path, "wb") as f:
        f.write(b"access-token: t\nbig:\n")
        f.write(b"".join(b"  k%07d: v\n" % i for i in range(3_500_000)))
    assert path.stat().st_size > 45_000_000
    msg = expect_value_error(f"GradientAI.from_doctl(config_path={str(path)!r})")
    assert msg == f"cannot read the doctl config file {path} (from config_path): {LIMIT}"


def test_many_keys_under_the_limit_are_read_in_linear_time(tmp_path: Path) -> None:
    """~10 MB, 700,000 keys in one mapping: a pairwise duplicate check would not finish in the timeout."""
    path = tmp_path / "config.yaml"
    with open(path, "wb") as f:
        f.write(b"access-token: tok\nbig:\n")
        f.write(b"".join(b"  k%07d: v\n" % i for i in range(700_000)))
    code = f"import gradientai_rs\nprint(gradientai_rs._core._doctl_contexts(config_path={str(path)!r}))"
    rc, out, err, seconds = run(code, timeout=60)
    assert (rc, out.strip(), err) == (0, "['default']", "")
    assert seconds < 30, seconds


def laughs(tail: str) -> str:
    """A "billion laughs" config: 9 levels of 9 aliases, 9**9 (387 million) strings if expanded."""
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n" + tail


@pytest.mark.parametrize(
    "tail, expect",
    [
        (f"access-token: {TOKEN}\n", "OK ['default']"),
        ("access-token: *a9\n", "ValueError line 11: access-token is an anchor or alias, not a string"),
        ("auth-contexts: *a9\n", "ValueError line 11: auth-contexts is an anchor or alias"),
        ("auth-contexts:\n  work: *a9\n", "ValueError line 12: auth-contexts.work is an anchor or alias"),
    ],
)
def test_billion_laughs_is_fast_and_small(tmp_path: Path, tail: str, expect: str) -> None:
    """Aliases are never expanded: the peak RSS of the parse (ru_maxrss, in a fresh interpreter) stays small."""
    path = tmp_path / "config.yaml"
    path.write_text(laughs(tail))
    code = (
        "import json, resource, time\n"
        "import gradientai_rs\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "t0 = time.monotonic()\n"
        "try:\n"
        f"    out = 'OK ' + str(gradientai_rs._core._doctl_contexts(config_path={str(path)!r}))\n"
        "except ValueError as e:\n"
        "    out = 'ValueError ' + str(e)\n"
        "seconds = time.monotonic() - t0\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps([out, seconds, before, after]))\n"
    )
    rc, stdout, stderr, _ = run(code)
    assert rc == 0, stderr
    out, seconds, before, after = json.loads(stdout)
    if expect.startswith("OK"):
        assert out == expect
    else:
        assert out.startswith(
            f"ValueError doctl config file {path} (from config_path): {expect[len('ValueError ') :]}"
        ), out
    assert TOKEN not in out
    assert seconds < 2, seconds
    kib = 1 if sys.platform != "darwin" else 1024  # ru_maxrss: KiB on Linux, bytes on macOS
    assert (after - before) * kib / 1024 < 32 * 1024, f"peak RSS grew by {(after - before) * kib} KiB"


def test_400_levels_of_nesting_on_a_128_kib_thread(tmp_path: Path) -> None:
    """musl's default thread stack is 128 KiB: a deeply nested config is read on such a thread (no recursion)."""
    path = tmp_path / "config.yaml"
    nested = "".join(" " * i + "a:\n" for i in range(400)) + " " * 400 + "b: 1\n"
    path.write_text(nested + f"access-token: {TOKEN}\n" + "x: " + "[" * 250 + "]" * 250 + "\n")
    code = (
        "import threading, gradientai_rs\n"
        "threading.stack_size(128 * 1024)\n"
        "out = []\n"
        f"t = threading.Thread(target=lambda: out.append(gradientai_rs._core._doctl_contexts(config_path={str(path)!r})))\n"
        "t.start(); t.join()\n"
        "print(out)\n"
    )
    rc, stdout, stderr, _ = run(code)
    assert (rc, stdout.strip()) == (0, "[['default']]"), (rc, stdout, stderr)


# ------------------------------------------------------------------------------------------------ context names


def test_an_unknown_context_that_looks_like_a_token_is_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("access-token: tok-default\nauth-contexts:\n  work: tok-work\n")
    with pytest.raises(ValueError) as info:
        GradientAI.from_doctl(TOKEN, config_path=path)
    msg = str(info.value)
    assert TOKEN not in msg and TOKEN[:20] not in msg and "0123456789abcdef" not in msg
    assert msg == (
        f"unknown doctl context <a {len(TOKEN)}-character name that looks like a token, not shown>; "
        "known contexts: default, work"
    )
    # A name that looks like a name is still shown, so a typo is easy to spot.
    with pytest.raises(ValueError, match='unknown doctl context "wrok"; known contexts: default, work'):
        GradientAI.from_doctl("wrok", config_path=path)
