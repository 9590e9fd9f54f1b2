"""The app factory: probes for operators, the engine's lifespan, request ids."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.app import create_app
from api.database import create_engine
from api.database_url import with_database
from api.settings import Settings


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
async def client(
    settings: Settings, database_url: str, engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_app(settings, database_url=database_url, engine=engine)) as client:
        yield client


@pytest.fixture
async def missing_database_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database that does not exist on a server that does."""
    engine = create_engine(with_database(database_url, f"credence_missing_{uuid.uuid4().hex[:8]}"))
    yield engine
    await engine.dispose()


async def test_healthz_says_the_process_is_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_readyz_is_503_with_a_reason_when_the_database_does_not_exist(
    settings: Settings, database_url: str, missing_database_engine: AsyncEngine
) -> None:
    url = missing_database_engine.url.render_as_string(hide_password=False)
    app = create_app(settings, database_url=url, engine=missing_database_engine)
    async with _client(app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["reason"].startswith("database unavailable (")
    # The probe names the failure, not the server's address or the database's name.
    assert "credence_missing" not in body["reason"]


async def test_the_lifespan_creates_the_engine_and_disposes_of_it(
    settings: Settings, database_url: str
) -> None:
    app = create_app(settings, database_url=database_url)
    async with LifespanManager(app), _client(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        graphql = await client.post("/graphql", json={"query": "{ __typename }"})
        assert graphql.json() == {"data": {"__typename": "Query"}}
    async with _client(app) as client:
        after = await client.get("/readyz")
    assert after.status_code == 503
    assert "not started" in after.json()["reason"]


async def test_without_a_lifespan_or_an_engine_readyz_says_why(
    settings: Settings, database_url: str
) -> None:
    async with _client(create_app(settings, database_url=database_url)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "not started" in response.json()["reason"]


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first and second and first != second


async def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert kept.headers["x-request-id"] == "lb-1234.abc"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert replaced.headers["x-request-id"] != "x" * 500


async def test_the_home_page_leads_to_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code in (302, 307)
    assert response.headers["location"] == "http://test/graphql"


async def test_graphql_without_an_engine_is_a_masked_500_and_the_log_says_why(
    settings: Settings, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with _client(create_app(settings, database_url=database_url)) as client:
        response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
        ]
    }
    [record] = [r for r in caplog.records if request_id in r.getMessage()]
    assert record.exc_info is not None
    assert "lifespan" in str(record.exc_info[1])
