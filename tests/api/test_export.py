"""Export writes the import format: export -> import into an empty database -> export again
gives the same files, byte for byte."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.importer import ENTITIES, ImportUsageError, export_entities, import_files
from tests.api.test_import import fetch, write_files
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
    assert first.rows["recognitions"] == 4 and first.rows["states"] >= 249
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
    assert [line.split(",")[0] for line in lines[1:]] == [
        "ARE>AFG:islamic-emirate#1",
        "PAK>AFG:islamic-emirate#1",
        "RUS>AFG:islamic-emirate#1",
        "SAU>AFG:islamic-emirate#1",
    ]
    assert lines[3].startswith(
        "RUS>AFG:islamic-emirate#1,RUS,AFG:islamic-emirate,1,unspecified,express,"
        "acceptance_of_credentials_copy,2025-07-03,,,high,S01;S02;S04;S05;S10;NEWS,"
    )
    governments = (tmp_path / "governments.csv").read_text()
    assert "1996-09-27/2001-11-13;2021-08-15/" in governments
    assert "/2001," in governments  # the Islamic State's unknown start


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
