"""The per-request context every resolver receives."""

from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from api.change_listener import ChangeListener
from api.roles import ANONYMOUS, Principal
from schema.loaders import Loaders


@dataclass
class Context:
    engine: AsyncEngine
    request: Request | None = None
    # Set by the HTTP layer from the request's bearer token (api.auth); anonymous by default.
    principal: Principal = ANONYMOUS
    # The process's change listener, which wakes subscriptions (set by the live transports).
    changes: ChangeListener | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Fresh loaders per request: their caches must never serve one request's rows to another.
        self.loaders = Loaders(self.engine)


def create_context(
    *, engine: AsyncEngine, request: Request | None = None, principal: Principal = ANONYMOUS
) -> Context:
    return Context(engine=engine, request=request, principal=principal)


Info = strawberry.Info[Context, None]
