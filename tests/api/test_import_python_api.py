"""The Python API, as a script uses it: `import_files`, `import_inputs` and `export_entities`
return their summaries, typed, and never need the CLI."""

import json
import subprocess
import sys
from pathlib import Path

from tests.api.test_import import BASE, RECOGNITIONS, write_files

SCRIPT = """
import asyncio, json, sys
from pathlib import Path

from api.importer import (
    ImportOptions, RowsInput, export_entities, import_files, import_inputs,
)

async def main(url: str, folder: Path) -> None:
    files = sorted(folder.glob("*.csv"))
    first = await import_files(files, database_url=url, options=ImportOptions(actor="script"))
    again = await import_files(files, database_url=url)
    extra = await import_inputs(
        [RowsInput("built-in", "sources", [{"key": "S09", "title": "Made in Python"},
                                            {"key": "S10"}])],
        database_url=url,
        options=ImportOptions(skip_invalid=True),
    )
    exported = await export_entities(folder / "out", database_url=url, format="ndjson",
                                     entities=["sources", "recognitions"])
    print(json.dumps({
        "first": first.as_json(), "again": again.as_json(), "extra": extra.as_json(),
        "exported": exported.rows,
    }))

asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
"""


def test_a_script_imports_and_exports_through_the_python_api(
    database_url: str, tmp_path: Path
) -> None:
    write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)

    result = subprocess.run(
        [sys.executable, str(script), database_url, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["first"]["committed"] and output["first"]["ok"]
    assert output["first"]["entities"]["recognitions"]["inserted"] == 2
    assert output["again"]["entities"]["recognitions"]["unchanged"] == 2
    extra = output["extra"]
    assert extra["entities"]["sources"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert [(e["file"], e["line"], e["column"]) for e in extra["errors"]] == [
        ("built-in", 2, "title")
    ]
    assert output["exported"] == {"sources": 3, "recognitions": 2}
    lines = (tmp_path / "out" / "recognitions.ndjson").read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == [
        "PAK>AFG:islamic-emirate#1",
        "RUS>AFG:islamic-emirate#1",
    ]
