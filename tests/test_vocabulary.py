"""One list per vocabulary: the stub's ``Literal``s and the ``Snapshot`` properties it declares are exactly the
core's names (``_core.SORT_FIELDS`` and friends, derived from the Rust enums and from the one declaration of the
snapshot's fields), in the core's order, so a stub can't drift from the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import gradientai_rs
from gradientai_rs import _core

STUB = Path(gradientai_rs.__file__).with_name("_core.pyi")

# Stub alias -> the core's tuple.
LITERALS = {
    "_SortField": "SORT_FIELDS",
    "_GroupBy": "GROUP_BY_KEYS",
    "_SummaryBy": "SUMMARY_KEYS",
    "_ResourceType": "RESOURCE_TYPES",
}


@pytest.fixture(scope="module")
def stub() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def literal_aliases(tree: ast.Module) -> Dict[str, Tuple[str, ...]]:
    """``_Name = Literal["a", "b"]`` at module level, as ``{"_Name": ("a", "b")}``."""
    out: Dict[str, Tuple[str, ...]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        value = node.value
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id == "Literal":
            items = value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice]
            out[node.targets[0].id] = tuple(ast.literal_eval(item) for item in items)
    return out


def properties(tree: ast.Module, cls: str) -> List[str]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return [
                f.name
                for f in node.body
                if isinstance(f, ast.FunctionDef)
                and any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list)
            ]
    raise AssertionError(f"class {cls} is not in the stub")


@pytest.mark.parametrize("alias, name", sorted(LITERALS.items()))
def test_each_literal_is_the_core_tuple(stub: ast.Module, alias: str, name: str) -> None:
    core = getattr(_core, name)
    assert isinstance(core, tuple) and core and all(isinstance(n, str) for n in core)
    assert literal_aliases(stub)[alias] == core


def test_every_literal_of_a_vocabulary_is_checked(stub: ast.Module) -> None:
    """Any ``Literal`` alias that holds one of the core's names must be one of the aliases checked above."""
    names = {n for tup in LITERALS.values() for n in getattr(_core, tup)}
    unchecked = [a for a, lit in literal_aliases(stub).items() if set(lit) & names and a not in LITERALS]
    assert unchecked == []


def test_snapshot_properties_are_the_declared_fields(stub: ast.Module) -> None:
    assert properties(stub, "Snapshot") == list(_core.SNAPSHOT_FIELDS)
    # ... and the class has them, in that order (its repr lists every declared field).
    r = repr(_core.Snapshot())
    assert re.findall(r"(\w+)=", r) == list(_core.SNAPSHOT_FIELDS)


def test_the_core_accepts_exactly_its_names() -> None:
    rows = _core.SnapshotList([_core.Snapshot(id="1", name="a", created_at="2024-01-01T00:00:00Z", tags=["t"])])
    for field in _core.SORT_FIELDS:
        assert len(rows.sort_by(field)) == 1
    for key in _core.GROUP_BY_KEYS:
        rows.most_recent(key)
    for key in _core.SUMMARY_KEYS:
        if key == "account":
            with pytest.raises(ValueError, match="list_all_accounts"):
                rows.summary(key)
        elif key == "source":
            with pytest.raises(ValueError, match=r"with_sources=True"):
                rows.summary(key)
        else:
            rows.summary(key)
    for kind in _core.RESOURCE_TYPES:
        assert len(rows.select(resource_type=kind)) == 0
    with pytest.raises(ValueError, match=", ".join(_core.SORT_FIELDS)):
        rows.sort_by("size")
    with pytest.raises(ValueError, match=", ".join(_core.GROUP_BY_KEYS)):
        rows.most_recent("host")
    with pytest.raises(ValueError, match=", ".join(_core.SUMMARY_KEYS)):
        rows.summary("size")
    with pytest.raises(ValueError, match="'droplet', 'volume'"):
        rows.select(resource_type="image")
