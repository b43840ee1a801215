"""Coroutines around the Rust futures of ``AsyncGradientAI``: like the SDK's ``async def`` methods, a call returns a
coroutine (so ``asyncio.create_task(client.….list())`` works) and the request starts only when it is awaited."""

from __future__ import annotations

import warnings
from typing import Any, Awaitable, Callable

from ._exceptions import ListingChangedWarning


async def await_later(start: Callable[[], Awaitable[Any]]) -> Any:
    return await start()


async def await_listing(start: Callable[[], Awaitable[Any]]) -> Any:
    result = await start()
    if result.changed:
        # stacklevel 2: the line that awaited list_all().
        warnings.warn(result.changed, ListingChangedWarning, stacklevel=2)
    return result
