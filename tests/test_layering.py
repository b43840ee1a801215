"""The binding layer's modules form no import cycle: each module of ``src/py`` uses only the modules listed
before it in ``src/py/mod.rs`` (and ``src/core`` never uses pyo3); and no module of the Python package
``python/gradientai_rs`` takes part in an import cycle. Reads the sources, so it needs the source tree (it is
skipped when the tests run against an installed wheel without it)."""

from __future__ import annotations

import ast
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


# --------------------------------------------------------------------------- the Python package

PACKAGE = ROOT / "python" / "gradientai_rs"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_imports(root: Path) -> dict[str, set[str]]:
    """Each Python source of the package -> the modules of the package it imports, anywhere in the file (at the
    top, in functions, under ``if TYPE_CHECKING:``), absolute or relative, ``from . import x`` included.

    A compiled module counts as a module (its stub names it: ``from . import _core`` imports ``_core``, not the
    package), but its stub's own imports are not read: they describe the types the Rust binding hands back (the
    binding's own imports of Python modules are issue 16's item 2, not a Python import)."""
    stubs = {_module_name(p, root) for p in root.rglob("*.pyi")}
    files = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = stubs | set(files)
    graph: dict[str, set[str]] = {name: set() for name in stubs}
    for name, path in files.items():
        is_package = path.stem == "__init__"
        used: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                used.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    package = name.split(".")
                    if not is_package:
                        package.pop()
                    package = package[: len(package) - (node.level - 1)]
                    base = ".".join(package + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one, else ``pkg``
                for alias in node.names:
                    used.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {m for m in used if m in modules and m != name}
    return graph


def _import_cycles(root: Path) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted; self-imports ignored."""
    graph = _python_imports(root)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def test_the_python_package_has_no_import_cycle() -> None:
    if not PACKAGE.exists():
        pytest.skip("needs the source tree")
    graph = _python_imports(PACKAGE)
    assert "gradientai_rs.testing._fake" in graph and graph["gradientai_rs.testing"], "the import graph is empty"
    assert _import_cycles(PACKAGE) == []


def test_the_cycle_finder_finds_cycles(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import e\n")
    (pkg / "a.py").write_text("def f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import a\n")
    (pkg / "c.py").write_text("import pkg.d\n")
    (pkg / "d.py").write_text("from pkg import c\nfrom . import c as again\n")
    (pkg / "e.py").write_text("from . import a, ext\nfrom .ext import X\nimport json\n")
    (pkg / "ext.pyi").write_text("X: int\n")
    assert _import_cycles(pkg) == [["pkg.a", "pkg.sub.b"], ["pkg.c", "pkg.d"]]
