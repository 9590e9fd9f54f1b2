"""A GraphQL client over the bundled seed, for the tests that ask the reference data questions."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.app import create_app
from api.database import create_engine
from api.settings import Settings


@asynccontextmanager
async def graphql_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(database_url, application_name="credence-tests", pool_size=2)
    app = create_app(Settings(_env_file=None), database_url=database_url, engine=engine)  # type: ignore[call-arg]
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        await engine.dispose()


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    """The `data` of a query that must succeed."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data
