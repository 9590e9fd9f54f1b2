"""Reading change_log in order by a cursor, so that a stream of changes loses none and repeats
none (the rows come from `api.history.changes_after`).

A change's cursor is its change_log id. Ids come from a sequence when a row is written, not when
its transaction commits: transaction A may take id 10, transaction B id 11, and B commit first.
A reader that moved its cursor to 11 when it saw B would never see A. So a `Position` only moves
past a missing id once that id is settled: every transaction that was running when the gap was
first seen has ended (then the id either arrived or was rolled back and never will). The
transactions running are read from the same snapshot as the rows (`pg_current_snapshot()` in a
REPEATABLE READ transaction), so nothing slips between the two.

Every change_log row is written by a statement-level trigger after its statement changed a table,
so the writing transaction already has a transaction id and appears in every snapshot taken while
it runs.
"""

import bisect
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from api.history import Change, changes_after, encode_cursor

# Rows read per statement: a replay of a long gap goes in pages, never one unbounded read.
PAGE_SIZE = 500
# How far below the newest change a subscription "from now" looks for changes still being
# committed (see `Position.at_present`).
PRESENT_WINDOW = 1000


# The snapshot, and the transactions running in other databases of the cluster: transaction ids
# are the cluster's, but only this database's transactions write this change_log, so a long
# transaction elsewhere (a report, a benchmark) never holds a stream up. A transaction of this
# database that ended between the two reads is still waited for, once: never skipped too early.
_SNAPSHOT = (
    "SELECT pg_current_snapshot()::text AS snapshot, array(SELECT backend_xid::text::bigint "
    "FROM pg_stat_activity WHERE datname IS DISTINCT FROM current_database() "
    "AND backend_xid IS NOT NULL) AS elsewhere"
)


async def _running(connection: asyncpg.Connection) -> frozenset[int]:
    """The transactions of this database in progress now (32-bit ids)."""
    row = await connection.fetchrow(_SNAPSHOT)
    assert row is not None
    listed = row["snapshot"].split(":")[2]
    elsewhere = set(row["elsewhere"])
    running = (int(xid) & 0xFFFFFFFF for xid in listed.split(",")) if listed else ()
    return frozenset(xid for xid in running if xid not in elsewhere)


@dataclass(slots=True)
class Position:
    """Where a stream stands: every id up to `cursor` is settled (delivered, skipped or never used).

    `seen` holds ids above `cursor` already accounted for (a subscription from now counts the
    changes committed before it started as seen); `gap_running` and `gap_upto` remember, for a
    missing id up to `gap_upto`, the transactions that were running when it was first missed.
    """

    cursor: int
    seen: set[int] = field(default_factory=set)
    gap_running: frozenset[int] | None = None
    gap_upto: int = 0
    # Whether the last read filled its page (more rows may be settled already).
    more: bool = False

    @property
    def waiting_on_gap(self) -> bool:
        return self.gap_running is not None

    @classmethod
    async def at_present(cls, connection: asyncpg.Connection) -> "Position":
        """A position after every committed change, still waiting for the ones being committed.

        Changes committed after this call but numbered below the newest one (taken by
        transactions running now) are delivered when they commit, if they are among the last
        PRESENT_WINDOW ids.
        """
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            running = await _running(connection)
            ids: list[int] = [
                r["id"]
                for r in await connection.fetch(
                    "SELECT id FROM change_log ORDER BY id DESC LIMIT $1", PRESENT_WINDOW
                )
            ]
        if not ids:
            return cls(cursor=0)
        newest, oldest = ids[0], ids[-1]
        present = set(ids)
        missing = [i for i in range(oldest, newest + 1) if i not in present]
        if not missing or not running:
            return cls(cursor=newest)
        low = missing[0]
        return cls(
            cursor=low - 1,
            seen={i for i in present if i > low},
            gap_running=running,
            gap_upto=newest,
        )

    async def read(self, connection: asyncpg.Connection, *, page: int = PAGE_SIZE) -> list[Change]:
        """The next changes in order (at most `page`), moving the position past them.

        Changes in `seen` move the position without being returned. An empty answer means
        nothing more is settled now: at the newest change, or waiting on a gap.
        """
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            running = await _running(connection)
            found = await changes_after(connection, after=encode_cursor(self.cursor), first=page)
        self.more = found.has_next
        return self._advance(found.items, running)

    def _advance(self, rows: Sequence[Change], running: frozenset[int]) -> list[Change]:
        delivered: list[Change] = []
        newest_visible = rows[-1].id if rows else self.cursor
        for row in rows:
            while row.id > self.cursor + 1:
                # Ids missing below a visible one: skip them only once settled.
                if not self._gap_settled(newest_visible, running):
                    self.more = False
                    return delivered
                self._skip(self.cursor + 1)
            self.cursor = row.id
            if row.id in self.seen:
                self.seen.discard(row.id)
            else:
                delivered.append(row)
        # Ids counted as seen, above the last row read: skip what is settled.
        while self.seen and self.cursor + 1 in self.seen:
            self._skip(self.cursor + 1)
        if self.gap_running is not None and self.cursor >= self.gap_upto:
            self.gap_running = None
        return delivered

    def _skip(self, id_: int) -> None:
        self.cursor = id_
        self.seen.discard(id_)

    def _gap_settled(self, newest_visible: int, running: frozenset[int]) -> bool:
        if self.gap_running is None or self.cursor + 1 > self.gap_upto:
            # First seen now: the transactions running now are the ones it waits for.
            self.gap_running, self.gap_upto = running, newest_visible
        return not (self.gap_running & running)


# Changes the window keeps: a stream whose cursor is older reads change_log itself.
WINDOW_SIZE = 10_000


class ChangeWindow:
    """The newest changes, read once per wake-up for all the streams of a process.

    Its own `Position` settles them as a stream's would; a stream whose cursor lies inside the
    window takes what follows it from memory, so a change costs one read whatever the number of
    streams. `start` is the cursor before the oldest change kept: a stream behind it replays
    from change_log until it catches up.
    """

    def __init__(self, size: int = WINDOW_SIZE) -> None:
        self.size = size
        self.position: Position | None = None
        self.start = 0
        self._changes: deque[Change] = deque()

    async def refresh(self, connection: asyncpg.Connection) -> None:
        if self.position is None:
            self.position = await Position.at_present(connection)
            # Changes counted as seen at the start were never in the window.
            self.start = max((self.position.cursor, *self.position.seen))
            return
        while True:
            for change in await self.position.read(connection):
                self._changes.append(change)
            while len(self._changes) > self.size:
                self.start = self._changes.popleft().id
            if not self.position.more:
                return

    def after(self, cursor: int) -> tuple[list[Change], int] | None:
        """The changes after `cursor` and the cursor after them; None when `cursor` is outside
        the window (older than it, or not yet settled by it)."""
        position = self.position
        if position is None or cursor < self.start or cursor > position.cursor:
            return None
        ids = [change.id for change in self._changes]
        first = bisect.bisect_right(ids, cursor)
        return list(itertools.islice(self._changes, first, None)), position.cursor
