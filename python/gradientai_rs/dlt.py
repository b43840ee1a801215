"""A dlt source for DigitalOcean: snapshots (and droplets and volumes) with their history, into any dlt
destination, DuckDB by default.

.. code-block:: python

    import dlt
    from gradientai_rs.dlt import digitalocean_source

    pipeline = dlt.pipeline("digitalocean", destination="duckdb", dataset_name="digitalocean")
    print(pipeline.run(digitalocean_source()))

How it loads (see ``docs/warehouse.md``):

* Each resource yields **Arrow tables** built by the Rust core (``SnapshotList.to_arrow()``), so dlt writes them
  to Parquet as they are, with no Python object and no normalisation per row (dlt's "Arrow tables" path:
  https://dlthub.com/docs/dlt-ecosystem/verified-sources/arrow-pandas).
* The default write disposition is ``merge`` with the ``scd2`` strategy
  (https://dlthub.com/docs/general-usage/merge-loading#scd2-strategy). The API has no ``updated_at`` nor
  ``deleted_at``, so every sync is a full extract, and scd2 turns it into history: a row that is no longer listed
  gets ``_dlt_valid_to`` set to the load's time, a changed row gets a new version, an unchanged one keeps its single
  version. The version of a row is ``_row_hash``, a stable 64-bit hash of the row's content and account computed in
  Rust (``gradientai_rs._core`` ``core::rowhash``; dlt's own ``_dlt_id`` would be random for Arrow rows and
  re-version every row on every run). Nothing volatile (fetch time, ages) goes into it.
* ``primary_key`` is ``("account", "id")``; the ``account`` column is there even with one client (``"default"``).
* Evidence before history: every account is listed completely before anything is yielded; a listing that fails
  raises (naming the account), so dlt's extract fails and **no row is retired from a failed or partial listing**.
  Rows are only retired within the accounts of this run (dlt's ``destination_scope``), so syncing one account
  never retires another's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional, Union, cast

try:
    import dlt
    from dlt.sources import DltResource
except ImportError as exc:  # pragma: no cover - exercised by the "without dlt" test in a subprocess
    raise ImportError(
        "gradientai_rs.dlt needs dlt: pip install 'gradientai-rs[dlt]' (dlt with DuckDB, and pyarrow)"
    ) from exc

from ._core import GradientAI
from ._exceptions import AccountError, MissingAPIKeyError

__all__ = ["DEFAULT_ACCOUNT", "RESOURCES", "ROW_HASH_COLUMN", "digitalocean_source", "resolve_clients", "sync"]

#: The account name of a single client given without a name (and of the environment's token).
DEFAULT_ACCOUNT = "default"
#: The scd2 row version column (``row_version_column_name``).
ROW_HASH_COLUMN = "_row_hash"

_Clients = Union[None, GradientAI, Mapping[str, GradientAI]]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Kind:
    """One table: how to list one account as Arrow tables (each with its row hashes), and its dlt column hints
    (types as the Arrow export makes them)."""

    name: str
    list_account: Callable[[str, GradientAI, Mapping[str, Any]], Any]
    columns: Mapping[str, Mapping[str, Any]]


def _table(account: str, listing: Any, **arrow_options: Any) -> Any:
    """The listing's Arrow table with ``account`` first and ``_row_hash`` last (no Python object per row)."""
    import pyarrow as pa

    n = len(listing)
    table = listing.to_arrow(**arrow_options)
    hashes = pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(listing._row_hashes(account))])
    table = table.add_column(0, pa.field("account", pa.string(), nullable=False), pa.repeat(account, n))
    return table.append_column(pa.field(ROW_HASH_COLUMN, pa.int64(), nullable=False), hashes)


def _list_snapshots(account: str, client: GradientAI, kwargs: Mapping[str, Any]) -> Any:
    with_sources = bool(kwargs.get("with_sources"))
    listing = client.gpu_droplets.snapshots.list_all(**kwargs)
    return _table(account, listing, source_exists=with_sources) if with_sources else _table(account, listing)


def _list_droplets(account: str, client: GradientAI, kwargs: Mapping[str, Any]) -> Any:
    """Both listings: ``GET /v2/droplets`` returns GPU droplets only with ``type=gpus``."""
    import pyarrow as pa

    options = {k: v for k, v in kwargs.items() if k != "with_sources"}
    parts = []
    kinds: tuple[tuple[Literal["droplets", "gpus"], bool], ...] = (("droplets", False), ("gpus", True))
    for kind, gpu in kinds:
        table = _table(account, client.gpu_droplets.list_all(type=kind, **options))
        parts.append(table.append_column(pa.field("gpu", pa.bool_(), nullable=False), pa.repeat(gpu, len(table))))
    return pa.concat_tables(parts)


def _list_volumes(account: str, client: GradientAI, kwargs: Mapping[str, Any]) -> Any:
    options = {k: v for k, v in kwargs.items() if k != "with_sources"}
    return _table(account, client.gpu_droplets.volumes.list_all(**options))


_TEXT = {"data_type": "text", "nullable": True}
_KEY = {"data_type": "text", "nullable": False}
_INT = {"data_type": "bigint", "nullable": True}
_TIME = {"data_type": "timestamp", "timezone": True, "precision": 6, "nullable": True}
# dlt has no list type: nested values are its `json` type (DuckDB `JSON`), here always a JSON array (or null),
# readable as a list with `regions::VARCHAR[]` in DuckDB.
_LIST = {"data_type": "json", "nullable": True}
_ROW_HASH = {"data_type": "bigint", "nullable": False}

_KINDS: dict[str, _Kind] = {
    "snapshots": _Kind(
        "snapshots",
        _list_snapshots,
        {
            "account": _KEY,
            "id": _KEY,
            "name": _TEXT,
            "created_at": _TIME,
            "regions": _LIST,
            "resource_id": _TEXT,
            "resource_type": _TEXT,
            "min_disk_size": _INT,
            "size_gigabytes": {"data_type": "double", "nullable": True},
            "tags": _LIST,
            # with_sources=True: whether the droplet or volume still exists (null: unknown)
            "source_exists": {"data_type": "bool", "nullable": True},
            ROW_HASH_COLUMN: _ROW_HASH,
        },
    ),
    "droplets": _Kind(
        "droplets",
        _list_droplets,
        {
            "account": _KEY,
            "id": {"data_type": "bigint", "nullable": False},
            "name": _TEXT,
            "status": _TEXT,
            "created_at": _TIME,
            "region": _TEXT,
            "size_slug": _TEXT,
            "vcpus": _INT,
            "memory": _INT,
            "disk": _INT,
            "tags": _LIST,
            "snapshot_ids": _LIST,
            "volume_ids": _LIST,
            "gpu": {"data_type": "bool", "nullable": False},
            ROW_HASH_COLUMN: _ROW_HASH,
        },
    ),
    "volumes": _Kind(
        "volumes",
        _list_volumes,
        {
            "account": _KEY,
            "id": _KEY,
            "name": _TEXT,
            "created_at": _TIME,
            "region": _TEXT,
            "size_gigabytes": _INT,
            "droplet_ids": _LIST,
            "tags": _LIST,
            ROW_HASH_COLUMN: _ROW_HASH,
        },
    ),
}

#: The resources this source can load.
RESOURCES: tuple[str, ...] = tuple(_KINDS)


def resolve_clients(clients: _Clients = None) -> dict[str, GradientAI]:
    """``{account: client}`` from what ``digitalocean_source`` takes: one client (account ``"default"``), a mapping
    (its keys are the account names), or ``None``: the environment's token (``DIGITALOCEAN_ACCESS_TOKEN`` /
    ``GRADIENTAI_API_KEY``) as ``"default"``, else every auth context of doctl's config."""
    if clients is None:
        try:
            return {DEFAULT_ACCOUNT: GradientAI()}
        except MissingAPIKeyError:
            from ._core import _doctl_contexts

            try:
                names = _doctl_contexts()
            except Exception as exc:
                raise MissingAPIKeyError(
                    "no token: set DIGITALOCEAN_ACCESS_TOKEN, pass clients=, or log in with doctl"
                    f" (reading doctl's config failed: {exc})"
                ) from exc
            if not names:
                raise MissingAPIKeyError(
                    "no token: set DIGITALOCEAN_ACCESS_TOKEN, pass clients=, or log in with doctl"
                ) from None
            return {name: GradientAI.from_doctl(name) for name in names}
    if isinstance(clients, GradientAI):
        return {DEFAULT_ACCOUNT: clients}
    if isinstance(clients, Mapping):
        out: dict[str, GradientAI] = {}
        for name, client in clients.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"clients: account names must be non-empty strings, got {name!r}")
            if not isinstance(client, GradientAI):
                raise TypeError(
                    f"clients[{name!r}] must be a gradientai_rs.GradientAI (the blocking client),"
                    f" got {type(client).__name__}"
                )
            out[name] = client
        if not out:
            raise ValueError("clients is an empty mapping: give at least one account")
        return out
    raise TypeError(
        "clients must be a gradientai_rs.GradientAI, a mapping {account: GradientAI} or None,"
        f" got {type(clients).__name__}"
    )


def _list_every_account(kind: _Kind, accounts: Mapping[str, GradientAI], kwargs: Mapping[str, Any]) -> list[Any]:
    """Each account's complete listing, concurrently (the GIL is released while listing); the first failure
    raises ``AccountError`` naming its account, after every listing has ended."""
    from concurrent.futures import ThreadPoolExecutor

    names = list(accounts)

    def one(name: str) -> Any:
        try:
            return kind.list_account(name, accounts[name], kwargs)
        except Exception as exc:
            return AccountError(name, exc)

    with ThreadPoolExecutor(max_workers=min(len(names), 16), thread_name_prefix="gradientai-rs-dlt") as pool:
        results = list(pool.map(one, names))
    for result in results:
        if isinstance(result, AccountError):
            raise result from result.cause
    return results


def _rows(kind: _Kind, accounts: Mapping[str, GradientAI], kwargs: Mapping[str, Any]) -> Iterator[Any]:
    yield from _list_every_account(kind, accounts, kwargs)  # all complete before the first table goes out


def _write_disposition(write_disposition: str, accounts: Sequence[str]) -> Any:
    if write_disposition == "replace":
        return "replace"
    if write_disposition != "merge":
        raise ValueError(f"write_disposition must be 'merge' (scd2 history) or 'replace', got {write_disposition!r}")
    return {
        "disposition": "merge",
        "strategy": "scd2",
        "row_version_column_name": ROW_HASH_COLUMN,
        # Only this run's accounts can have rows retired: syncing one account leaves the others' history alone.
        "destination_scope": "{table}.account IN (" + ", ".join(_sql_string(a) for a in accounts) + ")",
    }


def _check_resources(resources: Sequence[str]) -> tuple[str, ...]:
    if isinstance(resources, str):
        resources = (resources,)
    out = tuple(resources)
    unknown = [r for r in out if r not in _KINDS]
    if unknown or not out:
        raise ValueError(f"resources must be a non-empty sequence of {list(RESOURCES)}, got {list(out)!r}")
    return out


@dlt.source(name="digitalocean", max_table_nesting=0)
def digitalocean_source(
    clients: _Clients = None,
    *,
    resources: Sequence[str] = RESOURCES,
    with_sources: bool = True,
    write_disposition: str = "merge",
    deadline: Optional[float] = None,
    max_concurrency: Optional[int] = None,
) -> Iterator[DltResource]:
    """One ``@dlt.resource`` per kind in ``resources`` (``RESOURCES``), each a full, exact listing of every
    account in ``clients`` (see ``resolve_clients``) as Arrow tables. ``with_sources`` (default): the snapshots
    table gets a ``source_exists`` column (``list_all(with_sources=True)``: droplets of both types and volumes are
    listed too, and a listing that fails or is refused fails the sync). ``write_disposition``: ``"merge"`` (scd2
    history, the default) or ``"replace"`` (a plain copy). ``deadline`` and ``max_concurrency`` go to every
    ``list_all`` (rate limits, retries and the exactly-once rules are ``list_all``'s)."""
    kinds = _check_resources(resources)
    accounts = resolve_clients(clients)
    disposition = _write_disposition(write_disposition, list(accounts))
    if not isinstance(with_sources, bool):
        raise TypeError(f"with_sources must be True or False, got {with_sources!r}")
    kwargs: dict[str, Any] = {"with_sources": with_sources}
    if deadline is not None:
        kwargs["deadline"] = deadline
    if max_concurrency is not None:
        kwargs["max_concurrency"] = max_concurrency
    for name in kinds:
        kind = _KINDS[name]
        yield dlt.resource(
            _rows(kind, accounts, kwargs),
            name=kind.name,
            primary_key=("account", "id"),
            write_disposition=disposition,
            # a fresh dict per column, with its name: dlt fills hint dicts in place
            columns=cast(Any, {name: {"name": name, **hint} for name, hint in kind.columns.items()}),
        )


def _pipelines_dir_default() -> Optional[str]:
    return os.environ.get("GRADIENTAI_RS_PIPELINES_DIR") or None


def sync(
    clients: _Clients = None,
    *,
    destination: str = "duckdb",
    dataset_name: str = "digitalocean",
    pipeline_name: str = "gradientai_rs",
    pipelines_dir: Optional[str] = None,
    **source_kwargs: Any,
) -> Any:
    """Runs the pipeline once (``gradientai-rs sync``): ``digitalocean_source(clients, **source_kwargs)`` into
    ``destination`` (any dlt destination name; DuckDB writes ``<pipeline_name>.duckdb`` in the working
    directory). Returns dlt's ``LoadInfo``."""
    where = pipelines_dir or _pipelines_dir_default()
    options: dict[str, Any] = {"pipelines_dir": where} if where else {}  # else dlt's default (~/.dlt/pipelines)
    pipeline = dlt.pipeline(pipeline_name=pipeline_name, destination=destination, dataset_name=dataset_name, **options)
    return pipeline.run(digitalocean_source(clients, **source_kwargs))
