"""The binding layer's modules form no import cycle: each module of ``src/py`` uses only the modules listed
before it in ``src/py/mod.rs`` (and ``src/core`` never uses pyo3). Reads the Rust sources, so it needs the
source tree (it is skipped when the tests run against an installed wheel without it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / "src" / "py"


@pytest.fixture(scope="module")
def order() -> list[str]:
    if not (PY / "mod.rs").exists():
        pytest.skip("needs the source tree")
    doc = "".join(line[3:] for line in (PY / "mod.rs").read_text().splitlines() if line.startswith("//!"))
    names = re.findall(r"`(\w+)`", doc.split("Modules by job", 1)[1])
    return [n for n in names if (PY / f"{n}.rs").exists()]


def test_every_module_is_in_the_documented_order(order: list[str]) -> None:
    modules = sorted(p.stem for p in PY.glob("*.rs") if p.stem != "mod")
    assert sorted(order) == modules


def test_each_module_uses_only_earlier_ones(order: list[str]) -> None:
    position = {name: i for i, name in enumerate(order)}
    later = []
    for name in order:
        used = set(re.findall(r"(?:crate|\$crate)::py::(\w+)", (PY / f"{name}.rs").read_text())) - {name}
        later += [(name, other) for other in used if position[other] > position[name]]
    assert later == [], f"modules that use a module listed after them in src/py/mod.rs: {later}"


def test_the_core_knows_nothing_of_python() -> None:
    if not (ROOT / "src" / "core").exists():
        pytest.skip("needs the source tree")
    offenders = [p.name for p in (ROOT / "src" / "core").rglob("*.rs") if re.search(r"\bpyo3\b", p.read_text())]
    assert offenders == []
