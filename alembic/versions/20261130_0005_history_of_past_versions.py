"""History of past versions: the current row is its own latest version.

Until 0004 every insert wrote the row's full JSON image into `change_log`, which cost more than
loading the row itself. Now `change_log` keeps only what the current rows cannot tell (as in
SQL:2011 system versioning and temporal_tables):

- insert: no image (`before` and `after` NULL); the row, its natural key and who wrote it.
- update: `before` is the full image of the old row, `after` only the columns whose value
  changed (their new values). An update that changes nothing writes nothing.
- delete: `before` is the full image.
- TRUNCATE: a BEFORE TRUNCATE trigger logs every row as a 'delete' with its image, so the
  history stays exact (0004 logged one image-less row per table).

A version of a row at any instant is therefore the `before` image of its first change after that
instant, or the current row when there is none.

Citations and government periods are part of the fact they belong to (as the import format sees
them): their rows carry the fact's table and id in `fact_entity` / `fact_id`, so that a fact's
history and version see them. A citation's natural key is its source's key.

The trigger functions are generated per table, so the natural key and the fact come from the
columns rather than from a JSON image. Existing insert rows are stripped of their images (the
downgrade rebuilds them exactly from the later images and the current rows); existing update
rows keep only their changed columns; existing citation and period rows get their fact.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDITED_TABLES = (
    "state",
    "source",
    "cooperation_area",
    "person",
    "government",
    "government_period",
    "recognition",
    "envoy",
    "sanction",
    "cooperation",
    "citation",
)

# The natural key column of each table (government periods have none of their own).
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

# The fact tables a citation can point at, in the order of its foreign-key columns.
CITED_TABLES = ("government", "person", "recognition", "envoy", "sanction", "cooperation")


def _key(table: str, row: str) -> str:
    if table == "citation":
        return "s.key"
    column = KEY_COLUMNS.get(table)
    return f"{row}.{column}" if column else "NULL"


def _source_join(table: str, row: str) -> str:
    return f" LEFT JOIN source s ON s.id = {row}.source_id" if table == "citation" else ""


def _fact(table: str, row: str) -> tuple[str, str]:
    if table == "citation":
        entity = " ".join(f"WHEN {row}.{t}_id IS NOT NULL THEN '{t}'" for t in CITED_TABLES)
        ids = ", ".join(f"{row}.{t}_id" for t in CITED_TABLES)
        return f"CASE {entity} END", f"coalesce({ids})"
    if table == "government_period":
        return "'government'", f"{row}.government_id"
    return "NULL", "NULL"


# The writer's settings, read once per statement (in a SELECT list they would be read per row).
_DECLARE = """DECLARE
    who varchar := nullif(current_setting('credence.actor', true), '');
    how varchar := nullif(current_setting('credence.origin', true), '');"""

_COLUMNS = "actor, origin, entity, row_id, natural_key, action, before, after, fact_entity, fact_id"


def _function(name: str, body: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger
LANGUAGE plpgsql AS $$
{_DECLARE}
BEGIN
    {body};
    RETURN NULL;
END
$$"""


def history_functions(table: str) -> dict[str, str]:
    """The four trigger functions of `table`, by action."""
    insert_fact, insert_fact_id = _fact(table, "n")
    update_fact, update_fact_id = _fact(table, "c")
    delete_fact, delete_fact_id = _fact(table, "o")
    insert = (
        f"INSERT INTO change_log ({_COLUMNS}) "
        f"SELECT who, how, '{table}', n.id, {_key(table, 'n')}, 'insert', NULL, NULL, "
        f"{insert_fact}, {insert_fact_id} FROM new_rows n{_source_join(table, 'n')}"
    )
    # The changed columns are found by comparing the columns themselves (cheap) rather than
    # the JSON images key by key: the statement is built per trigger call from the table's
    # columns as they are then, so a column added later is compared without a new function.
    # The subquery is kept whole (OFFSET 0) so each image is built once, not per reference.
    update = (
        "EXECUTE format($sql$"
        f"INSERT INTO change_log ({_COLUMNS}) "
        f"SELECT $1, $2, '{table}', c.id, {_key(table, 'c')}, 'update', "
        "c._history_before, c._history_after - c._history_same, "
        f"{update_fact}, {update_fact_id} "
        "FROM (SELECT n.*, to_jsonb(o) AS _history_before, to_jsonb(n) AS _history_after, "
        "array_remove(ARRAY[%s]::text[], NULL) AS _history_same "
        "FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "WHERE (o.*) IS DISTINCT FROM (n.*) OFFSET 0) c"
        f"{_source_join(table, 'c')}$sql$, "
        "(SELECT string_agg(format('CASE WHEN o.%1$I IS NOT DISTINCT FROM n.%1$I "
        "THEN %1$L END', attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped)) USING who, how"
    )
    delete = (
        f"INSERT INTO change_log ({_COLUMNS}) "
        f"SELECT who, how, '{table}', o.id, {_key(table, 'o')}, 'delete', to_jsonb(o), NULL, "
        f"{delete_fact}, {delete_fact_id} FROM old_rows o{_source_join(table, 'o')}"
    )
    truncate = delete.replace("FROM old_rows o", f"FROM {table} o")
    return {
        "insert": _function(f"credence_history_insert_{table}", insert),
        "update": _function(f"credence_history_update_{table}", update),
        "delete": _function(f"credence_history_delete_{table}", delete),
        "truncate": _function(f"credence_history_truncate_{table}", truncate),
    }


def history_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER history_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION credence_history_insert_{table}()",
        f"CREATE TRIGGER history_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION credence_history_update_{table}()",
        f"CREATE TRIGGER history_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION credence_history_delete_{table}()",
        # Before: the rows are still there to be logged.
        f"CREATE TRIGGER history_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION credence_history_truncate_{table}()",
    ]


# The functions of 0004 (and 0001's triggers on them), restored by the downgrade.
AUDIT_0004 = (
    """
CREATE FUNCTION credence_audit_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (j->>'id')::bigint,
           coalesce(j->>'key', j->>'iso3', j->>'code'), 'insert', NULL, j
    FROM (SELECT to_jsonb(n) AS j FROM new_rows n OFFSET 0) AS changed;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION credence_audit_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (a->>'id')::bigint,
           coalesce(a->>'key', a->>'iso3', a->>'code'), 'update', b, a
    FROM (SELECT to_jsonb(o) AS b, to_jsonb(n) AS a
          FROM old_rows o JOIN new_rows n ON n.id = o.id OFFSET 0) AS changed
    WHERE a IS DISTINCT FROM b;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION credence_audit_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (j->>'id')::bigint,
           coalesce(j->>'key', j->>'iso3', j->>'code'), 'delete', j, NULL
    FROM (SELECT to_jsonb(o) AS j FROM old_rows o OFFSET 0) AS changed;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION credence_audit_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    VALUES (nullif(current_setting('credence.actor', true), ''),
            nullif(current_setting('credence.origin', true), ''),
            TG_TABLE_NAME, 0, NULL, 'truncate', NULL, NULL);
    RETURN NULL;
END
$$
""",
)


def _audit_triggers_0004(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER audit_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_insert()",
        f"CREATE TRIGGER audit_update AFTER UPDATE ON {table} "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_update()",
        f"CREATE TRIGGER audit_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_delete()",
        f"CREATE TRIGGER audit_truncate AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_truncate()",
    ]


def _image_fact(image: str) -> tuple[str, str]:
    entity = " ".join(
        f"WHEN {image} ? '{t}_id' AND {image}->'{t}_id' <> 'null' THEN '{t}'" for t in CITED_TABLES
    )
    ids = ", ".join(f"({image}->>'{t}_id')::bigint" for t in CITED_TABLES)
    return f"CASE {entity} END", f"coalesce({ids})"


def upgrade() -> None:
    op.add_column("change_log", sa.Column("fact_entity", sa.String(length=40), nullable=True))
    op.add_column("change_log", sa.Column("fact_id", sa.BigInteger(), nullable=True))
    for table in AUDITED_TABLES:
        for action in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER audit_{action} ON {table}")
    for action in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP FUNCTION credence_audit_{action}()")

    # The rows written so far, in the new format.
    fact, fact_id = _image_fact("coalesce(after, before)")
    op.execute(
        f"UPDATE change_log c SET fact_entity = {fact}, fact_id = {fact_id}, "
        "natural_key = (SELECT s.key FROM source s "
        "WHERE s.id = (coalesce(c.after, c.before)->>'source_id')::int) "
        "WHERE entity = 'citation' AND row_id <> 0"
    )
    op.execute(
        "UPDATE change_log SET fact_entity = 'government', "
        "fact_id = (coalesce(after, before)->>'government_id')::bigint "
        "WHERE entity = 'government_period' AND row_id <> 0"
    )
    op.execute(
        "UPDATE change_log c SET after = (SELECT jsonb_object_agg(e.key, e.value) "
        "FROM jsonb_each(c.after) e WHERE c.before -> e.key IS DISTINCT FROM e.value) "
        "WHERE action = 'update'"
    )
    op.execute("UPDATE change_log SET after = NULL WHERE action = 'insert'")

    op.drop_index("ix_change_log_entity_natural_key", table_name="change_log")
    op.create_index("ix_change_log_entity_row_id", "change_log", ["entity", "row_id", "id"])
    op.create_index(
        "ix_change_log_fact",
        "change_log",
        ["fact_entity", "fact_id", "id"],
        postgresql_where=sa.text("fact_entity IS NOT NULL"),
    )
    # Time-range reads (asRecordedAt): `at` grows with the id, so a BRIN index is tiny and cheap
    # to keep up while serving ranges.
    op.create_index("ix_change_log_at", "change_log", ["at"], postgresql_using="brin")

    for table in AUDITED_TABLES:
        for function in history_functions(table).values():
            op.execute(function)
        for trigger in history_triggers(table):
            op.execute(trigger)


def downgrade() -> None:
    for table in AUDITED_TABLES:
        for action in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER history_{action} ON {table}")
            op.execute(f"DROP FUNCTION credence_history_{action}_{table}()")
    for function in AUDIT_0004:
        op.execute(function)
    for table in AUDITED_TABLES:
        for trigger in _audit_triggers_0004(table):
            op.execute(trigger)

    # Full images again: an update's new image is the old one with the changes laid over it; an
    # insert's is the row's first version (the image before its next change, else the row now).
    op.execute("UPDATE change_log SET after = before || after WHERE action = 'update'")
    for table in AUDITED_TABLES:
        op.execute(
            "UPDATE change_log c SET after = coalesce("
            "(SELECT n.before FROM change_log n WHERE n.entity = c.entity "
            "AND n.row_id = c.row_id AND n.id > c.id AND n.action IN ('update', 'delete') "
            "ORDER BY n.id LIMIT 1), "
            f"(SELECT to_jsonb(t) FROM {table} t WHERE t.id = c.row_id)) "
            f"WHERE c.action = 'insert' AND c.after IS NULL AND c.entity = '{table}'"
        )
    # Citations had no natural key before.
    op.execute("UPDATE change_log SET natural_key = NULL WHERE entity = 'citation'")

    op.drop_index("ix_change_log_at", table_name="change_log", postgresql_using="brin")
    op.drop_index(
        "ix_change_log_fact",
        table_name="change_log",
        postgresql_where=sa.text("fact_entity IS NOT NULL"),
    )
    op.drop_index("ix_change_log_entity_row_id", table_name="change_log")
    op.create_index(
        "ix_change_log_entity_natural_key", "change_log", ["entity", "natural_key"], unique=False
    )
    op.drop_column("change_log", "fact_id")
    op.drop_column("change_log", "fact_entity")
