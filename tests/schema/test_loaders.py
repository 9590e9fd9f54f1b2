"""DataLoaders: statements depend on the query's depth, never on its rows; siblings run safely."""

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.database import create_engine
from schema import tables
from schema.context import create_context
from schema.loaders import MAX_CONNECTIONS_PER_REQUEST
from tests.schema.conftest import execute

THREE_LEVELS = """
query ($first: Int!, $after: String) {
  states(first: $first, after: $after, orderBy: ISO3_ASC) {
    totalCount
    pageInfo { endCursor }
    nodes {
      iso3
      recognitionsReceived(first: 5) { totalCount nodes { key recognizer { iso3 name } } }
    }
  }
}
"""


@contextmanager
def counting_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def _two_hundred_states(engine: AsyncEngine) -> None:
    """200 states, each recognized by the next two (in code order)."""
    codes = ["".join(c) for c in itertools.product("ABCDEFGH", "ABCDE", "ABCDE")][:200]
    async with engine.begin() as connection:
        await connection.execute(
            insert(tables.state), [{"iso3": code, "name": f"State {code}"} for code in codes]
        )
        ids = dict((await connection.execute(select(tables.state.c.iso3, tables.state.c.id))).all())
        await connection.execute(
            insert(tables.recognition),
            [
                {
                    "key": f"{codes[(i + k) % 200]}>{code}#1",
                    "recognizer_id": ids[codes[(i + k) % 200]],
                    "subject_state_id": ids[code],
                    "from_date": date(1990, 1, 1),
                    "from_precision": "year",
                }
                for i, code in enumerate(codes)
                for k in (1, 2)
            ],
        )


async def test_statements_do_not_grow_with_rows(engine: AsyncEngine) -> None:
    await _two_hundred_states(engine)
    await execute(engine, '{ state(iso3: "AAA") { iso3 } }')  # connect and warm up first

    with counting_statements(engine) as one:
        data = await execute(engine, THREE_LEVELS, {"first": 1})
    assert len(data["states"]["nodes"]) == 1

    seen = 0
    after = None
    pages = []
    for _ in range(2):
        with counting_statements(engine) as page:
            data = await execute(engine, THREE_LEVELS, {"first": 100, "after": after})
        pages.append(page)
        nodes = data["states"]["nodes"]
        seen += len(nodes)
        assert all(len(n["recognitionsReceived"]["nodes"]) == 2 for n in nodes)
        assert all(n["recognitionsReceived"]["totalCount"] == 2 for n in nodes)
        after = data["states"]["pageInfo"]["endCursor"]
    assert seen == 200

    # States, their count, the recognitions received (recognizers joined in), their counts.
    assert len(one) == 4, one
    assert [len(p) for p in pages] == [4, 4]


BOTH_ENDS = """
query ($first: Int!) {
  low: states(first: $first, orderBy: ISO3_ASC) {
    nodes { iso3 recognitionsReceived(first: 5) { totalCount nodes { key recognizer { iso3 } } } }
  }
  high: states(first: $first, orderBy: ISO3_DESC) {
    nodes { iso3 recognitionsReceived(first: 5) { totalCount nodes { key recognizer { iso3 } } } }
  }
}
"""


async def test_one_request_over_1_or_200_states_issues_statements_bounded_by_its_shape(
    engine: AsyncEngine,
) -> None:
    # A page holds at most 100 states, so one request reads all 200 from both ends.
    await _two_hundred_states(engine)
    await execute(engine, '{ state(iso3: "AAA") { iso3 } }')  # connect and warm up first

    counted = {}
    for first in (1, 100):
        with counting_statements(engine) as statements:
            data = await execute(engine, BOTH_ENDS, {"first": first})
        seen = {n["iso3"] for alias in ("low", "high") for n in data[alias]["nodes"]}
        assert len(seen) == 2 * first
        assert all(
            n["recognitionsReceived"]["totalCount"] == 2
            for alias in ("low", "high")
            for n in data[alias]["nodes"]
        )
        counted[first] = len(statements)
    # Per alias: its page, its recognitions page, their counts. Whether the two aliases' nested
    # loads share a batch depends on which root page returns first, so the count lies between
    # the shared (4) and separate (6) cases; it never depends on the number of rows.
    assert all(4 <= n <= 6 for n in counted.values()), counted


async def test_siblings_load_concurrently_on_their_own_connections(
    world: AsyncEngine, world_url: str
) -> None:
    # A pool of one: every batch waits for the one connection rather than sharing it.
    engine = create_engine(world_url, application_name="credence-tests", pool_size=1)
    engine.sync_engine.pool._max_overflow = 0  # type: ignore[attr-defined]
    try:
        fields = " ".join(
            f'{kind}{i}: state(iso3: "{code}") {{ iso3 recognitionsGiven {{ totalCount }} '
            "recognitionsReceived { nodes { recognizer { iso3 } subject { __typename } } } "
            "envoysReceived { nodes { person { name } } } sanctions { totalCount } }"
            for i, (kind, code) in enumerate([("a", "AFG"), ("r", "RUS"), ("p", "PAK")])
        )
        data = await execute(engine, f"{{ {fields} }}")
        assert data["r1"]["envoysReceived"]["nodes"] == [{"person": {"name": "Gul Hassan Hassan"}}]
        assert data["p2"]["recognitionsGiven"]["totalCount"] == 2
    finally:
        await engine.dispose()


async def test_one_request_holds_a_bounded_number_of_connections(world: AsyncEngine) -> None:
    checked_out = 0
    peak = 0

    def checkout(*args: Any) -> None:
        nonlocal checked_out, peak
        checked_out += 1
        peak = max(peak, checked_out)

    def checkin(*args: Any) -> None:
        nonlocal checked_out
        checked_out -= 1

    event.listen(world.sync_engine.pool, "checkout", checkout)
    event.listen(world.sync_engine.pool, "checkin", checkin)
    try:
        # Ten different loaders ready at the same moment.
        await execute(
            world,
            """{ states { nodes {
                 recognitionsGiven { totalCount } recognitionsReceived { totalCount }
                 envoysSent { totalCount } envoysReceived { totalCount } sanctions { totalCount }
                 governments { totalCount } cooperations { totalCount }
                 currentGovernment { key } } } }""",
        )
    finally:
        event.remove(world.sync_engine.pool, "checkout", checkout)
        event.remove(world.sync_engine.pool, "checkin", checkin)
    assert 1 < peak <= MAX_CONNECTIONS_PER_REQUEST


async def test_concurrent_requests_do_not_share_loaders(world: AsyncEngine) -> None:
    query = """query ($iso3: String!) {
        state(iso3: $iso3) { iso3 recognitionsGiven { totalCount } } }"""
    codes = ["AFG", "RUS", "PAK", "SAU", "ARE", "USA", "CHN"] * 3
    results = await asyncio.gather(*(execute(world, query, {"iso3": c}) for c in codes))
    assert [r["state"]["iso3"] for r in results] == codes


async def test_every_request_gets_fresh_loaders(world: AsyncEngine) -> None:
    first, second = create_context(engine=world), create_context(engine=world)
    assert first.loaders is not second.loaders
    assert first.request is None
