"""Importing files: upsert by natural key, one all-or-nothing batch, counts a user can trust."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from api.database_url import to_asyncpg_dsn
from api.importer import ImportOptions, ImportSummary, import_files

STATES = """iso3,iso2,numeric,name,official_name,kind
AFG,AF,004,Afghanistan,,current
ARE,AE,784,United Arab Emirates,,current
PAK,PK,586,Pakistan,,current
RUS,RU,643,Russian Federation,,current
SAU,SA,682,Saudi Arabia,,current
"""
SOURCES = """key,title,url,publisher,published,language,kind,reliability
S01,Russia recognizes the Emirate,https://example.org/1,Wire,2025-07-04,en,news,medium
S02,Pakistan recognizes the Taliban,,Paper,1997-05,en,news,high
"""
GOVERNMENTS = """key,state,name,native_name,short_name,form,periods,sources
AFG:islamic-emirate,AFG,Islamic Emirate of Afghanistan,,,,1996-09-27/2001-11-13;2021-08-15/,S01
"""
RECOGNITIONS = """\
recognizer,subject,episode,type,mode,act,from,to,end_reason,confidence,sources,notes
RUS,AFG:islamic-emirate,1,unspecified,express,acceptance_of_credentials_copy,2025-07-03,,,high,S01;S02,
PAK,AFG:islamic-emirate,1,de_jure,express,official_statement,1997-05-26,2001-11-19,lapsed,medium,S02,
"""
BASE = {
    "states.csv": STATES,
    "sources.csv": SOURCES,
    "governments.csv": GOVERNMENTS,
}


def write_files(directory: Path, files: Mapping[str, str | bytes]) -> list[Path]:
    paths = []
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


async def run_import(database_url: str, paths: list[Path], **options: Any) -> ImportSummary:
    return await import_files(paths, database_url=database_url, options=ImportOptions(**options))


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


async def count(database_url: str, table: str) -> int:
    rows = await fetch(database_url, f"SELECT count(*) FROM {table}")
    return int(rows[0][0])


def counts(summary: ImportSummary, entity: str) -> tuple[int, int, int, int]:
    s = summary.entities[entity]
    return s.inserted, s.updated, s.unchanged, s.rejected


# The second run either compares every row (recheck) or matches the first run's fingerprint.
@pytest.mark.parametrize("recheck", [True, False], ids=["rows compared", "fingerprint"])
async def test_a_batch_inserts_then_a_second_run_changes_nothing(
    database_url: str, tmp_path: Path, recheck: bool
) -> None:
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})

    first = await run_import(database_url, paths)
    log_after_first = await count(database_url, "change_log")
    second = await run_import(database_url, paths, recheck=recheck)

    assert first.ok and first.committed
    assert second.matched_fingerprint is not recheck
    assert counts(first, "states") == (5, 0, 0, 0)
    assert counts(first, "recognitions") == (2, 0, 0, 0)
    assert all(s.inserted == s.updated == 0 for s in second.entities.values())
    assert counts(second, "recognitions") == (0, 0, 2, 0)
    assert await count(database_url, "change_log") == log_after_first


async def test_file_order_does_not_matter(database_url: str, tmp_path: Path) -> None:
    # Recognitions first: they reference states and a government created by later files.
    paths = write_files(tmp_path, {"recognitions.csv": RECOGNITIONS, **BASE})

    summary = await run_import(database_url, list(reversed(paths)))
    again = await run_import(database_url, paths)

    assert summary.ok, [str(e) for e in summary.errors]
    assert counts(summary, "recognitions") == (2, 0, 0, 0)
    assert again.ok
    rows = await fetch(
        database_url,
        "SELECT r.key, g.key AS government, s.iso3 AS state FROM recognition r "
        "JOIN government g ON g.id = r.subject_government_id "
        "JOIN state s ON s.id = r.subject_state_id ORDER BY r.key",
    )
    assert [tuple(r) for r in rows] == [
        ("PAK>AFG:islamic-emirate#1", "AFG:islamic-emirate", "AFG"),
        ("RUS>AFG:islamic-emirate#1", "AFG:islamic-emirate", "AFG"),
    ]


async def test_one_bad_row_among_good_ones_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    bad = RECOGNITIONS + "SAU,AFG:islamic-emirate,1,,,,1997-13,,,,,\n"
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": bad})

    summary = await run_import(database_url, paths)

    assert not summary.committed
    assert [str(e) for e in summary.errors] == [
        f'{paths[-1]}:4: column from: "1997-13" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)'
    ]
    assert summary.entities["recognitions"].rejected == 1
    assert await count(database_url, "state") == 0
    assert await count(database_url, "recognition") == 0
    assert await count(database_url, "change_log") == 0


async def test_skip_invalid_writes_the_good_rows(database_url: str, tmp_path: Path) -> None:
    bad = RECOGNITIONS + "SAU,AFG:islamic-emirate,1,,,,1997-02-30,,,,,\n"
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": bad})

    summary = await run_import(database_url, paths, skip_invalid=True)

    assert summary.committed
    assert counts(summary, "recognitions") == (2, 0, 0, 1)
    assert "no such day" in str(summary.errors[0])
    assert await count(database_url, "recognition") == 2


async def test_dry_run_reports_counts_and_writes_nothing(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})

    summary = await run_import(database_url, paths, dry_run=True)

    assert summary.ok and summary.dry_run and not summary.committed
    assert counts(summary, "recognitions") == (2, 0, 0, 0)
    assert await count(database_url, "state") == 0
    assert await count(database_url, "change_log") == 0


async def test_a_changed_row_is_updated_and_logged_with_actor_and_origin(
    database_url: str, tmp_path: Path
) -> None:
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})
    await run_import(database_url, paths)
    changed = RECOGNITIONS.replace("2001-11-19,lapsed", "2001-11-19,withdrawn")
    (tmp_path / "update").mkdir()
    # A stem may carry a prefix ending in `.`: the entity is still `recognitions`.
    updated = write_files(tmp_path / "update", {"2025-07.recognitions.csv": changed})

    summary = await run_import(database_url, updated, actor="maintainer")

    assert counts(summary, "recognitions") == (0, 1, 1, 0)
    log = await fetch(
        database_url,
        "SELECT actor, origin, natural_key, before->>'end_reason', after->>'end_reason' "
        "FROM change_log WHERE action = 'update'",
    )
    assert [tuple(r) for r in log] == [
        ("maintainer", "import", "PAK>AFG:islamic-emirate#1", "lapsed", "withdrawn")
    ]


async def test_citations_keep_their_order_and_change_only_when_changed(
    database_url: str, tmp_path: Path
) -> None:
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})
    await run_import(database_url, paths)
    reordered = RECOGNITIONS.replace("S01;S02", "S02;S01")
    again = write_files(tmp_path, {"recognitions.csv": reordered})

    summary = await run_import(database_url, again)

    assert counts(summary, "recognitions") == (0, 1, 1, 0)
    rows = await fetch(
        database_url,
        "SELECT s.key FROM citation c JOIN source s ON s.id = c.source_id "
        "JOIN recognition r ON r.id = c.recognition_id "
        "WHERE r.key = 'RUS>AFG:islamic-emirate#1' ORDER BY c.position",
    )
    assert [r[0] for r in rows] == ["S02", "S01"]
    untouched = await fetch(
        database_url,
        "SELECT count(*) FROM change_log WHERE entity = 'citation' AND action = 'delete'",
    )
    assert untouched[0][0] == 2  # only the reordered fact's two citations were replaced


async def test_government_periods_are_replaced_when_they_change(
    database_url: str, tmp_path: Path
) -> None:
    await run_import(database_url, write_files(tmp_path, BASE))
    ended = GOVERNMENTS.replace("2021-08-15/", "2021-08-15/2030")
    summary = await run_import(database_url, write_files(tmp_path, {"governments.csv": ended}))

    assert counts(summary, "governments") == (0, 1, 0, 0)
    rows = await fetch(
        database_url,
        "SELECT from_date::text, to_date::text, to_precision FROM government_period "
        "ORDER BY from_date",
    )
    assert [tuple(r) for r in rows] == [
        ("1996-09-27", "2001-11-13", "day"),
        ("2021-08-15", "2030-01-01", "year"),
    ]


async def test_json_and_ndjson_files_with_quotes(database_url: str, tmp_path: Path) -> None:
    batch = {
        "states": [{"iso3": "AFG", "name": "Afghanistan"}, {"iso3": "RUS", "name": "Russia"}],
        "sources": [{"key": "S01", "title": "Wire"}],
        "governments": [
            {
                "key": "AFG:islamic-emirate",
                "state": "AFG",
                "name": "Islamic Emirate of Afghanistan",
                "periods": ["1996-09-27/2001-11-13", "2021-08-15/.."],
            }
        ],
    }
    recognition = {
        "recognizer": "RUS",
        "subject": "AFG:islamic-emirate",
        "from": "2025-07-03",
        "sources": [{"source": "S01", "quote": "official recognition"}],
    }
    paths = write_files(
        tmp_path,
        {
            "batch.json": json.dumps(batch, indent=2),
            "recognitions.ndjson": "\n" + json.dumps(recognition) + "\n\n",
        },
    )

    summary = await run_import(database_url, paths)

    assert summary.ok, [str(e) for e in summary.errors]
    assert counts(summary, "governments") == (1, 0, 0, 0)
    rows = await fetch(database_url, "SELECT quote FROM citation WHERE recognition_id IS NOT NULL")
    assert [r[0] for r in rows] == ["official recognition"]
    assert await count(database_url, "government_period") == 2


async def test_unknown_columns_are_errors_unless_ignored(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, {"states.csv": STATES.replace("kind\n", "kind,colour\n", 1)})
    paths[0].write_text(paths[0].read_text().replace(",current\n", ",current,\n"))

    strict = await run_import(database_url, paths)
    lenient = await run_import(database_url, paths, ignore_unknown_columns=True)

    assert str(strict.errors[0]).startswith(f"{paths[0]}:1: column colour: is not")
    assert lenient.ok and counts(lenient, "states") == (5, 0, 0, 0)


async def test_progress_is_reported_while_reading_and_merging(
    database_url: str, tmp_path: Path
) -> None:
    rows = "".join(f"S{n},Title {n}\n" for n in range(2500))
    calls: list[tuple[int, str]] = []

    await run_import(
        database_url,
        write_files(tmp_path, {"sources.csv": "key,title\n" + rows}),
        progress=lambda read, step: calls.append((read, step)),
    )

    assert calls == [
        (1000, "reading sources.csv"),
        (2000, "reading sources.csv"),
        (2500, "merging sources"),
    ]
