"""Initial schema: reference entities, facts, citations, change log.

Besides the tables this creates the SQL functions behind the generated `valid` ranges, the
government key trigger and the audit triggers that fill `change_log`.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# "In force on day D": from the earliest reading of the start to the latest reading of the end.
FUNCTIONS = """
CREATE FUNCTION credence_fuzzy_latest(d date, p varchar) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p
        WHEN 'year' THEN (d + interval '1 year')::date - 1
        WHEN 'month' THEN (d + interval '1 month')::date - 1
        ELSE d
    END
$$;

CREATE FUNCTION credence_period(fd date, fp varchar, td date, tp varchar) RETURNS daterange
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN td IS NULL THEN daterange(fd, NULL, '[)')
        -- An end before the start is rejected by a CHECK; NULL here keeps the error readable.
        WHEN fd IS NOT NULL AND credence_fuzzy_latest(td, tp) < fd THEN NULL
        ELSE daterange(fd, credence_fuzzy_latest(td, tp) + 1, '[)')
    END
$$;
"""

GOVERNMENT_KEY_TRIGGER = """
CREATE FUNCTION credence_government_key_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF split_part(NEW.key, ':', 1) IS DISTINCT FROM (SELECT iso3 FROM state WHERE id = NEW.state_id)
    THEN
        RAISE EXCEPTION 'government key "%" does not start with the ISO code of its state', NEW.key
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_government_key_prefix_is_state',
                  TABLE = 'government', COLUMN = 'key';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER government_key_prefix_is_state
    BEFORE INSERT OR UPDATE OF key, state_id ON government
    FOR EACH ROW EXECUTE FUNCTION credence_government_key_check();
"""

# Statement-level triggers with transition tables: one INSERT into change_log per statement,
# whatever its row count, so bulk imports stay fast. Updates that change nothing are not logged.
AUDIT_FUNCTIONS = """
CREATE FUNCTION credence_audit_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (j->>'id')::bigint,
           coalesce(j->>'key', j->>'iso3', j->>'code'), 'insert', NULL, j
    FROM (SELECT to_jsonb(n) AS j FROM new_rows n) AS changed;
    RETURN NULL;
END
$$;

CREATE FUNCTION credence_audit_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (a->>'id')::bigint,
           coalesce(a->>'key', a->>'iso3', a->>'code'), 'update', b, a
    FROM (SELECT to_jsonb(o) AS b, to_jsonb(n) AS a
          FROM old_rows o JOIN new_rows n ON n.id = o.id) AS changed
    WHERE a IS DISTINCT FROM b;
    RETURN NULL;
END
$$;

CREATE FUNCTION credence_audit_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO change_log (actor, origin, entity, row_id, natural_key, action, before, after)
    SELECT nullif(current_setting('credence.actor', true), ''),
           nullif(current_setting('credence.origin', true), ''),
           TG_TABLE_NAME, (j->>'id')::bigint,
           coalesce(j->>'key', j->>'iso3', j->>'code'), 'delete', j, NULL
    FROM (SELECT to_jsonb(o) AS j FROM old_rows o) AS changed;
    RETURN NULL;
END
$$;
"""

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


def _execute_script(script: str) -> None:
    # asyncpg prepares each statement, so a script runs one statement at a time.
    for statement in re.split(r"\n(?=CREATE )", script.strip()):
        op.execute(statement)


def _audit_triggers(table: str) -> str:
    return f"""
CREATE TRIGGER audit_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_insert();
CREATE TRIGGER audit_update AFTER UPDATE ON {table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_update();
CREATE TRIGGER audit_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION credence_audit_delete();
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    _execute_script(FUNCTIONS)
    op.create_table(
        "change_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=40), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("natural_key", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    op.create_index(op.f("ix_change_log_entity"), "change_log", ["entity"], unique=False)
    op.create_index(op.f("ix_change_log_natural_key"), "change_log", ["natural_key"], unique=False)
    op.create_table(
        "cooperation_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "code ~ '^[a-z][a-z0-9_]*$'", name=op.f("ck_cooperation_area_code_format")
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_cooperation_area_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["cooperation_area.id"],
            name=op.f("fk_cooperation_area_parent_id_cooperation_area"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation_area")),
        sa.UniqueConstraint("code", name=op.f("uq_cooperation_area_code")),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("published_precision", sa.String(length=5), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("reliability", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "kind IN ('primary_official', 'news_agency', 'news', 'scholarly', 'reference', 'dataset', 'other')",
            name=op.f("ck_source_kind"),
        ),
        sa.CheckConstraint(
            "published_precision = 'day' OR (published_precision = 'month' AND extract(day FROM published_date) = 1) OR (published_precision = 'year' AND extract(day FROM published_date) = 1 AND extract(month FROM published_date) = 1)",
            name=op.f("ck_source_published_date_aligned"),
        ),
        sa.CheckConstraint(
            "published_precision IN ('year', 'month', 'day')",
            name=op.f("ck_source_published_precision"),
        ),
        sa.CheckConstraint(
            "reliability IN ('high', 'medium', 'low')", name=op.f("ck_source_reliability")
        ),
        sa.CheckConstraint(
            "(published_date IS NULL) = (published_precision IS NULL)",
            name=op.f("ck_source_published_precision_given"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source")),
        sa.UniqueConstraint("key", name=op.f("uq_source_key")),
    )
    op.create_table(
        "state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iso3", sa.String(length=3), nullable=False),
        sa.Column("iso2", sa.String(length=2), nullable=True),
        sa.Column("numeric", sa.String(length=3), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("official_name", sa.String(length=300), nullable=True),
        sa.Column("kind", sa.String(length=20), server_default="current", nullable=False),
        sa.CheckConstraint("iso2 ~ '^[A-Z]{2}$'", name=op.f("ck_state_iso2_format")),
        sa.CheckConstraint("iso3 ~ '^[A-Z]{3}$'", name=op.f("ck_state_iso3_format")),
        sa.CheckConstraint(
            "kind IN ('current', 'historic', 'user_assigned')", name=op.f("ck_state_kind")
        ),
        sa.CheckConstraint("numeric ~ '^[0-9]{3}$'", name=op.f("ck_state_numeric_format")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state")),
        sa.UniqueConstraint("iso3", name=op.f("uq_state_iso3")),
    )
    op.create_index(
        "ix_state_name_trgm",
        "state",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "government",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("state_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("native_name", sa.String(length=300), nullable=True),
        sa.Column("short_name", sa.String(length=200), nullable=True),
        sa.Column("form", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "key ~ '^[A-Z]{3}:[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("ck_government_key_format")
        ),
        sa.ForeignKeyConstraint(
            ["state_id"],
            ["state.id"],
            name=op.f("fk_government_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_government")),
        sa.UniqueConstraint("id", "state_id", name=op.f("uq_government_id_state_id")),
        sa.UniqueConstraint("key", name=op.f("uq_government_key")),
    )
    op.create_index(
        "ix_government_name_trgm",
        "government",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index(op.f("ix_government_state_id"), "government", ["state_id"], unique=False)
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "aliases", postgresql.ARRAY(sa.String(length=300)), server_default="{}", nullable=False
        ),
        sa.Column("nationality_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("key ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("ck_person_key_format")),
        sa.ForeignKeyConstraint(
            ["nationality_id"],
            ["state.id"],
            name=op.f("fk_person_nationality_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("key", name=op.f("uq_person_key")),
    )
    op.create_index(
        "ix_person_name_trgm",
        "person",
        ["name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_table(
        "cooperation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("partner_state_id", sa.Integer(), nullable=False),
        sa.Column("partner_government_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), server_default="1", nullable=False),
        sa.Column("stance", sa.String(length=20), server_default="prospect_cited", nullable=False),
        sa.Column("stated_date", sa.Date(), nullable=True),
        sa.Column("stated_precision", sa.String(length=5), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "stance IN ('prospect_cited', 'agreement_signed', 'project_active', 'suspended')",
            name=op.f("ck_cooperation_stance"),
        ),
        sa.CheckConstraint(
            "stated_precision = 'day' OR (stated_precision = 'month' AND extract(day FROM stated_date) = 1) OR (stated_precision = 'year' AND extract(day FROM stated_date) = 1 AND extract(month FROM stated_date) = 1)",
            name=op.f("ck_cooperation_stated_date_aligned"),
        ),
        sa.CheckConstraint(
            "stated_precision IN ('year', 'month', 'day')",
            name=op.f("ck_cooperation_stated_precision"),
        ),
        sa.CheckConstraint(
            "(stated_date IS NULL) = (stated_precision IS NULL)",
            name=op.f("ck_cooperation_stated_precision_given"),
        ),
        sa.CheckConstraint("episode >= 1", name=op.f("ck_cooperation_episode_positive")),
        sa.CheckConstraint("party_id <> partner_state_id", name=op.f("ck_cooperation_not_self")),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["cooperation_area.id"],
            name=op.f("fk_cooperation_area_id_cooperation_area"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["partner_government_id", "partner_state_id"],
            ["government.id", "government.state_id"],
            name="fk_cooperation_partner_government_state",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["partner_state_id"],
            ["state.id"],
            name=op.f("fk_cooperation_partner_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["state.id"],
            name=op.f("fk_cooperation_party_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperation")),
        sa.UniqueConstraint("key", name=op.f("uq_cooperation_key")),
        sa.UniqueConstraint(
            "party_id",
            "partner_state_id",
            "partner_government_id",
            "area_id",
            "episode",
            name=op.f(
                "uq_cooperation_party_id_partner_state_id_partner_government_id_area_id_episode"
            ),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(op.f("ix_cooperation_area_id"), "cooperation", ["area_id"], unique=False)
    op.create_index(
        op.f("ix_cooperation_partner_government_id"),
        "cooperation",
        ["partner_government_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_cooperation_partner_state_id"), "cooperation", ["partner_state_id"], unique=False
    )
    op.create_index(op.f("ix_cooperation_party_id"), "cooperation", ["party_id"], unique=False)
    op.create_table(
        "envoy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sender_state_id", sa.Integer(), nullable=False),
        sa.Column("sender_government_id", sa.Integer(), nullable=True),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), server_default="1", nullable=False),
        sa.Column("rank", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("appointed_date", sa.Date(), nullable=True),
        sa.Column("appointed_precision", sa.String(length=5), nullable=True),
        sa.Column("credentials_copy_date", sa.Date(), nullable=True),
        sa.Column("credentials_copy_precision", sa.String(length=5), nullable=True),
        sa.Column("credentials_copy_received_by_id", sa.Integer(), nullable=True),
        sa.Column("credentials_date", sa.Date(), nullable=True),
        sa.Column("credentials_precision", sa.String(length=5), nullable=True),
        sa.Column("credentials_received_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_date", sa.Date(), nullable=True),
        sa.Column("ended_precision", sa.String(length=5), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "valid",
            postgresql.DATERANGE(),
            sa.Computed(
                "credence_period(COALESCE(appointed_date, credentials_copy_date, credentials_date), CASE WHEN appointed_date IS NOT NULL THEN appointed_precision WHEN credentials_copy_date IS NOT NULL THEN credentials_copy_precision ELSE credentials_precision END, ended_date, ended_precision)",
                persisted=True,
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "appointed_precision = 'day' OR (appointed_precision = 'month' AND extract(day FROM appointed_date) = 1) OR (appointed_precision = 'year' AND extract(day FROM appointed_date) = 1 AND extract(month FROM appointed_date) = 1)",
            name=op.f("ck_envoy_appointed_date_aligned"),
        ),
        sa.CheckConstraint(
            "appointed_precision IN ('year', 'month', 'day')",
            name=op.f("ck_envoy_appointed_precision"),
        ),
        sa.CheckConstraint(
            "credentials_copy_precision = 'day' OR (credentials_copy_precision = 'month' AND extract(day FROM credentials_copy_date) = 1) OR (credentials_copy_precision = 'year' AND extract(day FROM credentials_copy_date) = 1 AND extract(month FROM credentials_copy_date) = 1)",
            name=op.f("ck_envoy_credentials_copy_date_aligned"),
        ),
        sa.CheckConstraint(
            "credentials_copy_precision IN ('year', 'month', 'day')",
            name=op.f("ck_envoy_credentials_copy_precision"),
        ),
        sa.CheckConstraint(
            "credentials_precision = 'day' OR (credentials_precision = 'month' AND extract(day FROM credentials_date) = 1) OR (credentials_precision = 'year' AND extract(day FROM credentials_date) = 1 AND extract(month FROM credentials_date) = 1)",
            name=op.f("ck_envoy_credentials_date_aligned"),
        ),
        sa.CheckConstraint(
            "credentials_precision IN ('year', 'month', 'day')",
            name=op.f("ck_envoy_credentials_precision"),
        ),
        sa.CheckConstraint(
            "end_reason IN ('recalled', 'persona_non_grata', 'relations_severed', 'mission_closed', 'government_change', 'death', 'other')",
            name=op.f("ck_envoy_end_reason"),
        ),
        sa.CheckConstraint(
            "ended_precision = 'day' OR (ended_precision = 'month' AND extract(day FROM ended_date) = 1) OR (ended_precision = 'year' AND extract(day FROM ended_date) = 1 AND extract(month FROM ended_date) = 1)",
            name=op.f("ck_envoy_ended_date_aligned"),
        ),
        sa.CheckConstraint(
            "ended_precision IN ('year', 'month', 'day')", name=op.f("ck_envoy_ended_precision")
        ),
        sa.CheckConstraint(
            "rank IN ('ambassador', 'envoy_minister', 'charge_d_affaires', 'charge_d_affaires_ad_interim', 'special_envoy', 'permanent_representative', 'other')",
            name=op.f("ck_envoy_rank"),
        ),
        sa.CheckConstraint(
            "(appointed_date IS NULL) = (appointed_precision IS NULL)",
            name=op.f("ck_envoy_appointed_precision_given"),
        ),
        sa.CheckConstraint(
            "(credentials_copy_date IS NULL) = (credentials_copy_precision IS NULL)",
            name=op.f("ck_envoy_credentials_copy_precision_given"),
        ),
        sa.CheckConstraint(
            "(credentials_date IS NULL) = (credentials_precision IS NULL)",
            name=op.f("ck_envoy_credentials_precision_given"),
        ),
        sa.CheckConstraint(
            "(ended_date IS NULL) = (ended_precision IS NULL)",
            name=op.f("ck_envoy_ended_precision_given"),
        ),
        sa.CheckConstraint(
            "end_reason IS NULL OR ended_date IS NOT NULL",
            name=op.f("ck_envoy_end_reason_needs_end"),
        ),
        sa.CheckConstraint(
            "ended_date IS NULL OR credence_fuzzy_latest(ended_date, ended_precision) >= COALESCE(appointed_date, credentials_copy_date, credentials_date, ended_date)",
            name=op.f("ck_envoy_end_not_before_start"),
        ),
        sa.CheckConstraint("episode >= 1", name=op.f("ck_envoy_episode_positive")),
        sa.CheckConstraint("sender_state_id <> receiver_id", name=op.f("ck_envoy_not_self")),
        sa.ForeignKeyConstraint(
            ["credentials_copy_received_by_id"],
            ["person.id"],
            name=op.f("fk_envoy_credentials_copy_received_by_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["credentials_received_by_id"],
            ["person.id"],
            name=op.f("fk_envoy_credentials_received_by_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_envoy_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["state.id"],
            name=op.f("fk_envoy_receiver_id_state"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sender_government_id", "sender_state_id"],
            ["government.id", "government.state_id"],
            name="fk_envoy_sender_government_state",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sender_state_id"],
            ["state.id"],
            name=op.f("fk_envoy_sender_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_envoy")),
        sa.UniqueConstraint("key", name=op.f("uq_envoy_key")),
        sa.UniqueConstraint(
            "person_id",
            "sender_state_id",
            "receiver_id",
            "episode",
            name=op.f("uq_envoy_person_id_sender_state_id_receiver_id_episode"),
        ),
    )
    op.create_index(op.f("ix_envoy_person_id"), "envoy", ["person_id"], unique=False)
    op.create_index(op.f("ix_envoy_receiver_id"), "envoy", ["receiver_id"], unique=False)
    op.create_index(
        op.f("ix_envoy_sender_government_id"), "envoy", ["sender_government_id"], unique=False
    )
    op.create_index(op.f("ix_envoy_sender_state_id"), "envoy", ["sender_state_id"], unique=False)
    op.create_table(
        "government_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("government_id", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("from_precision", sa.String(length=5), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("to_precision", sa.String(length=5), nullable=True),
        sa.Column(
            "valid",
            postgresql.DATERANGE(),
            sa.Computed(
                "credence_period(from_date, from_precision, to_date, to_precision)", persisted=True
            ),
            nullable=True,
        ),
        postgresql.ExcludeConstraint(
            (sa.literal_column("government_id"), "="),
            (sa.literal_column("valid"), "&&"),
            using="gist",
            name="ex_government_period_overlap",
        ),
        sa.CheckConstraint(
            "from_precision = 'day' OR (from_precision = 'month' AND extract(day FROM from_date) = 1) OR (from_precision = 'year' AND extract(day FROM from_date) = 1 AND extract(month FROM from_date) = 1)",
            name=op.f("ck_government_period_from_date_aligned"),
        ),
        sa.CheckConstraint(
            "from_precision IN ('year', 'month', 'day')",
            name=op.f("ck_government_period_from_precision"),
        ),
        sa.CheckConstraint(
            "to_precision = 'day' OR (to_precision = 'month' AND extract(day FROM to_date) = 1) OR (to_precision = 'year' AND extract(day FROM to_date) = 1 AND extract(month FROM to_date) = 1)",
            name=op.f("ck_government_period_to_date_aligned"),
        ),
        sa.CheckConstraint(
            "to_precision IN ('year', 'month', 'day')",
            name=op.f("ck_government_period_to_precision"),
        ),
        sa.CheckConstraint(
            "(from_date IS NULL) = (from_precision IS NULL)",
            name=op.f("ck_government_period_from_precision_given"),
        ),
        sa.CheckConstraint(
            "(to_date IS NULL) = (to_precision IS NULL)",
            name=op.f("ck_government_period_to_precision_given"),
        ),
        sa.CheckConstraint(
            "to_date IS NULL OR from_date IS NULL OR credence_fuzzy_latest(to_date, to_precision) >= from_date",
            name=op.f("ck_government_period_end_not_before_start"),
        ),
        sa.ForeignKeyConstraint(
            ["government_id"],
            ["government.id"],
            name=op.f("fk_government_period_government_id_government"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_government_period")),
    )
    op.create_index(
        op.f("ix_government_period_government_id"),
        "government_period",
        ["government_id"],
        unique=False,
    )
    op.create_table(
        "recognition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("recognizer_id", sa.Integer(), nullable=False),
        sa.Column("subject_state_id", sa.Integer(), nullable=False),
        sa.Column("subject_government_id", sa.Integer(), nullable=True),
        sa.Column("episode", sa.Integer(), server_default="1", nullable=False),
        sa.Column("type", sa.String(length=20), server_default="unspecified", nullable=False),
        sa.Column("mode", sa.String(length=20), server_default="unspecified", nullable=False),
        sa.Column("act", sa.String(length=40), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("from_precision", sa.String(length=5), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("to_precision", sa.String(length=5), nullable=True),
        sa.Column("end_reason", sa.String(length=30), nullable=True),
        sa.Column("confidence", sa.String(length=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "valid",
            postgresql.DATERANGE(),
            sa.Computed(
                "credence_period(from_date, from_precision, to_date, to_precision)", persisted=True
            ),
            nullable=True,
        ),
        postgresql.ExcludeConstraint(
            (sa.literal_column("recognizer_id"), "="),
            (sa.literal_column("subject_state_id"), "="),
            (sa.literal_column("coalesce(subject_government_id, 0)"), "="),
            (sa.literal_column("valid"), "&&"),
            using="gist",
            name="ex_recognition_overlap",
        ),
        sa.CheckConstraint(
            "act IN ('official_statement', 'note_verbale', 'joint_communique', 'acceptance_of_credentials', 'acceptance_of_credentials_copy', 'establishment_of_relations', 'treaty', 'other')",
            name=op.f("ck_recognition_act"),
        ),
        sa.CheckConstraint(
            "confidence IN ('high', 'medium', 'low')", name=op.f("ck_recognition_confidence")
        ),
        sa.CheckConstraint(
            "end_reason IN ('withdrawn', 'lapsed', 'relations_severed', 'superseded', 'recognizer_ceased', 'other')",
            name=op.f("ck_recognition_end_reason"),
        ),
        sa.CheckConstraint(
            "from_precision = 'day' OR (from_precision = 'month' AND extract(day FROM from_date) = 1) OR (from_precision = 'year' AND extract(day FROM from_date) = 1 AND extract(month FROM from_date) = 1)",
            name=op.f("ck_recognition_from_date_aligned"),
        ),
        sa.CheckConstraint(
            "from_precision IN ('year', 'month', 'day')", name=op.f("ck_recognition_from_precision")
        ),
        sa.CheckConstraint(
            "mode IN ('express', 'implied', 'unspecified')", name=op.f("ck_recognition_mode")
        ),
        sa.CheckConstraint(
            "to_precision = 'day' OR (to_precision = 'month' AND extract(day FROM to_date) = 1) OR (to_precision = 'year' AND extract(day FROM to_date) = 1 AND extract(month FROM to_date) = 1)",
            name=op.f("ck_recognition_to_date_aligned"),
        ),
        sa.CheckConstraint(
            "to_precision IN ('year', 'month', 'day')", name=op.f("ck_recognition_to_precision")
        ),
        sa.CheckConstraint(
            "type IN ('de_jure', 'de_facto', 'unspecified')", name=op.f("ck_recognition_type")
        ),
        sa.CheckConstraint(
            "(from_date IS NULL) = (from_precision IS NULL)",
            name=op.f("ck_recognition_from_precision_given"),
        ),
        sa.CheckConstraint(
            "(to_date IS NULL) = (to_precision IS NULL)",
            name=op.f("ck_recognition_to_precision_given"),
        ),
        sa.CheckConstraint(
            "end_reason IS NULL OR to_date IS NOT NULL",
            name=op.f("ck_recognition_end_reason_needs_end"),
        ),
        sa.CheckConstraint("episode >= 1", name=op.f("ck_recognition_episode_positive")),
        sa.CheckConstraint("from_date IS NOT NULL", name=op.f("ck_recognition_from_required")),
        sa.CheckConstraint(
            "recognizer_id <> subject_state_id", name=op.f("ck_recognition_not_self")
        ),
        sa.CheckConstraint(
            "to_date IS NULL OR from_date IS NULL OR credence_fuzzy_latest(to_date, to_precision) >= from_date",
            name=op.f("ck_recognition_end_not_before_start"),
        ),
        sa.ForeignKeyConstraint(
            ["recognizer_id"],
            ["state.id"],
            name=op.f("fk_recognition_recognizer_id_state"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_government_id", "subject_state_id"],
            ["government.id", "government.state_id"],
            name="fk_recognition_subject_government_state",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_state_id"],
            ["state.id"],
            name=op.f("fk_recognition_subject_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition")),
        sa.UniqueConstraint("key", name=op.f("uq_recognition_key")),
        sa.UniqueConstraint(
            "recognizer_id",
            "subject_state_id",
            "subject_government_id",
            "episode",
            name=op.f(
                "uq_recognition_recognizer_id_subject_state_id_subject_government_id_episode"
            ),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_recognition_recognizer_id"), "recognition", ["recognizer_id"], unique=False
    )
    op.create_index(
        op.f("ix_recognition_subject_government_id"),
        "recognition",
        ["subject_government_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recognition_subject_state_id"), "recognition", ["subject_state_id"], unique=False
    )
    op.create_table(
        "sanction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("authority", sa.String(length=60), nullable=False),
        sa.Column("program", sa.String(length=500), nullable=True),
        sa.Column("instrument", sa.String(length=500), nullable=True),
        sa.Column(
            "measures", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_state_id", sa.Integer(), nullable=True),
        sa.Column("target_government_id", sa.Integer(), nullable=True),
        sa.Column("target_person_id", sa.Integer(), nullable=True),
        sa.Column("target_organization", sa.String(length=300), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("from_precision", sa.String(length=5), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("to_precision", sa.String(length=5), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "valid",
            postgresql.DATERANGE(),
            sa.Computed(
                "credence_period(from_date, from_precision, to_date, to_precision)", persisted=True
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "from_precision = 'day' OR (from_precision = 'month' AND extract(day FROM from_date) = 1) OR (from_precision = 'year' AND extract(day FROM from_date) = 1 AND extract(month FROM from_date) = 1)",
            name=op.f("ck_sanction_from_date_aligned"),
        ),
        sa.CheckConstraint(
            "from_precision IN ('year', 'month', 'day')", name=op.f("ck_sanction_from_precision")
        ),
        sa.CheckConstraint(
            "measures <@ ARRAY['asset_freeze', 'travel_ban', 'arms_embargo', 'flight_ban', 'trade_restriction', 'financial_prohibition', 'terrorist_designation', 'activity_ban', 'other']::varchar[]",
            name=op.f("ck_sanction_measures_values"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(target_government_id, target_person_id, target_organization) <= 1 AND CASE target_kind WHEN 'state' THEN target_state_id IS NOT NULL AND target_government_id IS NULL AND target_person_id IS NULL AND target_organization IS NULL WHEN 'government' THEN target_government_id IS NOT NULL WHEN 'person' THEN target_person_id IS NOT NULL AND target_state_id IS NULL WHEN 'organization' THEN target_organization IS NOT NULL AND target_state_id IS NULL END",
            name=op.f("ck_sanction_target_matches_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'lifted', 'expired')",
            name=op.f("ck_sanction_status"),
        ),
        sa.CheckConstraint(
            "target_kind IN ('state', 'government', 'person', 'organization')",
            name=op.f("ck_sanction_target_kind"),
        ),
        sa.CheckConstraint(
            "to_precision = 'day' OR (to_precision = 'month' AND extract(day FROM to_date) = 1) OR (to_precision = 'year' AND extract(day FROM to_date) = 1 AND extract(month FROM to_date) = 1)",
            name=op.f("ck_sanction_to_date_aligned"),
        ),
        sa.CheckConstraint(
            "to_precision IN ('year', 'month', 'day')", name=op.f("ck_sanction_to_precision")
        ),
        sa.CheckConstraint(
            "(from_date IS NULL) = (from_precision IS NULL)",
            name=op.f("ck_sanction_from_precision_given"),
        ),
        sa.CheckConstraint(
            "(to_date IS NULL) = (to_precision IS NULL)",
            name=op.f("ck_sanction_to_precision_given"),
        ),
        sa.CheckConstraint(
            "to_date IS NULL OR from_date IS NULL OR credence_fuzzy_latest(to_date, to_precision) >= from_date",
            name=op.f("ck_sanction_end_not_before_start"),
        ),
        sa.ForeignKeyConstraint(
            ["target_government_id", "target_state_id"],
            ["government.id", "government.state_id"],
            name="fk_sanction_target_government_state",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_person_id"],
            ["person.id"],
            name=op.f("fk_sanction_target_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_state_id"],
            ["state.id"],
            name=op.f("fk_sanction_target_state_id_state"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sanction")),
        sa.UniqueConstraint("key", name=op.f("uq_sanction_key")),
    )
    op.create_index(
        op.f("ix_sanction_target_government_id"), "sanction", ["target_government_id"], unique=False
    )
    op.create_index(
        op.f("ix_sanction_target_person_id"), "sanction", ["target_person_id"], unique=False
    )
    op.create_index(
        op.f("ix_sanction_target_state_id"), "sanction", ["target_state_id"], unique=False
    )
    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("government_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("recognition_id", sa.Integer(), nullable=True),
        sa.Column("envoy_id", sa.Integer(), nullable=True),
        sa.Column("sanction_id", sa.Integer(), nullable=True),
        sa.Column("cooperation_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "num_nonnulls(government_id, person_id, recognition_id, envoy_id, sanction_id, cooperation_id) = 1",
            name=op.f("ck_citation_exactly_one_fact"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperation_id"],
            ["cooperation.id"],
            name=op.f("fk_citation_cooperation_id_cooperation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["envoy_id"], ["envoy.id"], name=op.f("fk_citation_envoy_id_envoy"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["government_id"],
            ["government.id"],
            name=op.f("fk_citation_government_id_government"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_citation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recognition_id"],
            ["recognition.id"],
            name=op.f("fk_citation_recognition_id_recognition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sanction_id"],
            ["sanction.id"],
            name=op.f("fk_citation_sanction_id_sanction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
            name=op.f("fk_citation_source_id_source"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation")),
        sa.UniqueConstraint(
            "source_id",
            "government_id",
            "person_id",
            "recognition_id",
            "envoy_id",
            "sanction_id",
            "cooperation_id",
            name=op.f(
                "uq_citation_source_id_government_id_person_id_recognition_id_envoy_id_sanction_id_cooperation_id"
            ),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_citation_cooperation_id"), "citation", ["cooperation_id"], unique=False
    )
    op.create_index(op.f("ix_citation_envoy_id"), "citation", ["envoy_id"], unique=False)
    op.create_index(op.f("ix_citation_government_id"), "citation", ["government_id"], unique=False)
    op.create_index(op.f("ix_citation_person_id"), "citation", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_citation_recognition_id"), "citation", ["recognition_id"], unique=False
    )
    op.create_index(op.f("ix_citation_sanction_id"), "citation", ["sanction_id"], unique=False)
    op.create_index(op.f("ix_citation_source_id"), "citation", ["source_id"], unique=False)
    _execute_script(GOVERNMENT_KEY_TRIGGER)
    _execute_script(AUDIT_FUNCTIONS)
    for table in AUDITED_TABLES:
        _execute_script(_audit_triggers(table))


def downgrade() -> None:
    op.drop_index(op.f("ix_citation_source_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_sanction_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_recognition_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_person_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_government_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_envoy_id"), table_name="citation")
    op.drop_index(op.f("ix_citation_cooperation_id"), table_name="citation")
    op.drop_table("citation")
    op.drop_index(op.f("ix_sanction_target_state_id"), table_name="sanction")
    op.drop_index(op.f("ix_sanction_target_person_id"), table_name="sanction")
    op.drop_index(op.f("ix_sanction_target_government_id"), table_name="sanction")
    op.drop_table("sanction")
    op.drop_index(op.f("ix_recognition_subject_state_id"), table_name="recognition")
    op.drop_index(op.f("ix_recognition_subject_government_id"), table_name="recognition")
    op.drop_index(op.f("ix_recognition_recognizer_id"), table_name="recognition")
    op.drop_table("recognition")
    op.drop_index(op.f("ix_government_period_government_id"), table_name="government_period")
    op.drop_table("government_period")
    op.drop_index(op.f("ix_envoy_sender_state_id"), table_name="envoy")
    op.drop_index(op.f("ix_envoy_sender_government_id"), table_name="envoy")
    op.drop_index(op.f("ix_envoy_receiver_id"), table_name="envoy")
    op.drop_index(op.f("ix_envoy_person_id"), table_name="envoy")
    op.drop_table("envoy")
    op.drop_index(op.f("ix_cooperation_party_id"), table_name="cooperation")
    op.drop_index(op.f("ix_cooperation_partner_state_id"), table_name="cooperation")
    op.drop_index(op.f("ix_cooperation_partner_government_id"), table_name="cooperation")
    op.drop_index(op.f("ix_cooperation_area_id"), table_name="cooperation")
    op.drop_table("cooperation")
    op.drop_index(
        "ix_person_name_trgm",
        table_name="person",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("person")
    op.drop_index(op.f("ix_government_state_id"), table_name="government")
    op.drop_index(
        "ix_government_name_trgm",
        table_name="government",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("government")
    op.drop_index(
        "ix_state_name_trgm",
        table_name="state",
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.drop_table("state")
    op.drop_table("source")
    op.drop_table("cooperation_area")
    op.drop_index(op.f("ix_change_log_natural_key"), table_name="change_log")
    op.drop_index(op.f("ix_change_log_entity"), table_name="change_log")
    op.drop_table("change_log")
    op.execute("DROP FUNCTION credence_audit_insert, credence_audit_update, credence_audit_delete")
    op.execute("DROP FUNCTION credence_government_key_check")
    op.execute("DROP FUNCTION credence_period, credence_fuzzy_latest")
    # The extensions stay: other schemas in the database may use them.
