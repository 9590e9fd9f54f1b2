"""`credence import`, `export` and `seed` from a shell: exit status 0, 1 or 2, and clear output."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.test_import import BASE, RECOGNITIONS, count, write_files

CREDENCE = str(Path(sys.executable).parent / "credence")


def credence(
    database_url: str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [CREDENCE, *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ["import", "export", "seed"])
def test_help_lists_the_options(command: str) -> None:
    result = subprocess.run(
        [CREDENCE, command, "--help"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0
    expected = {
        "import": [
            "--entity",
            "--format",
            "--dry-run",
            "--skip-invalid",
            "--report",
            "--ignore-unknown-columns",
            "--quiet",
            "--json",
            "--online",
            "--recheck",
            "--lock-timeout",
            "--merge",
            "--empty-keeps",
            "--replace-sources",
            "--allow-unsourced",
            "--diff",
            "--diff-limit",
        ],
        "export": ["DIR", "--format", "--entity", "--raw-formulas"],
        "seed": ["--dry-run", "--json"],
    }[command]
    for option in expected:
        assert option in result.stdout


async def test_a_good_import_exits_0_with_a_summary(database_url: str, tmp_path: Path) -> None:
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})

    result = credence(database_url, "import", *map(str, paths))

    assert result.returncode == 0, result.stderr
    assert "recognitions" in result.stdout and "inserted" in result.stdout
    assert await count(database_url, "recognition") == 2


async def test_the_same_files_again_say_they_were_not_compared_unless_rechecked(
    database_url: str, tmp_path: Path
) -> None:
    paths = [
        str(path) for path in write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})
    ]
    assert credence(database_url, "import", *paths).returncode == 0

    again = credence(database_url, "import", *paths)
    rechecked = credence(database_url, "import", "--recheck", "--json", *paths)

    assert again.returncode == 0 and "nothing has changed since" in again.stdout
    assert rechecked.returncode == 0
    summary = json.loads(rechecked.stdout)
    assert summary["matched_fingerprint"] is False
    assert summary["entities"]["recognitions"]["unchanged"] == 2


async def test_rejected_rows_exit_1_and_are_reported_as_json(
    database_url: str, tmp_path: Path
) -> None:
    bad = RECOGNITIONS + "SAU,AFG:islamic-emirate,1,,,,1997-13,,,,,\n"
    paths = write_files(tmp_path, {**BASE, "recognitions.csv": bad})
    report = tmp_path / "report.json"

    result = credence(database_url, "import", *map(str, paths), "--report", str(report), "--json")

    assert result.returncode == 1
    assert 'recognitions.csv:4: column from: "1997-13" is not a date' in result.stderr
    printed = json.loads(result.stdout)
    written = json.loads(report.read_text())
    assert printed == written
    assert written["errors"][0]["line"] == 4 and written["errors"][0]["column"] == "from"
    assert written["entities"]["recognitions"]["rejected"] == 1
    assert await count(database_url, "state") == 0


async def test_usage_errors_and_unreadable_files_exit_2(database_url: str, tmp_path: Path) -> None:
    missing = credence(database_url, "import", str(tmp_path / "nope.csv"))
    stdin_without_entity = credence(database_url, "import", "-")
    bad_format = credence(database_url, "export", str(tmp_path), "--format", "xml")

    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert stdin_without_entity.returncode == 2 and "--entity" in stdin_without_entity.stderr
    assert bad_format.returncode == 2 and "unknown format" in bad_format.stderr
    assert "Traceback" not in missing.stderr + stdin_without_entity.stderr + bad_format.stderr


async def test_standard_input_with_entity_and_format(database_url: str) -> None:
    result = credence(
        database_url,
        "import",
        "-",
        "--entity",
        "states",
        "--format",
        "csv",
        "--quiet",
        stdin="iso3,name\r\nAFG,Afghanistan\r\n",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert await count(database_url, "state") == 1


async def test_seed_twice_then_export(database_url: str, tmp_path: Path) -> None:
    first = credence(database_url, "seed", "--json")
    second = credence(database_url, "seed", "--json")
    exported = credence(database_url, "export", str(tmp_path), "--entity", "recognitions")

    assert first.returncode == 0, first.stderr
    stored = await count(database_url, "recognition")
    assert json.loads(first.stdout)["entities"]["recognitions"]["inserted"] == stored >= 4
    counts = json.loads(second.stdout)["entities"]
    assert all(c["inserted"] == c["updated"] == 0 for c in counts.values())
    assert exported.returncode == 0
    assert (tmp_path / "recognitions.csv").read_text().count("\n") == stored + 1
