"""Rows the database refuses for a rule the importer does not check are found and named by line.

The importer checks every rule it knows before writing; this stands in for a rule added to the
database later (a CHECK constraint the test adds), which only the database enforces.
"""

from pathlib import Path

import asyncpg
import pytest

from api.database_url import to_asyncpg_dsn
from tests.api.test_import import BASE, count, counts, fetch, run_import, write_files
from tests.api.test_import_errors import HEADER

ROWS = (
    HEADER
    + "RUS,AFG:islamic-emirate,1,,,,1997,,,,S01,\n"
    + "PAK,AFG:islamic-emirate,1,,,,2025-07-03,,,,S02,\n"
    + "SAU,AFG:islamic-emirate,1,,,,1990,,,,S02,\n"
    + "ARE,AFG:islamic-emirate,1,,,,2010-05,,,,S01;S02,\n"
)


@pytest.fixture
async def strict_database(database_url: str, tmp_path: Path) -> str:
    """The base rows, plus a rule only the database knows: no recognition from 2000 on."""
    (tmp_path / "base").mkdir()
    assert (await run_import(database_url, write_files(tmp_path / "base", BASE))).ok
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "ALTER TABLE recognition ADD CONSTRAINT before_2000 CHECK (from_date < '2000-01-01')"
        )
    finally:
        await connection.close()
    return database_url


async def test_refused_rows_are_reported_on_their_lines(
    strict_database: str, tmp_path: Path
) -> None:
    log_before = await count(strict_database, "change_log")

    summary = await run_import(strict_database, write_files(tmp_path, {"recognitions.csv": ROWS}))

    messages = [str(error).replace(f"{tmp_path}/", "") for error in summary.errors]
    assert [m.split(": ")[0] for m in messages] == ["recognitions.csv:3", "recognitions.csv:5"]
    assert all("is refused by the database" in m and "before_2000" in m for m in messages)
    assert not summary.committed
    assert await count(strict_database, "recognition") == 0
    assert await count(strict_database, "change_log") == log_before


async def test_skip_invalid_drops_exactly_the_refused_rows(
    strict_database: str, tmp_path: Path
) -> None:
    summary = await run_import(
        strict_database, write_files(tmp_path, {"recognitions.csv": ROWS}), skip_invalid=True
    )

    assert summary.committed
    assert [error.line for error in summary.errors] == [3, 5]
    assert counts(summary, "recognitions") == (2, 0, 0, 2)
    stored = await fetch(
        strict_database,
        "SELECT r.key, array_agg(s.key ORDER BY c.position) FILTER (WHERE s.key IS NOT NULL) "
        "FROM recognition r LEFT JOIN citation c ON c.recognition_id = r.id "
        "LEFT JOIN source s ON s.id = c.source_id GROUP BY r.key ORDER BY r.key",
    )
    assert [(row[0], row[1]) for row in stored] == [
        ("RUS>AFG:islamic-emirate#1", ["S01"]),
        ("SAU>AFG:islamic-emirate#1", ["S02"]),
    ]

    # The same file again: the accepted rows are unchanged, the refused ones refused again.
    again = await run_import(
        strict_database, write_files(tmp_path, {"recognitions.csv": ROWS}), skip_invalid=True
    )
    assert counts(again, "recognitions") == (0, 0, 2, 2)


async def test_a_row_clashing_with_a_hand_written_one_is_named_with_the_rule(
    database_url: str, tmp_path: Path
) -> None:
    # Someone wrote episode 1 at a psql prompt under a key of their own (1990-1991, so no
    # overlap); an import of the same recognizer, subject and episode under the derived key
    # cannot be merged into it.
    (tmp_path / "base").mkdir()
    assert (await run_import(database_url, write_files(tmp_path / "base", BASE))).ok
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "INSERT INTO recognition (key, recognizer_id, subject_state_id, subject_government_id,"
            " from_date, from_precision, to_date, to_precision) SELECT 'hand-written', r.id,"
            " g.state_id, g.id, '1990-01-01', 'year', '1991-01-01', 'year'"
            " FROM state r, government g WHERE r.iso3 = 'RUS' AND g.key = 'AFG:islamic-emirate'"
        )
    finally:
        await connection.close()

    summary = await run_import(database_url, write_files(tmp_path, {"recognitions.csv": ROWS}))

    messages = [str(error).replace(f"{tmp_path}/", "") for error in summary.errors]
    assert len(messages) == 1
    assert messages[0].startswith("recognitions.csv:2")
    assert "the same recognizer, subject and episode appear under two keys" in messages[0]
    assert not summary.committed
