"""``select(name=re.compile(...))`` selects exactly what ``re.search`` selects, or refuses the pattern naming the
construct and the reason (issue 19, item 5). Python's ``re`` is the oracle: every pattern here, and those that
hypothesis builds, is run by both and must agree on every name, or be refused."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
import warnings
from typing import List, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradientai_rs import SnapshotList, _core

NAMES = [
    "web",
    "web\n",
    "web-01",
    "Web-02",
    "db",
    "a",
    "aa",
    "aaa",
    "b",
    "[",
    "]",
    ":",
    "&",
    "~",
    "-",
    "a&&b",
    "x{,2}",
    "{",
    "<web>",
    "ı",
    "İ",
    "I",
    "i",
    "K",
    "\u212a",  # Kelvin sign
    "½",
    "é",
    "e\u0301",
    "\x1c",
    "\u2028",
    "a b",
    "_",
    "‿",
    "Ⓐ",
    "٣",
    "",
]


def rows(names: List[str]) -> SnapshotList:
    data = json.dumps([{"id": str(i), "name": n} for i, n in enumerate(names)])
    return _core._snapshot_list_from_json(data, len(names), 1)


def selected(pattern: "re.Pattern[str]", names: List[str]) -> Optional[List[str]]:
    """The names ``select`` keeps, or ``None`` when it refuses the pattern (a ValueError naming ``name``)."""
    try:
        got = rows(names).select(name=pattern)
    except ValueError as exc:
        assert str(exc).startswith("name: the regex"), exc
        return None
    return [s.name for s in got]


def oracle(pattern: "re.Pattern[str]", names: List[str]) -> List[str]:
    return [n for n in names if pattern.search(n)]


def compile_quietly(source: str, flags: int = 0) -> "re.Pattern[str]":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Python's "Possible nested set" and friends
        return re.compile(source, flags)


# The examples of the issue: on main these selected something else than re.search.
DIFFERED = [
    r"[[:alpha:]]",
    r"[a[b]]",
    r"[a&&b]",
    r"[a~~b]",
    r"[\w&&\d]",
    r"[+--b]",
    r"[a-]",
    r"[]a]",
    r"[^]a]",
    r"web$",
    r"a{,2}",
    r"x{,2}",
    r"\w{500}",
    r"a{x}",
    r"\<web\>",
    r"\w",
    r"\s",
    r"[\s]",
    r"\W",
    r"(?i)i",
    r"(?i)[h-j]",
    r"(?i)[^i]",
    r"[[:digit:]]+",
    r"[a-z&&[^aeiou]]",
    r"(?x) w e b  # comment",
    r"(?x)[ ]",
    r"(?x)a{1, 2}",
    r"(?#note)web",
    r"web\Z",
]


@pytest.mark.parametrize("source", DIFFERED)
def test_issue_examples_match_re_search(source: str) -> None:
    pattern = compile_quietly(source)
    assert selected(pattern, NAMES) == oracle(pattern, NAMES), source


def test_the_issue_counts() -> None:
    names = [f"name-{c}" for c in "abcdefghi"] + ["[", ":", "x", "y", "z", "A"]
    for source in (r"[[:alpha:]]", r"[a[b]]"):
        pattern = compile_quietly(source)
        assert selected(pattern, names) == oracle(pattern, names)
    assert selected(re.compile("web$"), ["web\n"]) == ["web\n"]


@pytest.mark.parametrize(
    "source, flags, needle",
    [
        (r"web(?=-)", 0, "look-ahead"),
        (r"(?<=w)eb", 0, "look-behind"),
        (r"(a)\1", 0, "back-reference"),
        (r"(?P<x>a)(?P=x)", 0, "back-reference"),
        (r"\bweb\b", 0, "word boundary"),
        (r"web$x", 0, "`$` followed by more pattern"),
        (r"(web$)?", 0, "`$` followed by more pattern"),
        (r"web", re.ASCII, "re.ASCII"),
        (r"(?a:web)", 0, "re.ASCII"),
        (r"\w{5000}", 0, "too large once compiled"),
    ]
    + ([(r"a*+", 0, "possessive"), (r"(?>a)", 0, "atomic group")] if sys.version_info >= (3, 11) else []),
)
def test_refused_with_the_real_reason(source: str, flags: int, needle: str) -> None:
    with pytest.raises(ValueError, match="name: the regex") as info:
        rows(NAMES).select(name=re.compile(source, flags))
    assert needle in str(info.value)
    assert "look-around or back-references" not in str(info.value) or needle in ("look-ahead", "look-behind")


def test_multiline_and_dotall() -> None:
    names = ["web\nx", "x\nweb", "web\n", "a\nb"]
    for source, flags in [("web$", re.M), ("^web", re.M), ("a.b", re.S), ("a.b", 0), ("(?m:web$)|zz", 0)]:
        pattern = re.compile(source, flags)
        assert selected(pattern, names) == oracle(pattern, names), (source, flags)


@pytest.fixture(scope="module")
def assigned() -> List[str]:
    """Every assigned code point of this Python's Unicode version (a character assigned since then may differ:
    see ``core::python_re``'s known limit)."""
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) != "Cn"]


@pytest.fixture(scope="module")
def assigned_rows(assigned: List[str]) -> SnapshotList:
    return rows(assigned)


@pytest.mark.parametrize("source", [r"\w", r"\s", r"\d", r"\W", r"[^\s]", r"(?i)[a-z]"])
def test_classes_agree_on_every_character(source: str, assigned: List[str], assigned_rows: SnapshotList) -> None:
    pattern = re.compile(source)
    assert [s.name for s in assigned_rows.select(name=pattern)] == oracle(pattern, assigned)


def test_ignorecase_agrees_on_every_cased_character(assigned: List[str]) -> None:
    cased = sorted(
        {c for c in assigned if c.lower() != c or c.upper() != c}
        | {t for c in assigned for t in (c.lower(), c.upper()) if len(t) == 1}
    )
    listing = rows(cased)
    for p in ("i", "k", "s", "ß", "σ", "ǅ", "İ", "ı", "[h-j]", "[^i]"):
        pattern = re.compile(p if p.startswith("[") else re.escape(p), re.IGNORECASE)
        assert [s.name for s in listing.select(name=pattern)] == oracle(pattern, cased), p


# ---------------------------------------------------------------------------------------------- hypothesis

ATOMS = st.sampled_from(
    [
        "a",
        "b",
        "i",
        "I",
        ".",
        "-",
        "&",
        "~",
        ":",
        "[",
        "]",
        "{",
        "}",
        ",",
        "^",
        "$",
        r"\w",
        r"\W",
        r"\s",
        r"\d",
        r"\Z",
        r"\A",
        r"\n",
        r"\<",
        r"\.",
        r"\x41",
        " ",
        "#",
        "ı",
        "½",
    ]
)


@st.composite
def python_patterns(draw: st.DrawFn) -> str:
    parts = draw(st.lists(ATOMS, min_size=1, max_size=8))
    out = []
    for p in parts:
        wrap = draw(st.sampled_from(["", "", "", "class", "group", "rep"]))
        if wrap == "class":
            p = (
                "["
                + draw(st.sampled_from(["", "^"]))
                + p
                + draw(st.sampled_from(["", "a", "&&b", "--", "[:", "-z"]))
                + "]"
            )
        elif wrap == "group":
            p = "(" + draw(st.sampled_from(["", "?:", "?i:", "?-i:", "?m:", "?x:"])) + p + "|b)"
        elif wrap == "rep":
            p += draw(st.sampled_from(["*", "+", "?", "{,2}", "{1}", "{1,}", "{,}", "{1,2}", "{x}", "*?"]))
        out.append(p)
    return "".join(out)


NAME_ALPHABET = st.sampled_from(list("aAbBiIıİ-&~:[]{},.^$ \n#_½é\u0301<>x") + ["web", "\x1c"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=python_patterns(),
    flags=st.sampled_from([0, re.I, re.M, re.S, re.X, re.A, re.I | re.M, re.X | re.S]),
    names=st.lists(st.lists(NAME_ALPHABET, max_size=6).map("".join), min_size=1, max_size=12),
)
def test_random_patterns_agree_with_re_search_or_are_refused(source: str, flags: int, names: List[str]) -> None:
    try:
        pattern = compile_quietly(source, flags)
    except (re.error, ValueError):
        return  # not a Python pattern: nothing to compare
    got = selected(pattern, names)
    if got is not None:
        assert got == oracle(pattern, names), (source, flags)
