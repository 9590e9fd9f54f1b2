"""The tables of Credence, as SQLModel classes.

Every table has a surrogate integer `id` and a natural key (`iso3`, `key` or `code`) that imports
and the API use. Integrity rules live here as database constraints, so that no writer (the API, an
import, a maintainer at a psql prompt) can store a row the rules forbid.

Fuzzy dates are two columns: `<name>_date` holds the earliest day the value can mean
(`1997-05` -> 1997-05-01) and `<name>_precision` says how much of it is known. Facts with a
period also carry a generated `valid` daterange (earliest start to latest end) that the
"in force on day D" queries and the no-overlap exclusion constraints use; the SQL functions it
calls are created by the first migration.

This module imports only sqlmodel, sqlalchemy and the standard library.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Computed,
    DateTime,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, JSONB, ExcludeConstraint
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so that migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- Controlled vocabularies (stored as VARCHAR + CHECK, see enum_check) -------------------------


class Precision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


class StateKind(StrEnum):
    CURRENT = "current"
    HISTORIC = "historic"
    USER_ASSIGNED = "user_assigned"


class RecognitionType(StrEnum):
    DE_JURE = "de_jure"
    DE_FACTO = "de_facto"
    UNSPECIFIED = "unspecified"


class RecognitionMode(StrEnum):
    EXPRESS = "express"
    IMPLIED = "implied"
    UNSPECIFIED = "unspecified"


class RecognitionAct(StrEnum):
    OFFICIAL_STATEMENT = "official_statement"
    NOTE_VERBALE = "note_verbale"
    JOINT_COMMUNIQUE = "joint_communique"
    ACCEPTANCE_OF_CREDENTIALS = "acceptance_of_credentials"
    ACCEPTANCE_OF_CREDENTIALS_COPY = "acceptance_of_credentials_copy"
    ESTABLISHMENT_OF_RELATIONS = "establishment_of_relations"
    TREATY = "treaty"
    OTHER = "other"


class RecognitionEndReason(StrEnum):
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"
    RELATIONS_SEVERED = "relations_severed"
    SUPERSEDED = "superseded"
    RECOGNIZER_CEASED = "recognizer_ceased"
    OTHER = "other"


class EnvoyRank(StrEnum):
    AMBASSADOR = "ambassador"
    ENVOY_MINISTER = "envoy_minister"
    CHARGE_D_AFFAIRES = "charge_d_affaires"
    CHARGE_D_AFFAIRES_AD_INTERIM = "charge_d_affaires_ad_interim"
    SPECIAL_ENVOY = "special_envoy"
    PERMANENT_REPRESENTATIVE = "permanent_representative"
    OTHER = "other"


class EnvoyEndReason(StrEnum):
    RECALLED = "recalled"
    PERSONA_NON_GRATA = "persona_non_grata"
    RELATIONS_SEVERED = "relations_severed"
    MISSION_CLOSED = "mission_closed"
    GOVERNMENT_CHANGE = "government_change"
    DEATH = "death"
    OTHER = "other"


class SanctionStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LIFTED = "lifted"
    EXPIRED = "expired"


class SanctionMeasure(StrEnum):
    ASSET_FREEZE = "asset_freeze"
    TRAVEL_BAN = "travel_ban"
    ARMS_EMBARGO = "arms_embargo"
    FLIGHT_BAN = "flight_ban"
    TRADE_RESTRICTION = "trade_restriction"
    FINANCIAL_PROHIBITION = "financial_prohibition"
    TERRORIST_DESIGNATION = "terrorist_designation"
    ACTIVITY_BAN = "activity_ban"
    OTHER = "other"


class TargetKind(StrEnum):
    STATE = "state"
    GOVERNMENT = "government"
    PERSON = "person"
    ORGANIZATION = "organization"


class CooperationStance(StrEnum):
    PROSPECT_CITED = "prospect_cited"
    AGREEMENT_SIGNED = "agreement_signed"
    PROJECT_ACTIVE = "project_active"
    SUSPENDED = "suspended"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class SourceKind(StrEnum):
    PRIMARY_OFFICIAL = "primary_official"
    NEWS_AGENCY = "news_agency"
    NEWS = "news"
    SCHOLARLY = "scholarly"
    REFERENCE = "reference"
    DATASET = "dataset"
    OTHER = "other"


# --- Constraint helpers --------------------------------------------------------------------------


def _sql_list(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


def enum_check(column: str, values: type[StrEnum], *, name: str | None = None) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({_sql_list(values)})", name=name or column)


def enum_array_check(column: str, values: type[StrEnum]) -> CheckConstraint:
    return CheckConstraint(
        f"{column} <@ ARRAY[{_sql_list(values)}]::varchar[]", name=f"{column}_values"
    )


def fuzzy_date_checks(prefix: str, *, required: bool = False) -> tuple[CheckConstraint, ...]:
    """A fuzzy date's precision is known iff its date is, and the date is the first day of it."""
    d, p = f"{prefix}_date", f"{prefix}_precision"
    checks = [
        enum_check(p, Precision),
        CheckConstraint(f"({d} IS NULL) = ({p} IS NULL)", name=f"{prefix}_precision_given"),
        CheckConstraint(
            f"{p} = 'day' OR ({p} = 'month' AND extract(day FROM {d}) = 1) "
            f"OR ({p} = 'year' AND extract(day FROM {d}) = 1 AND extract(month FROM {d}) = 1)",
            name=f"{prefix}_date_aligned",
        ),
    ]
    if required:
        checks.append(CheckConstraint(f"{d} IS NOT NULL", name=f"{prefix}_required"))
    return tuple(checks)


def period_checks(start: str, end: str) -> tuple[CheckConstraint, ...]:
    """The latest reading of the end may not come before the earliest reading of the start."""
    return (
        CheckConstraint(
            f"{end}_date IS NULL OR {start}_date IS NULL OR "
            f"credence_fuzzy_latest({end}_date, {end}_precision) >= {start}_date",
            name="end_not_before_start",
        ),
    )


def valid_column(start: str, end: str) -> Any:
    """The generated daterange in which a fact is in force (see the module docstring)."""
    return Field(
        default=None,
        sa_column=Column(
            DATERANGE,
            Computed(
                f"credence_period({start}_date, {start}_precision, {end}_date, {end}_precision)",
                persisted=True,
            ),
        ),
    )


def _key_field(max_length: int) -> Any:
    return Field(max_length=max_length, unique=True, nullable=False)


def _precision_field() -> Any:
    return Field(default=None, max_length=5)


# --- Reference entities --------------------------------------------------------------------------


class State(SQLModel, table=True):
    __tablename__ = "state"
    __table_args__ = (
        CheckConstraint("iso3 ~ '^[A-Z]{3}$'", name="iso3_format"),
        CheckConstraint("iso2 ~ '^[A-Z]{2}$'", name="iso2_format"),
        CheckConstraint("numeric ~ '^[0-9]{3}$'", name="numeric_format"),
        enum_check("kind", StateKind),
        Index(
            "ix_state_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    iso3: str = _key_field(3)
    iso2: str | None = Field(default=None, max_length=2)
    numeric: str | None = Field(default=None, max_length=3)
    name: str = Field(max_length=200)
    official_name: str | None = Field(default=None, max_length=300)
    kind: str = Field(
        default=StateKind.CURRENT.value,
        max_length=20,
        sa_column_kwargs={"server_default": "current"},
    )


class Source(SQLModel, table=True):
    __tablename__ = "source"
    __table_args__ = (
        *fuzzy_date_checks("published"),
        enum_check("kind", SourceKind),
        enum_check("reliability", Confidence),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(100)
    title: str = Field(max_length=1000)
    url: str | None = Field(default=None, max_length=2000)
    publisher: str | None = Field(default=None, max_length=300)
    published_date: date | None = None
    published_precision: str | None = _precision_field()
    language: str | None = Field(default=None, max_length=20)
    kind: str | None = Field(default=None, max_length=20)
    reliability: str | None = Field(default=None, max_length=10)


class CooperationArea(SQLModel, table=True):
    __tablename__ = "cooperation_area"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="code_format"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = _key_field(60)
    label: str = Field(max_length=200)
    parent_id: int | None = Field(
        default=None, foreign_key="cooperation_area.id", ondelete="RESTRICT"
    )


class Person(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("key ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="key_format"),
        Index(
            "ix_person_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(120)
    name: str = Field(max_length=300)
    aliases: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(300)), nullable=False, server_default="{}"),
    )
    nationality_id: int | None = Field(default=None, foreign_key="state.id", ondelete="RESTRICT")


class Government(SQLModel, table=True):
    """A government of a state. Its key is `ISO3:slug`; a trigger checks the prefix is its state."""

    __tablename__ = "government"
    __table_args__ = (
        CheckConstraint("key ~ '^[A-Z]{3}:[a-z0-9]+(-[a-z0-9]+)*$'", name="key_format"),
        # Lets facts reference (government, state) pairs, so a fact naming a government cannot
        # name another state alongside it.
        UniqueConstraint("id", "state_id"),
        Index(
            "ix_government_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(120)
    state_id: int = Field(foreign_key="state.id", ondelete="RESTRICT", index=True)
    name: str = Field(max_length=300)
    native_name: str | None = Field(default=None, max_length=300)
    short_name: str | None = Field(default=None, max_length=200)
    form: str | None = Field(default=None, max_length=200)


class GovernmentPeriod(SQLModel, table=True):
    """One period in power. An unknown start is allowed (the period is then open to the past)."""

    __tablename__ = "government_period"
    __table_args__ = (
        *fuzzy_date_checks("from"),
        *fuzzy_date_checks("to"),
        *period_checks("from", "to"),
        ExcludeConstraint(
            (literal_column("government_id"), "="),
            (literal_column("valid"), "&&"),
            using="gist",
            name="ex_government_period_overlap",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    government_id: int = Field(foreign_key="government.id", ondelete="CASCADE", index=True)
    from_date: date | None = None
    from_precision: str | None = _precision_field()
    to_date: date | None = None
    to_precision: str | None = _precision_field()
    valid: Any = valid_column("from", "to")


# --- Facts ---------------------------------------------------------------------------------------


class Recognition(SQLModel, table=True):
    """One episode of a state recognizing a state or one of its governments.

    `subject_state_id` is always set (the state, or the government's state); a composite foreign
    key keeps it consistent with `subject_government_id`.
    """

    __tablename__ = "recognition"
    __table_args__ = (
        CheckConstraint("recognizer_id <> subject_state_id", name="not_self"),
        CheckConstraint("episode >= 1", name="episode_positive"),
        enum_check("type", RecognitionType),
        enum_check("mode", RecognitionMode),
        enum_check("act", RecognitionAct),
        enum_check("end_reason", RecognitionEndReason),
        enum_check("confidence", Confidence),
        CheckConstraint("end_reason IS NULL OR to_date IS NOT NULL", name="end_reason_needs_end"),
        *fuzzy_date_checks("from", required=True),
        *fuzzy_date_checks("to"),
        *period_checks("from", "to"),
        ForeignKeyConstraint(
            ["subject_government_id", "subject_state_id"],
            ["government.id", "government.state_id"],
            name="fk_recognition_subject_government_state",
            ondelete="RESTRICT",
        ),
        UniqueConstraint(
            "recognizer_id",
            "subject_state_id",
            "subject_government_id",
            "episode",
            postgresql_nulls_not_distinct=True,
            # Named by hand: the conventional name would pass 63 bytes and be truncated.
            name="uq_recognition_pair_episode",
        ),
        ExcludeConstraint(
            (literal_column("recognizer_id"), "="),
            (literal_column("subject_state_id"), "="),
            (literal_column("coalesce(subject_government_id, 0)"), "="),
            (literal_column("valid"), "&&"),
            using="gist",
            name="ex_recognition_overlap",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(200)
    # Indexed as the leading column of the (recognizer, subject, episode) unique constraint.
    recognizer_id: int = Field(foreign_key="state.id", ondelete="RESTRICT")
    subject_state_id: int = Field(foreign_key="state.id", ondelete="RESTRICT", index=True)
    subject_government_id: int | None = Field(default=None, index=True)
    episode: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    type: str = Field(
        default=RecognitionType.UNSPECIFIED.value,
        max_length=20,
        sa_column_kwargs={"server_default": "unspecified"},
    )
    mode: str = Field(
        default=RecognitionMode.UNSPECIFIED.value,
        max_length=20,
        sa_column_kwargs={"server_default": "unspecified"},
    )
    act: str | None = Field(default=None, max_length=40)
    from_date: date
    from_precision: str = Field(max_length=5)
    to_date: date | None = None
    to_precision: str | None = _precision_field()
    end_reason: str | None = Field(default=None, max_length=30)
    confidence: str | None = Field(default=None, max_length=10)
    notes: str | None = Field(default=None, sa_type=Text)
    valid: Any = valid_column("from", "to")


class Envoy(SQLModel, table=True):
    """One posting of a person sent by a state (or one of its governments) to another state."""

    __tablename__ = "envoy"
    __table_args__ = (
        CheckConstraint("sender_state_id <> receiver_id", name="not_self"),
        CheckConstraint("episode >= 1", name="episode_positive"),
        enum_check("rank", EnvoyRank),
        enum_check("end_reason", EnvoyEndReason),
        CheckConstraint(
            "end_reason IS NULL OR ended_date IS NOT NULL", name="end_reason_needs_end"
        ),
        *fuzzy_date_checks("appointed"),
        *fuzzy_date_checks("credentials_copy"),
        *fuzzy_date_checks("credentials"),
        *fuzzy_date_checks("ended"),
        CheckConstraint(
            "ended_date IS NULL OR "
            "credence_fuzzy_latest(ended_date, ended_precision) >= "
            "COALESCE(appointed_date, credentials_copy_date, credentials_date, ended_date)",
            name="end_not_before_start",
        ),
        ForeignKeyConstraint(
            ["sender_government_id", "sender_state_id"],
            ["government.id", "government.state_id"],
            name="fk_envoy_sender_government_state",
            ondelete="RESTRICT",
        ),
        UniqueConstraint(
            "person_id",
            "sender_state_id",
            "receiver_id",
            "episode",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(200)
    # Indexed as the leading column of the (person, sender, receiver, episode) unique constraint.
    person_id: int = Field(foreign_key="person.id", ondelete="RESTRICT")
    sender_state_id: int = Field(foreign_key="state.id", ondelete="RESTRICT", index=True)
    sender_government_id: int | None = Field(default=None, index=True)
    receiver_id: int = Field(foreign_key="state.id", ondelete="RESTRICT", index=True)
    episode: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    rank: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=300)
    appointed_date: date | None = None
    appointed_precision: str | None = _precision_field()
    credentials_copy_date: date | None = None
    credentials_copy_precision: str | None = _precision_field()
    credentials_copy_received_by_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="RESTRICT"
    )
    credentials_date: date | None = None
    credentials_precision: str | None = _precision_field()
    credentials_received_by_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="RESTRICT"
    )
    ended_date: date | None = None
    ended_precision: str | None = _precision_field()
    end_reason: str | None = Field(default=None, max_length=30)
    notes: str | None = Field(default=None, sa_type=Text)
    # The posting starts at the first known of: appointment, copy of credentials, credentials.
    valid: Any = Field(
        default=None,
        sa_column=Column(
            DATERANGE,
            Computed(
                "credence_period("
                "COALESCE(appointed_date, credentials_copy_date, credentials_date), "
                "CASE WHEN appointed_date IS NOT NULL THEN appointed_precision "
                "WHEN credentials_copy_date IS NOT NULL THEN credentials_copy_precision "
                "ELSE credentials_precision END, ended_date, ended_precision)",
                persisted=True,
            ),
        ),
    )


class Sanction(SQLModel, table=True):
    """A sanctions regime or listing, targeting exactly one state, government, person or org."""

    __tablename__ = "sanction"
    __table_args__ = (
        enum_check("target_kind", TargetKind),
        enum_check("status", SanctionStatus),
        enum_array_check("measures", SanctionMeasure),
        CheckConstraint(
            "num_nonnulls(target_government_id, target_person_id, target_organization) <= 1 AND "
            "CASE target_kind "
            "WHEN 'state' THEN target_state_id IS NOT NULL AND target_government_id IS NULL "
            "AND target_person_id IS NULL AND target_organization IS NULL "
            "WHEN 'government' THEN target_government_id IS NOT NULL "
            "WHEN 'person' THEN target_person_id IS NOT NULL AND target_state_id IS NULL "
            "WHEN 'organization' THEN target_organization IS NOT NULL AND target_state_id IS NULL "
            "END",
            name="target_matches_kind",
        ),
        *fuzzy_date_checks("from"),
        *fuzzy_date_checks("to"),
        *period_checks("from", "to"),
        ForeignKeyConstraint(
            ["target_government_id", "target_state_id"],
            ["government.id", "government.state_id"],
            name="fk_sanction_target_government_state",
            ondelete="RESTRICT",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(120)
    authority: str = Field(max_length=60)
    program: str | None = Field(default=None, max_length=500)
    instrument: str | None = Field(default=None, max_length=500)
    measures: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(40)), nullable=False, server_default="{}"),
    )
    target_kind: str = Field(max_length=20)
    # For a government target this is the government's state, so state queries find it too.
    target_state_id: int | None = Field(
        default=None, foreign_key="state.id", ondelete="RESTRICT", index=True
    )
    target_government_id: int | None = Field(default=None, index=True)
    target_person_id: int | None = Field(
        default=None, foreign_key="person.id", ondelete="RESTRICT", index=True
    )
    target_organization: str | None = Field(default=None, max_length=300)
    from_date: date | None = None
    from_precision: str | None = _precision_field()
    to_date: date | None = None
    to_precision: str | None = _precision_field()
    status: str | None = Field(default=None, max_length=20)
    notes: str | None = Field(default=None, sa_type=Text)
    valid: Any = valid_column("from", "to")


class Cooperation(SQLModel, table=True):
    """An area of cooperation declared between a state and a state or government, on a date."""

    __tablename__ = "cooperation"
    __table_args__ = (
        CheckConstraint("party_id <> partner_state_id", name="not_self"),
        CheckConstraint("episode >= 1", name="episode_positive"),
        enum_check("stance", CooperationStance),
        *fuzzy_date_checks("stated"),
        ForeignKeyConstraint(
            ["partner_government_id", "partner_state_id"],
            ["government.id", "government.state_id"],
            name="fk_cooperation_partner_government_state",
            ondelete="RESTRICT",
        ),
        UniqueConstraint(
            "party_id",
            "partner_state_id",
            "partner_government_id",
            "area_id",
            "episode",
            postgresql_nulls_not_distinct=True,
            # Named by hand: the conventional name would pass 63 bytes and be truncated.
            name="uq_cooperation_pair_area_episode",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = _key_field(200)
    # Indexed as the leading column of the (party, partner, area, episode) unique constraint.
    party_id: int = Field(foreign_key="state.id", ondelete="RESTRICT")
    partner_state_id: int = Field(foreign_key="state.id", ondelete="RESTRICT", index=True)
    partner_government_id: int | None = Field(default=None, index=True)
    area_id: int = Field(foreign_key="cooperation_area.id", ondelete="RESTRICT", index=True)
    episode: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    stance: str = Field(
        default=CooperationStance.PROSPECT_CITED.value,
        max_length=20,
        sa_column_kwargs={"server_default": "prospect_cited"},
    )
    stated_date: date | None = None
    stated_precision: str | None = _precision_field()
    notes: str | None = Field(default=None, sa_type=Text)


# The fact tables a citation can point at, in the order of its foreign-key columns.
CITED_TABLES = ("government", "person", "recognition", "envoy", "sanction", "cooperation")


class Citation(SQLModel, table=True):
    """One source cited for one fact row, with an optional quote; `position` keeps file order."""

    __tablename__ = "citation"
    __table_args__ = (
        CheckConstraint(
            f"num_nonnulls({', '.join(f'{t}_id' for t in CITED_TABLES)}) = 1",
            name="exactly_one_fact",
        ),
        # One partial unique index per fact column: it both forbids citing a source twice for
        # one fact and serves the lookups by fact, and rows only enter the index of their own
        # fact (a plain index per column would also index every NULL, five times a row).
        *(
            Index(
                f"uq_citation_{t}_id_source_id",
                f"{t}_id",
                "source_id",
                unique=True,
                postgresql_where=text(f"{t}_id IS NOT NULL"),
            )
            for t in CITED_TABLES
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="RESTRICT", index=True)
    government_id: int | None = Field(default=None, foreign_key="government.id", ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    recognition_id: int | None = Field(
        default=None, foreign_key="recognition.id", ondelete="CASCADE"
    )
    envoy_id: int | None = Field(default=None, foreign_key="envoy.id", ondelete="CASCADE")
    sanction_id: int | None = Field(default=None, foreign_key="sanction.id", ondelete="CASCADE")
    cooperation_id: int | None = Field(
        default=None, foreign_key="cooperation.id", ondelete="CASCADE"
    )
    position: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    quote: str | None = Field(default=None, sa_type=Text)


class ChangeLog(SQLModel, table=True):
    """Every insert, update and delete of the tables above, written by statement-level triggers
    (generated per table, see alembic revision 0005). Only past versions are stored; the current
    row is its own latest version:

    - insert: no image (`before` and `after` NULL);
    - update: `before` the full old image, `after` only the changed columns' new values;
    - delete (and every row of a TRUNCATE): `before` the full image.

    Citations and government periods name the fact they belong to in `fact_entity`/`fact_id`; a
    citation's `natural_key` is its source's key. The writer names itself with
    `SET LOCAL credence.actor` and `credence.origin`; the triggers copy those settings.
    """

    __tablename__ = "change_log"
    # History and versions are read per row (entity, row_id) and per fact, newest first by id.
    __table_args__ = (
        Index("ix_change_log_entity_row_id", "entity", "row_id", "id"),
        Index(
            "ix_change_log_fact",
            "fact_entity",
            "fact_id",
            "id",
            postgresql_where=text("fact_entity IS NOT NULL"),
        ),
        # `at` grows with the id: a BRIN index serves time ranges for almost nothing.
        Index("ix_change_log_at", "at", postgresql_using="brin"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True))
    at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    actor: str | None = Field(default=None, max_length=200)
    origin: str | None = Field(default=None, max_length=40)
    entity: str = Field(max_length=40)
    row_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    natural_key: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=10)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    # The fact a citation or government period belongs to (NULL for the facts themselves).
    fact_entity: str | None = Field(default=None, max_length=40)
    fact_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ImportFingerprint(SQLModel, table=True):
    """Batches of files an import wrote in full, with the change_log id current at the end of
    it: the same files at the same id need no comparing again (see api.importer.fingerprint).
    Bookkeeping, not a fact: not audited."""

    __tablename__ = "import_fingerprint"

    fingerprint: str = Field(primary_key=True, max_length=64)
    change_log_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Rows per entity the files hold.
    entities: dict[str, int] = Field(sa_column=Column(JSONB, nullable=False))
    recorded_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


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
