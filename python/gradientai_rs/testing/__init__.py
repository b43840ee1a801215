"""Test helpers for gradientai_rs: a fake DigitalOcean API (snapshots, droplets, volumes).

This subpackage uses only the standard library and never imports its parent package, so it
works without the compiled extension::

    from gradientai_rs.testing import FakeDigitalOcean

    with FakeDigitalOcean(120, seed=7) as fake:
        ...  # point a client at fake.url with token "fake-token"

Run ``python -m gradientai_rs.testing --help`` for a standalone server; docs/testing.md describes the fake.
"""

from ._data import generate_history, generate_snapshots
from ._fake import FakeDigitalOcean, RecordedRequest, Switches
from ._sources import Sources, generate_sources, is_gpu_droplet

__all__ = [
    "FakeDigitalOcean",
    "RecordedRequest",
    "Sources",
    "Switches",
    "generate_history",
    "generate_snapshots",
    "generate_sources",
    "is_gpu_droplet",
]
