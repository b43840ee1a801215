"""docs/cli.md stays true: its ``$ gradientai-rs`` lines run against the fake API (through the environment variables
a user would set), and every option it names is in some ``--help``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gradientai_rs.__main__ import main
from gradientai_rs.testing import FakeDigitalOcean, generate_snapshots

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cli.md"
# scripts/check_wheel.sh runs the suite from a copy of tests/ beside the README only: no docs/ there.
pytestmark = pytest.mark.skipif(not DOC.is_file(), reason="needs the source tree (docs/cli.md)")
EXAMPLE = {
    "id": "6372321",
    "name": "web-01-1595954862243",
    "created_at": "2020-07-28T16:47:44Z",
    "regions": ["nyc3", "sfo3"],
    "resource_id": "200776916",
    "resource_type": "droplet",
    "min_disk_size": 25,
    "size_gigabytes": 2.34,
    "tags": ["web", "env:prod"],
}


def console_lines() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_the_examples_run():
    lines = console_lines()
    assert len(lines) >= 10
    with FakeDigitalOcean([EXAMPLE, *generate_snapshots(449, seed=5)], token="fake-token") as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADIENT", "DIGITALOCEAN"))}
        env.update(DIGITALOCEAN_ACCESS_TOKEN="fake-token", GRADIENT_BASE_URL=fake.url)
        env["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + env.get("PYTHONPATH", "")
        for line in lines:
            args = line.split()
            assert args[0] == "gradientai-rs"
            out = subprocess.run(
                [sys.executable, "-m", "gradientai_rs", *[a.strip("'") for a in args[1:]]],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert out.returncode == 0, f"{line}: {out.stderr}"
            assert out.stdout.strip(), line
        assert "6372321" not in fake.ids()  # the delete example ran


def test_every_option_named_is_in_the_help(capsys: pytest.CaptureFixture[str]):
    helps = []
    for argv in (
        [],
        ["snapshots", "list"],
        ["snapshots", "get"],
        ["snapshots", "delete"],
        ["snapshots", "cost"],
        ["snapshots", "prune"],
        ["demo"],
    ):
        assert main([*argv, "--help"]) == 0
        helps.append(capsys.readouterr().out)
    text = "\n".join(helps)
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", DOC.read_text(encoding="utf-8")))
    assert len(named) > 20
    assert sorted(n for n in named if n not in text) == []
