"""One version everywhere: Cargo.toml's ``[package] version`` is the source of truth (maturin puts it in the
wheel's metadata, ``env!("CARGO_PKG_VERSION")`` in ``__version__``), and ``--version``, the installed metadata and
CHANGELOG.md agree with it. scripts/check_wheel.sh runs these against the installed wheel from a copy of tests/
beside copies of Cargo.toml and CHANGELOG.md, with GRADIENTAI_RS_EXPECT_INSTALLED=1."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import gradientai_rs
from gradientai_rs.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
CARGO_TOML = ROOT / "Cargo.toml"
CHANGELOG = ROOT / "CHANGELOG.md"


def cargo_version() -> str:
    text = CARGO_TOML.read_text(encoding="utf-8")
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        match = re.search(r'^\[package\]$.*?^version\s*=\s*"([^"]+)"', text, flags=re.M | re.S)
        assert match, "no [package] version in Cargo.toml"
        return match.group(1)
    return str(tomllib.loads(text)["package"]["version"])


@pytest.fixture(scope="module")
def version() -> str:
    """Cargo.toml's version; without a Cargo.toml next to tests/, the installed distribution's."""
    if CARGO_TOML.is_file():
        return cargo_version()
    return importlib.metadata.version("gradientai-rs")


def test_module_version(version: str) -> None:
    assert gradientai_rs.__version__ == version


def test_distribution_metadata_version(version: str) -> None:
    assert importlib.metadata.version("gradientai-rs") == version


def test_cli_version(version: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gradientai-rs {version}"
    # The console script pip installed next to this interpreter.
    script = Path(sysconfig.get_path("scripts")) / ("gradientai-rs.exe" if os.name == "nt" else "gradientai-rs")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == f"gradientai-rs {version}"


def test_changelog_has_this_version(version: str) -> None:
    if not CHANGELOG.is_file():
        pytest.skip(f"no {CHANGELOG.name} next to tests/")
    assert re.search(
        rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", CHANGELOG.read_text(encoding="utf-8"), re.M
    )


@pytest.mark.skipif(os.environ.get("GRADIENTAI_RS_EXPECT_INSTALLED") != "1", reason="set by scripts/check_wheel.sh")
def test_imported_from_installed_wheel() -> None:
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    for module in (gradientai_rs, gradientai_rs._core):
        where = Path(module.__file__ or "").resolve()
        assert any(s in where.parents for s in site), f"{module.__name__} from {where}, not from {site}"
    assert not any((Path(p or ".").resolve() / "gradientai_rs").is_dir() for p in sys.path if "site-packages" not in p)
