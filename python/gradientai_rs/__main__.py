"""``python -m gradientai_rs`` and the ``gradientai-rs`` console script: see :mod:`gradientai_rs.cli`."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
