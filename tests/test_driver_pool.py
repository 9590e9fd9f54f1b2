"""The compiled reads' own connection pool: bounded, fair under load, and never handing a request
a connection in an unknown state."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.driver_pool import driver_pool
from api.settings import Settings

QUERY = {"query": "{ states(first: 5, orderBy: ISO3_ASC) { nodes { iso3 } } }"}


@pytest.fixture
def application_name() -> str:
    return f"credence-pool-{uuid.uuid4().hex[:8]}"


async def _backends(database_url: str, application_name: str) -> int:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
        return count
    finally:
        await connection.close()


def _engine(database_url: str, application_name: str, **options: float) -> AsyncEngine:
    return create_engine(
        database_url,
        application_name=application_name,
        pool_size=int(options.get("pool_size", 3)),
        pool_timeout=options.get("pool_timeout", 5.0),
        read_only=True,
    )


@asynccontextmanager
async def _client(
    database_url: str, engine: AsyncEngine, **settings: int
) -> AsyncIterator[httpx.AsyncClient]:
    """The app over `engine`, asked in this process."""
    app = create_app(
        Settings(_env_file=None, **settings),  # type: ignore[call-arg]
        database_url=database_url,
        engine=engine,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def client_and_engine(
    database_url: str, application_name: str
) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    engine = _engine(database_url, application_name, pool_size=3, pool_timeout=0.5)
    async with _client(database_url, engine, retry_after=7) as client:
        yield client, engine
    await engine.dispose()


async def test_many_concurrent_reads_share_at_most_the_pool_size(
    client_and_engine: tuple[httpx.AsyncClient, AsyncEngine],
    database_url: str,
    application_name: str,
) -> None:
    client, engine = client_and_engine
    answers = await asyncio.gather(*(client.post("/graphql", json=QUERY) for _ in range(40)))
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["x-credence-executor"] for a in answers} == {"compiled"}
    pool = driver_pool(engine)
    assert pool is not None and 1 <= pool.opened <= 3
    assert await _backends(database_url, application_name) <= 3
    metrics = (await client.get("/metrics")).text
    open_now = re.search(r"^credence_db_compiled_pool_open (\S+)$", metrics, re.MULTILINE)
    in_use = re.search(r"^credence_db_compiled_pool_in_use (\S+)$", metrics, re.MULTILINE)
    assert open_now is not None and float(open_now.group(1)) == pool.opened
    assert in_use is not None and float(in_use.group(1)) == 0


async def test_an_exhausted_pool_answers_a_retryable_503_and_recovers(
    client_and_engine: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    client, engine = client_and_engine
    pool = driver_pool(engine)
    assert pool is not None
    held = [await pool.acquire() for _ in range(3)]  # every connection busy elsewhere
    busy = await client.post("/graphql", json=QUERY)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "7"
    assert busy.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    for connection in held:
        pool.release(connection)
    again = await client.post("/graphql", json=QUERY)
    assert again.status_code == 200 and again.json()["data"]["states"]["nodes"] == []


async def test_a_waiting_request_gets_the_next_connection_returned(
    client_and_engine: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    client, engine = client_and_engine
    pool = driver_pool(engine)
    assert pool is not None
    held = [await pool.acquire() for _ in range(3)]
    waiting = asyncio.create_task(client.post("/graphql", json=QUERY))
    await asyncio.sleep(0.1)
    assert not waiting.done(), "it waits for a connection"
    pool.release(held.pop())
    assert (await waiting).status_code == 200
    for connection in held:
        pool.release(connection)


async def test_connections_the_server_closed_are_replaced(
    client_and_engine: tuple[httpx.AsyncClient, AsyncEngine],
    database_url: str,
    application_name: str,
) -> None:
    client, _ = client_and_engine
    assert (await client.post("/graphql", json=QUERY)).status_code == 200
    admin = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            application_name,
        )
    finally:
        await admin.close()
    assert killed >= 1
    statuses = [(await client.post("/graphql", json=QUERY)).status_code for _ in range(4)]
    # A connection found dead mid-request is a retryable 503 for that request only.
    assert set(statuses) <= {200, 503} and statuses[-2:] == [200, 200]


async def test_disposing_the_engine_closes_the_compiled_reads_connections(
    database_url: str, application_name: str
) -> None:
    engine = _engine(database_url, application_name)
    async with _client(database_url, engine) as client:
        await asyncio.gather(*(client.post("/graphql", json=QUERY) for _ in range(6)))
    assert await _backends(database_url, application_name) >= 1
    await engine.dispose()
    for _ in range(50):
        if await _backends(database_url, application_name) == 0:
            break
        await asyncio.sleep(0.05)
    assert await _backends(database_url, application_name) == 0
