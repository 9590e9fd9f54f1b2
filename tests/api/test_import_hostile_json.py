"""Hostile JSON (nested 100,000 levels deep, a record of many megabytes, a number of thousands
of digits) is a row error on its line, never a crash: strict imports write nothing and say why,
`--skip-invalid` keeps every other row, in the CLI and the Python API alike."""

from pathlib import Path

import pytest

from api.importer import ImportOptions, RowsInput, import_files, import_inputs
from tests.api.test_import import count, fetch, write_files
from tests.api.test_import_cli import credence

DEEP = "[" * 100_000 + "]" * 100_000
NESTED_TOO_DEEPLY = "nests arrays and objects too deeply to read"


def states_ndjson(bad_value: str) -> str:
    return (
        '{"iso3": "AFG", "name": "Afghanistan"}\n'
        f'{{"iso3": "PAK", "name": {bad_value}}}\n'
        '{"iso3": "RUS", "name": "Russian Federation"}\n'
    )


def states_json(bad_value: str) -> str:
    return (
        '[{"iso3": "AFG", "name": "Afghanistan"},\n'
        f"{bad_value},\n"
        '{"iso3": "RUS", "name": "Russian Federation"}]\n'
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("states.ndjson", states_ndjson(DEEP)), ("states.json", states_json(DEEP))],
    ids=["ndjson", "json"],
)
async def test_deep_nesting_is_a_row_error_and_skip_invalid_keeps_the_good_rows(
    database_url: str, tmp_path: Path, name: str, content: str
) -> None:
    [path] = write_files(tmp_path, {name: content})

    strict = credence(database_url, "import", str(path))
    assert await count(database_url, "state") == 0
    skipping = credence(database_url, "import", "--skip-invalid", str(path))

    assert strict.returncode == 1, strict.stderr
    assert "Traceback" not in strict.stderr and "RecursionError" not in strict.stderr
    assert f"{name}:2: {NESTED_TOO_DEEPLY}" in strict.stderr
    assert "nothing was written" in strict.stdout
    assert skipping.returncode == 1, skipping.stderr
    assert f"{name}:2: {NESTED_TOO_DEEPLY}" in skipping.stderr
    rows = await fetch(database_url, "SELECT iso3 FROM state ORDER BY iso3")
    assert [row[0] for row in rows] == ["AFG", "RUS"]


@pytest.mark.parametrize("format", ["ndjson", "json"])
async def test_a_record_over_the_size_limit_is_skipped_on_its_line(
    database_url: str, tmp_path: Path, format: str
) -> None:
    huge = '"' + "x" * 300_000 + '"'
    content = states_ndjson(huge) if format == "ndjson" else states_json(f'{{"name": {huge}}}')
    [path] = write_files(tmp_path, {f"states.{format}": content})

    summary = await import_files(
        [path],
        database_url=database_url,
        options=ImportOptions(skip_invalid=True, max_record_bytes=100_000),
    )

    assert [(e.line, e.reason) for e in summary.errors] == [
        (2, "is larger than 100,000 bytes, the limit for one record: skipped without reading it")
    ]
    assert summary.committed and summary.entities["states"].inserted == 2
    # The error shows no megabytes of value.
    assert summary.errors[0].value is None


async def test_a_number_too_long_to_convert_is_a_row_error(
    database_url: str, tmp_path: Path
) -> None:
    [path] = write_files(tmp_path, {"states.ndjson": states_ndjson("1" * 5000)})

    summary = await import_files(
        [path], database_url=database_url, options=ImportOptions(skip_invalid=True)
    )

    assert [(e.line, e.reason) for e in summary.errors] == [
        (2, "holds a number too long to read (more than 4,300 digits)")
    ]
    assert summary.entities["states"].inserted == 2


async def test_python_rows_nested_too_deeply_are_row_errors(database_url: str) -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    rows = [
        {"key": "S01", "title": "Fine"},
        {"key": "S02", "title": "Deep", "publisher": deep},
        {"key": "S03", "title": "Fine too"},
    ]

    summary = await import_inputs(
        [RowsInput("etl", "sources", rows)],
        database_url=database_url,
        options=ImportOptions(skip_invalid=True),
    )

    [error] = summary.errors
    assert (error.line, error.column, error.reason) == (2, "publisher", "is not a text value")
    assert error.value == "(a list nested too deeply to show)"
    assert summary.entities["sources"].inserted == 2
