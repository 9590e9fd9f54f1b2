"""Every kind of bad input gets a precise message (file, line, column, value, reason), every bad
row is reported, and nothing is written."""

from pathlib import Path

import pytest

from api.importer import ImportSummary, ImportUsageError
from tests.api.test_import import BASE, count, run_import, write_files

HEADER = "recognizer,subject,episode,type,mode,act,from,to,end_reason,confidence,sources,notes\n"
GOOD = "RUS,AFG:islamic-emirate,1,,,,2025-07-03,,,,S01,\n"


def messages(summary: ImportSummary, directory: Path) -> list[str]:
    return [str(error).replace(f"{directory}/", "") for error in summary.errors]


@pytest.fixture
async def base(database_url: str, tmp_path: Path) -> str:
    """A database holding a few states, sources and the Emirate."""
    (tmp_path / "base").mkdir()
    summary = await run_import(database_url, write_files(tmp_path / "base", BASE))
    assert summary.ok
    return database_url


CASES = {
    "bad month": (
        "recognitions.csv",
        HEADER + GOOD.replace("2025-07-03", "1997-13"),
        ['recognitions.csv:2: column from: "1997-13" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)'],
    ),
    "no such day": (
        "recognitions.csv",
        HEADER + GOOD.replace("2025-07-03", "1997-02-30"),
        ['recognitions.csv:2: column from: "1997-02-30" is not a date (no such day in that month)'],
    ),
    "enum out of range": (
        "recognitions.csv",
        HEADER + GOOD.replace(",1,,", ",1,de_jurez,"),
        [
            'recognitions.csv:2: column type: "de_jurez" is not one of: '
            "de_jure, de_facto, unspecified"
        ],
    ),
    "reference that exists nowhere": (
        "recognitions.csv",
        HEADER + GOOD.replace("RUS,", "ZZZ,").replace("S01", "S99"),
        [
            'recognitions.csv:2: column recognizer: "ZZZ" unknown state',
            'recognitions.csv:2: column sources: "S99" unknown source',
        ],
    ),
    "unknown government": (
        "recognitions.csv",
        HEADER + GOOD.replace("islamic-emirate", "islamic-caliphate"),
        ['recognitions.csv:2: column subject: "AFG:islamic-caliphate" unknown government'],
    ),
    "required value missing": (
        "recognitions.csv",
        HEADER + GOOD.replace("2025-07-03", ""),
        ["recognitions.csv:2: column from: is required"],
    ),
    "end before start": (
        "recognitions.csv",
        HEADER + GOOD.replace("2025-07-03,,", "2025-07-03,2025-06,"),
        ['recognitions.csv:2: column to: "2025-06" is before the start (2025-07-03)'],
    ),
    "recognizing itself": (
        "recognitions.csv",
        HEADER + GOOD.replace("RUS,", "AFG,"),
        ['recognitions.csv:2: column subject: "AFG:islamic-emirate" is the recognizer itself'],
    ),
    "given key differs from the derived one": (
        "recognitions.ndjson",
        '{"key": "RUS>AFG#2", "recognizer": "RUS", "subject": "AFG", "from": "2025"}\n',
        [
            'recognitions.ndjson:1: column key: "RUS>AFG#2" does not match the key derived '
            "from the row (RUS>AFG#1)"
        ],
    ),
    "unknown column": (
        "recognitions.csv",
        HEADER.replace("notes", "nots") + GOOD,
        ["recognitions.csv:1: column nots: is not a column of recognitions (known: "],
    ),
    "unknown JSON field": (
        "recognitions.ndjson",
        '{"recognizer": "RUS", "subject": "AFG", "from": "2025", "frm": 1}\n',
        ["recognitions.ndjson:1: column frm: is not a column of recognitions"],
    ),
    "wrong column count": (
        "recognitions.csv",
        HEADER + GOOD + "RUS,AFG,2\n",
        ["recognitions.csv:3: has 3 fields, the header has 12"],
    ),
    "invalid UTF-8": (
        "recognitions.csv",
        (HEADER + GOOD).encode() + b"RUS,AFG,2,,,,2020,,,,,caf\xe9\n",
        [
            'recognitions.csv:3: column notes: "caf\ufffd" is not valid UTF-8 '
            "(byte 0xe9 at position 26 of the line)"
        ],
    ),
    "NUL byte": (
        "recognitions.csv",
        (HEADER + GOOD).encode() + b"RUS,AFG,2,,,,2020,,,,,a\x00b\n",
        ['recognitions.csv:3: column notes: "a\\0b" contains a NUL byte (position 24)'],
    ),
    "truncated last CSV record": (
        "recognitions.csv",
        HEADER + GOOD + 'RUS,AFG,2,,,,2020,,,,,"notes cut sh',
        ["recognitions.csv:3: a quoted field is never closed (is the file truncated?)"],
    ),
    "truncated last NDJSON line": (
        "recognitions.ndjson",
        '{"recognizer": "RUS", "subject": "AFG", "from": "2025", "sources": ["S01"]}\n'
        '{"recognizer": "RU',
        [
            "recognitions.ndjson:2: is not valid JSON: Unterminated string starting at "
            "column 16 (is the file truncated?)"
        ],
    ),
    "malformed JSON document": (
        "recognitions.json",
        '[\n  {"recognizer": "RUS", "subject": "AFG", "from": "2025", "sources": ["S01"]},\n'
        '  {"recognizer": }\n]',
        ["recognitions.json:3: is not valid JSON: Expecting value"],
    ),
    "duplicate keys name both lines": (
        "recognitions.csv",
        HEADER + GOOD + GOOD.replace("S01", ""),
        [
            'recognitions.csv:3: column key: "RUS>AFG:islamic-emirate#1" is also the key of '
            "recognitions.csv:2"
        ],
    ),
}


@pytest.mark.parametrize("case", CASES.keys())
async def test_bad_input_is_reported_precisely_and_nothing_is_written(
    base: str, tmp_path: Path, case: str
) -> None:
    name, content, expected = CASES[case]
    before = await count(base, "change_log")

    summary = await run_import(base, write_files(tmp_path, {name: content}))

    found = messages(summary, tmp_path)
    assert len(found) == len(expected), found
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start), message
    assert not summary.committed
    assert await count(base, "recognition") == 0
    assert await count(base, "change_log") == before


async def test_every_bad_row_is_reported_not_just_the_first(base: str, tmp_path: Path) -> None:
    rows = [
        GOOD,
        GOOD.replace("RUS,", "PAK,").replace("2025-07-03", "1997-13"),
        GOOD.replace("RUS,", "SAU,").replace(",1,,", ",1,sideways,"),
        GOOD.replace("RUS,", "ARE,").replace("S01", "S404"),
    ]
    summary = await run_import(
        base, write_files(tmp_path, {"recognitions.csv": HEADER + "".join(rows)})
    )

    assert [(e.line, e.column) for e in summary.errors] == [
        (3, "from"),
        (4, "type"),
        (5, "sources"),
    ]
    assert summary.entities["recognitions"].rejected == 3
    assert await count(base, "recognition") == 0


async def test_a_missing_file_or_unknown_entity_is_a_usage_error(base: str, tmp_path: Path) -> None:
    with pytest.raises(ImportUsageError, match="no such file"):
        await run_import(base, [tmp_path / "missing.csv"])
    (tmp_path / "treaties.csv").write_text("a\n1\n")
    with pytest.raises(ImportUsageError, match="cannot tell the entity"):
        await run_import(base, [tmp_path / "treaties.csv"])


async def test_overlapping_episodes_are_reported_on_their_lines(base: str, tmp_path: Path) -> None:
    overlapping = (
        HEADER
        + GOOD
        + GOOD.replace(",1,", ",2,").replace("2025-07-03", "2025-08")
        + GOOD.replace("RUS,", "PAK,").replace("2025-07-03,,", "1997,2001,")
    )
    summary = await run_import(base, write_files(tmp_path, {"recognitions.csv": overlapping}))

    assert messages(summary, tmp_path) == [
        'recognitions.csv:3: column from: "2025-08" overlaps episode '
        "RUS>AFG:islamic-emirate#1 of recognitions.csv:2"
    ]
    assert summary.entities["recognitions"].rejected == 1
    assert not summary.committed

    # Against what is stored: a new episode must not overlap an episode already there.
    first = await run_import(base, write_files(tmp_path, {"recognitions.csv": HEADER + GOOD}))
    assert first.committed
    later = HEADER + GOOD.replace(",1,", ",2,").replace("2025-07-03", "2026")
    summary = await run_import(base, write_files(tmp_path, {"recognitions.csv": later}))
    assert messages(summary, tmp_path) == [
        'recognitions.csv:2: column from: "2026" overlaps episode '
        "RUS>AFG:islamic-emirate#1, already stored"
    ]


async def test_an_empty_csv_file_is_reported(base: str, tmp_path: Path) -> None:
    summary = await run_import(base, write_files(tmp_path, {"recognitions.csv": ""}))

    assert messages(summary, tmp_path) == [
        "recognitions.csv:1: is empty: a CSV file starts with a header row"
    ]


async def test_a_json_array_whose_name_says_no_entity(base: str, tmp_path: Path) -> None:
    summary = await run_import(base, write_files(tmp_path, {"batch.json": '[{"iso3": "AFG"}]'}))

    assert messages(summary, tmp_path) == [
        "batch.json:1: is an array, but the entity is unknown (use --entity)"
    ]
