"""The per-request context every resolver receives."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from api.change_listener import ChangeListener
from api.roles import ANONYMOUS, Principal
from schema.loaders import Loaders
from schema.recorded import instant


@dataclass
class StreamMark:
    """Where a `changes` stream stands, for the live transports (`schema.live`) to let the
    subscriptions that are in step share one execution."""

    # Start after this change id, instead of `after` (a subscription taken over at its cursor).
    resume: int | None = None
    # The id of the change last yielded.
    last: int | None = None
    # While the stream waits for a wake-up with every id up to this one settled and nothing else
    # held (no gap, nothing counted as seen ahead): a fresh stream from here would be its twin.
    idle_at: int | None = None
    # Called as the stream starts to wait (idle_at set).
    on_idle: Callable[[], None] | None = None


@dataclass
class Context:
    engine: AsyncEngine
    request: Request | None = None
    # Where queries read (a replica, or the primary); `engine`, the primary, takes the writes.
    read_engine: AsyncEngine | None = None
    # Set by the HTTP layer from the request's bearer token (api.auth); anonymous by default.
    principal: Principal = ANONYMOUS
    # The process's change listener, which wakes subscriptions (set by the live transports).
    changes: ChangeListener | None = None
    # Set by `changes` as it goes; read by the live transports.
    stream: StreamMark = field(default_factory=StreamMark)
    loaders: Loaders = field(init=False)
    # Root response key -> the recorded instant its fields read (`asRecordedAt`).
    instants: dict[str, str] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Fresh loaders per request: their caches must never serve one request's rows to another.
        self.loaders = Loaders(self.read_engine or self.engine)


def create_context(
    *,
    engine: AsyncEngine,
    read_engine: AsyncEngine | None = None,
    request: Request | None = None,
    principal: Principal = ANONYMOUS,
) -> Context:
    return Context(engine=engine, read_engine=read_engine, request=request, principal=principal)


Info = strawberry.Info[Context, None]


def loaders_for(info: Info) -> Loaders:
    """The loaders of the instant `info`'s root field reads (the present unless it gave
    `asRecordedAt`): nested fields read the same instant as the root they are under."""
    context = info.context
    if not context.instants:
        return context.loaders
    path = info.path
    while path.prev is not None:
        path = path.prev
    recorded_at = context.instants.get(str(path.key))
    return context.loaders if recorded_at is None else context.loaders.at(recorded_at)


def root_loaders(info: Info, as_recorded_at: datetime | None) -> Loaders:
    """A root field's loaders; its `asRecordedAt` is kept for the fields under it."""
    if as_recorded_at is None:
        return info.context.loaders
    recorded_at = instant(as_recorded_at)
    info.context.instants[str(info.path.key)] = recorded_at
    return info.context.loaders.at(recorded_at)
