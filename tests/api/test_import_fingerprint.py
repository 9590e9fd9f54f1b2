"""Re-importing files the database already holds stops after hashing them, but only while
nothing has changed since; any change, however made, brings back the row-by-row comparison."""

from pathlib import Path

from tests.api.test_import import BASE, RECOGNITIONS, count, fetch, run_import, write_files

FILES = {**BASE, "recognitions.csv": RECOGNITIONS}


async def test_the_same_files_again_match_their_fingerprint(
    database_url: str, tmp_path: Path
) -> None:
    paths = write_files(tmp_path, FILES)
    first = await run_import(database_url, paths)
    assert first.committed and not first.matched_fingerprint
    log = await count(database_url, "change_log")

    again = await run_import(database_url, paths)

    assert again.matched_fingerprint and again.committed and again.ok
    assert {name: (s.inserted, s.updated, s.unchanged) for name, s in again.entities.items()} == {
        name: (0, 0, s.total) for name, s in first.entities.items()
    }
    assert list(again.entities) == list(first.entities)
    assert await count(database_url, "change_log") == log


async def test_an_edit_in_the_database_is_found_and_undone(
    database_url: str, tmp_path: Path
) -> None:
    paths = write_files(tmp_path, FILES)
    assert (await run_import(database_url, paths)).committed
    await fetch(
        database_url,
        "UPDATE recognition SET notes = 'edited' WHERE key = 'RUS>AFG:islamic-emirate#1'",
    )

    again = await run_import(database_url, paths)

    assert not again.matched_fingerprint
    assert again.entities["recognitions"].updated == 1
    notes = await fetch(database_url, "SELECT notes FROM recognition WHERE notes = 'edited'")
    assert notes == []
    # The comparison found the files current again: the next run matches.
    assert (await run_import(database_url, paths)).matched_fingerprint


async def test_a_truncate_is_logged_and_found(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, FILES)
    assert (await run_import(database_url, paths)).committed
    cited = await count(database_url, "citation")
    await fetch(database_url, "TRUNCATE citation")
    # Every truncated row is logged as a delete, with its image.
    logged = await fetch(
        database_url,
        "SELECT entity, action, count(*), count(before) FROM change_log "
        "WHERE id > (SELECT max(id) FROM change_log WHERE action = 'insert') "
        "GROUP BY entity, action",
    )
    assert [tuple(row) for row in logged] == [("citation", "delete", cited, cited)]

    again = await run_import(database_url, paths)

    assert not again.matched_fingerprint
    assert await count(database_url, "citation") == cited


async def test_an_edited_file_is_compared_row_by_row(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, FILES)
    assert (await run_import(database_url, paths)).committed
    recognitions = tmp_path / "recognitions.csv"
    recognitions.write_text(recognitions.read_text().replace(",high,S01;S02,", ",low,S01;S02,"))

    again = await run_import(database_url, paths)

    assert not again.matched_fingerprint
    assert again.entities["recognitions"].updated == 1


async def test_recheck_compares_every_row(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, FILES)
    assert (await run_import(database_url, paths)).committed

    again = await run_import(database_url, paths, recheck=True)

    assert not again.matched_fingerprint
    assert again.entities["recognitions"].unchanged == 2


async def test_files_with_a_skipped_row_never_vouch_for_themselves(
    database_url: str, tmp_path: Path
) -> None:
    bad = RECOGNITIONS + "SAU,AFG:islamic-emirate,1,de_jure,express,,1997-13,,,,,\n"
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": bad})
    assert (await run_import(database_url, paths, skip_invalid=True)).committed

    again = await run_import(database_url, paths, skip_invalid=True)

    assert not again.matched_fingerprint
    assert [(error.line, error.column) for error in again.errors] == [(4, "from")]


async def test_a_dry_run_neither_records_nor_writes(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, FILES)
    assert not (await run_import(database_url, paths, dry_run=True)).committed

    first = await run_import(database_url, paths)

    assert not first.matched_fingerprint and first.entities["recognitions"].inserted == 2
    rows = await fetch(database_url, "SELECT count(*) FROM import_fingerprint")
    assert rows[0][0] == 1
