"""The CLI's source commands against the fake: ``snapshots orphans``, ``--orphaned`` on list/cost/prune,
``cost --by source``, ``droplets list`` and ``volumes list`` (in-process through ``main``, real HTTP)."""

from __future__ import annotations

import csv
import io
import json
from typing import Iterator

import pytest

from gradientai_rs.cli import main
from gradientai_rs.testing import FakeDigitalOcean

TOKEN = "fake-token"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GRADIENTAI_API_KEY", "GRADIENT_BASE_URL", "GRADIENT_AI_BASE_URL", "GRADIENTAI_RS_LOG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)


@pytest.fixture
def fake() -> Iterator[FakeDigitalOcean]:
    with FakeDigitalOcean(history=True, seed=2, token=TOKEN) as f:
        yield f


def cli(fake, capsys, *argv):
    code = main(["--base-url", fake.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_orphans_prints_them_and_their_monthly_cost(fake, capsys):
    code, out, err = cli(fake, capsys, "snapshots", "orphans", "-o", "json")
    assert code == 0
    ids = [s["id"] for s in json.loads(out)]
    assert ids == fake.orphaned_snapshot_ids()
    gb = sum(s["size_gigabytes"] for s in fake.snapshots if s["id"] in set(ids))
    assert f"{len(ids)} orphaned snapshots" in err and f"{gb:.2f} GB" in err and f"${gb * 0.06:.2f}/month" in err
    code, out, _ = cli(fake, capsys, "snapshots", "orphans")
    assert code == 0 and out.rstrip().splitlines()[-1].startswith(f"{len(ids)} orphaned snapshots")
    assert fake.deleted_ids == []


def test_orphaned_on_list_cost_and_prune(fake, capsys):
    orphans = fake.orphaned_snapshot_ids()
    code, out, _ = cli(fake, capsys, "snapshots", "list", "--orphaned", "-o", "csv", "--columns", "id")
    assert code == 0 and [r["id"] for r in csv.DictReader(io.StringIO(out))] == orphans
    code, out, _ = cli(fake, capsys, "snapshots", "cost", "--by", "source", "-o", "json")
    rows = {r["group"]: r for r in json.loads(out)}
    assert rows["gone"]["count"] == len(orphans) and rows["exists"]["count"] == len(fake.snapshots) - len(orphans)
    code, out, _ = cli(fake, capsys, "snapshots", "cost", "--orphaned", "-o", "json")
    assert sum(r["count"] for r in json.loads(out)) == len(orphans)
    code, out, err = cli(fake, capsys, "snapshots", "prune", "--keep-last", "1", "--orphaned", "-o", "json")
    plan = json.loads(out)
    assert code == 0 and {s["id"] for s in plan["keep"] + plan["delete"]} == set(orphans)
    assert "dry run" in err and fake.deleted_ids == []
    code, _, err = cli(fake, capsys, "snapshots", "list", "--orphaned", "--page", "2")
    assert code == 2 and "--orphaned" in err


def test_a_refused_listing_is_an_error_naming_it(fake, capsys):
    fake.configure(refuse=("gpus",))
    code, out, err = cli(fake, capsys, "snapshots", "orphans")
    assert code != 0 and out == ""
    assert "the GPU droplets listing (needs the droplet:read scope) failed" in err
    code, _, err = cli(fake, capsys, "snapshots", "prune", "--keep-last", "1", "--orphaned", "--apply", "--yes")
    assert code != 0 and "droplet:read" in err and fake.deleted_ids == []


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_droplets_and_volumes_list_in_every_format(fake, capsys, fmt):
    code, out, _ = cli(fake, capsys, "droplets", "list", "--all", "--type", "gpus", "-o", fmt)
    assert code == 0
    gpu_ids = [str(d["id"]) for d in fake.gpu_droplets]
    assert all(i in out for i in gpu_ids)
    code, out, _ = cli(fake, capsys, "volumes", "list", "--all", "-o", fmt)
    assert code == 0 and all(v["id"] in out for v in fake.volumes)
    if fmt == "json":
        region = fake.volumes[0]["region"]["slug"]
        _, out, _ = cli(fake, capsys, "volumes", "list", "--region", region, "-o", "json")
        assert {v["region"]["slug"] for v in json.loads(out)} == {region}
        _, out, _ = cli(fake, capsys, "droplets", "list", "-o", "json", "--per-page", "200")
        assert not {d["id"] for d in json.loads(out)} & {d["id"] for d in fake.gpu_droplets}


def test_droplets_list_refuses_tag_name_with_type(fake, capsys):
    before = fake.request_count
    code, _, err = cli(fake, capsys, "droplets", "list", "--tag-name", "x", "--type", "gpus")
    assert code == 2 and "--tag-name can not be combined" in err
    assert fake.request_count == before
