"""Import fingerprints, and TRUNCATE in the change log.

`import_fingerprint` lets a re-import of unchanged files stop after hashing them (see
api.importer.fingerprint). That relies on every change of the audited tables adding a
change_log row; TRUNCATE did not (it fires no row or statement DELETE trigger), so it now logs
one row per truncated table, with row_id 0 and no images.

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
    op.drop_table("import_fingerprint")
