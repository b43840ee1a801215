"""gradientai_rs.dlt: real dlt, the real DuckDB destination, a temporary pipelines_dir, the fake API over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

dlt = pytest.importorskip("dlt")
duckdb = pytest.importorskip("duckdb")

from gradientai_rs import GradientAI  # noqa: E402
from gradientai_rs.dlt import ROW_HASH_COLUMN, digitalocean_source, resolve_clients, sync  # noqa: E402
from gradientai_rs.testing import FakeDigitalOcean  # noqa: E402

TOKEN = "fake-token"
ACTIVE = "_dlt_valid_to IS NULL"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # dlt reads config/secrets from the working directory and the environment: keep both empty and local.
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("DESTINATION__", "SOURCES__", "NORMALIZE__", "LOAD__", "RUNTIME__", "DLT_")):
            monkeypatch.delenv(name)
    return tmp_path


@pytest.fixture
def history_fake(make_fake: Callable[..., FakeDigitalOcean]) -> FakeDigitalOcean:
    return make_fake(history=12, seed=3, token=TOKEN)


def client_for(fake: FakeDigitalOcean, **kwargs: Any) -> GradientAI:
    return GradientAI(api_key=TOKEN, base_url=fake.url, requests_per_minute=0, **kwargs)


class Run:
    """One pipeline (its own DuckDB file) over a temporary pipelines_dir."""

    def __init__(self, workdir: Path, name: str = "gradientai_rs_test") -> None:
        self.db = workdir / f"{name}.duckdb"
        self.pipeline = dlt.pipeline(
            pipeline_name=name,
            destination=dlt.destinations.duckdb(str(self.db)),
            dataset_name="digitalocean",
            pipelines_dir=str(workdir / "pipelines"),
        )

    def run(self, clients: Any, **kwargs: Any) -> Any:
        return self.pipeline.run(digitalocean_source(clients, **kwargs))

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.sql(query).fetchall()

    def ids(self, where: str = ACTIVE, table: str = "snapshots") -> set[tuple[str, str]]:
        return {(a, i) for a, i in self.sql(f"SELECT account, id FROM digitalocean.{table} WHERE {where}")}


@pytest.fixture
def run(workdir: Path) -> Iterator[Run]:
    yield Run(workdir)


def test_first_sync_loads_exactly_the_fakes_rows(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        info = run.run(c, resources=("snapshots",))
    assert not info.has_failed_jobs
    assert run.ids() == {("default", i) for i in history_fake.ids()}
    rows = run.sql("SELECT count(*), count(DISTINCT id) FROM digitalocean.snapshots")
    assert rows == [(len(history_fake.ids()), len(history_fake.ids()))]
    # The values are the API's: one row read back against the fake's JSON.
    want = history_fake.snapshots[0]
    got = run.sql(
        "SELECT name, resource_id, resource_type, size_gigabytes, min_disk_size, regions::VARCHAR[], tags::VARCHAR[],"
        f" strftime(created_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') FROM digitalocean.snapshots WHERE id = '{want['id']}'"
    )
    assert got == [
        (
            want["name"],
            want["resource_id"],
            want["resource_type"],
            float(want["size_gigabytes"]),
            want["min_disk_size"],
            want["regions"],
            want["tags"],
            want["created_at"],
        )
    ]


def test_column_types(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",))
    types = dict(
        run.sql(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'digitalocean' AND table_name = 'snapshots'"
        )
    )
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["size_gigabytes"] == "DOUBLE"
    assert types["min_disk_size"] == "BIGINT"
    assert types["regions"] == types["tags"] == "JSON"  # dlt's nested type: JSON arrays (see the next test)
    assert run.sql("SELECT json_type(regions), regions::VARCHAR[] FROM digitalocean.snapshots LIMIT 1")[0][0] == "ARRAY"
    assert types[ROW_HASH_COLUMN] == "BIGINT"
    assert types["account"] == types["id"] == "VARCHAR"


def test_second_sync_retires_exactly_the_deleted_and_adds_the_new(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",))
        before = set(history_fake.ids())
        gone = sorted(before)[:3]
        for sid in gone:
            assert history_fake.delete_snapshot(sid)
        added = {s["id"] for s in history_fake.add_snapshots(2)}
        run.run(c, resources=("snapshots",))
    assert run.ids(f"{ACTIVE}") == {("default", i) for i in (before - set(gone)) | added}
    assert run.ids("_dlt_valid_to IS NOT NULL") == {("default", i) for i in gone}
    # The unchanged rows kept a single version: one row each, valid since the first load.
    versions = run.sql("SELECT id, count(*) FROM digitalocean.snapshots GROUP BY id HAVING count(*) > 1")
    assert versions == []
    assert run.sql(
        "SELECT count(DISTINCT _dlt_valid_from) FROM digitalocean.snapshots WHERE id IN ("
        + ",".join(f"'{i}'" for i in sorted(before - set(gone)))
        + ")"
    ) == [(1,)]


def test_unchanged_snapshots_keep_one_version_across_many_syncs(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        for _ in range(3):
            run.run(c, resources=("snapshots",))
    n = len(history_fake.ids())
    assert run.sql("SELECT count(*), count(DISTINCT _row_hash) FROM digitalocean.snapshots") == [(n, n)]


def test_row_hash_is_content_only(history_fake: FakeDigitalOcean) -> None:
    # Same content, other process time and other client: the same hashes; a changed field: a new hash.
    with client_for(history_fake) as a, client_for(history_fake, max_retries=5) as b:
        first = a.gpu_droplets.snapshots.list_all()._row_hashes("default")
        second = b.gpu_droplets.snapshots.list_all()._row_hashes("default")
        other_account = b.gpu_droplets.snapshots.list_all()._row_hashes("other")
    assert first == second
    assert len(first) == 8 * len(history_fake.ids())
    assert first != other_account
    words = {first[i : i + 8] for i in range(0, len(first), 8)}
    assert len(words) == len(history_fake.ids())


def test_a_failed_listing_retires_nothing(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",))
    loaded = run.ids()
    # Page 2 fails every time: the listing is incomplete, so the sync fails and nothing is retired.
    history_fake.configure(fail_pages={2: [500] * 50})
    from dlt.pipeline.exceptions import PipelineStepFailed

    from gradientai_rs import AccountError

    with client_for(history_fake, max_retries=0) as c, pytest.raises(PipelineStepFailed) as info:
        run.run(c, resources=("snapshots",))
    assert info.value.step == "extract"
    causes = []
    exc: BaseException | None = info.value
    while exc is not None:
        causes.append(exc)
        exc = exc.__cause__ or exc.__context__
    account_errors = [e for e in causes if isinstance(e, AccountError)]
    assert account_errors and account_errors[0].account == "default"  # the failing account is named
    assert run.ids() == loaded
    assert run.ids("_dlt_valid_to IS NOT NULL") == set()


def test_two_accounts_side_by_side_and_scoped_retirement(make_fake: Callable[..., FakeDigitalOcean], run: Run) -> None:
    a = make_fake(history=8, seed=1, token=TOKEN)
    b = make_fake(history=8, seed=2, token=TOKEN)
    with client_for(a) as ca, client_for(b) as cb:
        run.run({"team-a": ca, "team-b": cb}, resources=("snapshots",))
        assert run.ids() == {("team-a", i) for i in a.ids()} | {("team-b", i) for i in b.ids()}
        # Syncing team-a alone must not retire team-b's rows; a deletion in team-a is retired.
        gone = a.ids()[0]
        a.delete_snapshot(gone)
        run.run({"team-a": ca}, resources=("snapshots",))
    assert run.ids("_dlt_valid_to IS NOT NULL") == {("team-a", gone)}
    assert {i for acc, i in run.ids() if acc == "team-b"} == set(b.ids())


def test_the_arrow_path_is_used(history_fake: FakeDigitalOcean, run: Run) -> None:
    # Arrow tables are written as Parquet by the extract step (no row-by-row normalisation of Python dicts,
    # which would write jsonl "typed" files instead).
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",))
    trace = run.pipeline.last_trace
    extract = next(step for step in trace.steps if step.step == "extract")
    jobs = [
        job
        for package in extract.step_info.load_packages
        for job in package.jobs["new_jobs"] + package.jobs.get("completed_jobs", [])
        if job.job_file_info.table_name == "snapshots"
    ]
    assert jobs, "no extract job for snapshots"
    assert {job.job_file_info.file_format for job in jobs} == {"parquet"}


def test_replace_is_a_plain_copy(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",), write_disposition="replace")
        history_fake.delete_snapshot(history_fake.ids()[0])
        run.run(c, resources=("snapshots",), write_disposition="replace")
    cols = {r[0] for r in run.sql("SELECT column_name FROM information_schema.columns WHERE table_name='snapshots'")}
    assert "_dlt_valid_to" not in cols
    assert {i for _, i in run.ids("true")} == set(history_fake.ids())


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"resources": ("snapshots", "kernels")}, "resources must be"),
        ({"resources": ()}, "resources must be"),
        ({"write_disposition": "append"}, "write_disposition must be"),
    ],
)
def test_bad_arguments_name_the_parameter(history_fake: FakeDigitalOcean, kwargs: Any, needle: str) -> None:
    with client_for(history_fake) as c, pytest.raises(ValueError, match=needle):
        digitalocean_source(c, **kwargs)


def test_resolve_clients(history_fake: FakeDigitalOcean, monkeypatch: pytest.MonkeyPatch) -> None:
    with client_for(history_fake) as c:
        assert resolve_clients(c) == {"default": c}
        assert resolve_clients({"x": c}) == {"x": c}
        with pytest.raises(TypeError, match=r"clients\['x'\] must be"):
            resolve_clients({"x": object()})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="empty"):
            resolve_clients({})
        with pytest.raises(TypeError, match="clients must be"):
            resolve_clients(42)  # type: ignore[arg-type]
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    assert list(resolve_clients(None)) == ["default"]


def test_sync_one_liner(history_fake: FakeDigitalOcean, workdir: Path) -> None:
    with client_for(history_fake) as c:
        info = sync(c, resources=("snapshots",), pipelines_dir=str(workdir / "p"))
    assert not info.has_failed_jobs
    with duckdb.connect(str(workdir / "gradientai_rs.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM digitalocean.snapshots").fetchall() == [(len(history_fake.ids()),)]


def test_without_dlt_the_import_error_names_the_extra(tmp_path: Path) -> None:
    # A `dlt` that fails to import, ahead of the real one on sys.path.
    (tmp_path / "dlt.py").write_text("raise ImportError('no dlt here')\n")
    code = "import gradientai_rs.dlt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "pip install 'gradientai-rs[dlt]'" in proc.stderr


# ------------------------------------------------------------------------------------ the queries of docs/warehouse.md

DOCS = Path(__file__).resolve().parents[1] / "docs" / "warehouse.md"


def docs_query(name: str) -> str:
    """The ```sql block after ``<!-- query: NAME -->`` in docs/warehouse.md."""
    if not DOCS.is_file():  # scripts/check_wheel.sh runs a copy of tests/ without docs/
        pytest.skip("needs the source tree (docs/warehouse.md)")
    text = DOCS.read_text()
    marker = f"<!-- query: {name} -->"
    assert marker in text, f"docs/warehouse.md has no query {name!r}"
    block = text.split(marker, 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    return block.strip()


def test_query_deleted_since(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c, resources=("snapshots",))
        ids = history_fake.ids()
        gone = sorted(ids)[:4]
        for sid in gone:
            history_fake.delete_snapshot(sid)
        run.run(c, resources=("snapshots",))
    rows = run.sql(docs_query("deleted_since"))
    assert [r[1] for r in sorted(rows, key=lambda r: r[1])] == gone
    sizes = {s["id"]: float(s["size_gigabytes"]) for s in history_fake.snapshots}
    assert all(r[0] == "default" and r[4] is not None for r in rows)
    assert all(r[1] not in sizes for r in rows)  # really gone from the account
    # A cutoff after the deletion finds none of them.
    later = docs_query("deleted_since").replace("2026-01-01 00:00:00+00", "2999-01-01 00:00:00+00")
    assert run.sql(later) == []


def test_query_cost_over_time(make_fake: Callable[..., FakeDigitalOcean], run: Run) -> None:
    a = make_fake(history=6, seed=1, token=TOKEN)
    b = make_fake(history=6, seed=2, token=TOKEN)
    with client_for(a) as ca, client_for(b) as cb:
        run.run({"a": ca, "b": cb}, resources=("snapshots",))
        rows = run.sql(docs_query("cost_over_time"))
        expected = {
            name: round(ca_or_cb.gpu_droplets.snapshots.list_all().monthly_cost(), 2)
            for name, ca_or_cb in (("a", ca), ("b", cb))
        }
    last_day = max(r[0] for r in rows)
    got = {r[1]: r[4] for r in rows if r[0] == last_day}
    assert got == pytest.approx(expected, abs=0.011)
    counts = {r[1]: r[2] for r in rows if r[0] == last_day}
    assert counts == {"a": len(a.ids()), "b": len(b.ids())}


# ----------------------------------------------------------------------------------------------- gradientai-rs sync


def sync_cli(fake: FakeDigitalOcean, workdir: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    from gradientai_rs.__main__ import main

    code = main(
        ["--base-url", fake.url, "--requests-per-minute", "0", "sync", "--pipelines-dir", str(workdir / "p"), *argv]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_sync_loads_and_prints_the_load_info(
    history_fake: FakeDigitalOcean, workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    code, out, err = sync_cli(history_fake, workdir, capsys)
    assert code == 0, err
    db = workdir / "gradientai_rs.duckdb"
    assert str(db) in out  # where the data went
    assert f"snapshots: {len(history_fake.ids())} rows" in out.splitlines()
    assert TOKEN not in out + err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM digitalocean.snapshots").fetchall() == [(len(history_fake.ids()),)]


def test_cli_sync_failed_listing_loads_nothing(
    history_fake: FakeDigitalOcean, workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
    history_fake.configure(fail_pages={2: [503] * 50})
    code, out, err = sync_cli(history_fake, workdir, capsys, "--pipeline-name", "failing")
    assert code == 3, (out, err)  # the API error's exit code
    assert "nothing was loaded: account 'default' failed" in err
    assert "503" in err
    db = workdir / "failing.duckdb"
    if db.exists():  # dlt may create the file; it holds no snapshots table then
        with duckdb.connect(str(db), read_only=True) as con:
            tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        assert ("snapshots",) not in tables


def test_cli_sync_without_a_token(
    workdir: Path, capsys: pytest.CaptureFixture[str], history_fake: FakeDigitalOcean
) -> None:
    code, _, err = sync_cli(history_fake, workdir, capsys)
    assert code == 5 and "no API token" in err


# ------------------------------------------------------------------------------- droplets, volumes and the sources


def test_droplets_and_volumes_tables(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        info = run.run(c)  # every resource, with_sources=True
    assert not info.has_failed_jobs
    droplets = {(a, i) for a, i in run.sql("SELECT account, id FROM digitalocean.droplets WHERE " + ACTIVE)}
    assert droplets == {("default", d["id"]) for d in history_fake.droplets}
    gpu = {i for (i,) in run.sql("SELECT id FROM digitalocean.droplets WHERE gpu")}
    assert gpu == {d["id"] for d in history_fake.gpu_droplets} and gpu  # GPU droplets are in the table
    assert run.ids(table="volumes") == {("default", v["id"]) for v in history_fake.volumes}
    # The snapshots' source states are the fake's (computed from its data, not hard-coded).
    states = dict(run.sql("SELECT id, source_exists FROM digitalocean.snapshots"))
    want = {"exists": True, "gone": False, "unknown": None}
    assert states == {sid: want[state] for sid, state in history_fake.source_states().items()}


def test_query_orphans(history_fake: FakeDigitalOcean, run: Run) -> None:
    with client_for(history_fake) as c:
        run.run(c)
        orphans = {s.id for s in c.gpu_droplets.snapshots.orphans()}
    rows = run.sql(docs_query("orphans"))
    assert {r[1] for r in rows} == orphans == set(history_fake.orphaned_snapshot_ids())
    assert orphans  # the history has some


def test_a_destroyed_droplet_is_history(history_fake: FakeDigitalOcean, run: Run) -> None:
    # A droplet with snapshots that still exists: destroying it retires its row and gives its snapshots a new
    # version with source_exists false ("orphaned since"), the old version kept.
    with client_for(history_fake) as c:
        run.run(c)
        states = history_fake.source_states()
        by_source: dict[str, list[str]] = {}
        for s in history_fake.snapshots:
            if s.get("resource_type") == "droplet" and states[s["id"]] == "exists":
                by_source.setdefault(s["resource_id"], []).append(s["id"])
        droplet, snaps = next(iter(by_source.items()))
        assert history_fake.destroy_droplet(droplet)
        run.run(c)
    assert run.sql(f"SELECT count(*) FROM digitalocean.droplets WHERE id = {droplet} AND {ACTIVE}") == [(0,)]
    assert run.sql(f"SELECT count(*) FROM digitalocean.droplets WHERE id = {droplet}") == [(1,)]
    ids = ",".join(f"'{i}'" for i in snaps)
    history = run.sql(
        f"SELECT id, source_exists, _dlt_valid_to IS NULL FROM digitalocean.snapshots WHERE id IN ({ids}) ORDER BY 1, 3"
    )
    expected = [(i, True, False) for i in snaps] + [(i, False, True) for i in snaps]
    assert history == sorted(expected, key=lambda r: (r[0], r[2]))


@pytest.mark.parametrize("refused", ["droplets", "gpus", "volumes"])
def test_a_refused_source_listing_retires_nothing(history_fake: FakeDigitalOcean, run: Run, refused: str) -> None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    with client_for(history_fake) as c:
        run.run(c)
        before = {t: run.ids(table=t) for t in ("snapshots", "volumes")}
        for sid in history_fake.ids()[:3]:
            history_fake.delete_snapshot(sid)
        history_fake.configure(refuse=(refused,))
        with pytest.raises(PipelineStepFailed):
            run.run(c)
    assert {t: run.ids(table=t) for t in ("snapshots", "volumes")} == before
    assert run.ids("_dlt_valid_to IS NOT NULL") == set()
