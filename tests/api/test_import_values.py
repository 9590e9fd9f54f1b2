"""Values as a data maintainer writes them: fuzzy dates, periods, and big streamed files."""

import json
from pathlib import Path

import pytest

from api.importer.fuzzy_dates import FuzzyDateError, parse_fuzzy, parse_periods
from api.models import Precision
from tests.api.test_import import count, run_import, write_files


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "precision"),
    [
        ("1997", "1997-01-01", "1997-12-31", Precision.YEAR),
        ("2024-02", "2024-02-01", "2024-02-29", Precision.MONTH),
        ("2001-09-22", "2001-09-22", "2001-09-22", Precision.DAY),
    ],
)
def test_a_fuzzy_date_spans_its_precision(
    text: str, earliest: str, latest: str, precision: Precision
) -> None:
    value = parse_fuzzy(text)
    assert (value.earliest.isoformat(), value.latest.isoformat()) == (earliest, latest)
    assert value.precision is precision
    assert str(value) == text


@pytest.mark.parametrize("text", ["97", "1997-1", "1997-13", "1997-02-30", "1997/05", " 1997"])
def test_not_a_fuzzy_date(text: str) -> None:
    with pytest.raises(FuzzyDateError):
        parse_fuzzy(text)


def test_periods_open_ends_and_overlaps() -> None:
    periods = parse_periods("2021-08-15/..;1996-09-27/2001-11-13;../1990")
    assert [str(p) for p in periods] == ["/1990", "1996-09-27/2001-11-13", "2021-08-15/"]
    with pytest.raises(FuzzyDateError, match="overlapping"):
        parse_periods("1996/2001;2000/")
    with pytest.raises(FuzzyDateError, match="ends before it starts"):
        parse_periods("2001/1996")


async def test_a_big_json_file_streams_and_errors_keep_their_line(
    database_url: str, tmp_path: Path
) -> None:
    # Large enough to cross many read chunks: elements straddle the chunk boundaries.
    rows = [{"key": f"S{n:05d}", "title": "t" * 120, "published": "2020-01"} for n in range(3000)]
    rows[2500]["published"] = "2020-14"
    text = "[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n"

    summary = await run_import(database_url, write_files(tmp_path, {"sources.json": text}))

    assert [(e.line, e.column, e.value) for e in summary.errors] == [(2502, "published", "2020-14")]
    assert summary.entities["sources"].rejected == 1
    assert await count(database_url, "source") == 0


async def test_csv_with_bom_crlf_and_quoted_line_breaks(database_url: str, tmp_path: Path) -> None:
    content = (
        "\ufeffkey,title,publisher\r\n"
        'S1,"A title, with a comma","Line one\r\nline two"\r\n'
        'S2,"Say ""hello""",\r\n'
        "S3,,x\r\n"
    )
    summary = await run_import(database_url, write_files(tmp_path, {"sources.csv": content}))

    # The third record starts on physical line 5 because the second spans two lines.
    assert [(e.line, e.column) for e in summary.errors] == [(5, "title")]
    fixed = content.replace("S3,,x", "S3,T,x")
    summary = await run_import(database_url, write_files(tmp_path, {"sources.csv": fixed}))
    assert summary.ok and summary.entities["sources"].inserted == 3
