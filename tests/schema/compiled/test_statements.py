"""The compiled path runs exactly one SQL statement per root field, whatever the depth or rows."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from api.driver_pool import driver_pool
from schema.recorded import ENTER_PAST
from tests.schema.compiled.harness import client_for
from tests.schema.test_loaders import THREE_LEVELS, _two_hundred_states


@contextmanager
def statements_on(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement asyncpg runs on connections the engine opens from now on."""
    seen: list[str] = []

    def log(connection: Any) -> None:
        connection.add_query_logger(lambda q: seen.append(q.query))

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        log(dbapi_connection.driver_connection)

    # The resolvers' connections come from SQLAlchemy's pool, the compiled reads' from their own.
    event.listen(engine.sync_engine, "connect", on_connect)
    compiled = driver_pool(engine)
    if compiled is not None:
        compiled.on_connect.append(log)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "connect", on_connect)
        if compiled is not None:
            compiled.on_connect.remove(log)


DEEP = """
query ($first: Int!) {
  states(first: $first, orderBy: ISO3_ASC) {
    totalCount
    edges { cursor node {
      iso3
      recognitionsGiven(first: 3) { totalCount pageInfo { endCursor } nodes {
        key
        subject { ... on State { iso3
          recognitionsReceived(last: 2) { nodes { key recognizer { name } citations { id } } }
        } }
        subjectState { governments { nodes { key periods { from { iso } } } } }
      } }
    } }
  }
  one: state(iso3: "AAA") { iso3 sanctions { totalCount } }
  stats: recognitionStats(groupBy: [RECOGNIZER]) { count recognizer { iso3 } }
}
"""


async def test_one_statement_per_root_field(engine: AsyncEngine) -> None:
    await _two_hundred_states(engine)
    await engine.dispose()  # new connections, which the logger below sees
    with statements_on(engine) as seen:
        async with client_for(engine) as client:
            for first in (1, 100):
                seen.clear()
                answer = await client.ask(THREE_LEVELS, {"first": first})
                assert answer.executor == "compiled"
                assert len(seen) == 1, seen
            for first in (1, 50, 100):
                seen.clear()
                answer = await client.ask(DEEP, {"first": first})
                assert answer.executor == "compiled"
                assert len(seen) == 3, seen
            assert client.view.compiled is not None
            assert client.view.compiled.stats.statements == 2 + 3 * 3
            # And the deep answer is the resolver path's, on two hundred states.
            await client.same(DEEP, {"first": 100})


async def test_fallbacks_are_counted(engine: AsyncEngine) -> None:
    async with client_for(engine) as client:
        assert client.view.compiled is not None
        stats = client.view.compiled.stats
        assert (await client.ask('{ search(text: " ") { score } }')).executor == "resolver"
        assert (await client.ask("{ states(first: 101) { totalCount } }")).executor == "resolver"
        assert (await client.ask("{ __schema { queryType { name } } }")).executor == "resolver"
        assert stats.fallbacks == 3
        assert stats.as_dict()["fallbackReasons"] == {
            "search": 1,
            "paging": 1,
            "introspection": 1,
        }
        assert (await client.ask("{ states { totalCount } }")).executor == "compiled"
        assert stats.compiled == 1


SEARCH_AND_STATE = """
query ($text: String!) {
  search(text: $text, first: 5) {
    score matched
    node { __typename ... on State { iso3 currentGovernment { key } } ... on Government { key
      state { name } recognizedBy(first: 2) { totalCount nodes { recognizer { iso3 } } } } }
  }
  state(iso3: "AFG") { name governments { totalCount } }
}
"""


async def test_search_is_one_statement(world: AsyncEngine) -> None:
    await world.dispose()
    with statements_on(world) as seen:
        async with client_for(world) as client:
            for text in ("Afghanistan", "Taliban", "qqxzzv"):
                seen.clear()
                answer = await client.ask(SEARCH_AND_STATE, {"text": text})
                assert answer.executor == "compiled"
                assert len(seen) == 2, seen
                await client.same(SEARCH_AND_STATE, {"text": text})


async def test_a_recorded_root_runs_in_its_own_transaction_and_no_other_root_does(
    world: AsyncEngine,
) -> None:
    await world.dispose()
    with statements_on(world) as seen:
        async with client_for(world) as client:
            answer = await client.ask(
                "{ now: states { totalCount } "
                'then: states(asRecordedAt: "2999-01-01T00:00:00Z") { totalCount } '
                "again: states { totalCount } }"
            )
    assert answer.executor == "compiled"
    kinds = [
        "settings" if q.startswith(ENTER_PAST) else q if q in ("BEGIN;", "ROLLBACK;") else "root"
        for q in seen
    ]
    # Rolled back: it only read, and the rollback takes its settings back with it.
    assert kinds == ["root", "BEGIN;", "settings", "root", "ROLLBACK;", "root"], seen


async def test_resolvers_set_an_instant_only_for_the_root_that_asks_it(world: AsyncEngine) -> None:
    seen: list[str] = []

    def log(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(world.sync_engine, "before_cursor_execute", log)
    try:
        async with client_for(world) as client:
            await client.ask("{ states { nodes { governments { totalCount } } } }", resolver=True)
            present = list(seen)
            seen.clear()
            await client.ask(
                "{ now: states { nodes { iso3 } } "
                'then: states(asRecordedAt: "2999-01-01T00:00:00Z") { nodes { '
                "governments { totalCount } } } }",
                resolver=True,
            )
    finally:
        event.remove(world.sync_engine, "before_cursor_execute", log)
    assert len(present) == 3 and not [q for q in present if q.startswith(ENTER_PAST)]
    # `then`'s page, its nested page and count: three batches, each after the settings; `now`
    # one batch without.
    assert len(seen) == 4 + 3, seen
    settings = [i for i, q in enumerate(seen) if q.startswith(ENTER_PAST)]
    assert len(settings) == 3, seen
    assert all(not seen[i + 1].startswith(ENTER_PAST) for i in settings)
