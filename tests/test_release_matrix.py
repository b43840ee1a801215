"""The release workflow and scripts/build_wheels.sh name the same Linux wheels, built with the same flags and the
same maturin/zig, so a local build is the CI build and the two cannot drift apart (issue 21)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is in the test extra")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
BUILD = ROOT / "scripts" / "build_wheels.sh"

pytestmark = pytest.mark.skipif(
    not WORKFLOW.exists() or not BUILD.exists(), reason="needs a checkout (the workflow and scripts/)"
)

Row = Tuple[str, str, str]


def workflow() -> Dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def script() -> str:
    return BUILD.read_text(encoding="utf-8")


def script_rows() -> List[Row]:
    block = re.search(r"^LINUX_WHEELS=\(\n(.*?)^\)", script(), re.S | re.M)
    assert block, "build_wheels.sh has a LINUX_WHEELS=( ... ) table"
    rows = [tuple(line.split()) for line in re.findall(r'^\s*"([^"]+)"\s*$', block.group(1), re.M)]
    assert rows and all(len(r) == 3 for r in rows), rows
    return rows  # type: ignore[return-value]


def step_using(steps: List[Dict[str, Any]], action: str) -> Dict[str, Any]:
    found = [s for s in steps if str(s.get("uses", "")).startswith(action + "@")]
    assert len(found) == 1, f"one {action} step, got {len(found)}"
    return found[0]


def options(tokens: List[str]) -> Dict[str, str]:
    """``--a --b v`` -> {"--a": "", "--b": "v"}; order-free, every option once."""
    out: Dict[str, str] = {}
    i = 0
    while i < len(tokens):
        name = tokens[i]
        assert name.startswith("-"), tokens
        value = ""
        if i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
            value = tokens[i + 1]
            i += 1
        assert name not in out, f"{name} given twice in {tokens}"
        out[name] = value
        i += 1
    return out


def workflow_flags(step: Dict[str, Any]) -> Dict[str, str]:
    """The maturin flags of a maturin-action step, `${{ matrix.x }}` written as `{x}`."""
    args = re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", r"{\1}", step["with"]["args"])
    flags = options(shlex.split(args))
    assert "--target" not in flags, "the target goes in maturin-action's `target` input"
    flags["--target"] = re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", r"{\1}", step["with"]["target"])
    return flags


def script_flags() -> Dict[str, str]:
    line = re.search(r"^\s*local maturin_args=\((.*)\)\s*$", script(), re.M)
    assert line, "build_wheels.sh builds with `local maturin_args=(...)`"
    tokens = [re.sub(r'^"\$(\w+)"$', lambda m: "{" + m.group(1) + "}", t) for t in line.group(1).split()]
    return options(tokens)


def test_linux_matrix_is_the_scripts_table() -> None:
    rows = [
        (r["target"], r["compatibility"], r["tag"])
        for r in workflow()["jobs"]["linux"]["strategy"]["matrix"]["include"]
    ]
    assert rows == script_rows()


def test_rows_are_consistent() -> None:
    for target, compatibility, tag in script_rows():
        arch, _, _, libc = target.split("-")
        assert tag.endswith("_" + arch), (target, tag)
        want = {"gnu": ("manylinux2014", "manylinux_2_17_"), "musl": ("musllinux_1_2", "musllinux_1_2_")}[libc]
        assert (compatibility, tag[: len(want[1])]) == want, (target, compatibility, tag)


def test_the_readme_promise_is_built() -> None:
    """x86_64 and aarch64, glibc and musl: the four wheels the install docs list."""
    assert {r[0] for r in script_rows()} == {
        f"{arch}-unknown-linux-{libc}" for arch in ("x86_64", "aarch64") for libc in ("gnu", "musl")
    }


def test_linux_job_builds_with_the_scripts_flags() -> None:
    step = step_using(workflow()["jobs"]["linux"]["steps"], "PyO3/maturin-action")
    assert step["with"]["command"] == "build"
    assert step["with"]["container"] == "off", "zig on the runner, as locally, not maturin-action's Docker images"
    assert workflow_flags(step) == script_flags()
    assert script_flags() == {
        "--release": "",
        "--zig": "",
        "--compatibility": "{compatibility}",
        "--target": "{target}",
        "--out": "dist",
    }


def test_free_threaded_rows_use_the_linux_floor() -> None:
    """The cp314t wheels: the abi3 build's flags plus `-i python3.14t`; the Linux rows with the same zig floor."""
    job = workflow()["jobs"]["free-threaded"]
    step = step_using(job["steps"], "PyO3/maturin-action")
    rows = job["strategy"]["matrix"]["include"]
    linux = {r["target"] for r in rows if "-linux-" in r["target"]}
    assert linux == {r[0] for r in script_rows() if r[0].endswith("-gnu")}
    for row in rows:
        args = re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", lambda m, row=row: str(row[m.group(1)]), step["with"]["args"])
        flags = options(shlex.split(args))
        want = {"--release": "", "-i": "python3.14t", "--out": "dist"}
        if row["target"] in linux:
            want.update({"--zig": "", "--compatibility": "manylinux2014"})
        assert flags == want, row


def test_same_maturin_and_zig() -> None:
    env = workflow()["env"]
    text = script()
    maturin = re.search(r"'maturin\[zig\]==([\d.]+)\.\*'", text)
    zig = re.search(r"'ziglang==([\d.]+)'", text)
    assert maturin and zig
    assert env["MATURIN_VERSION"].startswith(maturin.group(1) + "."), (env["MATURIN_VERSION"], maturin.group(1))
    assert env["ZIGLANG_VERSION"] == zig.group(1)


def test_auditwheel_gate_is_the_scripts() -> None:
    """Both run scripts/audit_wheel.sh on the cp39-abi3 wheel with the row's tag."""
    run = next(s["run"] for s in workflow()["jobs"]["linux"]["steps"] if "audit_wheel.sh" in str(s.get("run", "")))
    assert 'bash scripts/audit_wheel.sh "$wheel" "$TAG"' in run
    assert "cp39-abi3" in run
    assert workflow()["jobs"]["linux"]["env"]["TAG"] == "${{ matrix.tag }}"
    assert 'bash scripts/audit_wheel.sh "$wheel" "$tag"' in script()
    assert "cp39-abi3" in script()


def test_every_built_wheel_is_tested_or_said_not_to_be() -> None:
    jobs = workflow()["jobs"]
    tested = {r["wheels"] for r in jobs["test"]["strategy"]["matrix"]["include"]}
    tested |= {r["wheels"] for r in jobs["test-musllinux"]["strategy"]["matrix"]["include"]}
    built = {f"wheels-linux-{r[0]}" for r in script_rows()}
    built |= {f"wheels-cp314t-{r['target']}" for r in jobs["free-threaded"]["strategy"]["matrix"]["include"]}
    assert built <= tested, built - tested


def test_actions_are_pinned_by_commit() -> None:
    """What zizmor's unpinned-uses audit enforces, kept here too so pytest alone catches a `@v4`."""
    for name, job in workflow()["jobs"].items():
        for step in job["steps"]:
            uses = step.get("uses")
            if uses:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", uses), (name, uses)
    for line in WORKFLOW.read_text(encoding="utf-8").splitlines():
        if re.search(r"uses: \S+@[0-9a-f]{40}", line):
            assert re.search(r"# v\d+(\.\d+)*$", line), f"the pinned tag in a comment: {line.strip()}"
