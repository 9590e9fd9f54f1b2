"""Throw-away PostgreSQL databases for the tests, on TEST_DATABASE_URL or an embedded server.

Each test session migrates one template database; tests that need a database of their own get a
copy of it (`CREATE DATABASE ... TEMPLATE`, much faster than migrating again). Every database
created here has a random name, so several test runs can share one server.
"""

import asyncio
import os
import uuid

import asyncpg

from api.database_url import to_asyncpg_dsn, with_database
from api.embedded import start_temporary_server


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or start_temporary_server()


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(with_database(url, "postgres")))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def create_database(server: str, *, prefix: str, template: str | None = None) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"{clause}'))
    return with_database(server, name)


def drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
