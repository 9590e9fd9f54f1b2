"""Big batches load with their tables' secondary indexes dropped and rebuilt afterwards.

The rebuilt structures must be exactly the ones the migrations made, a constraint that refuses
the rebuilt data must still name the rows on their lines, `online` must leave the indexes
alone, and a big import leaves fresh planner statistics behind.
"""

import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from api.importer import deferred_indexes
from tests.api.test_import import BASE, count, fetch, run_import, write_files
from tests.api.test_import_scale import write_recognitions, write_sources, write_states

# Every index and constraint of the tables a recognition import fills, by name, with its
# definition and the oid of the object behind it (a rebuilt index gets a new one).
_STRUCTURES = """
SELECT 'index' AS kind, c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition,
       i.indexrelid AS oid
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN ('recognition'::regclass, 'citation'::regclass)
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid), oid FROM pg_constraint
WHERE conrelid IN ('recognition'::regclass, 'citation'::regclass)
ORDER BY 1, 2
"""


async def structures(database_url: str) -> dict[tuple[str, str], tuple[str, int]]:
    """(kind, name) -> (definition, oid): a unique constraint and its index share a name."""
    return {
        (row["kind"], row["name"]): (row["definition"], row["oid"])
        for row in await fetch(database_url, _STRUCTURES)
    }


def write_batch(folder: Path, rows: int) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [
        write_states(folder / "states.csv", 30),
        write_sources(folder / "sources.csv", 20),
        write_recognitions(folder / "recognitions.csv", rows, states=30, sources=20),
    ]


@pytest.fixture
def small_bulk_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take the bulk path from 100 rows on, so that tests stay small."""
    monkeypatch.setattr(deferred_indexes, "MIN_ROWS", 100)


@pytest.mark.usefixtures("small_bulk_threshold")
async def test_a_bulk_load_rebuilds_every_index_and_constraint_as_it_was(
    database_url: str, tmp_path: Path
) -> None:
    before = await structures(database_url)

    summary = await run_import(database_url, write_batch(tmp_path, 1000))

    assert summary.committed and summary.entities["recognitions"].inserted == 1000
    after = await structures(database_url)
    assert {name: d for name, (d, _) in after.items()} == {
        name: d for name, (d, _) in before.items()
    }
    rebuilt = {name for (kind, name), (_, oid) in after.items() if oid != before[kind, name][1]}
    # The secondary structures were rebuilt; the keys ON CONFLICT and other tables rely on stay.
    assert {
        "ex_recognition_overlap",
        "uq_recognition_pair_episode",
        "ix_citation_source_id",
        "fk_recognition_recognizer_id_state",
    } <= rebuilt
    assert "pk_recognition" not in rebuilt and "uq_recognition_key" not in rebuilt
    assert await count(database_url, "citation") == 1000
    assert await count(database_url, "change_log") == 30 + 20 + 1000 + 1000


@pytest.mark.usefixtures("small_bulk_threshold")
async def test_online_keeps_the_indexes_in_place(database_url: str, tmp_path: Path) -> None:
    before = await structures(database_url)

    summary = await run_import(database_url, write_batch(tmp_path, 1000), online=True)

    assert summary.committed and summary.entities["recognitions"].inserted == 1000
    assert await structures(database_url) == before


@pytest.mark.usefixtures("small_bulk_threshold")
async def test_an_import_role_that_does_not_own_the_tables_loads_row_by_row(
    database_url: str, tmp_path: Path
) -> None:
    role = f"credence_t_writer_{uuid.uuid4().hex[:8]}"
    await fetch(database_url, f'CREATE ROLE "{role}" LOGIN')
    try:
        # The usual application role: every right on the rows, owner of nothing.
        await fetch(database_url, f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        await fetch(database_url, f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
        writer_url = make_url(database_url).set(username=role).render_as_string()
        before = await structures(database_url)

        summary = await run_import(writer_url, write_batch(tmp_path, 1000))

        assert summary.ok and summary.committed
        assert summary.entities["recognitions"].inserted == 1000
        assert await structures(database_url) == before
    finally:
        await fetch(database_url, f'DROP OWNED BY "{role}"')
        await fetch(database_url, f'DROP ROLE "{role}"')


@pytest.mark.usefixtures("small_bulk_threshold")
async def test_a_batch_smaller_than_the_table_keeps_the_indexes(
    database_url: str, tmp_path: Path
) -> None:
    assert (await run_import(database_url, write_batch(tmp_path / "first", 1000))).committed
    before = await structures(database_url)

    # 1200 rows, 1000 of them stored already: 200 new rows do not outweigh the table.
    summary = await run_import(database_url, write_batch(tmp_path / "second", 1200))

    assert summary.entities["recognitions"].inserted == 200
    assert await structures(database_url) == before


@pytest.mark.usefixtures("small_bulk_threshold")
async def test_a_rebuilt_constraint_that_refuses_rows_names_them_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    # A rule only the database knows, in a constraint the bulk path drops and rebuilds: one
    # recognition per recognizer, subject and type. The batch has 870 pairs, all de jure, so
    # rows 871-1000 (lines 872-1001) repeat the pairs of rows 1-130.
    await fetch(
        database_url,
        "ALTER TABLE recognition ADD CONSTRAINT uq_test_pair_type "
        "UNIQUE (recognizer_id, subject_state_id, type)",
    )
    paths = write_batch(tmp_path, 1000)
    log_before = await count(database_url, "change_log")
    before = await structures(database_url)

    summary = await run_import(database_url, paths)

    assert [error.line for error in summary.errors] == list(range(872, 1002))
    assert all("uq_test_pair_type" in str(error) for error in summary.errors)
    assert not summary.committed
    assert await count(database_url, "recognition") == 0
    assert await count(database_url, "change_log") == log_before
    assert await structures(database_url) == before


async def test_a_big_import_leaves_fresh_statistics(database_url: str, tmp_path: Path) -> None:
    never_analyzed = await fetch(
        database_url, "SELECT reltuples FROM pg_class WHERE oid = 'recognition'::regclass"
    )
    assert never_analyzed[0][0] < 0

    assert (await run_import(database_url, write_batch(tmp_path, 3000))).committed

    rows = await fetch(
        database_url,
        "SELECT relname, reltuples FROM pg_class "
        "WHERE oid IN ('recognition'::regclass, 'citation'::regclass) ORDER BY 1",
    )
    assert [(row[0], row[1]) for row in rows] == [("citation", 3000), ("recognition", 3000)]


async def test_a_small_import_leaves_statistics_to_autovacuum(
    database_url: str, tmp_path: Path
) -> None:
    assert (await run_import(database_url, write_files(tmp_path, BASE))).committed

    rows = await fetch(
        database_url, "SELECT reltuples FROM pg_class WHERE oid = 'government'::regclass"
    )
    assert rows[0][0] < 0
