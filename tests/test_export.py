"""Issue 5: Arrow export, DataFrames, notebook HTML, raw responses, logging."""

from __future__ import annotations

import datetime as dt
import json
import logging
import pickle

import pytest

import gradientai_rs as g
from gradientai_rs.testing import FakeDigitalOcean

pa = pytest.importorskip("pyarrow", reason="pyarrow is in the test extra; CI installs it")

TOKEN = "fake-token"

ODD = [
    {
        "id": "1",
        "name": "données-東京-✓",
        "created_at": "2020-07-28T16:47:44Z",
        "regions": ["nyc3", "sfo3"],
        "resource_id": "200776916",
        "resource_type": "droplet",
        "min_disk_size": 25,
        "size_gigabytes": 2.34,
        "tags": None,
    },
    {
        "id": "fbe805e8-866b-11e6-96bf-000f53315a41",
        "name": "pvc",
        "created_at": "2019-09-28T23:14:30.5+02:00",
        "regions": [],
        "resource_id": "89bcc42f",
        "resource_type": "volume",
        "min_disk_size": 2,
        "size_gigabytes": 1,
        "tags": [],
    },
    {
        "id": "3",
        "name": "bad-date",
        "created_at": "yesterday",
        "regions": ["ams3"],
        "resource_id": "7",
        "resource_type": "droplet",
        "min_disk_size": 20,
        "size_gigabytes": 0.1008,
        "tags": ["web", "env:prod"],
    },
]


@pytest.fixture
def odd_fake():
    with FakeDigitalOcean(ODD, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def odd_list(odd_fake):
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    return client.gpu_droplets.snapshots.list_all()


def test_arrow_schema_is_the_documented_one(odd_list):
    table = pa.table(odd_list)
    assert table.schema == pa.schema(
        [
            ("id", pa.string()),
            ("name", pa.string()),
            ("created_at", pa.timestamp("us", tz="UTC")),
            ("regions", pa.list_(pa.string())),
            ("resource_id", pa.string()),
            ("resource_type", pa.string()),
            ("min_disk_size", pa.int64()),
            ("size_gigabytes", pa.float64()),
            ("tags", pa.list_(pa.string())),
        ]
    )


def test_arrow_values_match_the_objects(odd_list):
    rows = pa.table(odd_list).to_pylist()
    assert len(rows) == len(odd_list) == 3
    for row, obj in zip(rows, odd_list):
        assert row["id"] == obj.id
        assert row["name"] == obj.name
        assert row["regions"] == obj.regions
        assert row["resource_id"] == obj.resource_id
        assert row["resource_type"] == obj.resource_type
        assert row["min_disk_size"] == obj.min_disk_size
        assert row["size_gigabytes"] == obj.size_gigabytes
        assert row["tags"] == obj.tags
    assert rows[0]["name"] == "données-東京-✓"
    assert rows[0]["tags"] is None and rows[1]["tags"] == [] and rows[1]["regions"] == []
    assert rows[0]["created_at"] == dt.datetime(2020, 7, 28, 16, 47, 44, tzinfo=dt.timezone.utc)
    # +02:00 is normalised to UTC, fractions kept; an unparsable date is null in Arrow (a str on the object).
    assert rows[1]["created_at"] == dt.datetime(2019, 9, 28, 21, 14, 30, 500000, tzinfo=dt.timezone.utc)
    assert rows[2]["created_at"] is None and odd_list[2].created_at == "yesterday"
    assert rows[1]["size_gigabytes"] == 1.0 and isinstance(rows[1]["size_gigabytes"], float)


def test_page_response_exports_its_own_page(odd_fake):
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    page = client.gpu_droplets.snapshots.list(per_page=2)
    table = page.to_arrow()
    assert table.column("id").to_pylist() == ["1", "fbe805e8-866b-11e6-96bf-000f53315a41"]


def test_empty_list_keeps_the_schema():
    with FakeDigitalOcean(0, token=TOKEN) as fake:
        empty = g.GradientAI(api_key=TOKEN, base_url=fake.url).gpu_droplets.snapshots.list_all()
    table = pa.table(empty)
    assert table.num_rows == 0 and table.schema.names[0] == "id"


def test_large_export_is_exact():
    with FakeDigitalOcean(3000, seed=11, token=TOKEN) as fake:
        snaps = g.GradientAI(api_key=TOKEN, base_url=fake.url).gpu_droplets.snapshots.list_all()
        expected = fake.ids()
    table = snaps.to_arrow()
    assert table.column("id").to_pylist() == expected
    assert table.column("size_gigabytes").to_pylist() == [s["size_gigabytes"] for s in fake.snapshots]


def test_pandas(odd_list):
    pd = pytest.importorskip("pandas", reason="pandas is in the test extra; CI installs it")
    df = odd_list.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df["id"]) == ["1", "fbe805e8-866b-11e6-96bf-000f53315a41", "3"]
    assert str(df["created_at"].dtype) in ("datetime64[us, UTC]", "datetime64[ns, UTC]")
    assert df["min_disk_size"].tolist() == [25, 2, 20]
    # regions/tags stay Arrow lists; a cell still reads as a list (pd.NA for null tags)
    assert isinstance(df["regions"].dtype, pd.ArrowDtype)
    assert list(df["regions"].iloc[0]) == ["nyc3", "sfo3"] and pd.isna(df["tags"].iloc[0])
    py_lists = odd_list.to_pandas(lists="python")
    assert py_lists["regions"].tolist() == [["nyc3", "sfo3"], [], ["ams3"]]
    assert py_lists["tags"].tolist()[1:] == [[], ["web", "env:prod"]]
    with pytest.raises(ValueError, match="lists"):
        odd_list.to_pandas(lists="numpy")


def test_polars(odd_list):
    pl = pytest.importorskip("polars", reason="polars is in the test extra; CI installs it")
    df = pl.DataFrame(odd_list)
    assert df.height == 3
    assert df["id"].to_list() == ["1", "fbe805e8-866b-11e6-96bf-000f53315a41", "3"]
    assert df["tags"].to_list()[0] is None
    assert odd_list.to_polars().equals(df)


def test_duckdb(odd_list):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is in the test extra; CI installs it")
    x = odd_list  # noqa: F841 - found by duckdb's replacement scan
    rows = duckdb.sql("select resource_type, count(*) as n from x group by 1 order by 1").fetchall()
    assert rows == [("droplet", 2), ("volume", 1)]


def test_missing_dependency_names_the_extra(odd_list, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_polars(name, *args, **kwargs):
        if name == "polars":
            raise ImportError("No module named 'polars'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_polars)
    with pytest.raises(ImportError, match=r"gradientai-rs\[polars\]"):
        odd_list.to_polars()


def test_html_repr(odd_list, odd_fake):
    html = odd_list._repr_html_()
    assert "<table>" in html and "SnapshotList" in html and "3 snapshots" in html
    assert "données-東京-✓" in html
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    page = client.gpu_droplets.snapshots.list(per_page=2)
    page_html = page._repr_html_()
    assert "page 1 of 2, meta.total 3" in page_html and "next:" in page_html and "page=2" in page_html


def test_html_escapes_names():
    data = [dict(ODD[0], name="<script>alert(1)</script>")]
    with FakeDigitalOcean(data, token=TOKEN) as fake:
        snaps = g.GradientAI(api_key=TOKEN, base_url=fake.url).gpu_droplets.snapshots.list_all()
    html = snaps._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_long_list_repr_is_short():
    with FakeDigitalOcean(500, token=TOKEN) as fake:
        snaps = g.GradientAI(api_key=TOKEN, base_url=fake.url).gpu_droplets.snapshots.list_all()
    text = repr(snaps)
    assert text.startswith("SnapshotList(len=500, total=500, [Snapshot(") and "497 more" in text
    assert len(text) < 2000
    html = snaps._repr_html_()
    assert "490 more rows" in html


def test_raw_response(odd_fake):
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    raw = client.gpu_droplets.snapshots.with_raw_response.list(per_page=2, resource_type="droplet")
    assert raw.status_code == 200 and raw.method == "GET"
    assert raw.url == f"{odd_fake.url}/v2/snapshots?per_page=2&resource_type=droplet"
    assert raw.retries_taken == 0
    assert isinstance(raw.elapsed, dt.timedelta) and raw.elapsed.total_seconds() > 0
    assert raw.headers["ratelimit-limit"] == "5000"
    assert raw.rate_limit.limit == 5000 and raw.rate_limit.remaining is not None
    assert raw.request_id == raw.headers["x-request-id"]
    assert json.loads(raw.text()) == raw.json()
    parsed = raw.parse()
    assert isinstance(parsed, g.SnapshotListResponse)
    assert [s.id for s in parsed.snapshots] == ["1", "3"]
    assert odd_fake.requests[-1].headers["x-stainless-raw-response"] == "raw"
    assert "APIResponse [200]" in repr(raw)


def test_raw_retrieve_delete_and_retries(odd_fake):
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    raw = client.gpu_droplets.snapshots.with_raw_response.retrieve("1")
    assert raw.parse().snapshot.name == "données-東京-✓"
    odd_fake.enqueue(503, headers={"retry-after": "0.05"})
    raw = client.gpu_droplets.snapshots.with_raw_response.delete(3)
    assert raw.status_code == 204 and raw.retries_taken == 1 and raw.parse() is None
    assert "3" not in odd_fake.ids()


def test_logging_records_requests_and_retries_without_token(odd_fake, caplog):
    caplog.set_level(logging.DEBUG, logger="gradientai_rs")
    g.reset_logging()
    client = g.GradientAI(api_key=TOKEN, base_url=odd_fake.url)
    odd_fake.enqueue(500, headers={"retry-after": "0.05"})
    client.gpu_droplets.snapshots.list_all(per_page=1)
    names = {r.name for r in caplog.records}
    assert "gradientai_rs.http" in names and "gradientai_rs.pagination" in names
    messages = [r.getMessage() for r in caplog.records]
    assert any("retrying GET /v2/snapshots in 0.050s" in m for m in messages), messages
    assert any(m.startswith("page 2:") for m in messages), messages
    assert all(TOKEN not in m for m in messages)


def test_env_var_turns_on_a_stderr_handler(tmp_path):
    import subprocess
    import sys

    with FakeDigitalOcean(5, token=TOKEN) as fake:
        code = (
            "import gradientai_rs as g\n"
            f"c = g.GradientAI(api_key={TOKEN!r}, base_url={fake.url!r})\n"
            "c.gpu_droplets.snapshots.list_all(per_page=2)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={"GRADIENTAI_RS_LOG": "debug", "PATH": ""},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr
    assert "gradientai_rs.pagination" in out.stderr and "DEBUG" in out.stderr
    assert TOKEN not in out.stderr


def test_snapshot_list_pickles(odd_list):
    again = pickle.loads(pickle.dumps(odd_list))
    assert again == odd_list and again.total == odd_list.total
    assert pa.table(again).equals(pa.table(odd_list))


def test_async_raw_responses(odd_fake):
    import asyncio

    async def main():
        async with g.AsyncGradientAI(api_key=TOKEN, base_url=odd_fake.url) as client:
            raw = client.gpu_droplets.snapshots.with_raw_response
            listed = await raw.list(per_page=2)
            page = listed.parse()
            assert listed.status_code == 200 and listed.rate_limit.limit == 5000
            assert [s.id for s in page.snapshots] == ["1", "fbe805e8-866b-11e6-96bf-000f53315a41"]
            assert (await page.get_next_page()).snapshots[0].id == "3"  # parsed async pages stay async
            got = await raw.retrieve("3")
            assert got.parse().snapshot.name == "bad-date"
            deleted = await raw.delete("3")
            assert deleted.status_code == 204 and deleted.parse() is None

    asyncio.run(main())
    assert "3" not in odd_fake.ids()
