"""The command line's cleaning-up commands: list filters, cost, prune (dry run, --apply), --context, --all-contexts."""

from __future__ import annotations

import datetime as dt
import fnmatch
import io
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from gradientai_rs.__main__ import main
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    monkeypatch.delenv("DIGITALOCEAN_CONTEXT", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    # history_now in the near past of the real clock is not needed: ages are relative to "now", and the history
    # ends 2026-01-01, so "older than 30d" is most of it.
    with FakeDigitalOcean(history=True, token=TOKEN) as f:
        yield f


def cli(fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--base-url", fake.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


class _TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


POLICY = ["--keep-last", "2", "--keep-weekly", "4"]


def test_list_filters_and_sort(fake, capsys):
    code, out, err = cli(
        fake,
        capsys,
        "snapshots",
        "list",
        "--all",
        "--name",
        "web-*",
        "--older-than",
        "30d",
        "--sort",
        "size_gigabytes",
        "--reverse",
        "--format",
        "json",
    )
    assert code == 0, err
    got = json.loads(out)
    now = dt.datetime.now(dt.timezone.utc)
    want = [
        s
        for s in fake.snapshots
        if fnmatch.fnmatchcase(s["name"], "web-*")
        and dt.datetime.fromisoformat(s["created_at"].replace("Z", "+00:00")) < now - dt.timedelta(days=30)
    ]
    want.sort(key=lambda s: s["size_gigabytes"], reverse=True)
    assert [d["id"] for d in got] == [s["id"] for s in want]
    assert got


def test_list_tag_region_on_a_page(fake, capsys):
    region = fake.snapshots[0]["regions"][0]
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--per-page", "50", "--region", region, "--format", "jsonl")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and all(region in r["regions"] for r in rows)
    code, _, err = cli(fake, capsys, "snapshots", "list", "--reverse")
    assert code == 2 and "--sort" in err
    code, _, err = cli(fake, capsys, "snapshots", "list", "--all", "--older-than", "soon")
    assert code == 2 and "older_than" in err


def test_cost(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "cost", "--by", "resource_type", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert sum(r["count"] for r in rows) == len(fake.snapshots)
    total = sum(s["size_gigabytes"] for s in fake.snapshots)
    assert sum(r["monthly_cost_usd"] for r in rows) == pytest.approx(total * 0.06)
    code, out, _ = cli(fake, capsys, "snapshots", "cost", "--by", "region", "--rate", "0.05")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["Region", "Count"] and lines[-1].startswith("TOTAL")
    assert lines[-1].split()[-1] == f"{total * 0.05:.2f}"
    code, _, err = cli(fake, capsys, "snapshots", "cost", "--by", "account")
    assert code == 2 and "--all-contexts" in err


def plan_of(fake: FakeDigitalOcean, capsys: pytest.CaptureFixture[str], *extra: str) -> Dict[str, Any]:
    code, out, err = cli(fake, capsys, "snapshots", "prune", *POLICY, *extra, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_prune_dry_run_deletes_nothing(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "prune", *POLICY)
    assert code == 0, err
    assert "dry run, nothing deleted" in err
    lines = out.splitlines()
    assert lines[0].split()[0] == "Action"
    assert {line.split()[0] for line in lines[1:]} == {"keep", "delete"}
    assert fake.deleted_ids == []
    assert not [r for r in fake.requests if r.method == "DELETE"]
    plan = plan_of(fake, capsys)
    assert len(plan["keep"]) + len(plan["delete"]) == len(fake.snapshots)
    assert set(plan["reasons"]) == {d["id"] for d in plan["keep"]}
    for fmt in ("csv", "jsonl"):
        code, out, _ = cli(fake, capsys, "snapshots", "prune", *POLICY, "--format", fmt)
        assert code == 0 and len(out.strip().splitlines()) >= len(fake.snapshots)
    assert fake.deleted_ids == []


def test_prune_apply_yes_deletes_exactly_the_plan(fake, capsys):
    plan = plan_of(fake, capsys, "--resource-type", "volume", "--name", "data-16-*")
    doomed = {d["id"] for d in plan["delete"]}
    assert doomed
    code, out, err = cli(
        fake,
        capsys,
        "snapshots",
        "prune",
        *POLICY,
        "--resource-type",
        "volume",
        "--name",
        "data-16-*",
        "--apply",
        "--yes",
    )
    assert code == 0, err
    assert f"Deleted {len(doomed)} snapshots; 0 already gone; 0 failed; 0 not attempted." in out
    assert set(fake.deleted_ids) == doomed and len(fake.deleted_ids) == len(doomed)


def test_prune_apply_refused_without_tty(fake, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, _, err = cli(fake, capsys, "snapshots", "prune", *POLICY, "--apply")
    assert code == 2 and "--yes" in err
    assert fake.deleted_ids == []


@pytest.mark.parametrize("answer, deletes", [("y\n", True), ("n\n", False), ("", False)])
def test_prune_apply_asks_on_a_tty(fake, capsys, monkeypatch, answer, deletes):
    monkeypatch.setattr(sys, "stdin", _TTY(answer))
    code, _, err = cli(fake, capsys, "snapshots", "prune", *POLICY, "--name", "worker-12-*", "--apply")
    assert "? [y/N]" in err
    assert code == (0 if deletes else 1)
    assert bool(fake.deleted_ids) == deletes


def test_prune_usage_errors(fake, capsys):
    code, _, err = cli(fake, capsys, "snapshots", "prune")
    assert code == 2 and "--keep-" in err
    code, _, err = cli(fake, capsys, "snapshots", "prune", "--keep-last", "1", "--yes")
    assert code == 2 and "--apply" in err
    code, _, err = cli(fake, capsys, "snapshots", "prune", "--keep-within", "soon")
    assert code == 2
    code, _, err = cli(fake, capsys, "snapshots", "prune", "--keep-last", "1", "--all-contexts")
    assert code == 2 and "--context" in err


def test_prune_stops_on_403(fake, capsys):
    plan = plan_of(fake, capsys)
    first = plan["delete"][0]["id"]
    fake.configure(delete_failures={first: 403})
    code, out, err = cli(fake, capsys, "snapshots", "prune", *POLICY, "--apply", "--yes", "--max-concurrency", "1")
    assert code == 3
    assert "stopped" in err and "403" in err
    assert "0 failed" not in out


# --------------------------------------------------------------------------------------------- doctl contexts


@pytest.fixture
def doctl_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text("access-token: tok-a\nauth-contexts:\n  team: tok-b\ncontext: default\n")
    monkeypatch.setenv("DIGITALOCEAN_CONFIG", str(p))
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN")
    return p


def test_context_option(doctl_config, capsys):
    with FakeDigitalOcean(7, token="tok-b") as fake:
        code, out, err = cli(fake, capsys, "--context", "team", "snapshots", "list", "--all", "--format", "json")
        assert code == 0, err
        assert len(json.loads(out)) == 7
        code, _, err = cli(fake, capsys, "snapshots", "list", "--context", "default")
        assert code == 3 and "tok-" not in err  # the default context's token is refused by this fake
        code, _, err = cli(fake, capsys, "--context", "nope", "snapshots", "list")
        assert code == 2 and "nope" in err and "tok-" not in err


def test_all_contexts(doctl_config, capsys):
    with FakeDigitalOcean(4, token=None) as fake:
        code, out, err = cli(fake, capsys, "--all-contexts", "snapshots", "list", "--format", "json")
        assert code == 0, err
        rows = json.loads(out)
        assert [r["account"] for r in rows] == ["default"] * 4 + ["team"] * 4
        code, out, _ = cli(fake, capsys, "--all-contexts", "snapshots", "list")
        assert out.splitlines()[0].startswith("Account")
        code, out, _ = cli(fake, capsys, "--all-contexts", "snapshots", "cost", "--by", "account", "--format", "json")
        assert code == 0
        assert {r["group"]: r["count"] for r in json.loads(out)} == {"default": 4, "team": 4}
        code, _, err = cli(fake, capsys, "--all-contexts", "--context", "team", "snapshots", "list")
        assert code == 2
