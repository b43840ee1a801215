"""The fake's behaviour switches (:class:`Switches`): one table of names, defaults and validation.

Standard library only; never imports the parent package.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any, Iterable, Mapping, Optional, Tuple, Union

__all__ = ["DEFAULT_BURST_WINDOW_S", "DEFAULT_SWITCHES", "RATELIMIT_LIMIT", "REFUSABLE", "Switches"]

# DigitalOcean's limits: 5,000 requests an hour and 250 a minute
# (https://docs.digitalocean.com/reference/api/api-reference/#section/Introduction/Rate-Limit).
RATELIMIT_LIMIT = 5000
DEFAULT_BURST_WINDOW_S = 60.0
# What the ``refuse`` switch can refuse: snapshot, droplet (every type) and volume reads, or the GPU listing only.
REFUSABLE = ("droplets", "gpus", "snapshots", "volumes")


def _statuses(name: str, value: Iterable[int]) -> tuple[int, ...]:
    out = tuple(int(s) for s in value)
    if any(not 400 <= s <= 599 for s in out):
        raise ValueError(f"{name} statuses must be within 400..599")
    return out


def _share(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be within 0..1")
    return value


@dataclasses.dataclass(frozen=True)
class Switches:
    """The fake's behaviour switches, with their defaults. Each field is a keyword of ``FakeDigitalOcean(...)``
    and of :meth:`FakeDigitalOcean.configure`; values are validated and normalised here (an unknown name is a
    ``TypeError``, a bad value a ``ValueError``), so a ``Switches`` is always consistent. Read the current ones
    as ``fake.switches``.

    - ``token``: the accepted bearer token; None accepts any non-empty one.
    - ``latency_ms``: a sleep before every answer.
    - ``error_rate`` (0..1): that share of requests answer 500 or 503, from a sequence seeded by ``seed``.
    - ``gzip``: gzip bodies when the client sends ``Accept-Encoding: gzip``.
    - ``links_base``: the base URL of pagination links (default: the fake's own URL).
    - ``echo_resource_type``: whether the links of a ``resource_type``-filtered snapshot list repeat the filter.
    - ``truncate_pages``: list pages whose body is cut in half (invalid JSON, right ``content-length``).
    - ``fail_pages``: ``{page: [status, ...]}``: the next list requests of that page answer these, in turn.
    - ``burst_limit`` / ``burst_window_s``: at most that many requests per window, then 429 (None: no limit).
    - ``retry_after``: the ``retry-after`` value of 429s (None: no header).
    - ``hourly_remaining``: the hourly quota left; each answered request takes one, 0 answers 429.
      Setting it resets the counter.
    - ``insert_per_list_request``: that many new snapshots are added at the front after every list answer.
    - ``hang`` / ``hang_paths``: every request, or those of these paths, hang until released or closed.
    - ``delete_failures``: ``{snapshot_id: status or [status, ...]}``: an int fails every ``DELETE`` of that
      snapshot, a list fails the next attempts in turn and then lets the delete through.
    - ``delete_error_rate`` (0..1): that share of the other deletes answer 500 (seeded by ``seed``).
    - ``refuse``: reads answered 403 ``{"id": "forbidden", "message": "You are not authorized to perform this
      operation"}``, as for a token without the scope: any of ``"snapshots"`` (``GET /v2/snapshots`` and
      ``/v2/snapshots/{id}``), ``"droplets"`` (``GET /v2/droplets`` of every type and ``/v2/droplets/{id}``),
      ``"gpus"`` (``GET /v2/droplets?type=gpus`` only) and ``"volumes"`` (``GET /v2/volumes`` and
      ``/v2/volumes/{id}``). A string is one name.

    ``fail_pages``, ``truncate_pages`` and ``insert_per_list_request`` apply to snapshot list pages only.

    ``fail_pages``, ``delete_failures`` and ``hourly_remaining`` are plans the fake consumes: configuring one
    restarts it from the given value; configuring other switches leaves them where they are.
    """

    token: Optional[str] = "fake-token"
    latency_ms: float = 0.0
    error_rate: float = 0.0
    gzip: bool = False
    links_base: Optional[str] = None
    echo_resource_type: bool = True
    truncate_pages: frozenset[int] = frozenset()
    fail_pages: Mapping[int, Tuple[int, ...]] = dataclasses.field(default_factory=dict)
    burst_limit: Optional[int] = None
    burst_window_s: float = DEFAULT_BURST_WINDOW_S
    retry_after: Optional[str] = "1"
    hourly_remaining: int = RATELIMIT_LIMIT
    insert_per_list_request: int = 0
    hang: bool = False
    hang_paths: frozenset[str] = frozenset()
    delete_failures: Mapping[str, Union[int, Tuple[int, ...]]] = dataclasses.field(default_factory=dict)
    delete_error_rate: float = 0.0
    refuse: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalising must be idempotent: ``dataclasses.replace`` passes the normalised values of the other fields.
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("token", None if self.token is None else str(self.token))
        put("latency_ms", max(0.0, float(self.latency_ms)))
        put("error_rate", _share("error_rate", self.error_rate))
        put("gzip", bool(self.gzip))
        put("links_base", None if self.links_base is None else str(self.links_base).rstrip("/"))
        put("echo_resource_type", bool(self.echo_resource_type))
        put("truncate_pages", frozenset(int(p) for p in (self.truncate_pages or ())))
        fail_pages = {int(p): tuple(int(s) for s in statuses) for p, statuses in (self.fail_pages or {}).items()}
        put("fail_pages", types.MappingProxyType(fail_pages))
        if self.burst_limit is not None and int(self.burst_limit) < 0:
            raise ValueError("burst_limit must be >= 0")
        put("burst_limit", None if self.burst_limit is None else int(self.burst_limit))
        put("burst_window_s", float(self.burst_window_s))
        put("retry_after", None if self.retry_after is None else str(self.retry_after))
        put("hourly_remaining", int(self.hourly_remaining))
        put("insert_per_list_request", max(0, int(self.insert_per_list_request)))
        put("hang", bool(self.hang))
        hang_paths = self.hang_paths
        put("hang_paths", frozenset({hang_paths} if isinstance(hang_paths, str) else (hang_paths or ())))
        plans: dict[str, int | tuple[int, ...]] = {}
        for sid, plan in (self.delete_failures or {}).items():
            if isinstance(plan, int):
                plans[str(sid)] = _statuses("delete_failures", [plan])[0]
            else:
                plans[str(sid)] = _statuses("delete_failures", plan)
        put("delete_failures", types.MappingProxyType(plans))
        put("delete_error_rate", _share("delete_error_rate", self.delete_error_rate))
        refuse = frozenset({self.refuse} if isinstance(self.refuse, str) else (self.refuse or ()))
        unknown = sorted(str(name) for name in refuse - set(REFUSABLE))
        if unknown:
            raise ValueError(f"refuse: unknown listing(s) {', '.join(unknown)}; choose from {', '.join(REFUSABLE)}")
        put("refuse", refuse)

    @property
    def latency_s(self) -> float:
        return self.latency_ms / 1000.0

    def replace(self, **changes: Any) -> Switches:
        """A copy with these switches changed (``dataclasses.replace``, with the valid names in the error)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            names = ", ".join(f.name for f in dataclasses.fields(self))
            raise TypeError(f"unknown switch(es): {', '.join(unknown)}; the switches are: {names}")
        return dataclasses.replace(self, **changes)


DEFAULT_SWITCHES = Switches()
