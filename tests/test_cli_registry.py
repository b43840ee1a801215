"""The CLI's extension points hold: a new command is one ``Command`` plus one registration (it gets the global
options, every output format, the exit codes and the escaping for free), a new output format is one writer in
``WRITERS``, and the vocabularies are the core's."""

from __future__ import annotations

import argparse
import csv
import io
import json
from typing import Iterator, List

import pytest

from gradientai_rs import _core
from gradientai_rs.cli import COMMANDS, GROUPS, Command, Group, _output, _registry, main
from gradientai_rs.cli._common import EXIT_OK, UsageError, client
from gradientai_rs.cli._options import int_type, output_options
from gradientai_rs.cli._output import Column, Out, Row, Table, emit
from gradientai_rs.cli._parser import build_parser
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    monkeypatch.delenv("GRADIENTAI_RS_REQUESTS_PER_MINUTE", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(9, seed=1, token=TOKEN) as f:
        yield f


# A stand-in for the next command family (``droplets list``), written the way the package docstring says.
REGION_COLUMNS = {"slug": Column("slug", "Slug"), "snapshots": Column("snapshots", "Snapshots")}


def _regions_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min", metavar="N", type=int_type(0, 100), default=0, help="at least N snapshots")
    output_options(p, json_help="json: an array", columns=REGION_COLUMNS)


def _regions_run(args: argparse.Namespace) -> int:
    if args.min == 99:
        raise UsageError("--min 99 is unlucky")
    with client(args) as c:
        listing = c.gpu_droplets.snapshots.list_all()
    counts: dict[str, int] = {}
    for s in listing:
        for r in s.regions or []:
            counts[r] = counts.get(r, 0) + 1
    rows = [Row({"slug": k, "snapshots": v}) for k, v in sorted(counts.items()) if v >= args.min]
    keys = args.columns or list(REGION_COLUMNS)
    emit(rows, args.format, [REGION_COLUMNS[k] for k in keys], not args.no_header, raw=args.raw)
    return EXIT_OK


REGIONS_LIST = Command(
    path=("regions", "list"),
    help="snapshots per region",
    description="Counts snapshots per region.",
    add_arguments=_regions_arguments,
    run=_regions_run,
)
REGIONS = Group("regions", help="regions", description="Regions of the snapshots.")


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one registration: a line in COMMANDS (and, for a new family, one in GROUPS)."""
    monkeypatch.setattr(_registry, "COMMANDS", (*COMMANDS, REGIONS_LIST))
    monkeypatch.setattr(_registry, "GROUPS", (*GROUPS, REGIONS))


def counts_of(fake: FakeDigitalOcean) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in fake.snapshots:
        for r in s["regions"]:
            counts[r] = counts.get(r, 0) + 1
    return counts


def test_a_registered_command_gets_every_format_and_the_global_options(registered, fake, capsys):
    want = counts_of(fake)
    assert main(["--base-url", fake.url, "regions", "list", "-o", "json"]) == 0
    assert {d["slug"]: d["snapshots"] for d in json.loads(capsys.readouterr().out)} == want
    assert main(["regions", "list", "--base-url", fake.url, "-o", "csv", "--columns", "slug"]) == 0
    assert [r[0] for r in csv.reader(io.StringIO(capsys.readouterr().out))] == ["slug", *sorted(want)]
    assert main(["regions", "list", "--base-url", fake.url, "--requests-per-minute", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["Slug", "Snapshots"]
    assert main(["regions", "--help"]) == 0 and "list" in capsys.readouterr().out


def test_a_registered_command_gets_the_exit_codes(registered, fake, capsys, monkeypatch):
    assert main(["--base-url", fake.url, "regions", "list", "--min", "101"]) == 2  # parse-time check
    assert "--min" in capsys.readouterr().err
    assert main(["--base-url", fake.url, "regions", "list", "--min", "99"]) == 2
    assert capsys.readouterr().err == "error: --min 99 is unlucky\n"
    fake.enqueue(500)
    assert main(["--base-url", fake.url, "--max-retries", "0", "regions", "list"]) == 3
    monkeypatch.delenv("DIGITALOCEAN_ACCESS_TOKEN")
    assert main(["--base-url", fake.url, "regions", "list"]) == 5


def test_a_new_format_is_one_writer(monkeypatch, fake, capsys):
    def write_tsv(out: Out, t: Table) -> None:
        keys = [c.key for c in t.columns]
        if t.header:
            out.write("\t".join(keys) + "\n")
        for row in t.rows:
            out.write("\t".join(_output.plain(row.data.get(k)) for k in keys) + "\n")

    monkeypatch.setitem(_output.WRITERS, "tsv", write_tsv)
    assert main(["--base-url", fake.url, "snapshots", "list", "-o", "tsv", "--columns", "id,name"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["id\tname"] + [f"{s['id']}\t{s['name']}" for s in fake.snapshots]
    assert main(["--base-url", fake.url, "snapshots", "cost", "-o", "tsv", "--no-header"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len({s["resource_type"] for s in fake.snapshots})


def test_emit_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="format must be one of table, json, jsonl, csv"):
        emit([], "xml", [], True)


def _choices(argv: List[str], dest: str) -> tuple[str, ...]:
    parser = build_parser()
    sub = parser
    for name in argv:
        sub = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction)).choices[name]  # type: ignore[assignment]
    action = next(a for a in sub._actions if a.dest == dest)
    if action.choices is not None:
        return tuple(action.choices)
    return ()


def test_choices_are_the_core_vocabularies():
    from gradientai_rs.cli import _vocab

    assert _choices(["snapshots", "list"], "sort") == _vocab.SORT_FIELDS
    assert _choices(["snapshots", "prune"], "group_by") == _vocab.GROUP_BY_KEYS
    assert _choices(["snapshots", "cost"], "by") == _vocab.SUMMARY_KEYS
    for cmd in ("list", "cost", "prune"):
        assert _choices(["snapshots", cmd], "resource_type") == _vocab.RESOURCE_TYPES
    from gradientai_rs.cli.snapshots import SNAPSHOT_COLUMNS

    assert tuple(SNAPSHOT_COLUMNS) == _vocab.SNAPSHOT_FIELDS
    for name in ("SORT_FIELDS", "GROUP_BY_KEYS", "SUMMARY_KEYS", "RESOURCE_TYPES", "SNAPSHOT_FIELDS"):
        assert getattr(_vocab, name) == tuple(getattr(_core, name)), name
