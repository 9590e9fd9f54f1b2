from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.compiled.harness import Client, client_for
from tests.schema.compiled.operations import Pools, pools_of
from tests.schema.compiled.synthetic import build_synthetic


@pytest.fixture
async def world_client(world: AsyncEngine) -> AsyncIterator[Client]:
    async with client_for(world) as client:
        yield client


@pytest.fixture
async def seed_client(seed: AsyncEngine) -> AsyncIterator[Client]:
    async with client_for(seed) as client:
        yield client


@pytest.fixture
async def synthetic(engine: AsyncEngine) -> AsyncIterator[tuple[Client, Pools]]:
    """A fresh database holding the synthetic world, a client and the keys it holds."""
    async with engine.begin() as connection:
        await build_synthetic(connection)
    async with client_for(engine) as client:
        yield client, await pools_of(engine)
