"""Transaction-time reads (`asRecordedAt`): the answer the database gave at each instant.

The property test applies random steps (imports through the importer, mutations through the
domain layer the GraphQL mutations call, SQL updates, deletes and TRUNCATEs), snapshots a few
operations' answers after each step's commit together with that instant, then asks every
operation again at every recorded instant, on both read paths: each must reproduce its
snapshot. A new kind of step is one more entry in `STEPS`.
"""

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.database_url import to_asyncpg_dsn
from api.importer import ImportOptions, RowsInput, import_inputs
from api.mutations import MutationError, Patch, delete, end, update, upsert
from api.roles import Principal, Role
from tests.schema.compiled.harness import Client, client_for
from tests.schema.compiled.recorded import VARIABLE, as_recorded

SETTINGS = settings(
    max_examples=int(os.environ.get("CREDENCE_HYPOTHESIS_EXAMPLES", "60")) // 6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

STATES = ("AAA", "BBB", "CCC", "DDD")
SOURCES = ("S1", "S2")

# What a reader sees: nested lists, a union, citations, valid time, a key lookup, a count.
OPERATIONS = [
    """{
      states(first: 10) { totalCount nodes { iso3 name recognitionsGiven(first: 10) {
        nodes { key notes confidence from { iso } subject { ... on State { iso3 name } } }
      } } }
    }""",
    """{
      recognitions(first: 20, orderBy: KEY_ASC) { totalCount pageInfo { hasNextPage }
        nodes { key type notes recognizer { name } citations { quote source { key title } } }
      }
      atTheTime: recognitions(asOf: "2000-06-01", first: 20) { nodes { key } }
      one: recognition(key: "AAA>BBB#1") { key notes to { iso } sources { key } }
      stats: recognitionStats(groupBy: [RECOGNIZER]) { count recognizer { iso3 } }
    }""",
]


@dataclass
class World:
    engine: AsyncEngine
    url: str


Step = Callable[[World], Awaitable[None]]


async def _import(world: World, entity: str, rows: list[dict[str, Any]]) -> None:
    summary = await import_inputs(
        [RowsInput("steps", entity, rows)],
        database_url=world.url,
        options=ImportOptions(actor="tests", recheck=True),
    )
    assert not summary.errors, summary.errors


async def _sql(world: World, *statements: str) -> None:
    async with world.engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


def import_states() -> st.SearchStrategy[Step]:
    names = st.sampled_from(["Aland", "Borduria", "Syldavia", "Carpania", "Dorland"])
    rows = st.lists(
        st.fixed_dictionaries({"iso3": st.sampled_from(STATES), "name": names}),
        min_size=1,
        max_size=4,
        unique_by=lambda row: row["iso3"],
    )
    return rows.map(lambda r: lambda world: _import(world, "states", r))


def import_recognitions() -> st.SearchStrategy[Step]:
    pair = st.tuples(st.sampled_from(STATES), st.sampled_from(STATES)).filter(
        lambda p: p[0] != p[1]
    )
    row = st.builds(
        lambda p, start, kind, note, cited: {
            "recognizer": p[0],
            "subject": p[1],
            "from": start,
            "type": kind,
            "notes": note,
            "sources": cited,
        },
        pair,
        st.sampled_from(["1991", "1999-05", "2000-06-01", "2010-02-03"]),
        st.sampled_from(["de_jure", "de_facto", "unspecified"]),
        st.sampled_from([None, "first", "second"]),
        st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2, unique=True),
    )
    rows = st.lists(
        row, min_size=1, max_size=4, unique_by=lambda r: (r["recognizer"], r["subject"])
    )
    return rows.map(lambda r: lambda world: _import(world, "recognitions", r))


def sql_update() -> st.SearchStrategy[Step]:
    statements = st.sampled_from(
        [
            "UPDATE recognition SET notes = 'edited' WHERE key = 'AAA>BBB#1'",
            "UPDATE recognition SET confidence = 'low', to_date = DATE '2020-01-01', "
            "to_precision = 'day' WHERE recognizer_id = (SELECT id FROM state WHERE iso3 = 'BBB')",
            "UPDATE state SET name = name || '!' WHERE iso3 IN ('AAA', 'CCC')",
            "UPDATE citation SET quote = 'quoted'",
            "UPDATE source SET title = 'retitled ' || key",
        ]
    )
    return statements.map(lambda s: lambda world: _sql(world, s))


def sql_delete() -> st.SearchStrategy[Step]:
    statements = st.sampled_from(
        [
            (
                "DELETE FROM citation WHERE recognition_id IN "
                "(SELECT id FROM recognition WHERE subject_state_id = "
                "(SELECT id FROM state WHERE iso3 = 'BBB'))",
                "DELETE FROM recognition WHERE subject_state_id = "
                "(SELECT id FROM state WHERE iso3 = 'BBB')",
            ),
            ("DELETE FROM citation WHERE position > 0",),
        ]
    )
    return statements.map(lambda s: lambda world: _sql(world, *s))


def truncate() -> st.SearchStrategy[Step]:
    tables = st.sampled_from(["citation", "citation, recognition"])
    return tables.map(lambda t: lambda world: _sql(world, f"TRUNCATE {t}"))


EDITOR = Principal(Role.ADMIN, "tests", authenticated=True)
KEYS = ("AAA>BBB#1", "BBB>CCC#1", "CCC>AAA#1")


async def _nothing(connection: asyncpg.Connection, ids: list[int]) -> None:
    return None


async def _mutate(world: World, call: Callable[[asyncpg.Connection], Awaitable[Any]]) -> None:
    """One mutation on its own connection; a refused one (a key the random steps never made)
    writes nothing, which the snapshots check as well."""
    connection = await asyncpg.connect(to_asyncpg_dsn(world.url))
    try:
        await call(connection)
    except MutationError as refused:
        # Only what random steps may well meet: a key never made, or the last citation
        # removed; anything else means the step itself is wrong.
        expected = ("is not the key of any", "must cite at least one source")
        assert any(reason in str(refused) for reason in expected), refused
    finally:
        await connection.close()


def mutation_upsert() -> st.SearchStrategy[Step]:
    row = st.builds(
        lambda key, start, cited: {
            "recognizer": key[:3],
            "subject": key[4:7],
            "from": start,
            "sources": cited,
        },
        st.sampled_from(KEYS),
        st.sampled_from(["1995", "2001-09", "2012-12-12"]),
        st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2, unique=True),
    )
    rows = st.lists(row, min_size=1, max_size=3, unique_by=lambda r: r["recognizer"])
    return rows.map(
        lambda r: (
            lambda world: _mutate(
                world, lambda c: upsert(c, "recognitions", r, principal=EDITOR, read=_nothing)
            )
        )
    )


def mutation_update() -> st.SearchStrategy[Step]:
    patches = st.sampled_from(
        [
            Patch(fields={"notes": "patched"}),
            Patch(fields={"notes": None, "confidence": "high"}),
            Patch(add_sources=["S2"]),
            Patch(remove_sources=["S1"]),
        ]
    )
    return st.tuples(st.sampled_from(KEYS), patches).map(
        lambda kp: (
            lambda world: _mutate(
                world,
                lambda c: update(c, "recognitions", kp[0], kp[1], principal=EDITOR, read=_nothing),
            )
        )
    )


def mutation_end_or_delete() -> st.SearchStrategy[Step]:
    def ending(key: str) -> Step:
        return lambda world: _mutate(
            world,
            lambda c: end(
                c, "recognitions", key, date="2024-05", reason="withdrawn",
                principal=EDITOR, read=_nothing,
            ),
        )  # fmt: skip

    def deleting(key: str) -> Step:
        return lambda world: _mutate(
            world, lambda c: delete(c, "recognitions", key, principal=EDITOR)
        )

    return st.one_of(st.sampled_from(KEYS).map(ending), st.sampled_from(KEYS).map(deleting))


# Each kind of step, as a strategy.
STEPS: list[st.SearchStrategy[Step]] = [
    import_states(),
    import_recognitions(),
    mutation_upsert(),
    mutation_update(),
    mutation_end_or_delete(),
    sql_update(),
    sql_delete(),
    truncate(),
]


async def _start(world: World) -> None:
    await _import(world, "states", [{"iso3": iso3, "name": iso3.title()} for iso3 in STATES])
    await _import(world, "sources", [{"key": key, "title": f"Source {key}"} for key in SOURCES])


async def _instant(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        value = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
    assert isinstance(value, datetime)
    return value.isoformat()


@pytest.fixture
async def world(engine: AsyncEngine, database_url: str) -> AsyncIterator[tuple[World, Client]]:
    async with client_for(engine) as client:
        yield World(engine, database_url), client


@SETTINGS
@given(steps=st.lists(st.one_of(STEPS), min_size=1, max_size=6))
async def test_as_recorded_at_reproduces_every_snapshot(
    world: tuple[World, Client], steps: list[Step]
) -> None:
    state, client = world
    await _sql(state, "TRUNCATE state, source CASCADE")  # each example afresh
    await _start(state)
    snapshots: list[tuple[str, list[Any]]] = []
    for step in steps:
        await step(state)
        answers = [(await client.ask(query, resolver=True)).value for query in OPERATIONS]
        snapshots.append((await _instant(state.engine), answers))
    for instant, answers in snapshots:
        for query, then in zip(OPERATIONS, answers, strict=True):
            recorded = as_recorded(query)
            assert recorded is not None
            both = await client.same(recorded, {VARIABLE: instant})
            assert both.compiled.executor == "compiled"
            assert both.resolver.value == then


async def test_aliases_may_read_different_instants(world: tuple[World, Client]) -> None:
    state, client = world
    await _start(state)
    await _import(
        state,
        "recognitions",
        [{"recognizer": "AAA", "subject": "BBB", "from": "1999", "sources": ["S1"]}],
    )
    before = await _instant(state.engine)
    await _sql(state, "UPDATE recognition SET notes = 'later'", "UPDATE state SET name = 'Renamed'")
    query = """query ($t: DateTime!) {
      then: recognitions(asRecordedAt: $t) { nodes { notes recognizer { name } } }
      now: recognitions { nodes { notes recognizer { name } } }
      thenAgain: recognition(key: "AAA>BBB#1", asRecordedAt: $t) { notes }
    }"""
    both = await client.same(query, {"t": before})
    assert both.compiled.executor == "compiled"
    assert both.resolver.value == [
        (
            "data",
            [
                ("then", [("nodes", [[("notes", None), ("recognizer", [("name", "Aaa")])]])]),
                ("now", [("nodes", [[("notes", "later"), ("recognizer", [("name", "Renamed")])]])]),
                ("thenAgain", [("notes", None)]),
            ],
        )
    ]


async def test_the_future_is_the_present_and_before_the_first_change_nothing(
    world: tuple[World, Client],
) -> None:
    state, client = world
    first = datetime.now(UTC) - timedelta(seconds=1)
    await _start(state)
    query = """query ($t: DateTime!) {
      states(asRecordedAt: $t) { totalCount }
      state(iso3: "AAA", asRecordedAt: $t) { name }
    }"""
    future = await client.same(query, {"t": "2999-01-01T00:00:00"})  # no offset: UTC
    assert future.resolver.value == [
        ("data", [("states", [("totalCount", 4)]), ("state", [("name", "Aaa")])])
    ]
    past = await client.same(query, {"t": first.isoformat()})
    assert past.resolver.value == [("data", [("states", [("totalCount", 0)]), ("state", None)])]


async def test_every_past_view_has_its_tables_columns(engine: AsyncEngine) -> None:
    columns = """
      SELECT c.table_name, array_agg(c.column_name::text || ' ' || c.data_type
                                     ORDER BY c.ordinal_position)
      FROM information_schema.columns c WHERE c.table_schema = :schema GROUP BY c.table_name
    """
    async with engine.connect() as connection:
        past = dict((await connection.execute(text(columns), {"schema": "credence_past"})).all())
        now = dict((await connection.execute(text(columns), {"schema": "public"})).all())
    assert len(past) == 12  # the eleven audited tables and the change log
    for table, listed in past.items():
        assert listed == now[table], table


async def test_a_present_read_sets_nothing_and_a_past_one_writes_nothing(
    world: tuple[World, Client],
) -> None:
    state, client = world
    await _start(state)
    instant = await _instant(state.engine)
    # The search path and the instant are local to the past read's transaction: the same
    # pooled connection answers the present afterwards.
    for _ in range(3):
        then = await client.same(
            'query ($t: DateTime!) { state(iso3: "AAA", asRecordedAt: $t) { name } }',
            {"t": instant},
        )
        assert then.resolver.value == [("data", [("state", [("name", "Aaa")])])]
        await _sql(state, "UPDATE state SET name = name || '+' WHERE iso3 = 'AAA'")
        now = await client.same('{ state(iso3: "AAA") { name } }')
        assert now.resolver.value != then.resolver.value


async def test_versions_histories_and_the_feed_read_the_log_as_it_was(
    world: tuple[World, Client],
) -> None:
    state, client = world
    await _start(state)
    await _import(
        state,
        "recognitions",
        [{"recognizer": "AAA", "subject": "BBB", "from": "1999", "sources": ["S1"]}],
    )
    before = await _instant(state.engine)
    await _sql(state, "UPDATE recognition SET notes = 'later'")
    query = """query ($t: DateTime!) {
      then: recognition(key: "AAA>BBB#1", asRecordedAt: $t) {
        version history { nodes { action } } }
      now: recognition(key: "AAA>BBB#1") { version history { nodes { action } } }
      feedThen: changes(entity: RECOGNITION, asRecordedAt: $t) { nodes { action } }
      feedNow: changes(entity: RECOGNITION) { nodes { action } }
    }"""
    answer = (await client.same(query, {"t": before})).resolver.value
    data = dict(dict(answer)["data"])
    then, now = dict(data["then"]), dict(data["now"])
    assert then["version"] < now["version"]
    assert then["history"] == [("nodes", [[("action", "INSERT")]])]
    assert now["history"] == [("nodes", [[("action", "UPDATE")], [("action", "INSERT")]])]
    assert data["feedThen"] == [("nodes", [[("action", "INSERT")]])]
    assert data["feedNow"] == [("nodes", [[("action", "INSERT")], [("action", "UPDATE")]])]
