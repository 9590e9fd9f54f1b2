"""The HTTP layer refuses what a careless or hostile caller sends, clearly and cheaply.

Bodies over the limit, unreadable bodies, the production switches (introspection, suggestions,
metrics, the executor header), the protective headers, and statements that run too long.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.settings import Settings
from schema.http import EXECUTOR_HEADER

GRAPHQL_RESPONSE = "application/graphql-response+json"
STATES = "{ states(first: 2) { nodes { iso3 } } }"


def _settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)  # type: ignore[call-arg]


def _client(engine: AsyncEngine, **overrides: Any) -> httpx.AsyncClient:
    app = create_app(_settings(**overrides), database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(seed: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(seed) as client:
        yield client


async def test_a_body_over_the_limit_is_413_before_it_is_read(seed: AsyncEngine) -> None:
    async with _client(seed, max_body_bytes=10_000) as client:
        padding = " " * 20_000
        response = await client.post("/graphql", json={"query": "{ __typename }" + padding})
        assert response.status_code == 413
        [error] = response.json()["errors"]
        assert "10,000 bytes" in error["message"]
        # Just under the limit is served.
        fits = await client.post("/graphql", json={"query": "{ __typename }" + " " * 9_000})
        assert fits.status_code == 200


async def test_a_chunked_body_over_the_limit_is_413_too(seed: AsyncEngine) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(100):
            yield b" " * 1_000  # no Content-Length: counted as it arrives
        yield b'"}'

    async with _client(seed, max_body_bytes=10_000) as client:
        response = await client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"query": "{ search(text: \\"\xff\xfe\\") { score } }"}', "not valid UTF-8"),
        (
            b'{"query": "query($t: String!) { search(text: $t) { score } }", '
            b'"variables": {"t": "\\ud800"}}',
            "surrogate",
        ),
    ],
)
async def test_an_unreadable_body_is_400_with_the_reason(
    client: httpx.AsyncClient, body: bytes, reason: str
) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await client.post(
            "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
        )
        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["message"].startswith("The request body is not valid JSON")
        assert reason in error["message"]


@pytest.mark.parametrize(
    "path", ["/graphql", "/healthz", "/readyz", "/graphql/assets/graphiql.min.css"]
)
async def test_every_response_carries_the_protective_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, params={"query": "{ __typename }"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_raw_graphiql_template_is_not_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/graphql/assets/index.html")).status_code == 404
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    asset = await client.get("/graphql/assets/graphiql.min.css")
    assert asset.status_code == 200
    assert "default-src 'self'" in asset.headers["content-security-policy"]


async def test_the_executor_header_is_honoured_only_in_debug_mode(seed: AsyncEngine) -> None:
    for debug, served_by in ((False, "compiled"), (True, None)):
        async with _client(seed, debug=debug) as client:
            response = await client.post(
                "/graphql", json={"query": STATES}, headers={EXECUTOR_HEADER: "resolver"}
            )
            assert response.status_code == 200
            assert response.headers.get(EXECUTOR_HEADER) == served_by


async def test_introspection_can_be_turned_off(seed: AsyncEngine) -> None:
    async with _client(seed, introspection=False) as client:
        for query in ("{ __schema { types { name } } }", '{ __type(name: "State") { name } }'):
            response = await client.post(
                "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
            )
            assert response.status_code == 400
            errors = response.json()["errors"]
            assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
            assert "introspection has been disabled" in errors[0]["message"]
        # __typename is not introspection of the schema: clients rely on it.
        allowed = await client.post("/graphql", json={"query": "{ __typename }"})
        assert allowed.json() == {"data": {"__typename": "Query"}}
    async with _client(seed) as client:
        on = await client.post("/graphql", json={"query": "{ __schema { queryType { name } } }"})
        assert on.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_field_suggestions_can_be_turned_off(seed: AsyncEngine) -> None:
    query = {"query": "{ statez { totalCount } }"}
    async with _client(seed) as client:
        [error] = (await client.post("/graphql", json=query)).json()["errors"]
        assert "Did you mean" in error["message"]
    async with _client(seed, field_suggestions=False) as client:
        [error] = (await client.post("/graphql", json=query)).json()["errors"]
        assert error["message"] == "Cannot query field 'statez' on type 'Query'."


async def test_metrics_can_be_moved_or_turned_off(seed: AsyncEngine) -> None:
    async with _client(seed, metrics_path="/internal/metrics") as client:
        assert (await client.get("/internal/metrics")).status_code == 200
        assert (await client.get("/metrics")).status_code == 404
    async with _client(seed, metrics_path="") as client:
        assert (await client.get("/metrics")).status_code == 404


@pytest.mark.parametrize("executor", ["compiled", "resolver"])
async def test_a_statement_over_the_timeout_is_cancelled_with_a_clear_error(
    seeded_database: str, executor: str
) -> None:
    # A statement stuck behind a lock counts toward statement_timeout like a slow one.
    engine = create_engine(
        seeded_database, application_name="credence-tests", statement_timeout=0.3
    )
    blocker = await asyncpg.connect(to_asyncpg_dsn(seeded_database))
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE state IN ACCESS EXCLUSIVE MODE")
            async with _client(engine, debug=True) as client:
                response = await asyncio.wait_for(
                    client.post(
                        "/graphql",
                        json={"query": STATES},
                        headers={EXECUTOR_HEADER: executor, "accept": GRAPHQL_RESPONSE},
                    ),
                    timeout=10,
                )
        assert response.status_code == 200
        errors = response.json()["errors"]
        assert {e["extensions"]["code"] for e in errors} == {"STATEMENT_TIMEOUT"}
        assert "statement timeout" in errors[0]["message"]
    finally:
        await engine.dispose()
        await blocker.close()


@pytest.mark.parametrize("body", [b"1", b'"x"', b"null", b"true"])
async def test_a_body_that_is_json_but_not_an_object_is_400(
    client: httpx.AsyncClient, body: bytes
) -> None:
    # Found by bench/fuzz.py: these were 500s.
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "The request body must be a JSON object."}]}
