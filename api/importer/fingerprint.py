"""Recognise a re-import of files the database already holds, without reading every row.

A nightly job that imports the same dump again should cost next to nothing. After an import
that wrote every row of its files (no error, nothing skipped), the importer records a
fingerprint of the batch: the SHA-256 of each file with its entity and format, the options
that change how rows are read, the Credence version and the schema revision. Beside it goes
the newest `change_log` id at that moment: the database's clock, since every insert, update,
delete and truncate of the audited tables adds a row there.

A later import of the same files with the same clock reading cannot change anything: the rows
they hold were all written or found identical, and nothing has changed since. The import then
returns the recorded counts as unchanged rows. Any change to the data, by anyone, moves the
clock on and the next import compares row by row again (and records a new fingerprint).

The reading is only sound if no one writes while it is taken and compared: each import locks
`change_log` against other writers (SHARE ROW EXCLUSIVE; readers are not blocked) for its
transaction, so imports and other writes take turns. Changes made with the audit triggers
disabled escape the clock; `ImportOptions.recheck` compares every row whatever the fingerprint.
"""

import asyncio
import hashlib
import json
from collections.abc import Sequence
from importlib import metadata

import asyncpg

from api.importer.entities import ENTITIES
from api.importer.readers import FileInput, Input
from api.importer.summary import EntitySummary, ImportSummary

# Writers of the audited tables insert into change_log (ROW EXCLUSIVE), which this mode
# excludes; it does not exclude itself, so two imports wait for each other too.
LOCK_SQL = "LOCK TABLE change_log IN SHARE ROW EXCLUSIVE MODE"
_CLOCK_SQL = "SELECT COALESCE(max(id), 0) FROM change_log"
_CHUNK = 1 << 20
# Part of every fingerprint: raise it when the same bytes come to be read as other values (2: a
# CSV cell starting with ' and a formula character loses the quote, see api.importer.formulas),
# so that files recorded under the old reading are compared row by row once more.
_READING_RULES = 2


def _credence_version() -> str:
    try:
        return metadata.version("credence")
    except metadata.PackageNotFoundError:
        return "unknown"


def _file_digest(input: FileInput) -> str:
    assert input.path is not None
    with input.path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


async def compute(
    connection: asyncpg.Connection,
    inputs: Sequence[Input],
    *,
    ignore_unknown_columns: bool,
    semantics: str = "",
) -> str | None:
    """The batch's fingerprint, or None when it cannot have one (standard input, rows built in
    Python, a database not managed by the migrations)."""
    files: list[list[str | None]] = []
    for source in inputs:
        if not isinstance(source, FileInput) or source.path is None:
            return None
        # The file's name can decide its entity, so it is part of what was imported.
        digest = await asyncio.to_thread(_file_digest, source)
        files.append([source.path.name, source.entity, source.format, digest])
    try:
        revision = await connection.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        return None
    described = {
        "credence": _credence_version(),
        "reading_rules": _READING_RULES,
        "schema": revision,
        "ignore_unknown_columns": ignore_unknown_columns,
        # The same files merged or replacing whole rows are different imports.
        "semantics": semantics,
        "files": files,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


async def recorded_summary(
    connection: asyncpg.Connection, fingerprint: str
) -> ImportSummary | None:
    """The summary of an import of the same files if nothing has changed since it; call with
    the change_log lock held."""
    row = await connection.fetchrow(
        f"SELECT entities FROM import_fingerprint WHERE fingerprint = $1 "
        f"AND change_log_id = ({_CLOCK_SQL})",
        fingerprint,
    )
    if row is None:
        return None
    summary = ImportSummary(committed=True, matched_fingerprint=True)
    recorded = json.loads(row["entities"])
    # In merge order, as an import that reads the rows reports them.
    for name in (name for name in ENTITIES if name in recorded):
        summary.entities[name] = EntitySummary(name, unchanged=int(recorded[name]))
    return summary


def worth_recording(summary: ImportSummary) -> bool:
    """Only an import that writes or finds every row of its files vouches for them."""
    return (
        not summary.dry_run
        and not summary.errors
        and all(counts.rejected == 0 for counts in summary.entities.values())
    )


async def record(connection: asyncpg.Connection, fingerprint: str, summary: ImportSummary) -> None:
    """Remember the batch at the current clock reading (in the import's own transaction, after
    its writes). Fingerprints of older readings can never match again and are dropped."""
    rows = {name: counts.total for name, counts in summary.entities.items()}
    clock = await connection.fetchval(_CLOCK_SQL)
    await connection.execute("DELETE FROM import_fingerprint WHERE change_log_id < $1", clock)
    await connection.execute(
        "INSERT INTO import_fingerprint (fingerprint, change_log_id, entities) "
        "VALUES ($1, $2, $3) ON CONFLICT (fingerprint) DO UPDATE "
        "SET change_log_id = EXCLUDED.change_log_id, entities = EXCLUDED.entities, "
        "recorded_at = now()",
        fingerprint,
        clock,
        json.dumps(rows),
    )
