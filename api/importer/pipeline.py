"""One import batch: read and check every row in Python, stage them with COPY, then resolve and
merge entity by entity in dependency order, all inside one transaction.

Rows are validated as they stream in (nothing holds a whole file); the database work is
set-based, so the cost per row stays close to that of a plain COPY into the same tables.
Should the database still refuse rows (a rule only it checks), the merge is retried by halves
under savepoints to name each refused line; with skip_invalid exactly those rows are left out.
"""

import contextlib
import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

import asyncpg

from api.database_url import to_asyncpg_dsn
from api.importer import changes, deferred_indexes, fingerprint, merge, turns
from api.importer.cells import Cells
from api.importer.deferred_indexes import DeferredIndexes, worth_deferring
from api.importer.entities import ENTITIES, EntitySpec
from api.importer.errors import ImportUsageError, RowError
from api.importer.readers import MAX_RECORD_BYTES, FileInput, Header, Input, file_input
from api.importer.rules import MergeMode, Semantics, keepable, omitted
from api.importer.staging import Stager, staging_table
from api.importer.summary import FactChange, ImportSummary, ImportWarning
from api.importer.turns import DEFAULT_LOCK_TIMEOUT, WaitCallback

# Called with the rows read so far and the current step ("reading recognitions.csv",
# "merging recognitions").
ProgressCallback = Callable[[int, str], None]
# Rules only the database checks, across rows, in words a data maintainer knows.
_RULES = {
    "ex_recognition_overlap": "two episodes of the same recognition overlap in time",
    "uq_recognition_pair_episode": (
        "the same recognizer, subject and episode appear under two keys"
    ),
    "uq_cooperation_key": "two cooperations with different partners share a key",
    "uq_cooperation_pair_area_episode": (
        "the same party, partner, area and episode appear under two keys"
    ),
    "ex_government_period_overlap": "two periods in power of the same government overlap",
}
_PROGRESS_EVERY = 1000
# The import session joins, sorts and indexes whole batches: give it room to do so in memory
# (temp_buffers holds the staging tables; it must be set before the first one is made). JIT
# compiles the big set-based statements for longer than they run.
_SESSION_SETTINGS = {
    "work_mem": "128MB",
    "temp_buffers": "256MB",
    "maintenance_work_mem": "512MB",
    "jit": "off",
}
# How often the server checks, while a statement of the import runs or waits for a lock, that
# the client is still there (PostgreSQL 14+). An import killed with SIGKILL (or whose machine
# went away) then stops within this interval, releasing the import lock, instead of running
# its statement to the end or waiting on a lock for as long as that lock is held.
# idle_in_transaction_session_timeout is not set: an import reading a slow pipe (`-`) is
# legitimately idle between statements, and a dead client's idle session ends on its own (the
# server is reading the socket and sees it close).
_CLIENT_CHECK_INTERVAL = "2s"
# A table whose rows change by at least this many (and a tenth of its size) is analyzed before
# commit, so the first queries after a big import (an export, say) get good plans.
_ANALYZE_MIN_ROWS = 1000


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to import: the same choices as the `credence import` options of the same names.

    `entity` and `format` apply to every file (else they come from each file's name);
    `dry_run` checks everything and rolls back; `skip_invalid` writes the good rows and reports
    the bad ones (without it any bad row means nothing is written); `ignore_unknown_columns`
    ignores columns the format does not know instead of rejecting the file.
    """

    entity: str | None = None
    format: str | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    ignore_unknown_columns: bool = False
    # Recorded in change_log; defaults to the operating-system user.
    actor: str | None = None
    origin: str = "import"
    # Called every thousand rows read (with the file being read), and as each entity's merge
    # starts.
    progress: ProgressCallback | None = None
    # Keep every table readable during the import. Without it, a batch at least as big as a
    # table is loaded with that table's secondary indexes and constraints dropped and rebuilt
    # afterwards (much faster), which locks the table until the import commits.
    online: bool = False
    # Compare every row even when the files are those of an earlier import and nothing has
    # changed since (which otherwise returns at once, see api.importer.fingerprint).
    recheck: bool = False
    # A record (CSV row, NDJSON line, JSON element) bigger than this is a row error, skipped
    # without being held in memory.
    max_record_bytes: int = MAX_RECORD_BYTES
    # Seconds to wait for another import (or writer) holding the import lock before giving up
    # with `ImportLockTimeout`, having written nothing; 0 gives up at once, None waits as long
    # as it takes.
    lock_timeout: float | None = DEFAULT_LOCK_TIMEOUT
    # Called once, with who holds the lock, when the import has to wait for it.
    on_wait: WaitCallback | None = None
    # What a row means for the stored fact of its key (see api.importer.rules.MergeMode).
    # False (or "replace"): the row states the whole fact, columns the file leaves out are
    # cleared (and `summary.warnings` says so). True (or "columns"): a column the file does not
    # have keeps the stored value. "empty-keeps": so does an empty cell.
    merge: bool | str = False
    # Under a merge, the citations a row lists replace the stored ones instead of joining them
    # (a row that lists none still keeps them).
    replace_sources: bool = False
    # Accept facts (recognitions, envoys, sanctions, cooperations) that cite no source.
    allow_unsourced: bool = False
    # Compute every inserted or updated fact, field by field: the first `diff_limit` (all when
    # None) are kept in `summary.changes`, `summary.changes_total` counts them all, and
    # `on_change` is called with each (to write them somewhere without holding them).
    diff: bool = False
    diff_limit: int | None = None
    on_change: Callable[[FactChange], None] | None = None

    @property
    def semantics(self) -> Semantics:
        """The rules rows are merged by; ImportUsageError when `merge` names no mode."""
        if self.merge is True:
            mode = MergeMode.COLUMNS
        elif self.merge is False:
            mode = MergeMode.REPLACE
        else:
            try:
                mode = MergeMode(self.merge)
            except ValueError:
                known = ", ".join(m.value for m in MergeMode)
                raise ImportUsageError(f"unknown merge mode {self.merge!r} (use {known})") from None
        if self.replace_sources and mode is MergeMode.REPLACE:
            raise ImportUsageError(
                "--replace-sources applies to --merge (without it, sources are always replaced)"
            )
        return Semantics(mode, self.replace_sources, self.allow_unsourced)


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def plan_files(paths: Sequence[str | Path], options: ImportOptions) -> list[FileInput]:
    """Check the paths and options before anything connects (ImportUsageError when wrong)."""
    return [
        file_input(
            str(path),
            entity=options.entity,
            format=options.format,
            known=ENTITIES,
            max_record_bytes=options.max_record_bytes,
        )
        for path in paths
    ]


async def import_files(
    paths: Sequence[str | Path], *, database_url: str, options: ImportOptions | None = None
) -> ImportSummary:
    """Import files in the bulk format as one batch, in one transaction, and return the summary.

    `paths` may name files of several entities in any order (they are merged in dependency
    order) and `-` for standard input (then `options.entity` and `options.format` are needed).
    Raises `ImportUsageError` before connecting when a path or option is wrong; a bad row is
    never an exception but a `RowError` in `summary.errors` (file, line, column, value, reason).
    `summary.committed` says whether anything was written. Memory stays flat whatever the
    file sizes; cancelling the calling task rolls everything back.
    """
    chosen = options or ImportOptions()
    return await import_inputs(plan_files(paths, chosen), database_url=database_url, options=chosen)


async def import_inputs(
    inputs: Sequence[Input], *, database_url: str, options: ImportOptions | None = None
) -> ImportSummary:
    """Import already planned inputs as one batch: `FileInput`s (see `plan_files`) and
    `RowsInput`s, rows built in Python as mappings of column name to value (JSON-like values:
    lists for multi-valued fields). Same semantics and summary as `import_files`."""
    chosen = options or ImportOptions()
    chosen.semantics  # noqa: B018 (raises ImportUsageError before connecting)
    if chosen.lock_timeout is not None and not chosen.lock_timeout >= 0:
        raise ImportUsageError(
            f"the lock timeout must be 0 or more seconds, not {chosen.lock_timeout}"
        )
    connection = await asyncpg.connect(
        to_asyncpg_dsn(database_url),
        server_settings={"application_name": "credence-import", **_SESSION_SETTINGS},
    )
    try:
        await _watch_client(connection)
        return await _run(connection, inputs, chosen)
    finally:
        await connection.close()


async def import_on(
    connection: asyncpg.Connection, inputs: Sequence[Input], options: ImportOptions
) -> ImportSummary:
    """Import `inputs` on a connection the caller holds. Inside the caller's transaction the
    batch runs in a savepoint: rolled back when a row is bad (or on a dry run), kept otherwise,
    and the caller's commit or rollback decides for good (the GraphQL mutations do this)."""
    options.semantics  # noqa: B018 (raises ImportUsageError before anything runs)
    return await _run(connection, inputs, options)


async def _watch_client(connection: asyncpg.Connection) -> None:
    """Have the server end this session's work soon after the client dies (see
    `_CLIENT_CHECK_INTERVAL`). Set after connecting, not as a connection parameter: a server
    built for a platform without the check refuses the value, and the import goes on without."""
    with contextlib.suppress(asyncpg.InvalidParameterValueError, asyncpg.UndefinedObjectError):
        await connection.execute(
            f"SET client_connection_check_interval = '{_CLIENT_CHECK_INTERVAL}'"
        )


class _Batch:
    """The state of one run: file labels, per-entity counts and every error so far."""

    def __init__(self, inputs: Sequence[Input], options: ImportOptions) -> None:
        self.options = options
        self.semantics = options.semantics
        self.labels = [source.label for source in inputs]
        self.summary = ImportSummary(dry_run=options.dry_run)
        self.rows_read = 0
        # The first file each entity came from, to name in errors about a whole entity.
        self.entity_files: dict[str, str] = {}
        # Entities some row of which leaves a column out (only they can lose values).
        self.omitting: set[str] = set()

    def reject(self, entity: str | None, errors: list[RowError]) -> None:
        self.summary.errors.extend(errors)
        if entity is not None:
            self.summary.entity(entity).rejected += 1

    def add_change(self, change: FactChange) -> None:
        summary, options = self.summary, self.options
        summary.changes_total += 1
        if options.diff_limit is None or len(summary.changes) < options.diff_limit:
            summary.changes.append(change)
        if options.on_change is not None:
            options.on_change(change)

    def tick(self, label: str) -> None:
        self.rows_read += 1
        if self.options.progress is not None and self.rows_read % _PROGRESS_EVERY == 0:
            self.options.progress(self.rows_read, f"reading {PurePath(label).name}")


async def _run(
    connection: asyncpg.Connection, inputs: Sequence[Input], options: ImportOptions
) -> ImportSummary:
    batch = _Batch(inputs, options)
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(
            "SELECT set_config('credence.actor', $1, true), "
            "set_config('credence.origin', $2, true)",
            options.actor or default_actor(),
            options.origin,
        )
        await turns.take_import_lock(
            connection, seconds=options.lock_timeout, on_wait=options.on_wait
        )
        batch_print = await fingerprint.compute(
            connection,
            inputs,
            ignore_unknown_columns=options.ignore_unknown_columns,
            semantics=batch.semantics.describe(),
        )
        if batch_print is not None and not options.recheck:
            known = await fingerprint.recorded_summary(connection, batch_print)
            if known is not None:
                await transaction.rollback()
                known.dry_run = options.dry_run
                known.committed = not options.dry_run
                return known
        stager = Stager(connection)
        for file_no, source in enumerate(inputs):
            await _stage(batch, stager, file_no, source)
        await stager.finish()
        await merge.prepare_batch(connection)
        for spec in ENTITIES.values():
            if spec.name in stager.entities:
                if options.progress is not None:
                    options.progress(batch.rows_read, f"merging {spec.name}")
                await _merge_entity(connection, batch, spec)
        summary = batch.summary
        if not options.dry_run and (options.skip_invalid or not summary.errors):
            await _analyze_changed(connection, summary)
        summary.errors.sort(
            key=lambda e: (batch.labels.index(e.file) if e.file in batch.labels else 0, e.line)
        )
        summary.warnings.sort(key=lambda w: batch.labels.index(w.file))
        if options.dry_run or (summary.errors and not options.skip_invalid):
            await transaction.rollback()
        else:
            if batch_print is not None and fingerprint.worth_recording(summary):
                await fingerprint.record(connection, batch_print, summary)
            await transaction.commit()
            summary.committed = True
        return summary
    except BaseException:
        # Ctrl-C or a lost connection: nothing of the batch stays.
        if connection.is_in_transaction():
            await transaction.rollback()
        raise


_KEEPABLE = {name: keepable(name) for name in ENTITIES}


async def _stage(batch: _Batch, stager: Stager, file_no: int, source: Input) -> None:
    options = batch.options
    empty_keeps = batch.semantics.merge is MergeMode.EMPTY_KEEPS
    reject_all_rows: set[str] = set()  # entities of this file whose header is unusable
    # Per entity, the keepable columns a CSV header leaves out (JSON: looked up per record).
    absent: dict[str, tuple[str, ...]] = {}
    for event in source.events():
        if isinstance(event, RowError):
            # Errors about one record carry its entity and count as a rejected row.
            batch.reject(event.entity, [event])
            continue
        spec = ENTITIES[event.entity]
        batch.entity_files.setdefault(spec.name, event.file)
        if isinstance(event, Header):
            absent[spec.name] = tuple(c for c in _KEEPABLE[spec.name] if c not in event.columns)
            problems = _header_problems(event, spec, options.ignore_unknown_columns)
            if problems:
                batch.summary.errors.extend(problems)
                reject_all_rows.add(event.entity)
            continue
        batch.tick(source.label)
        cells = Cells(event.fields, file=event.file, line=event.line, entity=spec.name)
        for problem in event.problems:
            cells.errors.append(problem)
        if not isinstance(source, FileInput) or source.format != "csv":
            _unknown_keys(cells, spec, options.ignore_unknown_columns)
        if event.entity in reject_all_rows:
            batch.summary.entity(spec.name).rejected += 1
            continue
        staged = spec.validate(cells) if not event.problems else None
        if cells.errors or staged is None:
            batch.reject(spec.name, cells.errors)
            continue
        # A CSV file leaves out the same columns on every row: no call per row for them.
        left_out = absent.get(spec.name) if not empty_keeps else None
        if left_out is None:
            left_out = omitted(
                _KEEPABLE[spec.name], event.fields, absent=None, empty_keeps=empty_keeps
            )
        if left_out:
            batch.omitting.add(spec.name)
        await stager.add(spec, (file_no, event.line, *staged, left_out))


async def _analyze_changed(connection: asyncpg.Connection, summary: ImportSummary) -> None:
    """Refresh the planner statistics of the tables this import changed a lot.

    Autovacuum would get there within a minute or so; until then a query planned on an empty
    table's statistics can take a nested loop over a million rows.
    """
    for name, counts in summary.entities.items():
        changed = counts.inserted + counts.updated
        if changed < _ANALYZE_MIN_ROWS:
            continue
        spec = ENTITIES[name]
        tables = [spec.table]
        tables += ["citation"] if spec.cited else []
        tables += ["government_period"] if spec.periods else []
        for table in tables:
            estimate = await connection.fetchval(
                "SELECT reltuples FROM pg_class WHERE oid = $1::regclass", table
            )
            if estimate is None or estimate < 0 or changed >= 0.1 * estimate:
                await connection.execute(f"ANALYZE {table}")


def _header_problems(header: Header, spec: EntitySpec, ignore_unknown: bool) -> list[RowError]:
    problems: list[RowError] = []
    seen: set[str] = set()
    for name in header.columns:
        if name in seen:
            problems.append(
                RowError(
                    header.file, header.line, "appears twice in the header", name, entity=spec.name
                )
            )
        seen.add(name)
        if name not in spec.columns and not ignore_unknown:
            problems.append(
                RowError(
                    header.file,
                    header.line,
                    f"is not a column of {spec.name} (known: {', '.join(spec.columns)})",
                    name,
                    entity=spec.name,
                )
            )
    for name in sorted(spec.required - seen):
        problems.append(
            RowError(
                header.file,
                header.line,
                "is required but missing from the header",
                name,
                entity=spec.name,
            )
        )
    return problems


def _unknown_keys(cells: Cells, spec: EntitySpec, ignore_unknown: bool) -> None:
    if ignore_unknown:
        return
    for name in cells.fields:
        if name not in spec.columns:
            cells.errors.append(
                RowError(
                    cells.file,
                    cells.line,
                    f"is not a column of {spec.name}",
                    str(name),
                    entity=spec.name,
                )
            )


async def _merge_entity(connection: asyncpg.Connection, batch: _Batch, spec: EntitySpec) -> None:
    summary = batch.summary.entity(spec.name)
    savepoint = connection.transaction()
    await savepoint.start()
    try:
        for problem in await merge.resolve(connection, spec, batch.semantics):
            reason = problem.reason
            if problem.first_file_no is not None:
                reason = f"{reason} {batch.labels[problem.first_file_no]}:{problem.first_line}"
            batch.summary.errors.append(
                RowError(
                    batch.labels[problem.file_no],
                    problem.line,
                    reason,
                    problem.column,
                    problem.value,
                    entity=spec.name,
                )
            )
        if spec.name in batch.omitting and not batch.semantics.keeps:
            warnings = await changes.losses(connection, spec)
        else:
            warnings = []
        if batch.options.diff:
            await changes.stage_diff(connection, spec, batch.semantics)
        await _merge_or_bisect(connection, batch, spec)
        counts = await merge.counts(connection, spec)
        if batch.options.diff:
            async for change in changes.fetch_diff(connection, spec, batch.labels):
                batch.add_change(change)
    except asyncpg.PostgresError as refused:
        # Something no single row explains (or too many refused rows to name each): the
        # whole entity is refused, in the database's own words.
        await savepoint.rollback()
        staged = await connection.fetchval(f"SELECT count(*) FROM {staging_table(spec)}")
        batch.summary.errors.append(
            RowError(
                batch.entity_files.get(spec.name, ""),
                0,
                f"{spec.name}: the database refused the rows: {_refusal(refused)}",
                entity=spec.name,
            )
        )
        summary.rejected += int(staged or 0)
        return
    await savepoint.commit()
    batch.summary.warnings += [
        ImportWarning(batch.labels[file_no], spec.name, column, rows)
        for file_no, column, rows in warnings
    ]
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    summary.rejected += counts.rejected


def _refusal(refused: asyncpg.PostgresError) -> str:
    constraint = getattr(refused, "constraint_name", None) or ""
    detail = f" ({refused.detail})" if getattr(refused, "detail", None) else ""
    rule = f"{_RULES[constraint]}: " if constraint in _RULES else ""
    return f"{rule}{refused}{detail}"


async def _merge_or_bisect(connection: asyncpg.Connection, batch: _Batch, spec: EntitySpec) -> None:
    """Merge every row in one go; if the database refuses (a rule only it checks), merge the rows
    by halves under savepoints until each refused row is alone, and report it on its line.

    Rows are applied in file order and kept once accepted, so a row that conflicts with an
    earlier one is the one blamed. The cost is a few statements per refused row (log2 of the
    row count each), paid only when the database refuses something.
    """
    attempt = connection.transaction()
    await attempt.start()
    try:
        deferred = await _defer_indexes(connection, batch, spec)
        await merge.merge(connection, spec, batch.semantics)
        # A constraint built again refuses like one checked row by row; the rollback below
        # restores the indexes, and the rows are merged again with them in place.
        await deferred.rebuild()
    except _ROW_PROBLEMS as refused:
        await attempt.rollback()
        # Areas may name a parent later in the file; merged by halves, the parent would be
        # missing. They are few: the whole entity is refused instead.
        if spec.self_parent:
            raise
        first_refusal = refused
    else:
        await attempt.commit()
        return
    rows = await merge.number_rows(connection, spec)
    found: list[tuple[int, asyncpg.PostgresError]] = []
    await _split(connection, spec, batch.semantics, 1, rows, first_refusal, found)
    if not found:
        # Every part merged on its own, yet not the whole: report it on the entity.
        raise first_refusal
    for ord, problem in found:
        file_no, line = await merge.refuse_row(connection, spec, ord)
        batch.summary.errors.append(
            RowError(
                batch.labels[file_no],
                line,
                f"is refused by the database: {_refusal(problem)}",
                entity=spec.name,
            )
        )


async def _defer_indexes(
    connection: asyncpg.Connection, batch: _Batch, spec: EntitySpec
) -> DeferredIndexes:
    """Drop the secondary indexes of the tables this merge fills mostly from scratch."""
    deferred = DeferredIndexes(connection)
    if batch.options.online:
        return deferred
    for target in await merge.incoming(connection, spec, at_least=deferred_indexes.MIN_ROWS):
        if await worth_deferring(connection, target.table, target.rows):
            await deferred.drop(target.table, target.key_column)
    return deferred


# Errors that depend on the values of rows (SQLSTATE classes 22, 23 and trigger exceptions).
_ROW_PROBLEMS = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    asyncpg.RaiseError,
)
# Past this many refused rows, naming each would take too long: the entity is refused instead.
_MAX_REFUSED_ROWS = 200


async def _bisect(
    connection: asyncpg.Connection,
    spec: EntitySpec,
    semantics: Semantics,
    first: int,
    last: int,
    found: list[tuple[int, asyncpg.PostgresError]],
) -> None:
    """Merge rows first..last, keeping what the database accepts; collect refused single rows."""
    if first > last:
        return
    attempt = connection.transaction()
    await attempt.start()
    try:
        await merge.merge(connection, spec, semantics, merge.ord_range(first, last))
    except _ROW_PROBLEMS as refused:
        await attempt.rollback()
        await _split(connection, spec, semantics, first, last, refused, found)
        return
    await attempt.commit()


async def _split(
    connection: asyncpg.Connection,
    spec: EntitySpec,
    semantics: Semantics,
    first: int,
    last: int,
    refused: asyncpg.PostgresError,
    found: list[tuple[int, asyncpg.PostgresError]],
) -> None:
    """Rows first..last were refused together: a single row is the culprit, else try halves."""
    if first == last:
        found.append((first, refused))
        if len(found) > _MAX_REFUSED_ROWS:
            raise refused
        return
    middle = (first + last) // 2
    await _bisect(connection, spec, semantics, first, middle, found)
    await _bisect(connection, spec, semantics, middle + 1, last, found)
