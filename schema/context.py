"""The per-request context every resolver receives."""

from dataclasses import dataclass, field

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from schema.loaders import Loaders


@dataclass
class Context:
    engine: AsyncEngine
    request: Request | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # Fresh loaders per request: their caches must never serve one request's rows to another.
        self.loaders = Loaders(self.engine)


def create_context(*, engine: AsyncEngine, request: Request | None = None) -> Context:
    return Context(engine=engine, request=request)


Info = strawberry.Info[Context, None]
