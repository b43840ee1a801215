"""Test helpers for gradientai_rs: a fake DigitalOcean snapshots API.

This subpackage uses only the standard library and never imports its parent package, so it
works without the compiled extension::

    from gradientai_rs.testing import FakeDigitalOcean

    with FakeDigitalOcean(120, seed=7) as fake:
        ...  # point a client at fake.url with token "fake-token"

Run ``python -m gradientai_rs.testing --help`` for a standalone server.
"""

from ._data import generate_snapshots
from ._fake import FakeDigitalOcean, RecordedRequest

__all__ = ["FakeDigitalOcean", "RecordedRequest", "generate_snapshots"]
