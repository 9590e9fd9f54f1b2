"""Reading change_log in order by a cursor, so that a stream of changes loses none and repeats none.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import orjson

# Rows read per statement: a replay of a long gap goes in pages, never one unbounded read.
PAGE_SIZE = 500
# How far below the newest change a subscription "from now" looks for changes still being
# committed (see `Position.at_present`).
PRESENT_WINDOW = 1000


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: int
    at: datetime
    actor: str | None
    origin: str | None
    entity: str
    row_id: int
    natural_key: str | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed_fields(self) -> list[str]:
        """The columns an update changed: the keys of `after` whose value differs from `before`.

        True of full images and of images that hold only the changed columns alike.
        """
        if self.action != "update" or self.after is None:
            return []
        before = self.before or {}
        return sorted(k for k, v in self.after.items() if k not in before or before[k] != v)


def _image(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    decoded = orjson.loads(value) if isinstance(value, str | bytes) else value
    return decoded if isinstance(decoded, dict) else None


def _row(record: asyncpg.Record) -> ChangeRow:
    return ChangeRow(
        id=record["id"],
        at=record["at"],
        actor=record["actor"],
        origin=record["origin"],
        entity=record["entity"],
        row_id=record["row_id"],
        natural_key=record["natural_key"],
        action=record["action"],
        before=_image(record["before"]),
        after=_image(record["after"]),
    )


def _running(snapshot: str) -> frozenset[int]:
    """The transactions in progress in a snapshot's text form `xmin:xmax:xip,xip,...`."""
    running = snapshot.split(":")[2]
    return frozenset(int(xid) for xid in running.split(",")) if running else frozenset()


_SELECT = (
    "SELECT id, at, actor, origin, entity, row_id, natural_key, action, before, after "
    "FROM change_log "
)


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
            snapshot = await connection.fetchval("SELECT pg_current_snapshot()::text")
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
        running = _running(snapshot)
        if not missing or not running:
            return cls(cursor=newest)
        low = missing[0]
        return cls(
            cursor=low - 1,
            seen={i for i in present if i > low},
            gap_running=running,
            gap_upto=newest,
        )

    async def read(
        self, connection: asyncpg.Connection, *, page: int = PAGE_SIZE
    ) -> list[ChangeRow]:
        """The next changes in order (at most `page`), moving the position past them.

        Changes in `seen` move the position without being returned. An empty answer means
        nothing more is settled now: at the newest change, or waiting on a gap.
        """
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await connection.fetchval("SELECT pg_current_snapshot()::text")
            records = await connection.fetch(
                _SELECT + "WHERE id > $1 ORDER BY id LIMIT $2", self.cursor, page
            )
        self.more = len(records) == page
        return self._advance([_row(r) for r in records], _running(snapshot))

    def _advance(self, rows: Sequence[ChangeRow], running: frozenset[int]) -> list[ChangeRow]:
        delivered: list[ChangeRow] = []
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
