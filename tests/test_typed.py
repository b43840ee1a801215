"""The typed example (``tests/typed/example.py``) type-checks under ``mypy --strict`` and ``pyright`` against the
shipped stubs, and runs against the fake API (so what the stubs promise is what the runtime gives)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gradientai_rs.testing import FakeDigitalOcean

EXAMPLE = Path(__file__).parent / "typed" / "example.py"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=EXAMPLE.parent)


def test_example_passes_mypy_strict() -> None:
    out = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(EXAMPLE))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success: no issues found" in out.stdout


def test_example_passes_pyright() -> None:
    pyright = Path(sys.executable).with_name("pyright")
    assert pyright.exists(), "pyright is in the test extra"
    out = _run(str(pyright), "--pythonpath", sys.executable, str(EXAMPLE))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 errors" in out.stdout


def test_mypy_catches_a_wrong_type(tmp_path: Path) -> None:
    # The check above can fail: a script that misuses a typed result is rejected.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from gradientai_rs import GradientAI\nx: int = GradientAI().gpu_droplets.snapshots.list().snapshots\n"
    )
    out = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad))
    assert out.returncode == 1 and "list[Snapshot]" in out.stdout, out.stdout


def test_example_runs_against_the_fake() -> None:
    with FakeDigitalOcean(45, seed=7) as fake:
        env = dict(os.environ, PYTHONPATH="")
        out = subprocess.run(
            [sys.executable, str(EXAMPLE), fake.url], capture_output=True, text=True, timeout=120, env=env
        )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.split()[1].isdigit()
