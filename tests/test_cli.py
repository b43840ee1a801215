"""The command line (``gradientai-rs`` / ``python -m gradientai_rs``) against the in-process fake API.

Fast cases call ``main([...])`` with capsys; end-to-end cases (exit status of the process, pipes, signals, the
token never printed) run ``sys.executable -m gradientai_rs`` in a subprocess.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from gradientai_rs.__main__ import main
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
SECRET = "dop_v1_secret_XYZ"
ENV_VARS = (
    "DIGITALOCEAN_ACCESS_TOKEN",
    "GRADIENTAI_API_KEY",
    "GRADIENT_BASE_URL",
    "GRADIENT_AI_BASE_URL",
    "GRADIENTAI_RS_LOG",
)
HEADERS = ["ID", "Name", "Created at", "Regions", "Resource ID", "Resource Type", "Min Disk Size", "Size", "Tags"]
FIELDS = [
    "id",
    "name",
    "created_at",
    "regions",
    "resource_id",
    "resource_type",
    "min_disk_size",
    "size_gigabytes",
    "tags",
]
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    """45 snapshots (droplets and volumes), seed 11, token ``fake-token``."""
    with FakeDigitalOcean(snapshots=45, seed=11, token=TOKEN) as f:
        yield f


@pytest.fixture
def closed_port() -> int:
    with FakeDigitalOcean(0) as f:
        port = f.port
    return port  # closed now: connecting is refused


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli(fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--base-url", fake.url, *argv)


def proc_env(token: Optional[str] = TOKEN) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    if token is not None:
        env["DIGITALOCEAN_ACCESS_TOKEN"] = token
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_proc(
    *argv: str, token: Optional[str] = TOKEN, stdin: Any = subprocess.DEVNULL, timeout: float = 30
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gradientai_rs", *argv],
        env=proc_env(token),
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_error_line(err: str) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")


def table(out: str) -> List[List[str]]:
    """Splits an aligned table on its header's column starts."""
    lines = out.rstrip("\n").split("\n")
    starts = [m.start() for m in re.finditer(r"(?:(?<=   )|^)\S", lines[0])]
    rows = []
    for line in lines:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(cells)
    return rows


def of_type(fake: FakeDigitalOcean, rtype: str) -> List[Dict[str, Any]]:
    return [s for s in fake.snapshots if s["resource_type"] == rtype]


# --------------------------------------------------------------------------------------------- list


def test_list_table_default_page(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list")
    assert code == 0 and err == ""
    rows = table(out)
    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == fake.ids()[:20]  # the API's default per_page
    first = fake.snapshots[0]
    row = rows[1]
    assert row[1] == first["name"]
    assert row[2] == first["created_at"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[2])
    assert row[3] == ",".join(first["regions"])
    assert row[4] == first["resource_id"]
    assert row[5] == first["resource_type"]
    assert row[6] == str(first["min_disk_size"])
    assert row[7] == f"{first['size_gigabytes']:.2f} GiB"
    assert row[8] == ",".join(first["tags"] or [])
    assert not any(line != line.rstrip() for line in out.splitlines())  # no trailing blanks


def test_list_json_page(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "--per-page", "10", "--page", "2", "--format", "json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert isinstance(data, list)
    assert data == fake.snapshots[10:20]


def test_list_jsonl_all(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "--all", "--per-page", "7", "--format", "jsonl")
    assert code == 0 and err == ""  # stderr is not a TTY: no progress bar
    lines = out.splitlines()
    objs = [json.loads(line) for line in lines]
    assert [o["id"] for o in objs] == fake.ids()
    assert len({o["id"] for o in objs}) == len(fake.ids()) == 45
    assert objs == fake.snapshots


def test_list_csv_all(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "--all", "--format", "csv")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0].keys()) == FIELDS
    assert [r["id"] for r in rows] == fake.ids()
    for row, snap in zip(rows, fake.snapshots):
        assert row["regions"] == ",".join(snap["regions"])
        assert row["tags"] == ",".join(snap["tags"] or [])
        assert float(row["size_gigabytes"]) == snap["size_gigabytes"]
        assert row["created_at"] == snap["created_at"]
        assert row["min_disk_size"] == str(snap["min_disk_size"])


def test_list_all_table_every_snapshot_once(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "--all", "--per-page", "4")
    assert code == 0
    rows = table(out)
    assert rows[0] == HEADERS
    ids = [r[0] for r in rows[1:]]
    assert ids == fake.ids() and len(set(ids)) == 45


@pytest.mark.parametrize("rtype", ["droplet", "volume"])
def test_list_resource_type(fake, capsys, rtype):
    expected = [s["id"] for s in of_type(fake, rtype)]
    assert 0 < len(expected) < 45
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--resource-type", rtype, "--all", "-o", "jsonl")
    assert code == 0
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["id"] for o in objs] == expected
    assert {o["resource_type"] for o in objs} == {rtype}
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--resource-type", rtype, "--per-page", "5", "-o", "json")
    assert [o["id"] for o in json.loads(out)] == expected[:5]


def test_columns_in_every_format(fake, capsys):
    cols = "size_gigabytes,id,tags"
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--columns", cols)
    assert code == 0
    rows = table(out)
    assert rows[0] == ["Size", "ID", "Tags"]
    assert [r[1] for r in rows[1:]] == fake.ids()[:3]

    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--columns", cols, "-o", "json")
    assert json.loads(out) == [
        {"size_gigabytes": s["size_gigabytes"], "id": s["id"], "tags": s["tags"]} for s in fake.snapshots[:3]
    ]
    assert list(json.loads(out)[0]) == ["size_gigabytes", "id", "tags"]

    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--columns", cols, "-o", "jsonl")
    assert [list(json.loads(line)) for line in out.splitlines()] == [["size_gigabytes", "id", "tags"]] * 3

    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--columns", " ID , name ", "-o", "csv")
    assert list(csv.reader(io.StringIO(out))) == [["id", "name"]] + [[s["id"], s["name"]] for s in fake.snapshots[:3]]


def test_no_header(fake, capsys):
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--no-header", "--columns", "id")
    assert code == 0
    assert out.splitlines() == fake.ids()[:3]
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "3", "--no-header", "-o", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[0] for r in rows] == fake.ids()[:3]


def test_global_options_before_or_after_command(fake, capsys):
    code, out, _ = run(
        capsys, "snapshots", "list", "--base-url", fake.url, "--per-page", "2", "-o", "jsonl", "--timeout", "5"
    )
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = run(
        capsys, "--base-url", fake.url, "--max-retries", "0", "snapshots", "ls", "--per-page", "2", "-o", "jsonl"
    )
    assert code == 0 and len(out.splitlines()) == 2


def test_empty_page(fake, capsys):
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--page", "99", "-o", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--page", "99")
    assert code == 0 and table(out) == [HEADERS]


def test_progress_bar_only_on_a_tty(fake, capsys, monkeypatch):
    pytest.importorskip("tqdm")

    class TTY(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = TTY()
    monkeypatch.setattr(sys, "stderr", tty)
    code = main(["--base-url", fake.url, "snapshots", "list", "--all", "--per-page", "10", "-o", "jsonl"])
    assert code == 0
    assert "snapshots" in tty.getvalue()  # the tqdm bar's description
    assert len(capsys.readouterr().out.splitlines()) == 45


# --------------------------------------------------------------------------------------------- get / delete


def test_get_table_and_json(fake, capsys):
    snap = fake.snapshots[5]
    code, out, err = cli(fake, capsys, "snapshots", "get", snap["id"])
    assert code == 0 and err == ""
    rows = table(out)
    assert rows[0] == HEADERS and len(rows) == 2 and rows[1][0] == snap["id"] and rows[1][1] == snap["name"]
    code, out, _ = cli(fake, capsys, "snapshots", "get", snap["id"], "--format", "json")
    assert json.loads(out) == snap
    code, out, _ = cli(
        fake, capsys, "snapshots", "get", snap["id"], "-o", "csv", "--columns", "id,regions", "--no-header"
    )
    assert list(csv.reader(io.StringIO(out))) == [[snap["id"], ",".join(snap["regions"])]]


def test_get_404_is_exit_3(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "get", "does-not-exist")
    assert code == 3 and out == ""
    assert_one_error_line(err)
    assert "404" in err and UUID_RE.search(err), err  # status code and request id


def test_delete_force(fake, capsys):
    sid = fake.ids()[3]
    code, out, err = cli(fake, capsys, "snapshots", "delete", sid, "--force")
    assert code == 0 and out == f"Deleted snapshot {sid}.\n" and err == ""
    assert sid not in fake.ids() and len(fake.ids()) == 44
    code, _, err = cli(fake, capsys, "snapshots", "delete", sid, "--force")
    assert code == 3 and "404" in err


def test_delete_refused_without_tty(fake, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))  # not a TTY, even if it says yes
    sid = fake.ids()[0]
    code, out, err = cli(fake, capsys, "snapshots", "delete", sid)
    assert code == 2 and out == ""
    assert_one_error_line(err)
    assert "--force" in err
    assert sid in fake.ids()
    assert not [r for r in fake.requests if r.method == "DELETE"]


class _TTYInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    "answer, deleted", [("y\n", True), ("YES\n", True), ("n\n", False), ("\n", False), ("", False)]
)
def test_delete_confirmation_on_tty(fake, capsys, monkeypatch, answer, deleted):
    monkeypatch.setattr(sys, "stdin", _TTYInput(answer))
    sid = fake.ids()[1]
    code, out, err = cli(fake, capsys, "snapshots", "delete", sid)
    assert f"Delete snapshot {sid}? [y/N]" in err
    assert (sid not in fake.ids()) == deleted
    assert code == (0 if deleted else 1)
    assert out == (f"Deleted snapshot {sid}.\n" if deleted else "")


# --------------------------------------------------------------------------------------------- demo


def test_demo(capsys, monkeypatch):
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN")  # the demo needs no token
    with FakeDigitalOcean(60, seed=4) as ref:
        droplets = len(of_type(ref, "droplet"))
    code, out, err = run(capsys, "demo", "--snapshots", "60", "--seed", "4")
    assert code == 0, err
    assert f"MetaProperties(total={droplets})" in out
    assert 'list(resource_type="droplet", per_page=200)' in out
    assert "60 snapshots (total 60)" in out and "every id once" in out
    assert "ID" in out and "Created at" in out


def test_demo_live_needs_token(capsys, monkeypatch):
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN")
    code, out, err = run(capsys, "demo", "--live")
    assert code == 5
    assert_one_error_line(err)


def test_demo_subprocess_default():
    p = run_proc("demo", token=None)
    assert p.returncode == 0, p.stderr
    assert "MetaProperties(total=" in p.stdout
    assert "250 snapshots" in p.stdout
    assert "Traceback" not in p.stderr


# --------------------------------------------------------------------------------------------- errors / exit codes


@pytest.mark.parametrize(
    "argv",
    [
        ["snapshots", "list", "--format", "xml"],
        ["snapshots", "list", "--columns", "id,bogus"],
        ["snapshots", "list", "--page", "2", "--all"],
        ["snapshots", "list", "--per-page", "abc"],
        ["snapshots", "list", "--per-page", "500"],  # ValueError from the client
        ["snapshots", "list", "--page", "0"],
        ["snapshots", "list", "--timeout", "-1"],
        ["snapshots", "frobnicate"],
        ["snapshots", "get"],
        ["demo", "--snapshots", "-1"],
        ["--base-url", "not a url", "snapshots", "list"],
    ],
)
def test_usage_errors_exit_2(fake, capsys, argv):
    code, out, err = cli(fake, capsys, *argv)
    assert code == 2 and out == ""
    assert_one_error_line(err)
    assert not fake.requests


def test_no_command_prints_help(capsys):
    code, out, err = run(capsys)
    assert code == 2 and "usage:" in err and "snapshots" in err


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "DIGITALOCEAN_ACCESS_TOKEN" in out and "exit status" in out
    code, out, _ = run(capsys, "snapshots", "list", "--help")
    assert code == 0 and "--resource-type" in out and "--columns" in out and "jsonl" in out
    code, out, _ = run(capsys, "snapshots", "delete", "--help")
    assert code == 0 and "--force" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("gradientai-rs ")


def test_api_errors_exit_3(fake, capsys):
    code, _, err = cli(fake, capsys, "--max-retries", "0", "snapshots", "list")
    assert code == 0
    fake.enqueue(500)
    code, out, err = cli(fake, capsys, "--max-retries", "0", "snapshots", "list")
    assert code == 3 and out == ""
    assert_one_error_line(err)
    assert "500" in err and UUID_RE.search(err)
    fake.enqueue(200, body="<html>not json</html>")
    code, out, err = cli(fake, capsys, "--max-retries", "0", "snapshots", "list")
    assert code == 3
    assert_one_error_line(err)
    fake.enqueue(503, count=3)
    code, out, err = cli(fake, capsys, "--max-retries", "0", "snapshots", "list", "--all")
    assert code == 3
    assert_one_error_line(err)


def test_wrong_token_exit_3(fake, capsys, monkeypatch):
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", SECRET)
    code, out, err = cli(fake, capsys, "snapshots", "list")
    assert code == 3 and "401" in err and SECRET not in err + out
    assert_one_error_line(err)


def test_connection_refused_exit_4(capsys, closed_port):
    code, out, err = run(
        capsys, "--base-url", f"http://127.0.0.1:{closed_port}", "--max-retries", "0", "snapshots", "list"
    )
    assert code == 4 and out == ""
    assert_one_error_line(err)


def test_timeout_exit_4(capsys):
    with FakeDigitalOcean(5, hang=True) as fake:
        code, out, err = run(
            capsys, "--base-url", fake.url, "--max-retries", "0", "--timeout", "0.3", "snapshots", "get", "1"
        )
    assert code == 4
    assert_one_error_line(err)
    assert "timed out" in err.lower()


def test_missing_token_exit_5(fake, capsys, monkeypatch):
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN")
    for argv in (["snapshots", "list"], ["snapshots", "get", "1"], ["snapshots", "delete", "1", "--force"]):
        code, out, err = cli(fake, capsys, *argv)
        assert code == 5 and out == ""
        assert_one_error_line(err)
        assert "DIGITALOCEAN_ACCESS_TOKEN" in err
    assert not fake.requests


# --------------------------------------------------------------------------------------------- end to end (subprocess)


def test_subprocess_exit_codes(fake, closed_port):
    p = run_proc("--base-url", fake.url, "snapshots", "list", "-o", "jsonl", "--per-page", "5")
    assert p.returncode == 0 and [json.loads(x)["id"] for x in p.stdout.splitlines()] == fake.ids()[:5]
    cases = [
        (2, ["--base-url", fake.url, "snapshots", "list", "--format", "yaml"], TOKEN),
        (3, ["--base-url", fake.url, "snapshots", "get", "nope"], TOKEN),
        (4, ["--base-url", f"http://127.0.0.1:{closed_port}", "--max-retries", "0", "snapshots", "list"], TOKEN),
        (5, ["--base-url", fake.url, "snapshots", "list"], None),
    ]
    for expected, argv, token in cases:
        p = run_proc(*argv, token=token)
        assert p.returncode == expected, (argv, p.stderr)
        assert p.stdout == ""
        assert_one_error_line(p.stderr)


def test_subprocess_delete_refused_on_non_tty_stdin(fake):
    sid = fake.ids()[0]
    p = run_proc("--base-url", fake.url, "snapshots", "delete", sid, stdin=subprocess.DEVNULL)
    assert p.returncode == 2
    assert_one_error_line(p.stderr)
    assert sid in fake.ids()
    p = run_proc("--base-url", fake.url, "snapshots", "delete", sid, "--force")
    assert p.returncode == 0 and sid not in fake.ids()


def test_token_never_printed():
    with FakeDigitalOcean(30, seed=2, token=SECRET) as fake:
        sid = fake.ids()[0]
        runs = [
            ["snapshots", "list"],
            ["snapshots", "list", "--all", "-o", "json"],
            ["snapshots", "list", "--all", "-o", "jsonl"],
            ["snapshots", "list", "-o", "csv"],
            ["snapshots", "get", sid],
            ["snapshots", "get", "missing", "-o", "json"],
            ["snapshots", "delete", sid],  # refused: stdin is not a TTY
            ["snapshots", "delete", sid, "--force"],
            ["snapshots", "list", "--per-page", "999"],
        ]
        results = [run_proc("--base-url", fake.url, *argv, token=SECRET) for argv in runs]
        results.append(run_proc("--base-url", fake.url, "snapshots", "list", token=SECRET + "-wrong"))
        results.append(run_proc("demo", "--snapshots", "10", token=SECRET))
        results.append(
            run_proc("--base-url", "http://127.0.0.1:9/", "--max-retries", "0", "snapshots", "list", token=SECRET)
        )
        results.append(run_proc("--help", token=SECRET))
    assert [r.returncode for r in results] == [0, 0, 0, 0, 0, 3, 2, 0, 2, 3, 0, 4, 0]
    for r in results:
        assert SECRET not in r.stdout and SECRET not in r.stderr
        assert "Traceback" not in r.stderr


def test_pipe_into_head_no_traceback():
    with FakeDigitalOcean(3000, seed=5) as fake:  # ~700 kB of jsonl: far more than a pipe buffer
        script = (
            f"{sys.executable!s} -m gradientai_rs --base-url {fake.url} snapshots list --all --format jsonl | head -n 1; "
            'echo "status=${PIPESTATUS[0]}" >&2'
        )
        p = subprocess.run(["bash", "-c", script], env=proc_env(), capture_output=True, text=True, timeout=30)
        first_id = fake.ids()[0]
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["id"] == first_id
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr and "BrokenPipe" not in p.stderr
    assert p.stderr.strip() == "status=0"


def test_table_pipe_into_head_no_traceback():
    with FakeDigitalOcean(3000, seed=5) as fake:
        script = f"{sys.executable!s} -m gradientai_rs --base-url {fake.url} snapshots list --all | head -n 2"
        p = subprocess.run(["bash", "-c", script], env=proc_env(), capture_output=True, text=True, timeout=30)
    assert len(p.stdout.splitlines()) == 2
    assert p.stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_130_quietly():
    with FakeDigitalOcean(5, hang=True) as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gradientai_rs", "--base-url", fake.url, "snapshots", "list", "--all"],
            env=proc_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 15
        while fake.request_count == 0 and time.monotonic() < deadline:  # it is waiting on the hanging server
            time.sleep(0.02)
        assert fake.request_count > 0
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert out == "" and err == ""
