from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import migrations
from api.database import create_engine
from tests.databases import create_database, drop_database, server_url


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """URL of the server the tests run on (its `postgres` database)."""
    return server_url()


@pytest.fixture(scope="session")
def template_database(postgres_server: str) -> Iterator[str]:
    """Name of a database migrated to head, used as the template for fresh databases."""
    url = create_database(postgres_server, prefix="credence_tpl")
    migrations.upgrade(url)
    yield str(make_url(url).database)
    drop_database(url)


@pytest.fixture
def database_url(postgres_server: str, template_database: str) -> Iterator[str]:
    """A fresh, empty, migrated database of this test's own."""
    url = create_database(postgres_server, prefix="credence_t", template=template_database)
    yield url
    drop_database(url)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, application_name="credence-tests", pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        yield connection


@pytest.fixture(scope="session")
def seeded_database(postgres_server: str, template_database: str) -> Iterator[str]:
    """URL of a database holding the bundled seed, loaded once per session. Tests only read it."""
    import asyncio

    from api.seed import load_seed

    url = create_database(postgres_server, prefix="credence_seed", template=template_database)
    asyncio.run(load_seed(url, actor="tests"))
    yield url
    drop_database(url)
