"""What one request may ask for: depth, aliases and tokens are limited, with clear errors."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.limits import MAX_ALIASES, MAX_QUERY_DEPTH, MAX_TOKENS

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), database_url=database_url, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _post(client: httpx.AsyncClient, query: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
    )


def _nested(depth: int) -> str:
    """A query whose deepest field is at `depth` (root fields are at 0).

    states > nodes > recognitionsGiven > nodes > recognizer > recognitionsGiven > ..., closed by
    `__typename` (valid on every type) at `depth`.
    """
    # Pages of 2: at the default size, four nested connections may cost more than allowed.
    chain = (
        ["states(first: 2)", "nodes"]
        + ["recognitionsGiven(first: 2)", "nodes", "recognizer"] * depth
    )[:depth]
    query = "__typename"
    for field in reversed(chain):
        query = f"{field} {{ {query} }}"
    return f"{{ {query} }}"


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


async def test_a_query_at_the_depth_limit_runs(client: httpx.AsyncClient) -> None:
    response = await _post(client, _nested(MAX_QUERY_DEPTH))
    assert response.status_code == 200
    assert response.json() == {"data": {"states": {"nodes": []}}}


async def test_a_query_deeper_than_the_limit_is_rejected(client: httpx.AsyncClient) -> None:
    response = await _post(client, _nested(MAX_QUERY_DEPTH + 1))
    assert response.status_code == 400
    error = _error(response)
    assert error["message"] == f"'anonymous' exceeds maximum operation depth of {MAX_QUERY_DEPTH}"
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_too_many_aliases_are_rejected(client: httpx.AsyncClient) -> None:
    allowed = " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES))
    assert (await _post(client, f"{{ {allowed} }}")).status_code == 200

    response = await _post(client, f"{{ {allowed} one_more: __typename }}")
    assert response.status_code == 400
    error = _error(response)
    assert error["message"] == f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_document_of_too_many_tokens_is_not_even_parsed(client: httpx.AsyncClient) -> None:
    response = await _post(client, "{ " + "__typename " * MAX_TOKENS + "}")
    assert response.status_code == 400
    error = _error(response)
    assert f"more than {MAX_TOKENS} tokens" in error["message"]
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


async def test_a_cyclic_introspection_query_is_rejected(client: httpx.AsyncClient) -> None:
    # Introspection types refer to each other: nested, they grow the answer exponentially.
    cyclic = "fields { type { " * 4 + "name" + " } }" * 4
    response = await _post(client, f"{{ __schema {{ types {{ {cyclic} }} }} }}")
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert {e["message"] for e in body["errors"]} == {"Maximum introspection depth exceeded"}
    assert {e["extensions"]["code"] for e in body["errors"]} == {"GRAPHQL_VALIDATION_FAILED"}


async def test_graphiqls_introspection_query_fits_the_limits(client: httpx.AsyncClient) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    response = await _post(client, query)
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_a_repeated_query_is_served_from_the_caches(client: httpx.AsyncClient) -> None:
    # The same document twice: the second is parsed and validated from the (bounded) caches,
    # which must not change the answer.
    first = await _post(client, "{ states(first: 1) { totalCount } }")
    second = await _post(client, "{ states(first: 1) { totalCount } }")
    assert first.json() == second.json() == {"data": {"states": {"totalCount": 0}}}
