"""A GraphQL client for the mutation tests: the HTTP app on a fresh database holding a few
states, sources and a government, and requests made as a given principal."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.importer import ImportOptions, RowsInput, import_inputs
from api.roles import Principal, Role
from api.settings import Settings
from schema.context import Context, create_context
from schema.http import GraphQLView

BASE: dict[str, list[dict[str, Any]]] = {
    "states": [
        {"iso3": "AFG", "name": "Afghanistan"},
        {"iso3": "RUS", "name": "Russian Federation"},
        {"iso3": "PAK", "name": "Pakistan"},
        {"iso3": "CHN", "name": "China"},
        {"iso3": "USA", "name": "United States"},
    ],
    "sources": [
        {"key": "S1", "title": "First source"},
        {"key": "S2", "title": "Second source"},
        {"key": "S3", "title": "Third source"},
    ],
    "governments": [
        {
            "key": "AFG:islamic-emirate",
            "state": "AFG",
            "name": "Islamic Emirate of Afghanistan",
            "periods": ["1996-09-27/2001-11-13", "2021-08-15/"],
        }
    ],
}

# Until tokens are verified by the HTTP layer, the tests say who they are in this header
# (`role:subject`); the view below turns it into the request's principal.
PRINCIPAL_HEADER = "x-test-principal"


class _TestView(GraphQLView):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        said = request.headers.get(PRINCIPAL_HEADER)
        principal = Principal()
        if said:
            role, _, subject = said.partition(":")
            principal = Principal(Role(role), subject or role, authenticated=True)
        return create_context(engine=self._engine(), request=request, principal=principal)


def as_role(role: str, subject: str | None = None) -> dict[str, str]:
    return {PRINCIPAL_HEADER: f"{role}:{subject or role}"}


EDITOR = as_role("editor", "erin")
ADMIN = as_role("admin", "ada")
READER = as_role("reader", "rita")


async def load(database_url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    summary = await import_inputs(
        [RowsInput(entity, entity, items) for entity, items in rows.items()],
        database_url=database_url,
        options=ImportOptions(actor="tests"),
    )
    assert summary.committed, [str(e) for e in summary.errors]


@asynccontextmanager
async def mutation_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load(database_url, BASE)
    engine = create_engine(database_url, application_name="credence-tests", pool_size=4)
    original = GraphQLView.get_context
    GraphQLView.get_context = _TestView.get_context  # type: ignore[method-assign]
    try:
        app = create_app(Settings(_env_file=None), database_url=database_url, engine=engine)  # type: ignore[call-arg]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        GraphQLView.get_context = original  # type: ignore[method-assign]
        await engine.dispose()


async def post(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    """The whole answer body (data and errors)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ok(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    body = await post(client, query, headers, **variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def only_error(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    body = await post(client, query, headers, **variables)
    assert body.get("data") is None, body
    [error] = body["errors"]
    found: dict[str, Any] = error
    return found


async def change_log_size(database_url: str) -> int:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM change_log"))
    finally:
        await connection.close()
