"""The per-request context every resolver receives."""

from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from api.roles import ANONYMOUS, Principal
from schema.loaders import Loaders


@dataclass
class Context:
    engine: AsyncEngine
    request: Request | None = None
    # Where queries read (a replica, or the primary); `engine`, the primary, takes the writes.
    read_engine: AsyncEngine | None = None
    # Set by the HTTP layer from the request's bearer token (api.auth); anonymous by default.
    principal: Principal = ANONYMOUS
    loaders: Loaders = field(init=False)

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
