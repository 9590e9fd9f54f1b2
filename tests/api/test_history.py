"""The recorded history (api.history over the triggers of revision 0005): what each write leaves
in `change_log`, the history of a fact with its citations, versions, and the change feed."""

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from api import history, migrations
from api.database_url import to_asyncpg_dsn
from tests.api.test_import import BASE, RECOGNITIONS, fetch, run_import, write_files

PAK = "PAK>AFG:islamic-emirate#1"


async def _connect(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(to_asyncpg_dsn(database_url))


async def _pk(database_url: str, key: str) -> int:
    rows = await fetch(database_url, "SELECT id FROM recognition WHERE key = $1", key)
    return int(rows[0][0])


async def _delete(database_url: str, key: str, actor: str) -> None:
    connection = await _connect(database_url)
    try:
        async with connection.transaction():
            await connection.execute(
                "SELECT set_config('credence.actor', $1, true), "
                "set_config('credence.origin', 'mutation', true)",
                actor,
            )
            await connection.execute("DELETE FROM recognition WHERE key = $1", key)
    finally:
        await connection.close()


async def _story(database_url: str, tmp_path: Path) -> int:
    """An import, a re-import with a changed date, a citation added; returns PAK's row id."""
    await run_import(
        database_url,
        write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS}),
        actor="first",
    )
    dated = RECOGNITIONS.replace("1997-05-26", "1997-05-25")
    (tmp_path / "2").mkdir()
    await run_import(
        database_url, write_files(tmp_path / "2", {"recognitions.csv": dated}), actor="second"
    )
    cited = dated.replace("lapsed,medium,S02,", "lapsed,medium,S02;S01,")
    (tmp_path / "3").mkdir()
    await run_import(
        database_url, write_files(tmp_path / "3", {"recognitions.csv": cited}), actor="third"
    )
    return await _pk(database_url, PAK)


async def test_each_write_stores_only_past_versions(database_url: str, tmp_path: Path) -> None:
    pk = await _story(database_url, tmp_path)
    rows = await fetch(
        database_url,
        "SELECT action, natural_key, before, after, origin FROM change_log "
        "WHERE entity = 'recognition' AND row_id = $1 ORDER BY id",
        pk,
    )
    (insert, update) = rows
    # An insert keeps no image: the row itself is its latest version.
    assert (insert["action"], insert["natural_key"], insert["before"], insert["after"]) == (
        "insert",
        PAK,
        None,
        None,
    )
    # An update keeps the whole old row and only what changed.
    assert update["action"] == "update" and update["origin"] == "import"
    # (`valid` is generated from the dates.)
    assert json.loads(update["after"]) == {
        "from_date": "1997-05-25",
        "valid": "[1997-05-25,2001-11-20)",
    }
    assert json.loads(update["before"])["from_date"] == "1997-05-26"
    assert json.loads(update["before"])["key"] == PAK
    # Citations name their fact and their source.
    cited = await fetch(
        database_url,
        "SELECT action, natural_key, before IS NOT NULL FROM change_log "
        "WHERE fact_entity = 'recognition' AND fact_id = $1 ORDER BY row_id, id",
        pk,
    )
    assert [tuple(r) for r in cited] == [
        ("insert", "S02", False),
        ("delete", "S02", True),
        ("insert", "S02", False),
        ("insert", "S01", False),
    ]


async def test_a_history_reads_newest_first_with_its_citations(
    database_url: str, tmp_path: Path
) -> None:
    pk = await _story(database_url, tmp_path)
    connection = await _connect(database_url)
    try:
        page = await history.history(connection, "recognition", pk, first=10)
        versions = await history.versions(connection, "recognition", [pk, 999_999])
        last = await fetch(database_url, "SELECT max(id) FROM change_log")
    finally:
        await connection.close()

    assert [(e.action, e.actor, e.origin) for e in page.items] == [
        ("update", "third", "import"),
        ("update", "second", "import"),
        ("insert", "first", "import"),
    ]
    assert page.items[0].changes == (history.FieldChange("sources", ["S02"], ["S02", "S01"]),)
    assert page.items[1].changes == (history.FieldChange("from_date", "1997-05-26", "1997-05-25"),)
    assert page.items[2].changes == ()
    assert not page.has_next
    # The citation added is the fact's last change: its version moved with it.
    assert versions == {pk: page.items[0].id} and page.items[0].id == last[0][0]


async def test_history_pages_resume_from_a_cursor(database_url: str, tmp_path: Path) -> None:
    pk = await _story(database_url, tmp_path)
    connection = await _connect(database_url)
    try:
        first = await history.history(connection, "recognition", pk, first=2)
        rest = await history.history(
            connection, "recognition", pk, first=2, after=first.resume_after
        )
        with pytest.raises(history.BadCursor):
            await history.history(connection, "recognition", pk, after="bm9wZQ==")
    finally:
        await connection.close()
    assert [e.action for e in first.items] == ["update", "update"] and first.has_next
    assert [e.action for e in rest.items] == ["insert"] and not rest.has_next


async def test_the_feed_resumes_with_nothing_missed(database_url: str, tmp_path: Path) -> None:
    pk = await _story(database_url, tmp_path)
    connection = await _connect(database_url)
    try:
        seen: list[history.Change] = []
        cursor: str | None = None
        while True:
            page = await history.changes_after(connection, after=cursor, first=7)
            seen.extend(page.items)
            cursor = page.resume_after
            if not page.has_next:
                break
        await _delete(database_url, PAK, "admin-1")
        later = await history.changes_after(connection, after=cursor, first=100)
        again = await history.changes_after(connection, after=later.resume_after)
        one_fact = await history.changes_after(connection, entity="recognition", key=PAK)
    finally:
        await connection.close()

    every = await fetch(database_url, "SELECT id FROM change_log ORDER BY id")
    assert [c.id for c in seen + later.items] == [r[0] for r in every]
    # The delete comes with the fact's cascaded citations, each with its image.
    assert sorted((c.entity, c.action) for c in later.items) == [
        ("citation", "delete"),
        ("citation", "delete"),
        ("recognition", "delete"),
    ]
    assert all(c.before is not None and c.origin == "mutation" for c in later.items)
    assert again.items == [] and again.resume_after == later.resume_after
    # One fact's feed: its own rows and its citations', from the first insert to the delete.
    assert {c.row_id for c in one_fact.items if c.entity == "recognition"} == {pk}
    assert {c.fact_id for c in one_fact.items if c.entity == "citation"} == {pk}
    assert one_fact.items[-1].action == "delete"


async def test_truncate_keeps_every_image(database_url: str, tmp_path: Path) -> None:
    await _story(database_url, tmp_path)
    stored = await fetch(database_url, "SELECT to_jsonb(c) FROM citation c ORDER BY id")
    await fetch(database_url, "TRUNCATE citation")
    logged = await fetch(
        database_url,
        "SELECT before, fact_entity, fact_id FROM change_log "
        "WHERE action = 'delete' AND entity = 'citation' "
        "AND id > (SELECT max(id) FROM change_log WHERE action <> 'delete') ORDER BY row_id",
    )
    assert [json.loads(r["before"]) for r in logged] == [json.loads(r[0]) for r in stored]
    # Each names the fact it cited, as the image does.
    facts = [(r["fact_entity"], r["fact_id"], json.loads(r["before"])) for r in logged]
    assert {entity for entity, _, _ in facts} == {"recognition", "government"}
    assert all(image[f"{entity}_id"] == fact_id for entity, fact_id, image in facts)


async def test_downgrade_to_0004_and_up_again_keeps_the_history(
    database_url: str, tmp_path: Path
) -> None:
    pk = await _story(database_url, tmp_path)
    await fetch(database_url, "TRUNCATE government_period")
    log = "SELECT to_jsonb(c) - 'at' FROM change_log c ORDER BY id"
    before = [json.loads(r[0]) for r in await fetch(database_url, log)]

    await asyncio.to_thread(migrations.downgrade, database_url, "0004")
    # The format of 0004: whole images for inserts and updates, rebuilt from the past versions.
    old = await fetch(
        database_url,
        "SELECT action, after FROM change_log WHERE entity = 'recognition' AND row_id = $1 "
        "ORDER BY id",
        pk,
    )
    inserted, updated = (json.loads(r["after"]) for r in old)
    assert (inserted["from_date"], updated["from_date"]) == ("1997-05-26", "1997-05-25")
    assert inserted["key"] == updated["key"] == PAK
    await fetch(database_url, "UPDATE state SET name = 'Afghanistan (0004)' WHERE iso3 = 'AFG'")
    written = await fetch(
        database_url, "SELECT after->>'name' FROM change_log ORDER BY id DESC LIMIT 1"
    )
    assert written[0][0] == "Afghanistan (0004)"

    await asyncio.to_thread(migrations.upgrade, database_url)
    after = [json.loads(r[0]) for r in await fetch(database_url, log)]
    assert after[: len(before)] == before
    assert after[-1]["after"] == {"name": "Afghanistan (0004)"}
    await asyncio.to_thread(migrations.check, database_url)
