"""Partial files: a row states the whole fact unless --merge says otherwise, and the importer
says which stored values a file would clear without mentioning them."""

import json
from pathlib import Path

import pytest

from api.importer import ImportOptions, ImportUsageError, import_files
from tests.api.test_import import BASE, counts, fetch, run_import, write_files
from tests.api.test_import_cli import credence

SOURCES = """key,title
S01,Russia recognizes the Emirate
S02,Credentials accepted
S03,Embassy flag raised
S04,Foreign ministry statement
"""
STORED = (
    "recognizer,subject,type,mode,act,from,confidence,sources,notes\n"
    "RUS,AFG:islamic-emirate,unspecified,express,acceptance_of_credentials_copy,2025-07-03,high,"
    "S01;S02;S03,First to recognize\n"
    "PAK,AFG:islamic-emirate,de_jure,express,official_statement,1997-05-26,medium,S02,"
    "Withdrawn in 2001\n"
)
# What the new user imported: some columns only, one source the seed did not cite.
PARTIAL = """\
recognizer,subject,type,mode,act,from,sources
RUS,AFG:islamic-emirate,unspecified,express,acceptance_of_credentials_copy,2025-07-03,S04
"""


async def stored(database_url: str, tmp_path: Path) -> None:
    files = {**BASE, "sources.csv": SOURCES, "recognitions.csv": STORED}
    summary = await run_import(database_url, write_files(tmp_path, files))
    assert summary.ok, [str(e) for e in summary.errors]


async def russia(database_url: str) -> tuple[str | None, str | None, str, list[str]]:
    row = (
        await fetch(
            database_url,
            "SELECT confidence::text, notes, from_precision::text, ARRAY(SELECT s.key FROM "
            "citation c JOIN source s ON s.id = c.source_id WHERE c.recognition_id = r.id "
            "ORDER BY c.position) FROM recognition r WHERE key = 'RUS>AFG:islamic-emirate#1'",
        )
    )[0]
    return row[0], row[1], row[2], list(row[3])


def partial(tmp_path: Path, content: str = PARTIAL) -> list[Path]:
    folder = tmp_path / "later"
    folder.mkdir(exist_ok=True)
    return write_files(folder, {"2025-07.recognitions.csv": content})


async def test_a_partial_file_clears_what_it_leaves_out_and_says_so(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)

    summary = await run_import(database_url, partial(tmp_path))

    assert summary.ok and counts(summary, "recognitions") == (0, 1, 0, 0)
    label = str(tmp_path / "later" / "2025-07.recognitions.csv")
    assert [str(w) for w in summary.warnings] == [
        f"{label}: column confidence is not in the file: 1 row would lose its value "
        "(use --merge to keep it)",
        f"{label}: column notes is not in the file: 1 row would lose its value "
        "(use --merge to keep it)",
    ]
    assert await russia(database_url) == (None, None, "day", ["S04"])


async def test_the_cli_warns_once_per_file_and_column_on_stderr(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    two_rows = PARTIAL.replace("S04\n", "S04\nPAK,AFG:islamic-emirate,,,,1997-05-26,S02\n")

    result = credence(database_url, "import", "--dry-run", str(partial(tmp_path, two_rows)[0]))

    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(": ", 2)[2] for w in warnings] == [
        "column confidence is not in the file: 2 rows would lose their value "
        "(use --merge to keep it)",
        "column notes is not in the file: 2 rows would lose their value (use --merge to keep it)",
    ]


async def test_merge_changes_only_the_given_fields_and_adds_the_listed_sources(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    later = PARTIAL.replace("2025-07-03", "2025-07")

    summary = await run_import(database_url, partial(tmp_path, later), merge=True)

    assert summary.ok and not summary.warnings
    assert counts(summary, "recognitions") == (0, 1, 0, 0)
    assert await russia(database_url) == (
        "high",
        "First to recognize",
        "month",
        ["S01", "S02", "S03", "S04"],
    )


async def test_merge_with_replace_sources_replaces_the_citations(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)

    summary = await run_import(
        database_url, partial(tmp_path), merge="columns", replace_sources=True
    )

    assert summary.ok
    assert await russia(database_url) == ("high", "First to recognize", "day", ["S04"])


async def test_merge_keeps_values_of_empty_cells_only_when_empty_keeps(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    empty_cells = (
        "recognizer,subject,from,confidence,sources,notes\n"
        "RUS,AFG:islamic-emirate,2025-07-03,low,,\n"
    )

    cleared = await run_import(
        database_url, partial(tmp_path, empty_cells), merge=True, dry_run=True, diff=True
    )
    kept = await run_import(database_url, partial(tmp_path, empty_cells), merge="empty-keeps")

    # Under --merge an empty cell states "no value"; listing no sources adds none.
    assert cleared.ok and cleared.changes[0].fields["notes"] == ("First to recognize", None)
    assert kept.ok and counts(kept, "recognitions") == (0, 1, 0, 0)
    assert await russia(database_url) == ("low", "First to recognize", "day", ["S01", "S02", "S03"])


async def test_merge_of_json_records_keeps_missing_fields_and_clears_nulls(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    folder = tmp_path / "json"
    folder.mkdir()
    record = (
        '{"recognizer": "RUS", "subject": "AFG:islamic-emirate", "from": "2025-07-03", '
        '"confidence": null, "sources": ["S04"]}\n'
    )
    paths = write_files(folder, {"recognitions.ndjson": record})

    summary = await run_import(database_url, paths, merge=True)

    assert summary.ok
    assert await russia(database_url) == (
        None,
        "First to recognize",
        "day",
        ["S01", "S02", "S03", "S04"],
    )


async def test_diff_lists_exactly_the_changed_fields_and_citations(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    changed = PARTIAL + "SAU,AFG:islamic-emirate,,,,1997-05-28,S02;S03\n"
    report = tmp_path / "plan.json"

    result = credence(
        database_url,
        "import",
        "--dry-run",
        "--diff",
        "--report",
        str(report),
        str(partial(tmp_path, changed)[0]),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "update recognitions RUS>AFG:islamic-emirate#1\n"
        "    confidence: high → (empty)\n"
        "    notes: First to recognize → (empty)\n"
        "    + source S04\n"
        "    - source S01\n"
        "    - source S02\n"
        "    - source S03\n"
        "insert recognitions SAU>AFG:islamic-emirate#1\n"
        "    type: (empty) → unspecified\n"
        "    mode: (empty) → unspecified\n"
        "    from: (empty) → 1997-05-28\n"
        "    + source S02\n"
        "    + source S03\n"
    )
    assert "dry run: nothing was written" in result.stdout
    changes = json.loads(report.read_text())["changes"]
    assert changes[0] == {
        "entity": "recognitions",
        "key": "RUS>AFG:islamic-emirate#1",
        "action": "update",
        "fields": {"confidence": ["high", None], "notes": ["First to recognize", None]},
        "sources_added": ["S04"],
        "sources_removed": ["S01", "S02", "S03"],
        "file": str(tmp_path / "later" / "2025-07.recognitions.csv"),
        "line": 2,
    }
    assert changes[1]["action"] == "insert" and changes[1]["sources_removed"] == []
    assert await russia(database_url) == (
        "high",
        "First to recognize",
        "day",
        ["S01", "S02", "S03"],
    )


async def test_diff_under_merge_shows_only_what_changes(database_url: str, tmp_path: Path) -> None:
    await stored(database_url, tmp_path)

    result = credence(
        database_url, "import", "--merge", "--diff", str(partial(tmp_path, PARTIAL)[0])
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "update recognitions RUS>AFG:islamic-emirate#1\n    + source S04\nentity"
    )
    assert "warning" not in result.stderr
    assert await russia(database_url) == (
        "high",
        "First to recognize",
        "day",
        ["S01", "S02", "S03", "S04"],
    )


async def test_diff_past_its_limit_prints_a_summary_line_and_reports_every_fact(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    rows = "ARE,AFG:islamic-emirate,,,,2001-01,S01\nSAU,AFG:islamic-emirate,,,,2001-02,S01\n"
    path = str(partial(tmp_path, "recognizer,subject,type,mode,act,from,sources\n" + rows)[0])
    report = tmp_path / "plan.json"

    bare = credence(database_url, "import", "--dry-run", "--diff", "--diff-limit", "1", path)
    reported = credence(
        database_url,
        "import",
        *("--dry-run", "--diff", "--diff-limit", "1", "--report", str(report), path),
    )

    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.count("insert recognitions") == 1
    assert "… and 1 more changed fact; --report FILE lists them all" in bare.stdout
    assert reported.returncode == 0, reported.stderr
    assert f"… and 1 more changed fact; see {report}" in reported.stdout
    written = json.loads(report.read_text())
    assert written["changes_total"] == 2
    assert [change["key"] for change in written["changes"]] == [
        "ARE>AFG:islamic-emirate#1",
        "SAU>AFG:islamic-emirate#1",
    ]


async def test_a_fact_without_sources_is_refused_on_its_line(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    unsourced = (
        "recognizer,subject,from,sources\n"
        "RUS,AFG:islamic-emirate,2025-07-03,S01\n"
        "SAU,AFG,1997-05-28,\n"
    )
    path = partial(tmp_path, unsourced)[0]

    result = credence(database_url, "import", str(path))

    assert result.returncode == 1
    assert (
        f"{path}:3: column sources: a recognition must cite at least one source "
        "(or import with --allow-unsourced)"
    ) in result.stderr
    assert await russia(database_url) == (
        "high",
        "First to recognize",
        "day",
        ["S01", "S02", "S03"],
    )


async def test_under_merge_a_row_without_sources_keeps_the_stored_ones(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    no_sources = "recognizer,subject,from,notes\nRUS,AFG:islamic-emirate,2025-07-03,Checked\n"
    new_fact = no_sources + "SAU,AFG,1997-05-28,\n"

    updated = await run_import(database_url, partial(tmp_path, no_sources), merge=True)
    refused = await run_import(database_url, partial(tmp_path, new_fact), merge=True)

    assert updated.ok and counts(updated, "recognitions") == (0, 1, 0, 0)
    assert await russia(database_url) == ("high", "Checked", "day", ["S01", "S02", "S03"])
    assert [(e.line, e.column) for e in refused.errors] == [(3, "sources")]


async def test_allow_unsourced_accepts_drafts_and_export_names_them(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    draft = "recognizer,subject,from\nSAU,AFG,1997-05-28\n"
    path = partial(tmp_path, draft)[0]

    imported = credence(database_url, "import", "--allow-unsourced", str(path))
    exported = credence(database_url, "export", str(tmp_path / "out"), "--entity", "recognitions")

    assert imported.returncode == 0, imported.stderr
    assert exported.returncode == 0, exported.stderr
    assert (
        f"warning: {tmp_path / 'out' / 'recognitions.csv'}: 1 fact cites no source: SAU>AFG#1 "
        "(drafts imported with --allow-unsourced; importing the file again needs it too)"
    ) in exported.stderr
    # Written like any other row: the file reads back (with the same option).
    assert "SAU,AFG,1,unspecified" in (tmp_path / "out" / "recognitions.csv").read_text()


async def test_the_python_api_takes_merge_and_allow_unsourced(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    draft = (
        "recognizer,subject,from,notes\nRUS,AFG:islamic-emirate,2025-07-03,Kept\nSAU,AFG,1997,\n"
    )
    paths = partial(tmp_path, draft)

    refused = await import_files(paths, database_url=database_url)
    accepted = await import_files(
        paths,
        database_url=database_url,
        options=ImportOptions(merge=True, allow_unsourced=True, diff=True),
    )

    assert not refused.committed and {e.line for e in refused.errors} == {2, 3}
    assert accepted.committed and accepted.ok
    assert [(c.key, c.action, c.fields.get("notes")) for c in accepted.changes] == [
        ("RUS>AFG:islamic-emirate#1", "update", ("First to recognize", "Kept")),
        ("SAU>AFG#1", "insert", None),
    ]
    assert await russia(database_url) == ("high", "Kept", "day", ["S01", "S02", "S03"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"merge": "everything"}, "unknown merge mode 'everything'"),
        ({"replace_sources": True}, "--replace-sources applies to --merge"),
    ],
)
async def test_wrong_merge_options_are_usage_errors(
    database_url: str, tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ImportUsageError, match=message):
        await import_files(
            partial(tmp_path),
            database_url=database_url,
            options=ImportOptions(**options),  # type: ignore[arg-type]
        )


async def test_periods_are_diffed_and_kept_like_any_field(
    database_url: str, tmp_path: Path
) -> None:
    await stored(database_url, tmp_path)
    renamed = "key,state,name\nAFG:islamic-emirate,AFG,Islamic Emirate\n"
    moved = "key,state,name,periods\nAFG:islamic-emirate,AFG,Islamic Emirate,1996-09/2001-11\n"
    folder = tmp_path / "governments"
    folder.mkdir()

    merged = await run_import(
        database_url, write_files(folder, {"governments.csv": renamed}), merge=True, diff=True
    )
    planned = await run_import(
        database_url,
        write_files(folder, {"governments.csv": moved}),
        dry_run=True,
        diff=True,
    )

    assert merged.ok and [c.fields for c in merged.changes] == [
        {"name": ("Islamic Emirate of Afghanistan", "Islamic Emirate")}
    ]
    periods = await fetch(database_url, "SELECT count(*) FROM government_period")
    assert periods[0][0] == 2
    assert planned.ok and planned.changes[0].fields == {
        "periods": ("1996-09-27/2001-11-13;2021-08-15/", "1996-09/2001-11")
    }
    assert planned.changes[0].sources_removed == ("S01",)
