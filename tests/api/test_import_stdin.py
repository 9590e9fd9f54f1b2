"""`credence import -` reads one file piped on standard input (`--entity` and `--format` say
what it is); errors name `<stdin>` and the line, and `--report` writes them as JSON."""

import json
import os
import subprocess
from pathlib import Path

from tests.api.test_import import BASE, count, run_import, write_files
from tests.api.test_import_errors import GOOD, HEADER
from tests.api.test_import_scale import CREDENCE


def pipe(database_url: str, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `credence import - ARGS` with the file itself as standard input (a real pipe end)."""
    with path.open("rb") as stream:
        return subprocess.run(
            [CREDENCE, "import", "-", *args],
            stdin=stream,
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": database_url},
            timeout=120,
            check=False,
        )


async def test_a_piped_ndjson_file_is_imported(database_url: str, tmp_path: Path) -> None:
    assert (await run_import(database_url, write_files(tmp_path, BASE))).ok
    piped = tmp_path / "piped.ndjson"
    piped.write_text(
        '{"recognizer": "RUS", "subject": "AFG:islamic-emirate", "from": "2025-07-03", '
        '"sources": [{"source": "S01", "quote": "We recognize"}]}\n'
        '{"recognizer": "PAK", "subject": "AFG:islamic-emirate", "from": "1997-05-26", '
        '"to": "2001-11-19", "end_reason": "lapsed", "sources": ["S02"]}\n'
    )

    result = pipe(database_url, piped, "--entity", "recognitions", "--format", "ndjson", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["entities"]["recognitions"]["inserted"] == 2
    assert await count(database_url, "recognition") == 2


async def test_piped_rows_with_errors_are_reported_by_line(
    database_url: str, tmp_path: Path
) -> None:
    assert (await run_import(database_url, write_files(tmp_path, BASE))).ok
    piped = tmp_path / "piped.csv"
    piped.write_text(HEADER + GOOD + GOOD.replace("RUS", "PAK").replace("2025-07-03", "1997-13"))
    report = tmp_path / "report.json"

    result = pipe(
        database_url,
        piped,
        "--entity",
        "recognitions",
        "--format",
        "csv",
        "--skip-invalid",
        "--report",
        str(report),
        "--quiet",
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        '<stdin>:3: column from: "1997-13" is not a date (YYYY, YYYY-MM or YYYY-MM-DD)'
    )
    errors = json.loads(report.read_text())["errors"]
    assert [(e["file"], e["line"], e["column"], e["value"]) for e in errors] == [
        ("<stdin>", 3, "from", "1997-13")
    ]
    assert await count(database_url, "recognition") == 1
