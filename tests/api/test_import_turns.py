"""Imports take turns, visibly and boundedly: an import that finds another one holding the import
lock says which (pid, application, since when), waits at most --lock-timeout seconds and then
gives up having written nothing; an import whose client was killed does not keep the lock.

Import 1 is made to hold the lock for as long as the test likes: a test session locks the
`state` table first, so import 1 takes the import lock and then waits on `state`.
"""

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from api.database_url import to_asyncpg_dsn
from api.importer import ImportLockTimeout, ImportOptions, LockWait, import_files
from tests.api.test_import import BASE, RECOGNITIONS, count, fetch, write_files
from tests.api.test_import_cli import CREDENCE, credence
from tests.api.test_import_interrupt import credence as start_credence

# Generous bounds for things that take well under a second: they only end a failing test.
# (Every test database is a copy of one template, so its tables have the same OIDs in every
# database of the server: the pg_locks queries below name the database too.)
WAIT = 60.0


@pytest.fixture
async def state_locked(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A session holding an ACCESS EXCLUSIVE lock on `state` until the test releases it."""
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    await connection.execute("BEGIN")
    await connection.execute("LOCK TABLE state IN ACCESS EXCLUSIVE MODE")
    try:
        yield connection
    finally:
        await connection.close()


async def poll(database_url: str, query: str, what: str) -> list[asyncpg.Record]:
    """The rows of `query` once it returns some (polled; fails after WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        rows = await fetch(database_url, query)
        if rows:
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"never saw {what}")


async def import_waiting_on_state(database_url: str) -> int:
    """The backend pid of the import that holds the import lock and waits for `state`."""
    rows = await poll(
        database_url,
        "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE a.application_name = 'credence-import' AND a.datname = current_database() "
        "AND NOT l.granted AND l.relation = 'state'::regclass",
        "an import waiting for the state table",
    )
    return int(rows[0][0])


@pytest.fixture
def files(tmp_path: Path) -> list[str]:
    return [str(p) for p in write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS})]


async def test_a_second_import_names_the_first_and_gives_up_after_the_lock_timeout(
    database_url: str, state_locked: asyncpg.Connection, files: list[str]
) -> None:
    first = start_credence(database_url, "import", "--quiet", *files)
    try:
        holder = await import_waiting_on_state(database_url)

        second = await asyncio.to_thread(
            credence, database_url, "import", "--lock-timeout", "0.5", *files
        )

        assert second.returncode == 3, second.stderr
        assert "Traceback" not in second.stderr
        waiting, *_, last = second.stderr.strip().splitlines()
        assert waiting.startswith("credence import: waiting for another import or writer")
        assert f"pid {holder}, application 'credence-import'" in waiting
        assert "its transaction started 20" in waiting
        assert "giving up after 0.5 s" in waiting
        assert last.startswith("error: gave up after waiting 0.5 s for the import lock")
        assert f"pid {holder}" in last and "nothing was written" in last
        assert second.stdout == ""
    finally:
        await state_locked.execute("ROLLBACK")
        _, errors = await asyncio.to_thread(first.communicate, timeout=WAIT)
    # The first import then completes; the second wrote nothing in between.
    assert first.returncode == 0, errors.decode()
    assert await count(database_url, "recognition") == 2
    # One transaction wrote the change log (now() is the time its transaction started).
    log = await fetch(database_url, "SELECT count(DISTINCT at) FROM change_log")
    assert log[0][0] == 1


async def test_a_waiting_import_says_so_and_goes_on_when_the_first_one_ends(
    database_url: str, state_locked: asyncpg.Connection, files: list[str]
) -> None:
    first = start_credence(database_url, "import", "--quiet", *files)
    holder = await import_waiting_on_state(database_url)
    second = start_credence(database_url, "import", "--json", "--recheck", *files)
    # The second import waits for the lock on change_log (it has said so by then).
    await poll(
        database_url,
        "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'change_log'::regclass "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        "the second import waiting for the import lock",
    )

    await state_locked.execute("ROLLBACK")
    _, first_errors = await asyncio.to_thread(first.communicate, timeout=WAIT)
    output, second_errors = await asyncio.to_thread(second.communicate, timeout=WAIT)

    assert first.returncode == 0, first_errors.decode()
    assert second.returncode == 0, second_errors.decode()
    assert f"waiting for another import or writer to finish (pid {holder}" in (
        second_errors.decode()
    )
    assert b'"unchanged": 2' in output


async def test_the_python_api_reports_the_holder_and_raises_on_timeout(
    database_url: str, state_locked: asyncpg.Connection, files: list[str]
) -> None:
    first = start_credence(database_url, "import", "--quiet", *files)
    waits: list[LockWait] = []
    try:
        holder = await import_waiting_on_state(database_url)
        with pytest.raises(ImportLockTimeout, match="nothing was written") as raised:
            await import_files(
                files,
                database_url=database_url,
                options=ImportOptions(lock_timeout=0.2, on_wait=waits.append),
            )
    finally:
        await state_locked.execute("ROLLBACK")
        await asyncio.to_thread(first.communicate, timeout=WAIT)

    [wait] = waits
    assert wait.timeout == 0.2
    assert [(h.pid, h.application_name) for h in wait.holders] == [(holder, "credence-import")]
    assert wait.holders[0].transaction_started is not None
    assert raised.value.wait == wait


async def test_a_killed_import_stops_on_the_server_and_frees_the_lock(
    database_url: str, state_locked: asyncpg.Connection, files: list[str]
) -> None:
    first = start_credence(database_url, "import", "--quiet", *files)
    holder = await import_waiting_on_state(database_url)

    first.send_signal(signal.SIGKILL)
    await asyncio.to_thread(first.communicate, timeout=WAIT)
    # The server notices the client is gone while its statement still waits for `state`
    # (which stays locked): the session ends and its locks with it.
    deadline = time.monotonic() + WAIT
    while await fetch(database_url, "SELECT 1 FROM pg_stat_activity WHERE pid = $1", holder):
        assert time.monotonic() < deadline, "the killed import's session kept running"
        await asyncio.sleep(0.1)
    await state_locked.execute("ROLLBACK")

    second = await asyncio.to_thread(
        credence, database_url, "import", "--lock-timeout", "10", *files
    )

    assert second.returncode == 0, second.stderr
    assert "waiting" not in second.stderr
    assert await count(database_url, "recognition") == 2


def test_a_negative_lock_timeout_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [CREDENCE, "import", "--lock-timeout", "-1", str(tmp_path / "states.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--lock-timeout" in result.stderr
