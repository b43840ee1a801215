"""``snapshots orphans`` (the snapshots whose droplet or volume is gone), ``droplets list`` and ``volumes list``."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, List

from ._command import Command
from ._common import EXIT_OK, UsageError, client, isatty
from ._options import chosen, filter_options, int_type, output_options, resource_type_option, select_kwargs
from ._output import Column, Out, Row, emit, fmt_created_at
from ._vocab import MAX_PAGE, MAX_PER_PAGE
from .snapshots import all_contexts, emit_snapshots, list_accounts, refine

__all__ = ["DROPLETS_LIST", "DROPLET_COLUMNS", "ORPHANS", "VOLUMES_LIST", "VOLUME_COLUMNS"]


def _region(value: Any) -> str:
    slug = getattr(value, "slug", None)
    return "" if value is None else str(slug if slug is not None else value)


def _joined(value: Any) -> str:
    return "" if value is None else ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _columns(titles: Dict[str, str], text: Dict[str, Callable[[Any], str]]) -> Dict[str, Column]:
    return {key: Column(key, title, text.get(key, _joined), from_item=True) for key, title in titles.items()}


#: The typed fields of ``Droplet`` / ``Volume``, in doctl's words; json/jsonl/csv print the whole ``to_dict()``.
DROPLET_COLUMNS = _columns(
    {
        "id": "ID",
        "name": "Name",
        "status": "Status",
        "region": "Region",
        "size_slug": "Size",
        "vcpus": "VCPUs",
        "memory": "Memory",
        "disk": "Disk",
        "tags": "Tags",
        "created_at": "Created at",
        "snapshot_ids": "Snapshot IDs",
        "volume_ids": "Volume IDs",
    },
    {"region": _region, "created_at": fmt_created_at},
)
VOLUME_COLUMNS = _columns(
    {
        "id": "ID",
        "name": "Name",
        "size_gigabytes": "Size",
        "region": "Region",
        "droplet_ids": "Droplet IDs",
        "tags": "Tags",
        "created_at": "Created at",
    },
    {"region": _region},
)


def _emit_items(args: argparse.Namespace, items: Any, columns: Dict[str, Column]) -> None:
    picked = [columns[key] for key in chosen(args, columns)]
    rows = [Row(item.to_dict(mode="json"), item) for item in items]
    emit(rows, args.format, picked, not args.no_header, whole_rows=args.columns is None, raw=args.raw)


def _paging(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--per-page",
        metavar="N",
        type=int_type(1, MAX_PER_PAGE),
        default=None,
        help=f"{what} per page, 1..{MAX_PER_PAGE} (default: the API's, 20)",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--page",
        metavar="N",
        type=int_type(1, MAX_PAGE, allowed="an integer >= 1"),
        default=None,
        help="page to show, from 1 (default: 1)",
    )
    which.add_argument("--all", action="store_true", help=f"every {what[:-1]} of every page (list_all())")


# --------------------------------------------------------------------------------------------- orphans


def _orphans_arguments(p: argparse.ArgumentParser) -> None:
    resource_type_option(p)
    filter_options(p)
    output_options(p, json_help="json: a JSON array of objects", columns=_snapshot_columns())


def _snapshot_columns() -> Dict[str, Column]:
    from .snapshots import SNAPSHOT_COLUMNS

    return SNAPSHOT_COLUMNS


def _run_orphans(args: argparse.Namespace) -> int:
    progress = isatty(sys.stderr) or None
    if all_contexts(args):
        listing = list_accounts(args, resource_type=args.resource_type, with_sources=True)
        orphans = refine(args, listing).select(orphaned=True)
    else:
        with client(args) as c:
            orphans = c.gpu_droplets.snapshots.orphans(
                resource_type=args.resource_type, progress=progress, **select_kwargs(args)
            )
    emit_snapshots(args, orphans)
    line = (
        f"{len(orphans)} orphaned snapshots (their droplet or volume is gone): "
        f"{orphans.size_gigabytes:.2f} GB, ${orphans.monthly_cost():.2f}/month\n"
    )
    sys.stdout.flush()
    if args.format == "table":
        Out(sys.stdout).write(line)
    else:
        Out(sys.stderr).write(line)
    return EXIT_OK


ORPHANS = Command(
    path=("snapshots", "orphans"),
    help="the snapshots whose droplet or volume is gone, and what they cost",
    description="List every snapshot, the droplets (the default listing and type=gpus: the default one leaves "
    "GPU droplets out) and the volumes, concurrently, and print the snapshots whose source is gone, then one line "
    "with their count, size and monthly cost (on stderr for json/jsonl/csv). A snapshot is orphaned only when "
    "every listing it depends on completed: a refused listing (a token without droplet:read or "
    "block_storage:read) is an error naming it; a snapshot without a usable resource_id/resource_type is never "
    "orphaned. Deletes nothing (see prune --orphaned).",
    add_arguments=_orphans_arguments,
    run=_run_orphans,
)


# --------------------------------------------------------------------------------------------- droplets list


def _droplets_arguments(p: argparse.ArgumentParser) -> None:
    _paging(p, "droplets")
    p.add_argument(
        "--type",
        choices=("droplets", "gpus"),
        default=None,
        help="gpus: only GPU droplets (the API's default listing leaves them out); droplets: the default",
    )
    p.add_argument("--name", default=None, help="only droplets of this name (exact, case-insensitive)")
    p.add_argument("--tag-name", default=None, help="only droplets with this tag (not with --name or --type)")
    output_options(p, json_help="json: a JSON array of objects", columns=DROPLET_COLUMNS)


def _run_droplets(args: argparse.Namespace) -> int:
    if args.tag_name is not None and (args.name is not None or args.type is not None):
        raise UsageError("--tag-name can not be combined with --name or --type (the API refuses it)")
    with client(args) as c:
        resource = c.gpu_droplets
        filters = {"name": args.name, "tag_name": args.tag_name, "type": args.type}
        items: List[Any]
        if args.all:
            items = list(resource.list_all(per_page=args.per_page, progress=isatty(sys.stderr) or None, **filters))
        else:
            items = resource.list(page=args.page, per_page=args.per_page, **filters).droplets
    _emit_items(args, items, DROPLET_COLUMNS)
    return EXIT_OK


DROPLETS_LIST = Command(
    path=("droplets", "list"),
    aliases=("ls",),
    help="list droplets (one page, or every page with --all)",
    description="List droplets (GET /v2/droplets): one page, or with --all every droplet exactly once. Without "
    "--type gpus the API returns only non-GPU droplets.",
    add_arguments=_droplets_arguments,
    run=_run_droplets,
)


# --------------------------------------------------------------------------------------------- volumes list


def _volumes_arguments(p: argparse.ArgumentParser) -> None:
    _paging(p, "volumes")
    p.add_argument("--region", default=None, help="only volumes in this region (a slug, e.g. nyc1)")
    p.add_argument("--name", default=None, help="only volumes of this name")
    output_options(p, json_help="json: a JSON array of objects", columns=VOLUME_COLUMNS)


def _run_volumes(args: argparse.Namespace) -> int:
    with client(args) as c:
        resource = c.gpu_droplets.volumes
        items: List[Any]
        if args.all:
            items = list(
                resource.list_all(
                    name=args.name, region=args.region, per_page=args.per_page, progress=isatty(sys.stderr) or None
                )
            )
        else:
            items = resource.list(page=args.page, per_page=args.per_page, name=args.name, region=args.region).volumes
    _emit_items(args, items, VOLUME_COLUMNS)
    return EXIT_OK


VOLUMES_LIST = Command(
    path=("volumes", "list"),
    aliases=("ls",),
    help="list block storage volumes (one page, or every page with --all)",
    description="List block storage volumes (GET /v2/volumes): one page, or with --all every volume exactly once.",
    add_arguments=_volumes_arguments,
    run=_run_volumes,
)
