"""Export writes the import format: export -> import into an empty database -> export again
gives the same files, byte for byte."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.importer import ENTITIES, ImportUsageError, export_entities, import_files
from tests.api.test_import import count, fetch, write_files
from tests.databases import create_database, drop_database


@pytest.fixture
def empty_database(postgres_server: str, template_database: str) -> Iterator[str]:
    url = create_database(postgres_server, prefix="credence_t", template=template_database)
    yield url
    drop_database(url)


def _contents(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize("format", ["csv", "ndjson", "json"])
async def test_export_import_export_round_trips(
    seeded_database: str, empty_database: str, tmp_path: Path, format: str
) -> None:
    first = await export_entities(tmp_path / "a", database_url=seeded_database, format=format)
    summary = await import_files(
        sorted(first.files.values(), key=lambda p: p.name), database_url=empty_database
    )
    await export_entities(tmp_path / "b", database_url=empty_database, format=format)

    assert summary.ok, [str(e) for e in summary.errors[:5]]
    assert set(first.files) == set(ENTITIES)
    # Every stored row is exported (the seed grows as cases are added: counted, not fixed).
    assert first.rows["recognitions"] == await count(seeded_database, "recognition") >= 4
    assert first.rows["states"] >= 249
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")


async def test_csv_export_is_ordered_by_natural_key_and_readable(
    seeded_database: str, tmp_path: Path
) -> None:
    await export_entities(
        tmp_path, database_url=seeded_database, entities=["recognitions", "governments"]
    )

    assert sorted(_contents(tmp_path)) == ["governments.csv", "recognitions.csv"]
    lines = (tmp_path / "recognitions.csv").read_text().splitlines()
    assert lines[0] == (
        "key,recognizer,subject,episode,type,mode,act,from,to,end_reason,confidence,sources,notes"
    )
    keys = [line.split(",")[0] for line in lines[1:]]
    # Byte order (COLLATE "C"), whatever the database's collation.
    assert keys == sorted(keys, key=lambda key: key.encode())
    assert len(keys) == await count(seeded_database, "recognition")
    emirate = [key for key in keys if key.endswith(">AFG:islamic-emirate#1")]
    assert emirate[:4] == [
        "ARE>AFG:islamic-emirate#1",
        "PAK>AFG:islamic-emirate#1",
        "RUS>AFG:islamic-emirate#1",
        "SAU>AFG:islamic-emirate#1",
    ]
    [russia] = [line for line in lines if line.startswith("RUS>AFG:islamic-emirate#1,")]
    assert russia.startswith(
        "RUS>AFG:islamic-emirate#1,RUS,AFG:islamic-emirate,1,unspecified,express,"
        "acceptance_of_credentials_copy,2025-07-03,,,high,S01;"
    )
    governments = (tmp_path / "governments.csv").read_text()
    assert "1996-09-27/2001-11-13;2021-08-15/" in governments
    # The Islamic State's unknown start (`../2001-12-22` in the seed) is written as nothing.
    assert ",/2001-12-22," in governments


async def test_quotes_survive_a_json_round_trip(
    database_url: str, empty_database: str, tmp_path: Path
) -> None:
    files = {
        "states.ndjson": '{"iso3": "AFG", "name": "Afghanistan"}\n{"iso3": "RUS", "name": "R"}\n',
        "sources.ndjson": '{"key": "S01", "title": "Wire"}\n{"key": "S02", "title": "Paper"}\n',
        "recognitions.ndjson": '{"recognizer": "RUS", "subject": "AFG", "from": "2025-07", '
        '"sources": ["S02", {"source": "S01", "quote": "\\"official\\" recognition"}]}\n',
    }
    (tmp_path / "in").mkdir()
    await import_files(write_files(tmp_path / "in", files), database_url=database_url)

    await export_entities(tmp_path / "a", database_url=database_url, format="ndjson")
    exported = (tmp_path / "a" / "recognitions.ndjson").read_text()
    await import_files(sorted((tmp_path / "a").iterdir()), database_url=empty_database)
    await export_entities(tmp_path / "b", database_url=empty_database, format="ndjson")

    assert (
        '"sources": ["S02", {"source": "S01", "quote": "\\"official\\" recognition"}]' in exported
    )
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")
    rows = await fetch(empty_database, "SELECT position, quote FROM citation ORDER BY position")
    assert [tuple(r) for r in rows] == [(0, None), (1, '"official" recognition')]


async def test_unknown_entity_or_format_is_refused(seeded_database: str, tmp_path: Path) -> None:
    with pytest.raises(ImportUsageError, match="unknown entity"):
        await export_entities(tmp_path, database_url=seeded_database, entities=["treaties"])
    with pytest.raises(ImportUsageError, match="unknown format"):
        await export_entities(tmp_path, database_url=seeded_database, format="xml")


async def test_export_replaces_a_planted_symlink_without_writing_through_it(
    seeded_database: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "states.csv").symlink_to(victim)
    (out / "sources.csv").symlink_to(tmp_path / "does-not-exist-yet")

    summary = await export_entities(
        out, database_url=seeded_database, entities=["states", "sources"]
    )

    assert victim.read_text() == "precious\n"
    assert not (tmp_path / "does-not-exist-yet").exists()
    for name in ("states.csv", "sources.csv"):
        assert not (out / name).is_symlink()
        assert (out / name).read_text().count("\n") == summary.rows[name.split(".")[0]] + 1
    # No temporary file stays behind.
    assert sorted(p.name for p in out.iterdir()) == ["sources.csv", "states.csv"]


FORMULA = "=cmd|' /C calc'!A0"
# Values a spreadsheet would run, and values that only look like the escape.
TRICKY_NOTES = {
    "RUS": FORMULA,
    "PAK": "'=1+1",  # a value that genuinely starts with a quote before a formula character
    "SAU": "'Tis a plain quote",
    "ARE": "-2 votes\tand a tab",
    "QAT": "@SUM(A1:A2)",
    "CHN": "''",
}


@pytest.fixture
async def formula_database(database_url: str, tmp_path: Path) -> str:
    """Recognitions whose notes a spreadsheet would run, or that look like the escape; stored
    through NDJSON, which takes every value as written."""
    states = "".join(
        json.dumps({"iso3": code, "name": f"State {code}"}) + "\n"
        for code in ["AFG", *TRICKY_NOTES]
    )
    sources = (
        '{"key": "+S01", "title": "=HYPERLINK(\\"http://example.org\\")"}\n'
        '{"key": "S02", "title": "Plain"}\n'
    )
    recognitions = "".join(
        json.dumps(
            {
                "recognizer": code,
                "subject": "AFG",
                "from": "2021-08",
                "sources": ["+S01", "S02"],
                "notes": notes,
            }
        )
        + "\n"
        for code, notes in TRICKY_NOTES.items()
    )
    (tmp_path / "in").mkdir()
    paths = write_files(
        tmp_path / "in",
        {
            "states.ndjson": states,
            "sources.ndjson": sources,
            "recognitions.ndjson": recognitions,
        },
    )
    summary = await import_files(paths, database_url=database_url)
    assert summary.ok, [str(e) for e in summary.errors]
    return database_url


async def stored_notes(database_url: str) -> dict[str, str]:
    rows = await fetch(
        database_url,
        "SELECT s.iso3, r.notes FROM recognition r JOIN state s ON s.id = r.recognizer_id",
    )
    return {row[0]: row[1] for row in rows}


async def test_csv_export_defuses_formulas_and_reads_back_exactly(
    formula_database: str, tmp_path: Path
) -> None:
    exported = await export_entities(tmp_path / "out", database_url=formula_database)
    log_before = await count(formula_database, "change_log")

    with (tmp_path / "out" / "recognitions.csv").open(newline="") as stream:
        cells = {row["recognizer"]: row for row in csv.DictReader(stream)}
    with (tmp_path / "out" / "sources.csv").open(newline="") as stream:
        titles = {row["key"]: row["title"] for row in csv.DictReader(stream)}
    again = await import_files(
        sorted(exported.files.values(), key=lambda p: p.name), database_url=formula_database
    )

    assert cells["RUS"]["notes"] == "'=cmd|' /C calc'!A0"
    assert cells["PAK"]["notes"] == "''=1+1"
    assert cells["SAU"]["notes"] == "'Tis a plain quote"
    assert cells["ARE"]["notes"] == "'-2 votes\tand a tab"
    assert cells["QAT"]["notes"] == "'@SUM(A1:A2)"
    assert cells["CHN"]["notes"] == "'''"
    assert cells["RUS"]["sources"] == "'+S01;S02"
    assert cells["RUS"]["from"] == "2021-08"  # dates are never escaped
    assert titles == {"'+S01": '\'=HYPERLINK("http://example.org")', "S02": "Plain"}
    # The re-import reads every value back as stored: nothing changes.
    assert again.ok, [str(e) for e in again.errors]
    assert {c.inserted + c.updated for c in again.entities.values()} == {0}
    assert await count(formula_database, "change_log") == log_before
    assert await stored_notes(formula_database) == TRICKY_NOTES


async def test_raw_formulas_writes_cells_as_stored_and_still_reads_back_exactly(
    formula_database: str, tmp_path: Path
) -> None:
    exported = await export_entities(
        tmp_path / "out",
        database_url=formula_database,
        entities=["sources", "recognitions"],
        escape_formulas=False,
    )
    with (tmp_path / "out" / "recognitions.csv").open(newline="") as stream:
        cells = {row["recognizer"]: row["notes"] for row in csv.DictReader(stream)}
    log_before = await count(formula_database, "change_log")

    again = await import_files(
        sorted(exported.files.values(), key=lambda p: p.name), database_url=formula_database
    )

    assert cells["RUS"] == FORMULA
    assert cells["QAT"] == "@SUM(A1:A2)"
    assert cells["PAK"] == "''=1+1"  # the quote escape stays, or this would read back as =1+1
    assert again.ok and await count(formula_database, "change_log") == log_before
    assert await stored_notes(formula_database) == TRICKY_NOTES
