"""The recorded history of facts, read from `change_log`: one domain layer for the mutations
(optimistic concurrency), the history served on nodes and the change feeds.

Storage (alembic revision 0005): only past versions are kept; the current row is its own latest
version. An insert logs no image, an update the old image (`before`) and the changed columns'
new values (`after`), a delete (and each row of a TRUNCATE) the old image. Citations and
government periods are parts of their fact: their rows name it in `fact_entity` / `fact_id`.

A node's `version` is the id of the last change that touched it, its parts included. A node's
history groups the changes of one transaction (one `at`) into one entry, so that a fact whose
citations an import replaced shows one `sources` change, not a delete and an insert per source.
The change feed is the log itself, row by row, in id order.

The feed is exact when the ids become visible in id order, which holds while writers take turns
on `change_log` (api.importer.turns: the import lock; writers through the API take it too).
"""

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import asyncpg

from api.models import AUDITED_TABLES

T = TypeVar("T")

# Parts of a fact, by table, and the field of the fact they make up (as in the import format).
PART_FIELDS = {"citation": "sources", "government_period": "periods"}
# The natural key column of each table that has one (also the key `changes_after` filters on).
KEY_COLUMNS = {
    "state": "iso3",
    "source": "key",
    "cooperation_area": "code",
    "person": "key",
    "government": "key",
    "recognition": "key",
    "envoy": "key",
    "sanction": "key",
    "cooperation": "key",
}
# Columns that say nothing to a reader of a change: the surrogate id never changes, and the
# generated `valid` ranges only repeat the dates they are computed from.
_HIDDEN_FIELDS = frozenset({"id", "valid", "valid_received"})
DEFAULT_PAGE = 20
MAX_PAGE = 100

_CURSOR_PREFIX = "change:"


class BadCursor(ValueError):
    """A cursor this module did not make."""


def encode_cursor(change_id: int) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{change_id}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise BadCursor(f"{cursor!r} is not a change cursor") from None
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit():
        raise BadCursor(f"{cursor!r} is not a change cursor")
    return int(number)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an update: its value before and after (JSON values, as stored)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the log: one insert, update or delete of one row."""

    id: int
    at: datetime
    entity: str
    row_id: int
    natural_key: str | None
    action: str
    origin: str | None
    actor: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    # The fact a citation or government period belongs to.
    fact_entity: str | None
    fact_id: int | None

    @property
    def cursor(self) -> str:
        return encode_cursor(self.id)

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        return field_changes(self.before, self.after) if self.action == "update" else ()


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """What one transaction did to one fact (its own row and its parts)."""

    # The newest change of the transaction that touched the fact: the entry's cursor.
    id: int
    at: datetime
    action: str
    origin: str | None
    actor: str | None
    changes: tuple[FieldChange, ...]

    @property
    def cursor(self) -> str:
        return encode_cursor(self.id)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    # Where to resume: the last item's cursor, else the cursor asked with.
    resume_after: str | None


def field_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[FieldChange, ...]:
    """The fields an update changed: `after` holds only those (see the module's storage note)."""
    if not after:
        return ()
    old = before or {}
    return tuple(
        FieldChange(field, old.get(field), value)
        for field, value in sorted(after.items())
        if field not in _HIDDEN_FIELDS and old.get(field) != value
    )


def _check_table(table: str) -> None:
    # Table names are written into SQL below: only the audited tables.
    if table not in AUDITED_TABLES:
        raise ValueError(f"{table!r} is not a recorded table")


async def versions(
    connection: asyncpg.Connection, table: str, ids: Sequence[int]
) -> dict[int, int]:
    """The version of each row of `table` among `ids`: the id of the last change of the row or
    of one of its parts (citations, periods). Rows with no recorded change are absent."""
    _check_table(table)
    rows = await connection.fetch(
        "SELECT i AS row_id, greatest("
        "(SELECT max(c.id) FROM change_log c WHERE c.entity = $1 AND c.row_id = i), "
        "(SELECT max(c.id) FROM change_log c WHERE c.fact_entity = $1 AND c.fact_id = i)"
        ") AS version FROM unnest($2::bigint[]) AS i",
        table,
        list(ids),
    )
    return {row["row_id"]: row["version"] for row in rows if row["version"] is not None}


def _change(row: asyncpg.Record) -> Change:
    return Change(
        id=row["id"],
        at=row["at"],
        entity=row["entity"],
        row_id=row["row_id"],
        natural_key=row["natural_key"],
        action=row["action"],
        origin=row["origin"],
        actor=row["actor"],
        before=_json(row["before"]),
        after=_json(row["after"]),
        fact_entity=row["fact_entity"],
        fact_id=row["fact_id"],
    )


def _json(value: Any) -> Any:
    # asyncpg hands jsonb over as text unless a codec is set on the connection.
    return json.loads(value) if isinstance(value, str) else value


_COLUMNS = (
    "id, at, actor, origin, entity, row_id, natural_key, action, before, after, "
    "fact_entity, fact_id"
)


async def histories(
    connection: asyncpg.Connection, table: str, ids: Sequence[int]
) -> dict[int, list[HistoryEntry]]:
    """The whole history of each row of `table` among `ids`, newest first, in two statements at
    most (the log, then the current parts when a part change needs them)."""
    _check_table(table)
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM change_log "
        "WHERE (entity = $1 AND row_id = any($2::bigint[])) "
        "OR (fact_entity = $1 AND fact_id = any($2::bigint[])) ORDER BY id",
        table,
        list(ids),
    )
    by_fact: dict[int, list[Change]] = defaultdict(list)
    for row in rows:
        change = _change(row)
        own = change.entity == table and change.fact_entity is None
        by_fact[change.row_id if own else change.fact_id or 0].append(change)
    periods = await _current_periods(connection, by_fact.values())
    return {i: _entries(table, by_fact.get(i, []), periods) for i in ids}


async def history(
    connection: asyncpg.Connection,
    table: str,
    row_id: int,
    *,
    first: int = DEFAULT_PAGE,
    after: str | None = None,
) -> Page[HistoryEntry]:
    """One page of a row's history, newest first."""
    entries = (await histories(connection, table, [row_id]))[row_id]
    return page_of(entries, first=first, after=after)


def page_of(entries: list[HistoryEntry], *, first: int, after: str | None) -> Page[HistoryEntry]:
    """The entries older than the `after` cursor (newest first), `first` of them."""
    if after is not None:
        bound = decode_cursor(after)
        entries = [e for e in entries if e.id < bound]
    chosen = entries[: max(first, 0)]
    resume = chosen[-1].cursor if chosen else after
    return Page(chosen, has_next=len(entries) > len(chosen), resume_after=resume)


async def _current_periods(
    connection: asyncpg.Connection, groups: Iterable[list[Change]]
) -> dict[int, dict[str, Any]]:
    """Current government periods that a history needs and the log has no image of."""
    wanted = {
        c.row_id
        for changes in groups
        for c in changes
        if c.entity == "government_period" and c.action == "insert"
    }
    if not wanted:
        return {}
    rows = await connection.fetch(
        "SELECT id, from_date, from_precision, to_date, to_precision FROM government_period "
        "WHERE id = any($1::bigint[])",
        list(wanted),
    )
    return {row["id"]: dict(row) for row in rows}


def _entries(
    table: str, changes: list[Change], periods: Mapping[int, Mapping[str, Any]]
) -> list[HistoryEntry]:
    # A row id used again after a delete (TRUNCATE ... RESTART IDENTITY) starts a new history:
    # the row's history begins with its last insert.
    born = max(
        (c.at for c in changes if c.fact_entity is None and c.action == "insert"), default=None
    )
    # The image of each part row: the `before` of its first change after its insert, else the
    # current row (parts never updated in place have no image in the log).
    images: dict[tuple[str, int], Mapping[str, Any]] = {}
    for c in changes:
        if c.fact_entity is not None and c.before is not None:
            images.setdefault((c.entity, c.row_id), c.before)
    live: dict[str, dict[int, Change]] = {part: {} for part in PART_FIELDS}
    grouped: dict[datetime, list[Change]] = {}
    for c in changes:
        grouped.setdefault(c.at, []).append(c)
    entries: list[HistoryEntry] = []
    for at, group in grouped.items():
        own = [c for c in group if c.fact_entity is None]
        parts_before = {part: dict(rows) for part, rows in live.items()}
        for c in group:
            if c.fact_entity is None:
                continue
            if c.action == "delete":
                live[c.entity].pop(c.row_id, None)
            else:
                live[c.entity][c.row_id] = c
        if born is not None and at < born:
            continue
        action = next(
            (c.action for c in own if c.action in ("insert", "delete")),
            "update",
        )
        fields: list[FieldChange] = []
        if action == "update":
            for c in own:
                fields.extend(c.changes)
            for part, field in PART_FIELDS.items():
                old = _part_values(part, parts_before[part], images, periods)
                new = _part_values(part, live[part], images, periods)
                if old != new:
                    fields.append(FieldChange(field, old, new))
        newest = group[-1]
        entries.append(
            HistoryEntry(
                id=newest.id,
                at=at,
                action=action,
                origin=newest.origin,
                actor=newest.actor,
                changes=tuple(fields),
            )
        )
    entries.reverse()
    return entries


def _part_values(
    part: str,
    rows: Mapping[int, Change],
    images: Mapping[tuple[str, int], Mapping[str, Any]],
    periods: Mapping[int, Mapping[str, Any]],
) -> list[Any]:
    if part == "citation":
        # Sources by their key, in the order they were cited (the writers insert a fact's
        # citations in position order, so their row ids follow it).
        return [c.natural_key for c in sorted(rows.values(), key=lambda c: c.row_id)]
    values = []
    for row_id in sorted(rows):
        image = images.get((part, row_id)) or periods.get(row_id)
        if image is not None:
            values.append(_period_text(image))
    return sorted(values)


def _fuzzy(day: Any, precision: Any) -> str:
    if day is None:
        return ""
    text = day.isoformat() if isinstance(day, date) else str(day)
    return {"year": text[:4], "month": text[:7]}.get(str(precision), text)


def _period_text(image: Mapping[str, Any]) -> str:
    """A period as the import format writes it: `from/to`, either end may be open."""
    start = _fuzzy(image.get("from_date"), image.get("from_precision"))
    end = _fuzzy(image.get("to_date"), image.get("to_precision"))
    return f"{start}/{end}"


async def changes_after(
    connection: asyncpg.Connection,
    after: str | None = None,
    entity: str | None = None,
    key: str | None = None,
    first: int = MAX_PAGE,
) -> Page[Change]:
    """The changes recorded after the `after` cursor, oldest first: a feed to poll and resume.

    `entity` keeps the changes of one table; with `key` too, those of one fact (its parts
    included), found by its natural key now or in the log since the cursor.
    """
    since = decode_cursor(after) if after is not None else 0
    conditions = ["id > $1"]
    arguments: list[Any] = [since]
    if entity is not None:
        _check_table(entity)
        arguments.append(entity)
        if key is None:
            conditions.append("entity = $2")
        else:
            column = KEY_COLUMNS.get(entity)
            if column is None:
                raise ValueError(f"{entity!r} has no natural key")
            arguments.append(key)
            fact_ids = (
                f"(SELECT id FROM {entity} WHERE {column} = $3 UNION "
                "SELECT row_id FROM change_log WHERE id > $1 AND entity = $2 "
                "AND natural_key = $3)"
            )
            conditions.append(
                f"((entity = $2 AND row_id IN {fact_ids}) "
                f"OR (fact_entity = $2 AND fact_id IN {fact_ids}))"
            )
    arguments.append(max(first, 0) + 1)
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM change_log WHERE {' AND '.join(conditions)} "
        f"ORDER BY id LIMIT ${len(arguments)}",
        *arguments,
    )
    items = [_change(row) for row in rows[: max(first, 0)]]
    return Page(
        items,
        has_next=len(rows) > len(items),
        resume_after=items[-1].cursor if items else after,
    )


async def fact_keys(
    connection: asyncpg.Connection, changes: Sequence[Change]
) -> dict[tuple[str | None, int | None], str]:
    """The natural keys of the facts `changes` name as `fact_entity`/`fact_id`, read from the log
    (so that a deleted fact keeps its key): one statement."""
    pairs = {(c.fact_entity, c.fact_id) for c in changes if c.fact_entity and c.fact_id}
    if not pairs:
        return {}
    entities, ids = zip(*sorted(pairs, key=str), strict=True)
    rows = await connection.fetch(
        "SELECT p.entity, p.row_id, (SELECT c.natural_key FROM change_log c "
        "WHERE c.entity = p.entity AND c.row_id = p.row_id AND c.natural_key IS NOT NULL "
        "ORDER BY c.id DESC LIMIT 1) AS natural_key "
        "FROM unnest($1::text[], $2::bigint[]) AS p(entity, row_id)",
        list(entities),
        list(ids),
    )
    return {
        (row["entity"], row["row_id"]): row["natural_key"]
        for row in rows
        if row["natural_key"] is not None
    }
