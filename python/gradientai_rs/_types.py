"""Small value types shared by the client, responses and exceptions."""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple, Optional


class RateLimit(NamedTuple):
    """DigitalOcean's ``ratelimit-*`` headers from one answer.

    ``limit``: requests per hour; ``remaining``: left in the sliding hour; ``reset``: unix time when the oldest
    request of the window expires.
    """

    limit: Optional[int]
    remaining: Optional[int]
    reset: Optional[int]

    @property
    def reset_at(self) -> Optional[_dt.datetime]:
        """``reset`` as an aware UTC ``datetime``."""
        if self.reset is None:
            return None
        return _dt.datetime.fromtimestamp(self.reset, tz=_dt.timezone.utc)
