"""Leaner indexes for bulk writes.

Citations get one partial unique index per fact column instead of a plain index per column
(which indexed every NULL) plus a seven-column unique constraint; single-column indexes that
duplicate the leading column of a unique constraint go; the change log gets one index on
(entity, natural_key) instead of two.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_change_log_entity"), table_name="change_log")
    op.drop_index(op.f("ix_change_log_natural_key"), table_name="change_log")
    op.create_index(
        "ix_change_log_entity_natural_key", "change_log", ["entity", "natural_key"], unique=False
    )
    op.drop_index(op.f("ix_citation_cooperation_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_envoy_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_government_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_person_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_recognition_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_sanction_id"), table_name="citation")
    op.drop_constraint(
        op.f("uq_citation_source_id_government_id_person_id_recogniti_b3f5"),
        "citation",
        type_="unique",
    )
    op.create_index(
        "uq_citation_cooperation_id_source_id",
        "citation",
        ["cooperation_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("cooperation_id IS NOT NULL"),
    )
    op.create_index(
        "uq_citation_envoy_id_source_id",
        "citation",
        ["envoy_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("envoy_id IS NOT NULL"),
    )
    op.create_index(
        "uq_citation_government_id_source_id",
        "citation",
        ["government_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("government_id IS NOT NULL"),
    )
    op.create_index(
        "uq_citation_person_id_source_id",
        "citation",
        ["person_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.create_index(
        "uq_citation_recognition_id_source_id",
        "citation",
        ["recognition_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("recognition_id IS NOT NULL"),
    )
    op.create_index(
        "uq_citation_sanction_id_source_id",
        "citation",
        ["sanction_id", "source_id"],
        unique=True,
        postgresql_where=sa.text("sanction_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_cooperation_party_id"), table_name="cooperation")
    op.drop_index(op.f("ix_envoy_person_id"), table_name="envoy")
    op.drop_index(op.f("ix_recognition_recognizer_id"), table_name="recognition")


def downgrade() -> None:
    op.create_index(
        op.f("ix_recognition_recognizer_id"), "recognition", ["recognizer_id"], unique=False
    )
    op.create_index(op.f("ix_envoy_person_id"), "envoy", ["person_id"], unique=False)
    op.create_index(op.f("ix_cooperation_party_id"), "cooperation", ["party_id"], unique=False)
    op.drop_index(
        "uq_citation_sanction_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("sanction_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_citation_recognition_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("recognition_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_citation_person_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("person_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_citation_government_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("government_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_citation_envoy_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("envoy_id IS NOT NULL"),
    )
    op.drop_index(
        "uq_citation_cooperation_id_source_id",
        table_name="citation",
        postgresql_where=sa.text("cooperation_id IS NOT NULL"),
    )
    op.create_unique_constraint(
        op.f("uq_citation_source_id_government_id_person_id_recogniti_b3f5"),
        "citation",
        [
            "source_id",
            "government_id",
            "person_id",
            "recognition_id",
            "envoy_id",
            "sanction_id",
            "cooperation_id",
        ],
        postgresql_nulls_not_distinct=True,
    )
    op.create_index(op.f("ix_citation_sanction_id"), "citation", ["sanction_id"], unique=False)
    op.create_index(
        op.f("ix_citation_recognition_id"), "citation", ["recognition_id"], unique=False
    )
    op.create_index(op.f("ix_citation_person_id"), "citation", ["person_id"], unique=False)
    op.create_index(op.f("ix_citation_government_id"), "citation", ["government_id"], unique=False)
    op.create_index(op.f("ix_citation_envoy_id"), "citation", ["envoy_id"], unique=False)
    op.create_index(
        op.f("ix_citation_cooperation_id"), "citation", ["cooperation_id"], unique=False
    )
    op.drop_index("ix_change_log_entity_natural_key", table_name="change_log")
    op.create_index(op.f("ix_change_log_natural_key"), "change_log", ["natural_key"], unique=False)
    op.create_index(op.f("ix_change_log_entity"), "change_log", ["entity"], unique=False)
