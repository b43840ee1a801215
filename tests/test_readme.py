"""The README's examples run: every ```python block (in order, one script) and every ``$ gradientai-rs`` line,
against the fake API through the same environment variables a user would set."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gradientai_rs.testing import FakeDigitalOcean, generate_snapshots

README = Path(__file__).resolve().parent.parent / "README.md"
SPEC_EXAMPLE = {
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


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def readme_env():
    with FakeDigitalOcean([SPEC_EXAMPLE, *generate_snapshots(449, seed=5)], token="fake-token") as fake:
        env = dict(os.environ, DIGITALOCEAN_ACCESS_TOKEN="fake-token", GRADIENT_BASE_URL=fake.url)
        env.pop("GRADIENTAI_RS_LOG", None)
        yield fake, env


def test_python_examples_run(readme_env):
    fake, env = readme_env
    code = "\n".join(blocks("python"))
    assert "list_all" in code and "AsyncGradientAI" in code
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    droplets = sum(1 for s in fake.snapshots if s["resource_type"] == "droplet")
    assert f"MetaProperties(total={droplets})" in out.stdout
    assert "fake-token" not in out.stdout + out.stderr


def test_cli_examples_run(readme_env):
    fake, env = readme_env
    lines = [line[2:] for block in blocks("console") for line in block.splitlines() if line.startswith("$ ")]
    assert len(lines) >= 5
    for line in lines:
        args = line.split()
        assert args[0] == "gradientai-rs"
        out = subprocess.run(
            [sys.executable, "-m", "gradientai_rs", *args[1:]], env=env, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, f"{line}: {out.stderr}"
        assert out.stdout.strip(), line
    assert "6372321" not in fake.ids()
