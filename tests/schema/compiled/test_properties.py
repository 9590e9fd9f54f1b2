"""Random valid operations, answered by both executors, on the seed and on a synthetic world."""

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.compiled.harness import Client, client_for
from tests.schema.compiled.operations import Pools, operations, pools_of

SETTINGS = settings(
    max_examples=int(os.environ.get("CREDENCE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def seeded(seed: AsyncEngine) -> AsyncIterator[tuple[Client, Pools]]:
    async with client_for(seed) as client:
        yield client, await pools_of(seed)


@SETTINGS
@given(data=st.data())
async def test_random_operations_on_a_synthetic_world(
    synthetic: tuple[Client, Pools], data: st.DataObject
) -> None:
    client, pools = synthetic
    query, variables = data.draw(operations(pools))
    await client.same(query, variables)


@SETTINGS
@given(data=st.data())
async def test_random_operations_on_the_seed(
    seeded: tuple[Client, Pools], data: st.DataObject
) -> None:
    client, pools = seeded
    query, variables = data.draw(operations(pools))
    await client.same(query, variables)


async def test_the_generator_mostly_compiles(synthetic: tuple[Client, Pools]) -> None:
    client, pools = synthetic
    served: list[str] = []

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        cases.append(data.draw(operations(pools)))

    cases: list[tuple[str, dict[str, Any]]] = []
    draw()
    for query, variables in cases:
        served.append((await client.ask(query, variables)).executor)
    # Random page sizes and forged ids fall back by design; most operations must not.
    assert client.view.compiled is not None
    stats = client.view.compiled.stats
    assert served.count("compiled") >= 0.6 * len(served), stats
