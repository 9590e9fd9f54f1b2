"""Imports take turns: each one locks `change_log` against other writers for its transaction
(see api.importer.fingerprint). This module takes that lock without waiting blindly: when
another transaction holds it, the import says which one (pid, application, user, since when,
from pg_locks and pg_stat_activity) and gives up after a bounded time, having written nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from api.importer.fingerprint import LOCK_SQL

# The default of `ImportOptions.lock_timeout` and `credence import --lock-timeout`: long enough
# for a small import ahead to finish, short enough that a stuck one is noticed.
DEFAULT_LOCK_TIMEOUT = 60.0

# The sessions holding a lock on change_log that ours would wait for (every mode but ACCESS
# SHARE conflicts with SHARE ROW EXCLUSIVE; readers of change_log do not block an import).
_HOLDERS_SQL = """
SELECT DISTINCT a.pid, a.application_name, a.usename, a.client_addr::text AS client,
       a.xact_start, a.state
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = 'change_log'::regclass
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.granted AND l.mode <> 'AccessShareLock' AND l.pid <> pg_backend_pid()
ORDER BY a.xact_start NULLS LAST, a.pid
"""


@dataclass(frozen=True, slots=True)
class LockHolder:
    """A session holding the import lock, as pg_stat_activity describes it."""

    pid: int
    application_name: str
    user: str | None
    client: str | None
    transaction_started: datetime | None
    state: str | None

    def __str__(self) -> str:
        parts = [f"pid {self.pid}"]
        if self.application_name:
            parts.append(f"application {self.application_name!r}")
        if self.user:
            parts.append(f"user {self.user}")
        if self.client:
            parts.append(f"from {self.client}")
        if self.transaction_started is not None:
            started = self.transaction_started.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
            parts.append(f"its transaction started {started}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class LockWait:
    """What an import waits for: the sessions ahead of it and how long it will wait."""

    holders: tuple[LockHolder, ...]
    # None: as long as it takes.
    timeout: float | None

    def __str__(self) -> str:
        if self.holders:
            ahead = "; ".join(str(holder) for holder in self.holders)
        else:
            ahead = "a transaction that has just ended"
        until = "" if self.timeout is None else f"; giving up after {self.timeout:g} s"
        return f"waiting for another import or writer to finish ({ahead}){until}"


class ImportLockTimeout(Exception):
    """Another transaction held the import lock for longer than the import would wait; nothing
    was written (the CLI's exit status 3)."""

    def __init__(self, wait: LockWait) -> None:
        ahead = "; ".join(str(holder) for holder in wait.holders) or "another transaction"
        super().__init__(
            f"gave up after waiting {wait.timeout or 0:g} s for the import lock (change_log), held "
            f"by {ahead}; nothing was written. Try again later, or wait longer "
            "with --lock-timeout SECONDS"
        )
        self.wait = wait


WaitCallback = Callable[[LockWait], None]


async def lock_holders(connection: asyncpg.Connection) -> tuple[LockHolder, ...]:
    rows = await connection.fetch(_HOLDERS_SQL)
    return tuple(
        LockHolder(
            pid=row["pid"],
            application_name=row["application_name"] or "",
            user=row["usename"],
            client=row["client"],
            transaction_started=row["xact_start"],
            state=row["state"],
        )
        for row in rows
    )


async def take_import_lock(
    connection: asyncpg.Connection, *, seconds: float | None, on_wait: WaitCallback | None
) -> None:
    """Lock change_log for this transaction (call inside it). Returns at once when no one holds
    the lock; otherwise reports who does through `on_wait`, then waits at most `seconds`
    seconds (None: as long as it takes) and raises `ImportLockTimeout` past that."""
    attempt = connection.transaction()
    await attempt.start()
    try:
        await connection.execute(f"{LOCK_SQL} NOWAIT")
    except asyncpg.LockNotAvailableError:
        await attempt.rollback()
    else:
        await attempt.commit()
        return
    wait = LockWait(await lock_holders(connection), seconds)
    if on_wait is not None:
        on_wait(wait)
    if seconds is not None and seconds <= 0:
        raise ImportLockTimeout(wait)
    # lock_timeout for this one statement (SET LOCAL lasts until the transaction ends, so it is
    # put back to the session's own value at once). 0 means no limit to PostgreSQL.
    milliseconds = 0 if seconds is None else max(1, round(seconds * 1000))
    await connection.execute(f"SET LOCAL lock_timeout = {milliseconds}")
    attempt = connection.transaction()
    await attempt.start()
    try:
        await connection.execute(LOCK_SQL)
    except asyncpg.LockNotAvailableError:
        await attempt.rollback()
        raise ImportLockTimeout(wait) from None
    await attempt.commit()
    await connection.execute("SET LOCAL lock_timeout TO DEFAULT")
