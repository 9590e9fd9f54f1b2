"""`make data-check`: the bundled seed passes, and each check catches what it is meant to."""

import subprocess
import sys

from api.seed.quality import Citation, Row, check


def test_the_bundled_seed_passes_the_data_check() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "api.seed.quality"], capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr
    assert "every check passed" in finished.stdout
    assert finished.stdout.splitlines()[0].split() == [
        "case",
        "rows",
        "sources",
        "facts",
        "recognitions",
    ]


SOURCE = Row("demo", "sources", "s.csv:2", {"key": "D1", "title": "A", "url": "https://x.test"})
GOVERNMENT = Row(
    "demo",
    "governments",
    "g.csv:2",
    {"key": "ESH:sadr", "periods": "1976-02-27/"},
    [Citation("D1", "proclaimed on 27 February 1976")],
)


def _recognition(citations: list[Citation], **values: str) -> Row:
    base = {"recognizer": "DZA", "subject": "ESH:sadr", "from": "1976-03-06"}
    return Row("demo", "recognitions", "r.ndjson:1", {**base, **values}, citations)


def test_a_well_cited_fact_passes() -> None:
    quoted = _recognition([Citation("D1", "Algeria recognized it on 6 March 1976.")])
    assert check([SOURCE, GOVERNMENT, quoted]) == []


def test_each_check_names_the_row_and_the_problem() -> None:
    unsourced = _recognition([])
    unquoted = _recognition([Citation("D1", None)])
    wrong_day = _recognition([Citation("D1", "Algeria recognized it in March 1976.")])
    before_the_government = _recognition(
        [Citation("D1", "recognized on 1 January 1970")], **{"from": "1970-01-01"}
    )
    noted = _recognition(
        [Citation("D1", "recognized on 1 January 1970")],
        **{"from": "1970-01-01", "notes": "recognized the movement before the proclamation"},
    )
    unknown = _recognition([Citation("D9", "on 6 March 1976")])
    bare_source = Row("demo", "sources", "s.csv:3", {"key": "D2", "title": "B"})
    problems = check([SOURCE, GOVERNMENT, bare_source])
    assert problems == ["s.csv:3: source D2 has no URL or reference"]
    assert check([SOURCE, GOVERNMENT, unsourced]) == ["r.ndjson:1: a recognition without a source"]
    assert check([SOURCE, GOVERNMENT, unquoted]) == ["r.ndjson:1: no citation quotes its source"]
    assert check([SOURCE, GOVERNMENT, wrong_day]) == [
        "r.ndjson:1: from 1976-03-06 is given to the day, no quote gives it"
    ]
    assert check([SOURCE, GOVERNMENT, before_the_government]) == [
        "r.ndjson:1: recognizes ESH:sadr outside its periods, no note says why"
    ]
    assert check([SOURCE, GOVERNMENT, noted]) == []
    assert check([SOURCE, GOVERNMENT, unknown]) == [
        "r.ndjson:1: cites unknown source D9",
        "r.ndjson:1: from 1976-03-06 is given to the day, no quote gives it",
    ]


def test_a_day_is_read_in_the_forms_sources_write_it() -> None:
    for quote in (
        "le 6 mars 1976",
        "el 6 de marzo de 1976",
        "06.03.1976",
        "6/3/1976",
        "March 6th, 1976",
        "في 6 مارس 1976",
    ):
        row = _recognition([Citation("D1", quote)])
        assert check([SOURCE, GOVERNMENT, row]) == [], quote


def test_a_weekday_counts_in_a_report_published_days_after() -> None:
    dated = Row(
        "demo",
        "sources",
        "s.csv:4",
        {"key": "D3", "title": "Wire", "url": "https://x.test/3", "published": "1976-03-08"},
    )
    # 6 March 1976 was a Saturday; the report of Monday 8 March says "on Saturday".
    saturday = _recognition([Citation("D3", "Algeria recognized the republic on Saturday.")])
    assert check([SOURCE, dated, GOVERNMENT, saturday]) == []
    friday = _recognition([Citation("D3", "Algeria recognized the republic on Friday.")])
    assert check([SOURCE, dated, GOVERNMENT, friday]) == [
        "r.ndjson:1: from 1976-03-06 is given to the day, no quote gives it"
    ]
