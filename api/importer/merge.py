"""From staging table to real table, set-based: resolve references, report what does not
resolve, then upsert with one INSERT ... ON CONFLICT per entity and sync citations and periods.

Updates are guarded by `IS DISTINCT FROM`, so identical rows are not touched at all: the audit
triggers see nothing and a second import of the same files logs nothing.
"""

from dataclasses import dataclass

import asyncpg

from api.importer.entities import CITATION_COLUMN, EntitySpec, Ref
from api.importer.fields import field_of_column
from api.importer.rules import Semantics, unsourced_reason
from api.importer.staging import staging_table


@dataclass(frozen=True, slots=True)
class DatabaseProblem:
    file_no: int
    line: int
    column: str | None
    value: str | None
    reason: str
    # For duplicates: where the key was first seen (the reason names that line).
    first_file_no: int | None = None
    first_line: int | None = None


@dataclass(frozen=True, slots=True)
class MergeCounts:
    inserted: int
    updated: int
    unchanged: int
    rejected: int


def resolved_table(spec: EntitySpec) -> str:
    """The batch's rows with their references resolved: what the merge and the diff read."""
    return f"_res_{spec.name}"


def _ids(spec: EntitySpec) -> str:
    return f"_ids_{spec.name}"


def _target(spec: EntitySpec, ref: Ref) -> str:
    if ref.table == "{ids}":
        # The parent may be an existing row or one of this batch (with its id reserved).
        return (
            f"(SELECT {spec.key_column} AS key, id FROM {spec.table} "
            f"UNION SELECT key, id FROM {_ids(spec)})"
        )
    return ref.table


def _resolve_sql(spec: EntitySpec) -> str:
    selects = ["s.*"]
    joins: list[str] = []
    resolved: list[str] = []
    for number, ref in enumerate(spec.refs):
        alias = f"j{number}"
        joins.append(
            f"LEFT JOIN {_target(spec, ref)} {alias} ON {alias}.{ref.key} = s.{ref.staged}"
        )
        selects.append(f"{alias}.id AS {ref.staged}_id")
        if ref.with_state:
            selects.append(f"{alias}.state_id AS {ref.staged}_state_id")
        resolved.append(f"(s.{ref.staged} IS NULL OR {alias}.id IS NOT NULL)")
    if spec.cited:
        resolved.append(
            "NOT EXISTS (SELECT 1 FROM unnest(s.sources) AS k(key) "
            "WHERE NOT EXISTS (SELECT 1 FROM source WHERE source.key = k.key))"
        )
    if spec.self_parent:
        joins.append(f"JOIN {_ids(spec)} own ON own.key = s.key")
        selects.append("own.id AS new_id")
    window = "(PARTITION BY s.key ORDER BY s.file_no, s.line)"
    selects += [
        f"row_number() OVER {window} AS occurrence",
        f"first_value(s.file_no) OVER {window} AS first_file_no",
        f"first_value(s.line) OVER {window} AS first_line",
        f"({' AND '.join(resolved) or 'true'}) AS refs_ok",
    ]
    return (
        f"CREATE TEMP TABLE {resolved_table(spec)} ON COMMIT DROP AS "
        f"SELECT {', '.join(selects)} FROM {staging_table(spec)} s {' '.join(joins)}"
    )


def _problems_sql(spec: EntitySpec) -> str:
    parts = [
        f"SELECT file_no, line, '{ref.column}', {ref.staged}, '{ref.what}', NULL::int, NULL::int "
        f"FROM {resolved_table(spec)} "
        f"WHERE NOT refs_ok AND {ref.staged} IS NOT NULL AND {ref.staged}_id IS NULL"
        for ref in spec.refs
    ]
    if spec.cited:
        parts.append(
            f"SELECT r.file_no, r.line, 'sources', k.key, 'unknown source', NULL::int, NULL::int "
            f"FROM {resolved_table(spec)} r, unnest(r.sources) AS k(key) WHERE NOT r.refs_ok "
            "AND NOT EXISTS (SELECT 1 FROM source WHERE source.key = k.key)"
        )
    parts.append(
        f"SELECT file_no, line, '{spec.key_column}', key, 'is also the key of', "
        f"first_file_no, first_line FROM {resolved_table(spec)} WHERE occurrence > 1"
    )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2"


def _mergeable(scope: str) -> str:
    """Rows that go into the table: references resolved, first of their key, in `scope`."""
    return f"r.refs_ok AND r.occurrence = 1{scope}"


def _kept(spec: EntitySpec, column: str, expression: str, types: dict[str, str]) -> str:
    """The value merged into `column`: the stored one when the row does not give its field
    (merge modes; the stored row is `cur`), else the row's."""
    field = field_of_column(spec.name).get(column)
    if field is None or not field.keepable:
        return expression
    kind = types[column]
    return (
        f"CASE WHEN cur.id IS NOT NULL AND '{field.name}' = ANY(r.omitted) "
        f"THEN cur.{column}::{kind} ELSE ({expression})::{kind} END"
    )


def _upsert_sql(spec: EntitySpec, scope: str, types: dict[str, str], semantics: Semantics) -> str:
    columns = [column for column, _ in spec.assign]
    expressions = [expression for _, expression in spec.assign]
    stored = ""
    if semantics.keeps:
        expressions = [_kept(spec, c, e, types) for c, e in spec.assign]
        stored = f"LEFT JOIN {spec.table} cur ON cur.{spec.key_column} = r.key "
    compared = [c for c in columns if c not in ("id", spec.key_column)]
    # Cast to the column's type (without length) so that, say, text[] meets varchar[].
    compared_expressions = [
        f"({e})::{types[c]}" for c, e in zip(columns, expressions, strict=True) if c in compared
    ]
    current = ", ".join(f"t.{c}" for c in compared)
    incoming = ", ".join(f"EXCLUDED.{c}" for c in compared)
    return (
        f"WITH merged AS ("
        f"INSERT INTO {spec.table} AS t ({', '.join(columns)}) "
        f"SELECT {', '.join(expressions)} FROM {resolved_table(spec)} r {stored}"
        f"WHERE {_mergeable(scope)} "
        # Rows identical to the stored ones are left out before the upsert: ON CONFLICT would
        # lock (and so rewrite) every one of them, which is most of the cost of a re-import.
        f"AND NOT EXISTS (SELECT 1 FROM {spec.table} t WHERE t.{spec.key_column} = r.key "
        f"AND ({current}) IS NOT DISTINCT FROM ({', '.join(compared_expressions)})) "
        "ORDER BY r.file_no, r.line "
        f"ON CONFLICT ({spec.key_column}) DO UPDATE SET "
        f"{', '.join(f'{c} = EXCLUDED.{c}' for c in compared)} "
        f"WHERE ({current}) IS DISTINCT FROM ({incoming}) "
        # xmax is 0 exactly for freshly inserted row versions.
        f"RETURNING t.id, (t.xmax = 0) AS inserted) "
        f"INSERT INTO _changed SELECT '{spec.name}', id, inserted FROM merged"
    )


def _facts(spec: EntitySpec) -> str:
    return f"_facts_{spec.name}"


def _facts_sql(spec: EntitySpec, scope: str) -> str:
    """The merged rows of this batch with their ids (the citations and periods belong to them)."""
    return (
        f"CREATE TEMP TABLE {_facts(spec)} ON COMMIT DROP AS "
        f"SELECT f.id AS fact_id, r.* FROM {resolved_table(spec)} r "
        f"JOIN {spec.table} f ON f.{spec.key_column} = r.key "
        f"WHERE {_mergeable(scope)}"
    )


def _citations_sql(spec: EntitySpec, semantics: Semantics) -> list[str]:
    facts = _facts(spec)
    column = CITATION_COLUMN[spec.name]
    wanted = (
        f"SELECT c.fact_id, s.id AS source_id, u.quote, u.ord FROM {facts} c "
        "CROSS JOIN LATERAL unnest(c.sources, c.quotes) WITH ORDINALITY AS u(key, quote, ord) "
        "JOIN source s ON s.key = u.key"
    )
    prepare: list[str] = []
    if semantics.keeps:
        # The stored citations stay (those of rows that add, or give no sources), in their
        # order, and the listed ones not stored yet follow; a listed quote replaces a stored
        # one. Made a table first: the statements below delete the stored citations.
        keep = "true" if semantics.adds_sources else "'sources' = ANY(c.omitted)"
        prepare = [
            "CREATE TEMP TABLE _wanted_citations ON COMMIT DROP AS "
            "SELECT fact_id, source_id, quote, "
            "row_number() OVER (PARTITION BY fact_id ORDER BY part, pos) AS ord FROM ("
            f"SELECT e.{column} AS fact_id, e.source_id, COALESCE(l.quote, e.quote) AS quote, "
            "0 AS part, e.position AS pos FROM citation e "
            f"JOIN {facts} c ON c.fact_id = e.{column} "
            f"LEFT JOIN ({wanted}) l ON l.fact_id = e.{column} AND l.source_id = e.source_id "
            f"WHERE {keep} "
            f"UNION ALL SELECT l.fact_id, l.source_id, l.quote, 1, l.ord FROM ({wanted}) l "
            f"JOIN {facts} c ON c.fact_id = l.fact_id WHERE NOT ({keep}) OR NOT EXISTS "
            f"(SELECT 1 FROM citation e WHERE e.{column} = l.fact_id "
            "AND e.source_id = l.source_id)) x",
            "ANALYZE _wanted_citations",
        ]
        wanted = "SELECT * FROM _wanted_citations"
    # The facts whose citations differ: the wanted and stored citations matched by (fact,
    # position) in one hashed full join, where aggregating arrays per fact would sort both.
    stored = (
        f"SELECT {column} AS fact_id, source_id, position, quote FROM citation "
        f"WHERE {column} IN (SELECT fact_id FROM {facts})"
    )
    return [
        *prepare,
        f"INSERT INTO _kids SELECT DISTINCT '{spec.name}', 'citation', "
        f"COALESCE(w.fact_id, e.fact_id) FROM ({wanted}) w FULL JOIN ({stored}) e "
        "ON e.fact_id = w.fact_id AND e.position = w.ord - 1 "
        "WHERE w.fact_id IS NULL OR e.fact_id IS NULL "
        "OR (w.source_id, w.quote) IS DISTINCT FROM (e.source_id, e.quote)",
        f"DELETE FROM citation WHERE {column} IN "
        f"(SELECT fact_id FROM _kids "
        f"WHERE entity = '{spec.name}' AND kind = 'citation')",
        f"INSERT INTO citation (source_id, {column}, position, quote) "
        f"SELECT w.source_id, w.fact_id, w.ord - 1, w.quote FROM ({wanted}) w "
        f"WHERE w.fact_id IN (SELECT fact_id FROM _kids "
        f"WHERE entity = '{spec.name}' AND kind = 'citation') "
        f"ORDER BY w.fact_id, w.ord",
        *(["DROP TABLE _wanted_citations"] if prepare else []),
    ]


def _periods_sql(spec: EntitySpec, semantics: Semantics) -> list[str]:
    facts = _facts(spec)
    # Under a merge, a row that gives no periods keeps the stored ones: it is never compared.
    kept = " AND NOT ('periods' = ANY(c.omitted))" if semantics.keeps else ""
    wanted = (
        f"SELECT c.fact_id, u.* FROM {facts} c CROSS JOIN LATERAL unnest("
        "c.period_from_dates, c.period_from_precisions, c.period_to_dates, c.period_to_precisions"
        ") WITH ORDINALITY AS u(from_date, from_precision, to_date, to_precision, ord)"
    )
    aggregate = (
        "array_agg(from_date ORDER BY {o}) AS fd, "
        "array_agg(from_precision::text ORDER BY {o}) AS fp, "
        "array_agg(to_date ORDER BY {o}) AS td, array_agg(to_precision::text ORDER BY {o}) AS tp"
    )
    return [
        f"INSERT INTO _kids SELECT '{spec.name}', 'period', c.fact_id FROM {facts} c "
        f"LEFT JOIN (SELECT fact_id, {aggregate.format(o='ord')} FROM ({wanted}) w "
        f"GROUP BY fact_id) d ON d.fact_id = c.fact_id "
        f"LEFT JOIN (SELECT government_id AS fact_id, "
        f"{aggregate.format(o='from_date NULLS FIRST, id')} FROM government_period "
        f"WHERE government_id IN (SELECT fact_id FROM {facts}) GROUP BY government_id) e "
        f"ON e.fact_id = c.fact_id "
        f"WHERE (d.fd, d.fp, d.td, d.tp) IS DISTINCT FROM (e.fd, e.fp, e.td, e.tp){kept}",
        f"DELETE FROM government_period WHERE government_id IN "
        f"(SELECT fact_id FROM _kids "
        f"WHERE entity = '{spec.name}' AND kind = 'period')",
        f"INSERT INTO government_period (government_id, from_date, from_precision, to_date, "
        f"to_precision) SELECT fact_id, from_date, from_precision, to_date, to_precision "
        f"FROM ({wanted}) w WHERE w.fact_id IN "
        f"(SELECT fact_id FROM _kids WHERE entity = '{spec.name}' AND kind = 'period') "
        f"ORDER BY w.fact_id, w.ord",
    ]


async def prepare_batch(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "CREATE TEMP TABLE _changed (entity text, id int, inserted bool) ON COMMIT DROP"
    )
    await connection.execute(
        "CREATE TEMP TABLE _children_changed (entity text, kind text, fact_id int) ON COMMIT DROP"
    )


_FROM_TEXT = (
    "CASE a.from_precision WHEN 'year' THEN to_char(a.from_date, 'YYYY') "
    "WHEN 'month' THEN to_char(a.from_date, 'YYYY-MM') ELSE to_char(a.from_date, 'YYYY-MM-DD') END"
)


def _period(alias: str) -> str:
    return (
        f"credence_period({alias}.from_date, {alias}.from_precision, "
        f"{alias}.to_date, {alias}.to_precision)"
    )


def _overlaps_sql(spec: EntitySpec) -> str:
    """Episodes of one recognition that overlap in time, found before the EXCLUDE constraint
    would refuse the whole statement, so each is reported on its own line."""
    res = resolved_table(spec)

    def merged(alias: str) -> str:
        return f"{alias}.refs_ok AND {alias}.occurrence = 1"

    return (
        f"CREATE TEMP TABLE _overlaps_{spec.name} "
        "(file_no, line, column_name, value, reason, first_file_no, first_line) ON COMMIT DROP AS "
        # A row stored already with the same pair and period sat beside every other stored
        # episode under the EXCLUDE constraint: only new or moved episodes are probed against
        # the table (materialized first, so a re-import of unchanged files stays cheap).
        f"WITH moved AS MATERIALIZED (SELECT a.* FROM {res} a "
        f"LEFT JOIN {spec.table} same ON same.key = a.key "
        f"WHERE {merged('a')} AND (same.id IS NULL OR (same.recognizer_id, "
        "same.subject_state_id, same.subject_government_id, same.valid) IS DISTINCT FROM "
        "(a.recognizer_id, COALESCE(a.subject_government_state_id, a.subject_state_id), "
        f"a.subject_government_id, {_period('a')}))) "
        f"SELECT a.file_no, a.line, 'from', {_FROM_TEXT}, "
        f"'overlaps episode ' || b.key || ' of', b.file_no, b.line "
        f"FROM {res} a JOIN {res} b ON b.recognizer = a.recognizer "
        "AND COALESCE(b.subject_government, b.subject_state) "
        "= COALESCE(a.subject_government, a.subject_state) "
        "AND b.key <> a.key AND (b.file_no, b.line) < (a.file_no, a.line) "
        f"AND {_period('b')} && {_period('a')} "
        f"WHERE {merged('a')} AND {merged('b')} "
        "UNION ALL "
        f"SELECT a.file_no, a.line, 'from', {_FROM_TEXT}, "
        "'overlaps episode ' || t.key || ', already stored', NULL::int, NULL::int "
        f"FROM moved a JOIN {spec.table} t ON t.recognizer_id = a.recognizer_id "
        "AND t.subject_state_id = COALESCE(a.subject_government_state_id, a.subject_state_id) "
        "AND COALESCE(t.subject_government_id, 0) = COALESCE(a.subject_government_id, 0) "
        f"AND t.key <> a.key AND t.valid && {_period('a')} "
        f"WHERE NOT EXISTS (SELECT 1 FROM {res} c WHERE c.key = t.key)"
    )


def _unsourced_sql(spec: EntitySpec, semantics: Semantics) -> str:
    """Leave out the facts that would cite no source, and name them. Under a merge, a row that
    lists none keeps the stored citations (when it adds to them, or gives no sources): it is
    refused only if there are none stored."""
    kept = ""
    if semantics.keeps:
        keeps = "true" if semantics.adds_sources else "'sources' = ANY(r.omitted)"
        kept = (
            f" AND NOT ({keeps} AND EXISTS (SELECT 1 FROM {spec.table} t JOIN citation c "
            f"ON c.{CITATION_COLUMN[spec.name]} = t.id WHERE t.{spec.key_column} = r.key))"
        )
    return (
        f"UPDATE {resolved_table(spec)} r SET refs_ok = false "
        f"WHERE r.occurrence = 1 AND cardinality(r.sources) = 0{kept} "
        "RETURNING file_no, line, 'sources', NULL::text, $1::text, NULL::int, NULL::int"
    )


async def resolve(
    connection: asyncpg.Connection, spec: EntitySpec, semantics: Semantics
) -> list[DatabaseProblem]:
    """Join the staged rows to what they reference; return the rows that cannot be merged."""
    if spec.self_parent:
        await connection.execute(
            f"CREATE TEMP TABLE {_ids(spec)} ON COMMIT DROP AS "
            f"SELECT s.key, COALESCE(t.id, nextval(pg_get_serial_sequence('{spec.table}', 'id'))"
            f")::int AS id FROM (SELECT DISTINCT key FROM {staging_table(spec)}) s "
            f"LEFT JOIN {spec.table} t ON t.{spec.key_column} = s.key"
        )
    await connection.execute(_resolve_sql(spec))
    # A table made by CREATE TABLE AS has no statistics: the planner guesses a few dozen rows
    # where the batch may hold a million, and the overlap check (and the merge after it) then
    # probe the stored table once per staged row in nested loops, or rescan the staged rows
    # once per stored match. Counted, it picks hash joins when they pay.
    await connection.execute(f"ANALYZE {resolved_table(spec)}")
    rows = list(await connection.fetch(_problems_sql(spec)))
    if spec.cited and semantics.requires_sources(spec.name):
        rows += await connection.fetch(_unsourced_sql(spec, semantics), unsourced_reason(spec.name))
    if spec.exclusive_episodes:
        await connection.execute(_overlaps_sql(spec))
        await connection.execute(
            f"UPDATE {resolved_table(spec)} r SET refs_ok = false FROM _overlaps_{spec.name} o "
            "WHERE o.file_no = r.file_no AND o.line = r.line"
        )
        rows += await connection.fetch(f"SELECT * FROM _overlaps_{spec.name}")
    return [DatabaseProblem(*r) for r in rows]


async def merge(
    connection: asyncpg.Connection, spec: EntitySpec, semantics: Semantics, scope: str = ""
) -> None:
    """Upsert the resolvable rows (run `resolve` first), or those of `scope` (an SQL condition
    on the resolved row `r`, starting with AND), with their citations and periods."""
    types = {
        name: kind
        for name, kind in await connection.fetch(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
            spec.table,
        )
    }
    await connection.execute(_upsert_sql(spec, scope, types, semantics))
    if not (spec.cited or spec.periods):
        return
    await connection.execute(_facts_sql(spec, scope))
    # Counted for the same reason as the resolved rows (see `resolve`).
    await connection.execute(f"ANALYZE {_facts(spec)}")
    # Facts whose citations or periods change in this call; added to the batch's list after.
    await connection.execute(
        "CREATE TEMP TABLE _kids (entity text, kind text, fact_id int) ON COMMIT DROP"
    )
    for statement in (_citations_sql(spec, semantics) if spec.cited else []) + (
        _periods_sql(spec, semantics) if spec.periods else []
    ):
        await connection.execute(statement)
    await connection.execute("INSERT INTO _children_changed SELECT * FROM _kids")
    await connection.execute(f"DROP TABLE _kids, {_facts(spec)}")


@dataclass(frozen=True, slots=True)
class Incoming:
    """How many new rows a merge of this entity brings to one table."""

    table: str
    key_column: str | None
    rows: int


async def incoming(
    connection: asyncpg.Connection, spec: EntitySpec, *, at_least: int
) -> list[Incoming]:
    """The new rows (keys not stored yet) the merge of `spec` brings to its table, and their
    citations and periods: what decides whether indexes are worth rebuilding.

    Counts below `at_least` never matter, so the rows are counted all together first (cheap)
    and checked against the stored keys only if some count can reach it.
    """
    counted = ["count(*)"]
    if spec.cited:
        counted.append("sum(cardinality(r.sources))")
    if spec.periods:
        counted.append("sum(cardinality(r.period_from_dates))")
    select = f"SELECT {', '.join(counted)} FROM {resolved_table(spec)} r WHERE {_mergeable('')}"
    row = await connection.fetchrow(select)
    assert row is not None
    if max(int(value or 0) for value in row) >= at_least:
        stored = f"SELECT 1 FROM {spec.table} t WHERE t.{spec.key_column} = r.key"
        row = await connection.fetchrow(f"{select} AND NOT EXISTS ({stored})")
        assert row is not None
    numbers = [int(value or 0) for value in row]
    tables = [Incoming(spec.table, spec.key_column, numbers.pop(0))]
    if spec.cited:
        tables.append(Incoming("citation", None, numbers.pop(0)))
    if spec.periods:
        tables.append(Incoming("government_period", None, numbers.pop(0)))
    return tables


async def number_rows(connection: asyncpg.Connection, spec: EntitySpec) -> int:
    """Number the mergeable rows 1..n in file order (column `ord`), to merge them by ranges."""
    res = resolved_table(spec)
    await connection.execute(f"ALTER TABLE {res} ADD COLUMN ord bigint")
    await connection.execute(
        f"UPDATE {res} r SET ord = o.ord FROM (SELECT ctid AS row, row_number() OVER "
        f"(ORDER BY file_no, line) AS ord FROM {res} r WHERE {_mergeable('')}) o "
        "WHERE r.ctid = o.row"
    )
    await connection.execute(f"CREATE INDEX ON {res} (ord)")
    await connection.execute(f"ANALYZE {res}")
    return int(await connection.fetchval(f"SELECT COALESCE(max(ord), 0) FROM {res}"))


def ord_range(first: int, last: int) -> str:
    """The scope of rows numbered first..last (see `number_rows`)."""
    return f" AND r.ord BETWEEN {int(first)} AND {int(last)}"


async def refuse_row(connection: asyncpg.Connection, spec: EntitySpec, ord: int) -> tuple[int, int]:
    """Leave the row numbered `ord` out of the merge; returns its (file_no, line)."""
    row = await connection.fetchrow(
        f"UPDATE {resolved_table(spec)} SET refs_ok = false WHERE ord = $1 RETURNING file_no, line",
        ord,
    )
    assert row is not None
    return int(row[0]), int(row[1])


async def counts(connection: asyncpg.Connection, spec: EntitySpec) -> MergeCounts:
    """What the merge did to this entity, counted from the ids it touched."""
    row = await connection.fetchrow(
        f"""
        WITH counted AS (
            SELECT count(*) FILTER (WHERE refs_ok AND occurrence = 1) AS merged,
                   count(*) FILTER (WHERE NOT (refs_ok AND occurrence = 1)) AS rejected
            FROM {resolved_table(spec)}
        ), inserted AS (
            SELECT id FROM _changed WHERE entity = $1 AND inserted
        ), updated AS (
            SELECT id FROM _changed WHERE entity = $1 AND NOT inserted
            UNION SELECT fact_id FROM _children_changed WHERE entity = $1
            EXCEPT SELECT id FROM inserted
        )
        SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated),
               merged, rejected FROM counted
        """,
        spec.name,
    )
    assert row is not None
    inserted, updated, merged, rejected = row
    return MergeCounts(inserted, updated, merged - inserted - updated, rejected)
