"""Import fingerprints; TRUNCATE in the change log; each audited image built once.

- `import_fingerprint` lets a re-import of unchanged files stop after hashing them (see
  api.importer.fingerprint). That relies on every change of the audited tables adding a
  change_log row; TRUNCATE did not (it fires no row or statement DELETE trigger), so it now logs
  one row per truncated table, with row_id 0 and no images.
- The audit functions of 0001 read the row id and natural key out of the row's JSON image in a
  subquery the planner flattened, so `to_jsonb(row)` ran once per reference: up to five times a
  row. An `OFFSET 0` keeps the subquery whole; logging 200,000 inserted rows drops from about
  6.4 s to 2.6 s here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in 0001: the tables whose changes are logged.
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

AUDIT_TRUNCATE = """
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
"""

# The bodies of 0001 with the subquery kept whole (OFFSET 0): each image is built once.
AUDIT_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION credence_audit_insert() RETURNS trigger
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
CREATE OR REPLACE FUNCTION credence_audit_update() RETURNS trigger
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
CREATE OR REPLACE FUNCTION credence_audit_delete() RETURNS trigger
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
)


def upgrade() -> None:
    op.create_table(
        "import_fingerprint",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("change_log_id", sa.BigInteger(), nullable=False),
        sa.Column("entities", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_import_fingerprint")),
    )
    for function in AUDIT_FUNCTIONS:
        op.execute(function)
    op.execute(AUDIT_TRUNCATE)
    for table in AUDITED_TABLES:
        op.execute(
            f"CREATE TRIGGER audit_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_truncate()"
        )


def downgrade() -> None:
    for table in AUDITED_TABLES:
        op.execute(f"DROP TRIGGER audit_truncate ON {table}")
    op.execute("DROP FUNCTION credence_audit_truncate")
    for function in AUDIT_FUNCTIONS:
        # Without the fence: the bodies of 0001.
        op.execute(function.replace(" OFFSET 0)", ")"))
    op.drop_table("import_fingerprint")
