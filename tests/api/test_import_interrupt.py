"""Killing `credence import` mid-load (SIGKILL, Ctrl-C as SIGINT, or SIGTERM as `kill` and service
managers send it) leaves the database exactly as it was, change log included; running the same
command again then completes the import."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.test_import import fetch
from tests.api.test_import_scale import CREDENCE, write_recognitions, write_sources, write_states

ROWS = 30_000
TABLES = ("state", "source", "recognition", "citation", "change_log")


async def snapshot(database_url: str) -> dict[str, object]:
    """Row counts and the newest change-log id: what any write, even one row, would move."""
    found: dict[str, object] = {}
    for table in TABLES:
        rows = await fetch(database_url, f"SELECT count(*), max(id) FROM {table}")
        found[table] = tuple(rows[0])
    return found


async def current_statement(database_url: str) -> str | None:
    """The import session's latest statement (`query` stays set while the session waits)."""
    rows = await fetch(
        database_url,
        "SELECT query FROM pg_stat_activity WHERE application_name = 'credence-import' "
        "AND datname = current_database()",
    )
    return str(rows[0][0]) if rows else None


# Starts `credence` with SIGINT at its default disposition. A shell starts a background job
# (`pytest ... &` in a script) with SIGINT ignored, children inherit that, and Python then
# installs no Ctrl-C handler: the SIGINT cases would test nothing. Re-enabled here by an exec
# (no preexec_fn, which is unsafe in a process with threads), so the pid stays credence's own.
_WITH_DEFAULT_SIGINT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def credence(database_url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WITH_DEFAULT_SIGINT, CREDENCE, *args],
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def interrupt_when(
    database_url: str, process: subprocess.Popen[bytes], prefix: str, how: signal.Signals
) -> None:
    """Send `how` once the import runs a statement starting with `prefix`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import finished before it could be interrupted"
        statement = await current_statement(database_url)
        if statement is not None and statement.lstrip().startswith(prefix):
            process.send_signal(how)
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the import never ran {prefix}")


@pytest.fixture
async def loaded(database_url: str, tmp_path: Path) -> tuple[str, list[str]]:
    """A database holding states and sources already, and a large recognitions file."""
    reference = [
        str(write_states(tmp_path / "states.csv")),
        str(write_sources(tmp_path / "sources.csv", 50)),
    ]
    setup = credence(database_url, "import", "--quiet", *reference)
    _, errors = setup.communicate(timeout=120)
    assert setup.returncode == 0, errors.decode()
    recognitions = write_recognitions(tmp_path / "recognitions.csv", ROWS, sources=50)
    return database_url, [*reference, str(recognitions)]


@pytest.mark.parametrize(
    ("how", "during"),
    [
        (signal.SIGKILL, "WITH merged AS (INSERT INTO recognition"),
        (signal.SIGINT, "WITH merged AS (INSERT INTO recognition"),
        (signal.SIGINT, "COPY"),
        (signal.SIGTERM, "WITH merged AS (INSERT INTO recognition"),
        (signal.SIGTERM, "COPY"),
    ],
    ids=[
        "sigkill-while-merging",
        "sigint-while-merging",
        "sigint-while-staging",
        "sigterm-while-merging",
        "sigterm-while-staging",
    ],
)
async def test_an_interrupted_import_changes_nothing_and_the_rerun_completes(
    loaded: tuple[str, list[str]], how: signal.Signals, during: str
) -> None:
    database_url, paths = loaded
    before = await snapshot(database_url)

    process = credence(database_url, "import", "--quiet", *paths)
    await interrupt_when(database_url, process, during, how)
    _, errors = process.communicate(timeout=120)

    assert process.returncode != 0
    assert b"Traceback" not in errors, errors.decode()
    if how in (signal.SIGINT, signal.SIGTERM):
        # SIGTERM is handled as Ctrl-C is: rolled back, the same words and status.
        assert process.returncode == 130
        assert b"interrupted: nothing was written" in errors
    assert await snapshot(database_url) == before

    # The same command again completes the import (it waits, if need be, for the server to
    # finish rolling back the killed session).
    rerun = credence(database_url, "import", "--json", *paths)
    output, errors = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, errors.decode()
    summary = json.loads(output)
    assert summary["entities"]["recognitions"]["inserted"] == ROWS
    assert summary["entities"]["states"]["unchanged"] == 60
    after = await snapshot(database_url)
    assert after["recognition"] == (ROWS, after["recognition"][1])  # type: ignore[index]
