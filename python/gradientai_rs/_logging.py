"""Logging: records from the Rust core arrive in Python's :mod:`logging` under ``gradientai_rs`` (``.http``,
``.pagination``, ``.ratelimit``). ``GRADIENTAI_RS_LOG=debug|info`` adds a stderr handler, like the SDK's
``GRADIENT_AI_LOG``. No record ever contains the token (it is never formatted anywhere)."""

from __future__ import annotations

import logging
import os
from typing import Union

from . import _core

LOGGER_NAME = "gradientai_rs"
_FORMAT = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"


def reset_logging() -> None:
    """Call after changing the level of a ``gradientai_rs`` logger: the Rust side caches levels."""
    _core._reset_logging()


def enable_logging(level: Union[int, str] = "info") -> logging.Handler:
    """Sends ``gradientai_rs`` records at ``level`` and above to stderr; returns the handler."""
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):
            raise ValueError(f"level must be 'debug', 'info', 'warning' or 'error', got {level!r}")
    logger = logging.getLogger(LOGGER_NAME)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT, "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(level)
    reset_logging()
    return handler


def _configure_from_env() -> None:
    value = os.environ.get("GRADIENTAI_RS_LOG", "").strip().lower()
    if value in ("debug", "info"):
        enable_logging(value)
