"""CI's short soak: ``scripts/soak.py --iterations 150 --warmup 30`` must pass (flat RSS, fds, threads)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[1] / "scripts" / "soak.py"


@pytest.mark.timeout(60)
def test_short_soak() -> None:
    proc = subprocess.run(
        [sys.executable, str(SOAK), "--iterations", "150", "--warmup", "30"], capture_output=True, text=True, timeout=50
    )
    print(proc.stdout)
    assert proc.returncode == 0, f"soak failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    assert "verdict: PASS" in proc.stdout
