"""What a batch changes, found set-wise in SQL by comparing the resolved staged rows with the
stored ones, before the merge: values a file would clear without mentioning them (warnings),
and per fact the fields that change, `before → after`, with the citations added and removed.

Both are extra statements over the batch, run only when they can matter: the warnings when a
file leaves columns out (without `--merge`), the diff when it is asked for.
"""

import json
from collections.abc import AsyncIterator

import asyncpg

from api.importer.entities import CITATION_COLUMN, EntitySpec
from api.importer.fields import FIELDS, Field
from api.importer.merge import resolved_table
from api.importer.rules import Semantics
from api.importer.summary import FactChange


def _diff(spec: EntitySpec) -> str:
    return f"_diff_{spec.name}"


def _lost(spec: EntitySpec, field: Field) -> str:
    """SQL: the stored row `cur` has a value that row `r` would clear or overwrite."""
    if field.kind == "sources":
        return f"EXISTS (SELECT 1 FROM citation c WHERE c.{CITATION_COLUMN[spec.name]} = cur.id)"
    if field.kind == "periods":
        return "EXISTS (SELECT 1 FROM government_period p WHERE p.government_id = cur.id)"
    return f"({field.stored}) IS NOT NULL AND ({field.stored}) IS DISTINCT FROM ({field.staged})"


async def losses(connection: asyncpg.Connection, spec: EntitySpec) -> list[tuple[int, str, int]]:
    """Per file and column the file does not have: how many stored facts would lose a value
    (file number, column, rows). Whole-row replace only (a merge keeps those values)."""
    cases = " ".join(
        f"WHEN '{field.name}' THEN {_lost(spec, field)}"
        for field in FIELDS[spec.name]
        if field.keepable
    )
    if not cases:
        return []
    rows = await connection.fetch(
        f"SELECT r.file_no, o.name, count(*) FROM {resolved_table(spec)} r "
        f"JOIN {spec.table} cur ON cur.{spec.key_column} = r.key "
        "CROSS JOIN LATERAL unnest(r.omitted) AS o(name) "
        f"WHERE r.refs_ok AND r.occurrence = 1 AND CASE o.name {cases} ELSE false END "
        "GROUP BY 1, 2"
    )
    order = {field.name: n for n, field in enumerate(FIELDS[spec.name])}
    found = [(int(file_no), str(name), int(count)) for file_no, name, count in rows]
    return sorted(found, key=lambda item: (item[0], order.get(item[1], 0)))


def _after(field: Field, semantics: Semantics) -> str:
    """SQL: the field's value once merged (a merge keeps the stored value of a field the row
    does not give)."""
    if not (semantics.keeps and field.keepable):
        return field.staged
    return (
        f"CASE WHEN cur.id IS NOT NULL AND '{field.name}' = ANY(r.omitted) "
        f"THEN ({field.stored}) ELSE ({field.staged}) END"
    )


def _citations(spec: EntitySpec, semantics: Semantics) -> tuple[str, str, str]:
    """SQL for the fact's source keys in order: a CTE aggregating the stored citations of the
    batch's facts (one hashed pass, not a lookup per row), and the joins giving `cb.before`
    and `ca.after`."""
    column = CITATION_COLUMN[spec.name]
    stored = (
        f"WITH stored_citations AS (SELECT c.{column} AS fact_id, "
        "array_agg(s.key::text ORDER BY c.position) AS keys FROM citation c "
        f"JOIN source s ON s.id = c.source_id WHERE c.{column} IN (SELECT t.id FROM "
        f"{spec.table} t JOIN {resolved_table(spec)} r ON r.key = t.{spec.key_column}) GROUP BY 1) "
    )
    before = (
        "LEFT JOIN stored_citations sc ON sc.fact_id = cur.id "
        "CROSS JOIN LATERAL (SELECT COALESCE(sc.keys, ARRAY[]::text[]) AS before) cb "
    )
    after = "r.sources"
    if semantics.keeps:
        keep = "true" if semantics.adds_sources else "'sources' = ANY(r.omitted)"
        after = (
            f"CASE WHEN {keep} THEN cb.before || ARRAY(SELECT u.k FROM unnest(r.sources) "
            "WITH ORDINALITY AS u(k, o) WHERE u.k <> ALL(cb.before) ORDER BY u.o) "
            "ELSE r.sources END"
        )
    return stored, before, f"CROSS JOIN LATERAL (SELECT {after} AS after) ca "


def _only_in(first: str, second: str) -> str:
    """SQL: the keys of array `first` not in `second`, in order (at once when they are equal,
    the common case)."""
    return (
        f"CASE WHEN {first} = {second} THEN ARRAY[]::text[] ELSE ARRAY(SELECT u.k FROM "
        f"unnest({first}) WITH ORDINALITY AS u(k, o) WHERE u.k <> ALL({second}) ORDER BY u.o) END"
    )


def _diff_sql(spec: EntitySpec, semantics: Semantics) -> str:
    pairs = []
    for field in FIELDS[spec.name]:
        if field.kind == "sources":
            continue
        before, after = f"({field.stored})::text", f"({_after(field, semantics)})::text"
        pairs.append(
            f"'{field.name}', CASE WHEN {before} IS DISTINCT FROM {after} "
            f"THEN jsonb_build_array({before}, {after}) END"
        )
    # One object per row, its unchanged fields (null) stripped: no subquery per row.
    fields = f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
    stored = joins = ""
    added = removed = "ARRAY[]::text[]"
    if spec.cited:
        stored, before, after = _citations(spec, semantics)
        joins = before + after
        added, removed = _only_in("ca.after", "cb.before"), _only_in("cb.before", "ca.after")
    return (
        f"CREATE TEMP TABLE {_diff(spec)} ON COMMIT DROP AS {stored}SELECT * FROM ("
        f"SELECT r.file_no, r.line, r.key, cur.id IS NULL AS inserted, {fields} AS fields, "
        f"{added} AS added, {removed} AS removed FROM {resolved_table(spec)} r "
        f"LEFT JOIN {spec.table} cur ON cur.{spec.key_column} = r.key {joins}"
        "WHERE r.refs_ok AND r.occurrence = 1) d "
        "WHERE d.fields <> '{}'::jsonb OR cardinality(d.added) > 0 OR cardinality(d.removed) > 0"
    )


async def stage_diff(
    connection: asyncpg.Connection, spec: EntitySpec, semantics: Semantics
) -> None:
    """Compute what each mergeable row changes, before the merge; `fetch_diff` reads it after."""
    await connection.execute(_diff_sql(spec, semantics))


async def fetch_diff(
    connection: asyncpg.Connection, spec: EntitySpec, labels: list[str]
) -> AsyncIterator[FactChange]:
    """The changes of the rows the merge kept (rows the database refused are left out), in
    file order, streamed from a cursor."""
    order = [field.name for field in FIELDS[spec.name]]
    async with connection.transaction():
        cursor = connection.cursor(
            f"SELECT d.key, d.inserted, d.fields, d.added, d.removed, d.file_no, d.line "
            f"FROM {_diff(spec)} d WHERE NOT EXISTS (SELECT 1 FROM {resolved_table(spec)} r "
            "WHERE r.file_no = d.file_no AND r.line = d.line AND NOT r.refs_ok) "
            "ORDER BY d.file_no, d.line"
        )
        async for key, inserted, fields, added, removed, file_no, line in cursor:
            # jsonb orders keys its own way: back to the order of the columns.
            changed = json.loads(fields) if fields else {}
            yield (
                FactChange(
                    entity=spec.name,
                    key=key,
                    action="insert" if inserted else "update",
                    fields={
                        name: (changed[name][0], changed[name][1])
                        for name in order
                        if name in changed
                    },
                    sources_added=tuple(added),
                    sources_removed=tuple(removed),
                    file=labels[file_no],
                    line=line,
                )
            )
    await connection.execute(f"DROP TABLE {_diff(spec)}")
