"""Short names for the two unique constraints whose conventional names passed 63 bytes.

PostgreSQL had truncated them with a hash suffix, which error messages then showed and the
importer could not map to a readable rule.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMES = (
    (
        "recognition",
        "uq_recognition_recognizer_id_subject_state_id_subject_g_0a81",
        "uq_recognition_pair_episode",
    ),
    (
        "cooperation",
        "uq_cooperation_party_id_partner_state_id_partner_govern_b8de",
        "uq_cooperation_pair_area_episode",
    ),
)


def upgrade() -> None:
    for table, old, new in RENAMES:
        op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{old}" TO "{new}"')


def downgrade() -> None:
    for table, old, new in RENAMES:
        op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{new}" TO "{old}"')
