"""Write entities to files in the bulk format, streaming from a server-side cursor.

Rows come out ordered by natural key (byte order, independent of the database's collation), and
values are written exactly as the importer reads them, so export -> import into an empty
database -> export gives the same files. CSV text cells that a spreadsheet would run as a
formula are written with a leading `'`, which the importer removes (see api.importer.formulas).

Files are written under temporary names created anew in the target folder (never opened
through an existing name, so never through a symbolic link planted there) and renamed over
the final names once all of them are complete.
"""

import contextlib
import csv
import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import asyncpg

from api.database_url import to_asyncpg_dsn
from api.importer.entities import CITATION_COLUMN, ENTITIES, EntitySpec
from api.importer.errors import ImportUsageError
from api.importer.formulas import escape_cell
from api.importer.fuzzy_dates import FuzzyDate, Period, format_fuzzy
from api.importer.readers import FORMATS
from api.importer.rules import SOURCED_ENTITIES
from api.models import Precision

_EXTENSION = {"csv": "csv", "ndjson": "ndjson", "json": "json"}


# Keys named per entity in the warning about facts without a source (the count says the rest).
_UNSOURCED_SHOWN = 10


@dataclass(slots=True)
class ExportSummary:
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # Facts that cite no source (imported with --allow-unsourced): how many per entity, and the
    # first keys. They are written like any other row (the format has no mark for them, and
    # a mark would break the round trip); `warnings` names them.
    unsourced: dict[str, int] = field(default_factory=dict)
    unsourced_keys: dict[str, list[str]] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        shown = []
        for name, count in self.unsourced.items():
            keys = self.unsourced_keys.get(name, [])
            more = f" and {count - len(keys):,} more" if count > len(keys) else ""
            facts = "fact cites" if count == 1 else "facts cite"
            shown.append(
                f"{self.files[name]}: {count:,} {facts} no source: {', '.join(keys)}{more} "
                "(drafts imported with --allow-unsourced; importing the file again needs it too)"
            )
        return shown


def _fuzzy(column: str, prefix: str) -> str:
    return f"t.{prefix}_date AS {column}__d, t.{prefix}_precision AS {column}__p"


_CITATIONS = "cit.keys AS sources__keys, cit.quotes AS sources__quotes"


def _citations_join(spec: EntitySpec) -> str:
    """Source keys and quotes of each row in citation order, found by one lateral lookup."""
    column = CITATION_COLUMN[spec.name]
    return (
        " LEFT JOIN LATERAL (SELECT array_agg(s.key ORDER BY c.position, c.id) AS keys, "
        "array_agg(c.quote ORDER BY c.position, c.id) AS quotes FROM citation c "
        f"JOIN source s ON s.id = c.source_id WHERE c.{column} = t.id) cit ON true"
    )


_STATE_OR_GOVERNMENT = "COALESCE(g_{n}.key, s_{n}.iso3) AS {n}"


def _state_or_government(name: str, state: str, government: str) -> tuple[str, str]:
    return (
        _STATE_OR_GOVERNMENT.format(n=name),
        f"JOIN state s_{name} ON s_{name}.id = t.{state} "
        f"LEFT JOIN government g_{name} ON g_{name}.id = t.{government}",
    )


def _query(spec: EntitySpec, where: str = "") -> str:
    name = spec.name
    if name == "states":
        select, joins = "t.iso3, t.iso2, t.numeric, t.name, t.official_name, t.kind", ""
    elif name == "sources":
        select = (
            f"t.key, t.title, t.url, t.publisher, {_fuzzy('published', 'published')}, "
            "t.language, t.kind, t.reliability"
        )
        joins = ""
    elif name == "cooperation_areas":
        select, joins = (
            "t.code, t.label, p.code AS parent",
            "LEFT JOIN cooperation_area p ON p.id = t.parent_id",
        )
    elif name == "persons":
        select = f"t.key, t.name, t.aliases, n.iso3 AS nationality, {_CITATIONS}"
        joins = "LEFT JOIN state n ON n.id = t.nationality_id"
    elif name == "governments":
        select = (
            "t.key, s.iso3 AS state, t.name, t.native_name, t.short_name, t.form, "
            "ARRAY(SELECT ARRAY[p.from_date::text, p.from_precision, p.to_date::text, "
            "p.to_precision] FROM government_period p WHERE p.government_id = t.id "
            "ORDER BY p.from_date NULLS FIRST, p.id) AS periods__list, "
            f"{_CITATIONS}"
        )
        joins = "JOIN state s ON s.id = t.state_id"
    elif name == "recognitions":
        subject, subject_joins = _state_or_government(
            "subject", "subject_state_id", "subject_government_id"
        )
        select = (
            f"t.key, r.iso3 AS recognizer, {subject}, t.episode, t.type, t.mode, t.act, "
            f"{_fuzzy('from', 'from')}, {_fuzzy('to', 'to')}, t.end_reason, t.confidence, "
            f"{_CITATIONS}, t.notes"
        )
        joins = f"JOIN state r ON r.id = t.recognizer_id {subject_joins}"
    elif name == "envoys":
        sender, sender_joins = _state_or_government(
            "sender", "sender_state_id", "sender_government_id"
        )
        select = (
            f"t.key, p.key AS person, {sender}, rc.iso3 AS receiver, t.episode, t.rank, t.title, "
            f"{_fuzzy('appointed', 'appointed')}, "
            f"{_fuzzy('credentials_copy', 'credentials_copy')}, "
            "cb.key AS credentials_copy_received_by, "
            f"{_fuzzy('credentials', 'credentials')}, rb.key AS credentials_received_by, "
            f"{_fuzzy('ended', 'ended')}, t.end_reason, {_CITATIONS}, t.notes"
        )
        joins = (
            f"JOIN person p ON p.id = t.person_id {sender_joins} "
            "JOIN state rc ON rc.id = t.receiver_id "
            "LEFT JOIN person cb ON cb.id = t.credentials_copy_received_by_id "
            "LEFT JOIN person rb ON rb.id = t.credentials_received_by_id"
        )
    elif name == "sanctions":
        select = (
            "t.key, t.authority, t.program, t.instrument, t.measures, t.target_kind, "
            "CASE t.target_kind WHEN 'state' THEN ts.iso3 WHEN 'government' THEN tg.key "
            "WHEN 'person' THEN tp.key ELSE t.target_organization END AS target, "
            f"{_fuzzy('from', 'from')}, {_fuzzy('to', 'to')}, t.status, {_CITATIONS}, "
            "t.notes"
        )
        joins = (
            "LEFT JOIN state ts ON ts.id = t.target_state_id "
            "LEFT JOIN government tg ON tg.id = t.target_government_id "
            "LEFT JOIN person tp ON tp.id = t.target_person_id"
        )
    else:
        partner, partner_joins = _state_or_government(
            "partner", "partner_state_id", "partner_government_id"
        )
        select = (
            f"t.key, y.iso3 AS party, {partner}, a.code AS area, t.episode, t.stance, "
            f"{_fuzzy('date', 'stated')}, {_CITATIONS}, t.notes"
        )
        joins = (
            f"JOIN state y ON y.id = t.party_id {partner_joins} "
            "JOIN cooperation_area a ON a.id = t.area_id"
        )
    if spec.cited:
        joins += _citations_join(spec)
    return (
        f"SELECT {select} FROM {spec.table} t {joins} {where} "
        f'ORDER BY t.{spec.key_column} COLLATE "C"'
    )


async def stored_records(
    connection: asyncpg.Connection, spec: EntitySpec, keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The stored facts of `keys` as records of the format (what an export writes for them in
    JSON), by key: a mutation patches such a record and merges it back through the importer."""
    query = _query(spec, f"WHERE t.{spec.key_column} = any($1::text[])")
    return {
        str(record[spec.key_column]): _values(spec, record)
        for record in await connection.fetch(query, list(keys))
    }


def _values(spec: EntitySpec, record: asyncpg.Record) -> dict[str, Any]:
    """File values of one row: fuzzy dates as text, lists as lists, citations as items."""
    values: dict[str, Any] = {}
    for column in spec.columns:
        if column == "sources":
            # No citation at all: the lateral aggregate gives NULL.
            values[column] = [
                key if quote is None else {"source": key, "quote": quote}
                for key, quote in zip(
                    record["sources__keys"] or (), record["sources__quotes"] or (), strict=True
                )
            ]
        elif column == "periods":
            values[column] = [
                str(Period(_period_end(fd, fp), _period_end(td, tp)))
                for fd, fp, td, tp in record["periods__list"]
            ]
        elif f"{column}__d" in record:
            day = record[f"{column}__d"]
            values[column] = None if day is None else format_fuzzy(day, record[f"{column}__p"])
        else:
            values[column] = record[column]
    return values


def _period_end(day: str | None, precision: str | None) -> FuzzyDate | None:
    if day is None or precision is None:
        return None
    return FuzzyDate(date.fromisoformat(day), Precision(precision))


# One CSV cell of a row, read straight from the record.
_CellReader = Callable[[asyncpg.Record], str]


def _csv_cell_reader(column: str, selected: set[str], formulas: bool) -> _CellReader:
    """How to write `column` in CSV: the same text as `_csv_cell(_values(...)[column])`, without
    building the row's values first (this runs once per cell of every exported row).

    Text cells go through `escape_cell`; dates, periods and numbers do not (they are digits,
    and a spreadsheet should see them as dates and numbers, see api.importer.formulas)."""
    if column == "sources":
        # CSV has no place for quotes: only the source keys are written.
        return lambda record: escape_cell(
            ";".join(record["sources__keys"] or ()), formulas=formulas
        )
    if column == "periods":
        return lambda record: ";".join(
            str(Period(_period_end(fd, fp), _period_end(td, tp)))
            for fd, fp, td, tp in record["periods__list"]
        )
    if f"{column}__d" in selected:
        day_name, precision_name = f"{column}__d", f"{column}__p"

        def fuzzy(record: asyncpg.Record) -> str:
            day = record[day_name]
            return "" if day is None else format_fuzzy(day, record[precision_name])

        return fuzzy
    return lambda record: _csv_cell(record[column], formulas)


def _csv_rows(spec: EntitySpec, formulas: bool) -> Callable[[asyncpg.Record], list[str]]:
    """A function from a record to its CSV cells; the readers are chosen on the first record."""
    readers: list[_CellReader] = []

    def cells(record: asyncpg.Record) -> list[str]:
        if not readers:
            selected = set(record.keys())
            readers.extend(_csv_cell_reader(column, selected, formulas) for column in spec.columns)
        return [read(record) for read in readers]

    return cells


def _csv_cell(value: Any, formulas: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        # CSV has no place for quotes: only the source keys are written.
        joined = ";".join(item["source"] if isinstance(item, dict) else str(item) for item in value)
        return escape_cell(joined, formulas=formulas)
    if isinstance(value, str):
        return escape_cell(value, formulas=formulas)
    # Whole numbers (episode): digits, nothing to escape.
    return str(value)


def _create_temporary(folder: Path, final_name: str) -> tuple[Path, TextIO]:
    """A new, empty file in `folder` for the content of `final_name`, opened for writing.

    O_EXCL creates the file or fails, and with O_NOFOLLOW never opens through a symbolic link,
    so nothing planted in the folder redirects the write; the random name makes a clash
    unlikely (and it is retried). Mode 0666 less the umask, as for any file the user creates.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        path = folder / f".{final_name}.{secrets.token_hex(6)}.tmp"
        try:
            descriptor = os.open(path, flags, 0o666)
        except FileExistsError:
            continue
        return path, os.fdopen(descriptor, "w", encoding="utf-8", newline="")
    raise ImportUsageError(f"{folder}: cannot create a temporary file for {final_name}")


def _finish(stream: TextIO) -> None:
    """Flush the file to disk before it is renamed into place: after a crash the final name
    holds the old file or the whole new one."""
    stream.flush()
    os.fsync(stream.fileno())
    stream.close()


def _remove_quietly(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class _Writer:
    def __init__(self, stream: TextIO, format: str, columns: Sequence[str]) -> None:
        self._stream = stream
        self._format = format
        self._count = 0
        self._csv = csv.writer(stream, lineterminator="\n") if format == "csv" else None
        if self._csv is not None:
            self._csv.writerow(columns)
        elif format == "json":
            stream.write("[")

    def write_cells(self, cells: list[str]) -> None:
        assert self._csv is not None
        self._csv.writerow(cells)
        self._count += 1

    def write(self, values: dict[str, Any]) -> None:
        """One row as JSON (CSV rows go through `write_cells`)."""
        assert self._csv is None
        text = json.dumps(values, ensure_ascii=False)
        if self._format == "ndjson":
            self._stream.write(text + "\n")
        else:
            self._stream.write(("\n" if self._count == 0 else ",\n") + text)
        self._count += 1

    def close(self) -> None:
        if self._format == "json":
            self._stream.write("\n]\n" if self._count else "]\n")


async def _count_unsourced(
    connection: asyncpg.Connection, spec: EntitySpec, summary: ExportSummary
) -> None:
    keys = await connection.fetch(
        f"SELECT t.{spec.key_column} AS key, count(*) OVER () AS total FROM {spec.table} t "
        f"WHERE NOT EXISTS (SELECT 1 FROM citation c WHERE c.{CITATION_COLUMN[spec.name]} = t.id) "
        f'ORDER BY t.{spec.key_column} COLLATE "C" LIMIT {_UNSOURCED_SHOWN}'
    )
    if keys:
        summary.unsourced[spec.name] = int(keys[0]["total"])
        summary.unsourced_keys[spec.name] = [str(row["key"]) for row in keys]


async def export_entities(
    directory: str | Path,
    *,
    database_url: str,
    format: str = "csv",
    entities: Iterable[str] | None = None,
    escape_formulas: bool = True,
) -> ExportSummary:
    """Write `<entity>.<format>` files into `directory` (created if need be); returns the paths
    and row counts per entity.

    `format` is csv, ndjson or json; `entities` defaults to all nine. Every file is read from one
    snapshot and streamed from a server-side cursor, so memory stays flat. Importing the files
    into an empty database and exporting again gives the same files, except that CSV has no
    place for citation quotes (use ndjson or json to keep them). `escape_formulas` False writes
    CSV cells starting with = + - @ tab or CR without their protecting `'`. Facts citing no
    source are written as any other row and counted in `summary.unsourced` (see `warnings`).

    The files replace any of the same names only once all are written (a symbolic link of that
    name is replaced, not followed); on an error or a cancellation none is.
    """
    if format not in FORMATS:
        raise ImportUsageError(f"unknown format {format!r} (use csv, ndjson or json)")
    chosen = list(entities) if entities else list(ENTITIES)
    unknown = [name for name in chosen if name not in ENTITIES]
    if unknown:
        raise ImportUsageError(f"unknown entity {unknown[0]!r} (one of: {', '.join(ENTITIES)})")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before any I/O wait
    summary = ExportSummary()
    # (temporary file, final name) of every file written so far.
    written: list[tuple[Path, Path]] = []
    connection = await asyncpg.connect(
        to_asyncpg_dsn(database_url), server_settings={"application_name": "credence-export"}
    )
    try:
        # One snapshot for every file, so references between files agree.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            for spec in ENTITIES.values():
                if spec.name not in chosen:
                    continue
                path = target / f"{spec.name}.{_EXTENSION[format]}"
                temporary, stream = _create_temporary(target, path.name)
                written.append((temporary, path))
                rows = 0
                with stream:
                    writer = _Writer(stream, format, spec.columns)
                    csv_cells = _csv_rows(spec, escape_formulas) if format == "csv" else None
                    async for record in connection.cursor(_query(spec), prefetch=5000):
                        if csv_cells is not None:
                            writer.write_cells(csv_cells(record))
                        else:
                            writer.write(_values(spec, record))
                        rows += 1
                    writer.close()
                    _finish(stream)
                summary.files[spec.name] = path
                summary.rows[spec.name] = rows
                if spec.name in SOURCED_ENTITIES:
                    await _count_unsourced(connection, spec, summary)
        for temporary, path in written:
            # rename(2): replaces whatever has the final name (a symbolic link itself, not
            # the file it points to) in one step.
            os.replace(temporary, path)
    finally:
        # After a success these are gone already; after a failure, no partial file stays.
        _remove_quietly(temporary for temporary, _ in written)
        await connection.close()
    return summary
