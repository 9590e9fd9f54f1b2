"""Writes by natural key: upsert, update (patch), end and delete, each one transaction.

There is one set of rules for what a fact may hold, the importer's: every write here becomes
records of the bulk format merged through the import pipeline (`import_on`) inside the
mutation's transaction. An upsert's items are such records as they are; an update or an end
reads the stored fact as a record (`stored_records`, what an export writes), changes it and
merges the whole of it back. So validation, key resolution, the rules only the database checks
and the recorded history are those of an import, and a mistake reads the same either way.

Every call takes the importer's write lock (writers stay serialized, see api.importer.turns),
records its changes under the principal's subject with origin `mutation`, and writes all its
items or none. What it returns is read by the caller's `read` inside the same transaction.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg

from api.history import versions
from api.importer import turns
from api.importer.entities import ENTITIES, EntitySpec
from api.importer.errors import RowError
from api.importer.export import stored_records
from api.importer.pipeline import ImportOptions, import_on
from api.importer.readers import RowsInput
from api.importer.staging import staging_table
from api.mutations.ends import ENDS, NO_OPEN_PERIOD, ended
from api.mutations.errors import (
    CONFLICT,
    FORBIDDEN,
    UNAUTHENTICATED,
    WRITE_LOCK_TIMEOUT,
    MutationError,
    Problem,
)
from api.roles import Principal

MAX_ITEMS = 1000
# Seconds a mutation waits for an import (or another writer) to finish before giving up.
LOCK_TIMEOUT = 10.0
ORIGIN = "mutation"
# Rows of one call are labelled as the `input` argument; the importer names a row `input:N`.
_LABEL = "input"
_LINE_REFERENCE = re.compile(r"\binput:(\d+)\b")
_CONSTRAINT = re.compile(r'constraint "([a-z0-9_]+)"')

T = TypeVar("T")
# Reads the affected rows (by id, in the order given) inside the mutation's transaction.
Read = Callable[[asyncpg.Connection, list[int]], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    nodes: T
    ids: list[int]
    # The newest change_log id the call wrote; None when it changed nothing.
    change_id: int | None
    # Each node's version after the call (api.history.versions), in the order of `ids`.
    versions: list[int | None]


@dataclass(frozen=True, slots=True)
class Deleted:
    key: str
    change_id: int | None


@dataclass(frozen=True, slots=True)
class Patch:
    """What an update changes: `fields` (format column -> value; None clears the value, a
    column left out keeps it), and citations added (source keys, or {"source", "quote"}
    items, as in the format) and removed (source keys) without restating the others."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    add_sources: Sequence[Any] = ()
    remove_sources: Sequence[str] = ()


def spec_of(entity: str) -> EntitySpec:
    return ENTITIES[entity]


def _allow(principal: Principal, action: str) -> None:
    if not principal.authenticated:
        raise MutationError(
            [Problem("operation", f"{action} needs a signed token (Authorization: Bearer ...)")],
            UNAUTHENTICATED,
        )
    allowed = principal.may_delete if action == "delete" else principal.may_write
    if not allowed:
        needed = "admin" if action == "delete" else "editor"
        raise MutationError(
            [Problem("operation", f"the {principal.role} role may not {action} (needs {needed})")],
            FORBIDDEN,
        )


@asynccontextmanager
async def _writing(connection: asyncpg.Connection, principal: Principal) -> AsyncIterator[int]:
    """One read-write transaction holding the write lock; yields the change_log id before it."""
    async with connection.transaction():
        # Explicit: the app's pool may default to read-only transactions for queries.
        await connection.execute("SET TRANSACTION READ WRITE")
        await connection.execute(
            "SELECT set_config('credence.actor', $1, true), "
            "set_config('credence.origin', $2, true)",
            principal.subject or "",
            ORIGIN,
        )
        try:
            await turns.take_import_lock(connection, seconds=LOCK_TIMEOUT, on_wait=None)
        except turns.ImportLockTimeout as timeout:
            raise MutationError(
                [Problem("operation", f"another writer holds the write lock ({timeout.wait})")],
                WRITE_LOCK_TIMEOUT,
            ) from None
        # The lock keeps every other writer out: ids past this one are this call's.
        yield int(await connection.fetchval("SELECT COALESCE(max(id), 0) FROM change_log"))


async def _change_id(connection: asyncpg.Connection, before: int) -> int | None:
    found = await connection.fetchval("SELECT max(id) FROM change_log WHERE id > $1", before)
    return None if found is None else int(found)


async def _locked_id(connection: asyncpg.Connection, spec: EntitySpec, key: str) -> int:
    row_id = await connection.fetchval(
        f"SELECT id FROM {spec.table} WHERE {spec.key_column} = $1 FOR UPDATE", key
    )
    if row_id is None:
        raise MutationError(
            [Problem(spec.key_column, f'"{key}" is not the key of any {spec.table}')]
        )
    return int(row_id)


async def _check_version(
    connection: asyncpg.Connection, spec: EntitySpec, row_id: int, key: str, expected: int | None
) -> None:
    if expected is None:
        return
    current = (await versions(connection, spec.table, [row_id])).get(row_id)
    if current != expected:
        raise MutationError(
            [
                Problem(
                    "ifVersion",
                    f"{spec.table} {key} is at version {current}, not {expected}: it changed "
                    "since it was read; read it again and retry",
                )
            ],
            CONFLICT,
            {"currentVersion": None if current is None else str(current)},
        )


# The importer checks some database rules before the database does, in its own words: the
# constraint each such reason stands for ({table}: the entity's table).
_RULES = (
    ("overlaps episode", "ex_recognition_overlap"),
    ("has overlapping periods", "ex_government_period_overlap"),
    ("is before the start", "ck_{table}_end_not_before_start"),
    ("needs an end date", "ck_{table}_end_reason_needs_end"),
    ("is the recognizer itself", "ck_{table}_not_self"),
    ("is the sending state itself", "ck_{table}_not_self"),
    ("is the party itself", "ck_{table}_not_self"),
    ("is also the key of", "uq_{table}_{key}"),
)


def _rule(error: RowError) -> str | None:
    refused = _CONSTRAINT.search(error.reason)
    if refused is not None:
        return refused.group(1)
    spec = ENTITIES.get(error.entity or "")
    for start, rule in _RULES:
        if spec is not None and error.reason.startswith(start):
            return rule.format(table=spec.table, key=spec.key_column)
    return None


def _problem(error: RowError, argument: str, *, single: bool) -> Problem:
    """A rejected row of the pipeline, placed on the mutation's arguments."""
    what = _LINE_REFERENCE.sub(lambda m: f"{_LABEL}[{int(m.group(1)) - 1}]", error.what)
    index = None if single or error.line == 0 else error.line - 1
    return Problem(argument, what, index, error.column, _rule(error))


async def _merge(
    connection: asyncpg.Connection,
    spec: EntitySpec,
    records: Sequence[Mapping[str, Any]],
    principal: Principal,
    place: Callable[[RowError], Problem],
) -> list[int]:
    """Merge whole records through the import pipeline; the ids of their rows, in order."""
    options = ImportOptions(actor=principal.subject, origin=ORIGIN, lock_timeout=LOCK_TIMEOUT)
    summary = await import_on(connection, [RowsInput(_LABEL, spec.name, records)], options)
    if summary.errors:
        raise MutationError([place(error) for error in summary.errors])
    # The staged rows (kept until the transaction ends) know each item's key, derived or given.
    rows = await connection.fetch(
        f"SELECT t.id FROM {staging_table(spec)} s JOIN {spec.table} t "
        f"ON t.{spec.key_column} = s.key ORDER BY s.line"
    )
    return [int(row["id"]) for row in rows]


async def upsert(
    connection: asyncpg.Connection,
    entity: str,
    items: Sequence[Mapping[str, Any]],
    *,
    principal: Principal,
    read: Read[T],
) -> Written[T]:
    """Create or replace facts by natural key: each item is a whole record of the format
    (a column left out is cleared, as an import without --merge does)."""
    _allow(principal, "upsert")
    if len(items) > MAX_ITEMS:
        raise MutationError(
            [Problem("input", f"holds {len(items):,} items; a call takes at most {MAX_ITEMS:,}")]
        )
    spec = spec_of(entity)
    async with _writing(connection, principal) as before:
        ids = (
            await _merge(
                connection,
                spec,
                items,
                principal,
                lambda error: _problem(error, "input", single=False),
            )
            if items
            else []
        )
        return await _written(connection, spec, ids, before, read)


async def _written(
    connection: asyncpg.Connection, spec: EntitySpec, ids: list[int], before: int, read: Read[T]
) -> Written[T]:
    found = await versions(connection, spec.table, ids)
    return Written(
        await read(connection, ids),
        ids,
        await _change_id(connection, before),
        [found.get(row_id) for row_id in ids],
    )


def _patched(record: dict[str, Any], patch: Patch) -> dict[str, Any]:
    changed = {**record, **patch.fields}
    if patch.add_sources or patch.remove_sources:
        removed = set(patch.remove_sources)
        cited = [item for item in changed.get("sources") or [] if _source_key(item) not in removed]
        for item in patch.add_sources:
            key = _source_key(item)
            # A source cited already takes the new quote in its place.
            at = next((n for n, old in enumerate(cited) if _source_key(old) == key), None)
            if at is None:
                cited.append(item)
            else:
                cited[at] = item
        changed["sources"] = cited
    return changed


def _source_key(item: Any) -> Any:
    return item.get("source") if isinstance(item, dict) else item


async def _rewrite(
    connection: asyncpg.Connection,
    spec: EntitySpec,
    key: str,
    principal: Principal,
    if_version: int | None,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    place: Callable[[RowError], Problem],
    read: Read[T],
) -> Written[T]:
    """Read the stored fact as a record, change it and merge the whole record back."""
    async with _writing(connection, principal) as before:
        row_id = await _locked_id(connection, spec, key)
        await _check_version(connection, spec, row_id, key, if_version)
        record = (await stored_records(connection, spec, [key]))[key]
        ids = await _merge(connection, spec, [change(record)], principal, place)
        return await _written(connection, spec, ids, before, read)


async def update(
    connection: asyncpg.Connection,
    entity: str,
    key: str,
    patch: Patch,
    *,
    principal: Principal,
    if_version: int | None = None,
    read: Read[T],
) -> Written[T]:
    """Change some fields of one fact (see `Patch`); a stale `if_version` is a CONFLICT."""
    _allow(principal, "update")
    spec = spec_of(entity)

    def place(error: RowError) -> Problem:
        # Also a rule between a field the patch gives and one it keeps: the patch's doing.
        return _problem(error, "patch", single=True)

    return await _rewrite(
        connection, spec, key, principal, if_version, lambda r: _patched(r, patch), place, read
    )


async def end(
    connection: asyncpg.Connection,
    entity: str,
    key: str,
    *,
    date: str,
    reason: str | None = None,
    principal: Principal,
    if_version: int | None = None,
    read: Read[T],
) -> Written[T]:
    """End a fact with a period on `date` (an ISO prefix: `2001`, `2001-09`, `2001-09-25`)
    for `reason` (a value of the entity's end reason, or a sanction's status)."""
    _allow(principal, "end")
    spec = spec_of(entity)
    columns = ENDS[entity]

    def change(record: dict[str, Any]) -> dict[str, Any]:
        try:
            return ended(entity, record, date, reason)
        except ValueError:
            raise MutationError([Problem("key", f'"{key}" {NO_OPEN_PERIOD}')]) from None

    def place(error: RowError) -> Problem:
        if error.column is not None and error.column == columns.reason:
            argument = "reason"
        elif error.column in (columns.date, "from"):
            argument = "date"
        else:
            argument = "key"
        problem = _problem(error, argument, single=True)
        return Problem(argument, problem.what, rule=problem.rule)

    return await _rewrite(connection, spec, key, principal, if_version, change, place, read)


async def delete(
    connection: asyncpg.Connection,
    entity: str,
    key: str,
    *,
    principal: Principal,
    if_version: int | None = None,
) -> Deleted:
    """Delete one fact by key, with its citations (and a government's periods). A row others
    still refer to (a state with recognitions, a cited source) is refused, naming one of them."""
    _allow(principal, "delete")
    spec = spec_of(entity)
    async with _writing(connection, principal) as before:
        row_id = await _locked_id(connection, spec, key)
        await _check_version(connection, spec, row_id, key, if_version)
        try:
            async with connection.transaction():
                await connection.execute(f"DELETE FROM {spec.table} WHERE id = $1", row_id)
        except asyncpg.ForeignKeyViolationError as refused:
            raise MutationError(
                [await _still_referenced(connection, spec, key, row_id, refused)]
            ) from None
        return Deleted(key, await _change_id(connection, before))


async def _still_referenced(
    connection: asyncpg.Connection,
    spec: EntitySpec,
    key: str,
    row_id: int,
    refused: asyncpg.ForeignKeyViolationError,
) -> Problem:
    rule = getattr(refused, "constraint_name", None) or ""
    found = await connection.fetchrow(
        "SELECT c.conrelid::regclass::text AS referring, a.attname AS column_name "
        "FROM pg_constraint c JOIN pg_attribute a "
        "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] WHERE c.conname = $1",
        rule,
    )
    if found is None:
        return Problem(spec.key_column, f'"{key}" is still referred to ({refused})', rule=rule)
    referring = found["referring"]
    other = await connection.fetchval(
        f"SELECT coalesce(j->>'key', j->>'iso3', j->>'code', 'id ' || (j->>'id')) "
        f"FROM (SELECT to_jsonb(x) AS j FROM {referring} x "
        f"WHERE x.{found['column_name']} = $1 LIMIT 1) AS one",
        row_id,
    )
    return Problem(
        spec.key_column,
        f'"{key}" is still referred to by {referring} {other} (rule {rule}); '
        "delete or change that first",
        rule=rule,
    )
