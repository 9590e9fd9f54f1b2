"""Ask the same question of both executors, over HTTP, and compare the answers exactly."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route

from schema.http import EXECUTOR_HEADER, GraphQLView
from schema.root import schema


def ordered(body: bytes) -> Any:
    """The JSON value with every object as a list of pairs: equality then checks key order."""
    return json.loads(body, object_pairs_hook=lambda pairs: [(k, v) for k, v in pairs])


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    executor: str

    @property
    def value(self) -> Any:
        return ordered(self.body)


@dataclass
class Both:
    resolver: Answer
    compiled: Answer

    def assert_same(self) -> None:
        assert self.compiled.value == self.resolver.value, (
            f"\ncompiled: {self.compiled.body[:3000]!r}\nresolver: {self.resolver.body[:3000]!r}"
        )
        assert self.compiled.status == self.resolver.status
        assert self.compiled.content_type == self.resolver.content_type


class Client:
    def __init__(self, client: httpx.AsyncClient, view: GraphQLView) -> None:
        self.http = client
        self.view = view

    async def ask(
        self, query: str, variables: dict[str, Any] | None = None, *, resolver: bool = False
    ) -> Answer:
        headers = {EXECUTOR_HEADER: "resolver"} if resolver else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        # asyncpg reports each statement to its query loggers with `call_soon`: one turn of the
        # loop, so that a test counting statements sees the last one too.
        await asyncio.sleep(0)
        return Answer(
            response.status_code,
            response.headers["content-type"],
            response.content,
            response.headers.get(EXECUTOR_HEADER, "resolver"),
        )

    async def both(self, query: str, variables: dict[str, Any] | None = None) -> Both:
        return Both(
            resolver=await self.ask(query, variables, resolver=True),
            compiled=await self.ask(query, variables),
        )

    async def same(self, query: str, variables: dict[str, Any] | None = None) -> Both:
        stats = self.view.compiled.stats if self.view.compiled else None
        before = stats.fallbacks if stats else 0
        both = await self.both(query, variables)
        both.assert_same()
        if stats is not None and stats.fallbacks > before:
            # A statement the server refused, or a planner slip, would hide behind the
            # fallback: only the reasons the planner gives on purpose may appear.
            assert not stats.reasons.keys() & {"database", "internal"}, stats
        return both


@asynccontextmanager
async def client_for(engine: AsyncEngine) -> AsyncIterator[Client]:
    view = GraphQLView(schema, engine=lambda: engine, executor_header=True)
    app = Starlette(routes=[Route("/graphql", view)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Client(http, view)
