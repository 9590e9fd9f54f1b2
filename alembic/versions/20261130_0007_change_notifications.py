"""Change notifications: every statement that writes change_log wakes the listeners.

A statement-level trigger sends `NOTIFY credence_changes` with the newest change id the statement
wrote. PostgreSQL delivers notifications at commit (never for a rolled-back transaction), and the
payload is a number, far under the 8,000-byte limit. The payload is only a wake-up: subscribers
read change_log by their cursor, so a lost notification costs a delay, never a change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "credence_changes"


def upgrade() -> None:
    op.execute(
        f"""
CREATE FUNCTION credence_notify_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', (SELECT max(id) FROM new_rows)::text);
    RETURN NULL;
END
$$
"""
    )
    op.execute(
        "CREATE TRIGGER change_log_notify AFTER INSERT ON change_log "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION credence_notify_changes()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER change_log_notify ON change_log")
    op.execute("DROP FUNCTION credence_notify_changes()")
