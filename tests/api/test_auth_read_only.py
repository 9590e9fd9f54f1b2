"""The service's own connections are READ ONLY by default: a bug in a read path cannot write.

The app's engine is created by its lifespan (as under `credence serve`); a writer says so
explicitly (`BEGIN READ WRITE`, or `SET TRANSACTION READ WRITE` first thing in a transaction),
and the importer connects on its own.
"""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

import api.app
from api.app import create_app
from api.database import create_engine
from api.settings import Settings

INSERT_SOURCE = "INSERT INTO source (key, title) VALUES ('S-RO', 'Written by a read path')"
SIDE_EFFECT = """
CREATE FUNCTION credence_test_side_effect() RETURNS integer LANGUAGE sql AS $$
    INSERT INTO source (key, title) VALUES ('S-FN', 'Written by a function') RETURNING id
$$
"""


class _App:
    """The app under its lifespan, and the engine that lifespan created for it."""

    def __init__(self, app: Starlette, engine: AsyncEngine) -> None:
        self.app = app
        self.engine = engine


@pytest.fixture
async def app(
    database_url: str, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[_App]:
    async with engine.begin() as connection:  # the test's own engine writes as before
        await connection.execute(text(SIDE_EFFECT))
    created: list[AsyncEngine] = []

    def recording_create_engine(*args: Any, **kwargs: Any) -> AsyncEngine:
        # The real factory, as the lifespan calls it; the test only keeps what it returns.
        created.append(create_engine(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(api.app, "create_engine", recording_create_engine)
    app = create_app(Settings(_env_file=None), database_url=database_url)  # type: ignore[call-arg]
    async with LifespanManager(app):
        [service_engine] = created
        yield _App(app, service_engine)


async def _sources(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT key FROM source ORDER BY key"))
        return [row.key for row in rows]


async def test_queries_are_served_on_the_read_only_engine(app: _App) -> None:
    transport = httpx.ASGITransport(app=app.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/graphql", json={"query": "{ states { totalCount } }"})
    assert response.json() == {"data": {"states": {"totalCount": 0}}}


@pytest.mark.parametrize("statement", [INSERT_SOURCE, "SELECT credence_test_side_effect()"])
async def test_a_write_in_a_transaction_of_the_app_engine_is_refused(
    app: _App, engine: AsyncEngine, statement: str
) -> None:
    # How the resolvers' loaders read: a SQLAlchemy connection, which begins a transaction.
    async with app.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="cannot execute INSERT in a read-only transaction"):
            await connection.execute(text(statement))
    assert await _sources(engine) == []


@pytest.mark.parametrize("statement", [INSERT_SOURCE, "SELECT credence_test_side_effect()"])
async def test_a_write_outside_a_transaction_is_refused_too(
    app: _App, engine: AsyncEngine, statement: str
) -> None:
    # How the compiled path reads: asyncpg's driver directly, one statement, no BEGIN.
    async with app.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await driver.fetchval(statement)
    assert await _sources(engine) == []


async def test_a_writer_that_asks_for_read_write_writes(app: _App, engine: AsyncEngine) -> None:
    async with app.engine.connect() as connection:
        await connection.execute(text("SET TRANSACTION READ WRITE"))
        await connection.execute(text(INSERT_SOURCE))
        await connection.commit()
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        async with driver.transaction():
            await driver.execute("SET TRANSACTION READ WRITE")
            await driver.fetchval("SELECT credence_test_side_effect()")
    assert await _sources(engine) == ["S-FN", "S-RO"]
    # The connection went back to the pool read-only: the next transaction cannot write.
    async with app.engine.connect() as connection:
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await connection.execute(text(INSERT_SOURCE.replace("S-RO", "S-R2")))
