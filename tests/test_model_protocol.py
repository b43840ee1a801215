"""The one model protocol (``src/py/model.rs``): every model class answers ``to_json(indent=n)``, ``==``,
``hash``, pickling and the pydantic-style accessors the same way."""

from __future__ import annotations

import json
import pickle
from typing import Any, Callable, Dict, List

import pytest

from gradientai_rs import GradientAI, Snapshot, SnapshotList
from gradientai_rs.testing import FakeDigitalOcean

ODD: Dict[str, Any] = {
    "id": "a",
    "name": "n",
    "created_at": "2020-07-28T16:47:44+00:00",
    "size_gigabytes": 2,
    "zz": [1],
}


@pytest.fixture
def models(client: GradientAI, fake: FakeDigitalOcean) -> Dict[str, Any]:
    fake.enqueue(
        200,
        body={
            "snapshots": [ODD],
            "links": {"pages": {"next": "https://x/v2/snapshots?page=2"}},
            "meta": {"total": 1},
            "top": 1,
        },
    )
    page = client.gpu_droplets.snapshots.list()
    fake.enqueue(200, body={"snapshot": ODD, "other": True})
    retrieved = client.gpu_droplets.snapshots.retrieve("a")
    return {
        "Snapshot": page.snapshots[0],
        "MetaProperties": page.meta,
        "PageLinks": page.links,
        "Pages": page.links.pages,
        "SnapshotListResponse": page,
        "SnapshotRetrieveResponse": retrieved,
        "SnapshotList": SnapshotList([page.snapshots[0], Snapshot(id="b")]),
    }


NAMES = [
    "Snapshot",
    "MetaProperties",
    "PageLinks",
    "Pages",
    "SnapshotListResponse",
    "SnapshotRetrieveResponse",
    "SnapshotList",
]


def _indent_of(text: str) -> int:
    second = text.splitlines()[1]
    return len(second) - len(second.lstrip(" "))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("indent", [2, 4, 7])
def test_to_json_indent_is_the_same_on_every_class(models: Dict[str, Any], name: str, indent: int) -> None:
    text = models[name].to_json(indent=indent)
    assert _indent_of(text) == indent, text
    assert json.loads(text) == json.loads(models[name].model_dump_json())
    assert "\n" not in models[name].to_json(indent=None)


@pytest.mark.parametrize("name", NAMES)
def test_equality_is_canonical_json_and_models_are_unhashable(models: Dict[str, Any], name: str) -> None:
    obj = models[name]
    clone = pickle.loads(pickle.dumps(obj))
    assert type(clone) is type(obj)
    assert clone == obj and not (clone != obj)
    assert obj != object()
    with pytest.raises(TypeError, match="unhashable"):
        hash(obj)


def test_timestamps_compare_as_instants() -> None:
    assert Snapshot(id="a", created_at="2020-07-28T16:47:44Z") == Snapshot(
        id="a", created_at="2020-07-28T16:47:44+00:00"
    )
    assert Snapshot(id="a", created_at="2020-07-28T16:47:44Z") != Snapshot(id="a", created_at="2020-07-28T16:47:45Z")
    assert Snapshot(id="a", zz=1) != Snapshot(id="a", zz=2)


@pytest.mark.parametrize("name", NAMES)
def test_dump_and_fields(models: Dict[str, Any], name: str) -> None:
    obj = models[name]
    dumped: Callable[..., Any] = obj.to_dict
    assert dumped(mode="json") == obj.model_dump(mode="json")
    assert json.loads(obj.to_json()) == obj.to_dict(mode="json")
    assert isinstance(obj.model_fields_set, set)
    assert isinstance(obj.model_extra, dict)
    assert repr(obj) == str(obj)


def test_snapshot_list_is_a_root_model(models: Dict[str, Any]) -> None:
    sl = models["SnapshotList"]
    rows: List[Dict[str, Any]] = sl.to_dict(mode="json")
    assert [r["id"] for r in rows] == ["a", "b"]
    assert json.loads(sl.to_json()) == rows == sl.to_dicts(mode="json")


def test_page_snapshots_is_always_a_list(client: GradientAI, fake: FakeDigitalOcean) -> None:
    fake.enqueue(200, body={"meta": {"total": 0}})
    page = client.gpu_droplets.snapshots.list()
    assert page.snapshots == [] and "snapshots" not in page.to_dict()
    fake.enqueue(200, body={"snapshots": None, "meta": {"total": 0}})
    page = client.gpu_droplets.snapshots.list()
    assert page.snapshots == [] and page.to_dict()["snapshots"] is None
