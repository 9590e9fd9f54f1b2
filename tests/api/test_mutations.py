"""The domain API of the mutations (api.mutations), called on an asyncpg connection as the GraphQL
layer calls it: transactions, the write lock, history and what a call returns."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from api import mutations
from api.database_url import to_asyncpg_dsn
from api.importer.fingerprint import LOCK_SQL
from api.roles import Principal, Role
from tests.schema.mutation_client import BASE, load

EDITOR = Principal(Role.EDITOR, "erin", authenticated=True)
RECOGNITION = {"recognizer": "RUS", "subject": "AFG", "from": "1992", "sources": ["S1"]}


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    await load(database_url, BASE)
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        yield connection
    finally:
        await connection.close()


async def keys(connection: asyncpg.Connection, ids: list[int]) -> list[str]:
    rows = await connection.fetch("SELECT id, key FROM recognition WHERE id = any($1::int[])", ids)
    found = {row["id"]: row["key"] for row in rows}
    return [found[i] for i in ids]


async def test_a_write_runs_read_write_on_a_session_whose_transactions_default_to_read_only(
    connection: asyncpg.Connection,
) -> None:
    await connection.execute("SET default_transaction_read_only = on")
    written = await mutations.upsert(
        connection, "recognitions", [RECOGNITION], principal=EDITOR, read=keys
    )
    assert written.nodes == ["RUS>AFG#1"]
    assert written.change_id is not None
    assert written.versions[0] is not None
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await connection.execute("DELETE FROM recognition")


async def test_an_identical_upsert_changes_nothing_and_has_no_change_id(
    connection: asyncpg.Connection,
) -> None:
    first = await mutations.upsert(
        connection, "recognitions", [RECOGNITION], principal=EDITOR, read=keys
    )
    again = await mutations.upsert(
        connection, "recognitions", [RECOGNITION], principal=EDITOR, read=keys
    )
    assert again.change_id is None
    assert again.ids == first.ids
    assert again.versions == first.versions


async def test_the_nodes_are_read_inside_the_transaction_before_it_commits(
    connection: asyncpg.Connection, database_url: str
) -> None:
    seen: dict[str, Any] = {}

    async def read(inside: asyncpg.Connection, ids: list[int]) -> list[str]:
        seen["in_transaction"] = inside.is_in_transaction()
        other = await asyncpg.connect(to_asyncpg_dsn(database_url))
        try:
            seen["outside"] = await other.fetchval("SELECT count(*) FROM recognition")
        finally:
            await other.close()
        return await keys(inside, ids)

    written = await mutations.upsert(
        connection, "recognitions", [RECOGNITION], principal=EDITOR, read=read
    )
    assert written.nodes == ["RUS>AFG#1"]
    assert seen == {"in_transaction": True, "outside": 0}


async def test_a_mutation_waits_its_turn_behind_an_import_holding_the_write_lock(
    connection: asyncpg.Connection, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutations.operations, "LOCK_TIMEOUT", 0.2)
    holder = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        async with holder.transaction():
            await holder.execute(LOCK_SQL)
            with pytest.raises(mutations.MutationError) as refused:
                await mutations.upsert(
                    connection, "recognitions", [RECOGNITION], principal=EDITOR, read=keys
                )
    finally:
        await holder.close()
    assert refused.value.code == mutations.WRITE_LOCK_TIMEOUT
    assert await connection.fetchval("SELECT count(*) FROM recognition") == 0


async def test_a_patch_keeps_what_it_leaves_out_and_clears_what_it_nulls(
    connection: asyncpg.Connection,
) -> None:
    await mutations.upsert(
        connection,
        "recognitions",
        [{**RECOGNITION, "notes": "kept?", "confidence": "high", "mode": "express"}],
        principal=EDITOR,
        read=keys,
    )
    await mutations.update(
        connection,
        "recognitions",
        "RUS>AFG#1",
        mutations.Patch(
            {"notes": None, "to": "1995"}, add_sources=[{"source": "S2", "quote": "q"}]
        ),
        principal=EDITOR,
        read=keys,
    )
    row = await connection.fetchrow(
        "SELECT notes, confidence, mode, to_date::text AS to_date FROM recognition"
    )
    assert row is not None
    assert dict(row) == {
        "notes": None,
        "confidence": "high",
        "mode": "express",
        "to_date": "1995-01-01",
    }
    cited = await connection.fetch(
        "SELECT s.key, c.quote FROM citation c JOIN source s ON s.id = c.source_id "
        "ORDER BY c.position"
    )
    assert [tuple(r) for r in cited] == [("S1", None), ("S2", "q")]
