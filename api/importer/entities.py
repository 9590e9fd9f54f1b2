"""The nine entities of the bulk format: their columns, how a record is checked and staged, and
how its natural-key references and table columns are resolved in SQL.

`validate` is pure (no database): it returns the staging tuple `(key, *staged values)` or None
when the record has errors (collected on the `Cells`). The SQL side is declared, not written per
entity: `refs` become LEFT JOINs of the staging table, `assign` the columns of the merge.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.importer.cells import AREA_CODE, GOVERNMENT_KEY, PERSON_KEY, Cells, TextPattern
from api.importer.fuzzy_dates import FuzzyDate, FuzzyDateError, Period, parse_periods
from api.models import (
    Confidence,
    CooperationStance,
    EnvoyEndReason,
    EnvoyRank,
    Precision,
    RecognitionAct,
    RecognitionEndReason,
    RecognitionMode,
    RecognitionType,
    SanctionMeasure,
    SanctionStatus,
    SourceKind,
    StateKind,
    TargetKind,
)


@dataclass(frozen=True, slots=True)
class Ref:
    """A natural-key reference resolved by a join; the id lands in `<staged>_id`."""

    column: str
    staged: str
    table: str
    key: str
    what: str
    # Governments: also fetch their state, which facts store alongside the government.
    with_state: bool = False


@dataclass(frozen=True, slots=True)
class EntitySpec:
    name: str
    table: str
    key_column: str
    columns: tuple[str, ...]
    staging: tuple[tuple[str, str], ...]
    refs: tuple[Ref, ...]
    assign: tuple[tuple[str, str], ...]
    validate: Callable[[Cells], tuple[Any, ...] | None]
    cited: bool = False
    periods: bool = False
    # Cooperation areas name their parent, possibly a row of the same batch.
    self_parent: bool = False
    # Recognitions: episodes of one recognizer/subject pair may not overlap in time.
    exclusive_episodes: bool = False

    @property
    def required(self) -> frozenset[str]:
        return _REQUIRED[self.name]


def _fuzzy_columns(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        pair for n in names for pair in ((f"{n}_date", "date"), (f"{n}_precision", "text"))
    )


def _fuzzy_values(value: FuzzyDate | None) -> tuple[Any, Any]:
    return (None, None) if value is None else (value.earliest, _PRECISION_TEXT[value.precision])


# Plain strings looked up once: reading an enum member's `.value` costs a descriptor call, and
# these run once per row.
_PRECISION_TEXT = {precision: precision.value for precision in Precision}
_STATE_KIND_DEFAULT = StateKind.CURRENT.value
_TYPE_DEFAULT = RecognitionType.UNSPECIFIED.value
_MODE_DEFAULT = RecognitionMode.UNSPECIFIED.value
_STANCE_DEFAULT = CooperationStance.PROSPECT_CITED.value
_ISO2 = TextPattern(r"[A-Z]{2}", "an ISO alpha-2 code (two capital letters)", max_length=2)
_NUMERIC = TextPattern(r"[0-9]{3}", "an ISO numeric code (three digits)", max_length=3)
# Sanctions word the government key differently from the governments file.
_TARGET_GOVERNMENT = TextPattern(
    GOVERNMENT_KEY.regex.pattern, "a government key (ISO3:slug)", max_length=120
)
_CITED = (("sources", "text[]"), ("quotes", "text[]"))


def _copy(*columns: str) -> tuple[tuple[str, str], ...]:
    return tuple((c, f"r.{c}") for c in columns)


def _end_not_before(
    cells: Cells, column: str, end: FuzzyDate | None, start: FuzzyDate | None
) -> None:
    if end is not None and start is not None and end.latest < start.earliest:
        cells.error(column, str(end), f"is before the start ({start})")


def _check_derived_key(cells: Cells, derived: str) -> None:
    if cells.fields.get("key") is None:
        return  # the usual case: no key given (text() would find nothing to check either)
    given = cells.text("key", max_length=200)
    if given is not None and given != derived:
        cells.error("key", given, f"does not match the key derived from the row ({derived})")


# --- states --------------------------------------------------------------------------------------


def _validate_state(c: Cells) -> tuple[Any, ...] | None:
    iso3 = c.state("iso3", required=True)
    iso2 = c.matching("iso2", _ISO2)
    raw_numeric = c.fields.get("numeric")
    if (
        isinstance(raw_numeric, int)
        and not isinstance(raw_numeric, bool)
        and 0 <= raw_numeric < 1000
    ):
        numeric: str | None = f"{raw_numeric:03d}"
    else:
        numeric = c.matching("numeric", _NUMERIC)
    name = c.text("name", required=True, max_length=200)
    official = c.text("official_name", max_length=300)
    kind = c.enum("kind", StateKind, default=_STATE_KIND_DEFAULT)
    if c.errors:
        return None
    return (iso3, iso2, numeric, name, official, kind)


STATES = EntitySpec(
    name="states",
    table="state",
    key_column="iso3",
    columns=("iso3", "iso2", "numeric", "name", "official_name", "kind"),
    staging=(
        ("iso2", "text"),
        ("numeric", "text"),
        ("name", "text"),
        ("official_name", "text"),
        ("kind", "text"),
    ),
    refs=(),
    assign=(("iso3", "r.key"), *_copy("iso2", "numeric", "name", "official_name", "kind")),
    validate=_validate_state,
)


# --- sources -------------------------------------------------------------------------------------


def _validate_source(c: Cells) -> tuple[Any, ...] | None:
    key = c.key("key", max_length=100)
    title = c.text("title", required=True, max_length=1000)
    url = c.text("url", max_length=2000)
    publisher = c.text("publisher", max_length=300)
    published = c.fuzzy("published")
    language = c.text("language", max_length=20)
    kind = c.enum("kind", SourceKind)
    reliability = c.enum("reliability", Confidence)
    if c.errors:
        return None
    return (key, title, url, publisher, *_fuzzy_values(published), language, kind, reliability)


SOURCES = EntitySpec(
    name="sources",
    table="source",
    key_column="key",
    columns=("key", "title", "url", "publisher", "published", "language", "kind", "reliability"),
    staging=(
        ("title", "text"),
        ("url", "text"),
        ("publisher", "text"),
        *_fuzzy_columns("published"),
        ("language", "text"),
        ("kind", "text"),
        ("reliability", "text"),
    ),
    refs=(),
    assign=(
        ("key", "r.key"),
        *_copy(
            "title",
            "url",
            "publisher",
            "published_date",
            "published_precision",
            "language",
            "kind",
            "reliability",
        ),
    ),
    validate=_validate_source,
)


# --- cooperation areas ---------------------------------------------------------------------------


def _validate_area(c: Cells) -> tuple[Any, ...] | None:
    code = c.matching("code", AREA_CODE, required=True)
    label = c.text("label", required=True, max_length=200)
    parent = c.matching("parent", AREA_CODE)
    if parent is not None and parent == code:
        c.error("parent", parent, "is the area itself")
    if c.errors:
        return None
    return (code, label, parent)


COOPERATION_AREAS = EntitySpec(
    name="cooperation_areas",
    table="cooperation_area",
    key_column="code",
    columns=("code", "label", "parent"),
    staging=(("label", "text"), ("parent", "text")),
    refs=(Ref("parent", "parent", "{ids}", "key", "unknown cooperation area"),),
    assign=(
        ("id", "r.new_id"),
        ("code", "r.key"),
        ("label", "r.label"),
        ("parent_id", "r.parent_id"),
    ),
    validate=_validate_area,
    self_parent=True,
)


# --- persons -------------------------------------------------------------------------------------


def _validate_person(c: Cells) -> tuple[Any, ...] | None:
    key = c.matching("key", PERSON_KEY, required=True)
    name = c.text("name", required=True, max_length=300)
    aliases = c.items("aliases", max_length=300)
    nationality = c.state("nationality")
    cited = c.citations()
    if c.errors:
        return None
    return (key, name, aliases, nationality, *(cited or ((), ())))


PERSONS = EntitySpec(
    name="persons",
    table="person",
    key_column="key",
    columns=("key", "name", "aliases", "nationality", "sources"),
    staging=(("name", "text"), ("aliases", "text[]"), ("nationality", "text"), *_CITED),
    refs=(Ref("nationality", "nationality", "state", "iso3", "unknown state"),),
    assign=(
        ("key", "r.key"),
        ("name", "r.name"),
        ("aliases", "r.aliases"),
        ("nationality_id", "r.nationality_id"),
    ),
    validate=_validate_person,
    cited=True,
)


# --- governments ---------------------------------------------------------------------------------


def _validate_government(c: Cells) -> tuple[Any, ...] | None:
    key = c.matching("key", GOVERNMENT_KEY, required=True)
    state = c.state("state", required=True)
    if key is not None and state is not None and key[:3] != state:
        c.error("state", state, f"is not the state the key {key} starts with")
    name = c.text("name", required=True, max_length=300)
    native = c.text("native_name", max_length=300)
    short = c.text("short_name", max_length=200)
    form = c.text("form", max_length=200)
    periods: tuple[Period, ...] = ()
    raw_periods = c.fields.get("periods")
    if isinstance(raw_periods, list) and all(isinstance(p, str) for p in raw_periods):
        # JSON writes the periods as an array of FROM/TO strings.
        periods_text: str | None = ";".join(raw_periods) or None
    else:
        periods_text = c.text("periods", max_length=100_000)
    if periods_text is not None:
        try:
            periods = parse_periods(periods_text)
        except FuzzyDateError as problem:
            c.error("periods", periods_text, str(problem))
    cited = c.citations()
    starts = [_fuzzy_values(p.start) for p in periods]
    ends = [_fuzzy_values(p.end) for p in periods]
    if c.errors:
        return None
    return (
        key,
        state,
        name,
        native,
        short,
        form,
        [s[0] for s in starts],
        [s[1] for s in starts],
        [e[0] for e in ends],
        [e[1] for e in ends],
        *(cited or ((), ())),
    )


GOVERNMENTS = EntitySpec(
    name="governments",
    table="government",
    key_column="key",
    columns=("key", "state", "name", "native_name", "short_name", "form", "periods", "sources"),
    staging=(
        ("state", "text"),
        ("name", "text"),
        ("native_name", "text"),
        ("short_name", "text"),
        ("form", "text"),
        ("period_from_dates", "date[]"),
        ("period_from_precisions", "text[]"),
        ("period_to_dates", "date[]"),
        ("period_to_precisions", "text[]"),
        *_CITED,
    ),
    refs=(Ref("state", "state", "state", "iso3", "unknown state"),),
    assign=(
        ("key", "r.key"),
        ("state_id", "r.state_id"),
        *_copy("name", "native_name", "short_name", "form"),
    ),
    validate=_validate_government,
    cited=True,
    periods=True,
)


# --- recognitions --------------------------------------------------------------------------------


def _validate_recognition(c: Cells) -> tuple[Any, ...] | None:
    recognizer = c.state("recognizer", required=True)
    subject_state, subject_government = c.state_or_government("subject", required=True)
    episode = c.integer("episode", default=1)
    if recognizer is not None and recognizer == subject_state:
        c.error("subject", c.fields.get("subject"), "is the recognizer itself")
    kind = c.enum("type", RecognitionType, default=_TYPE_DEFAULT)
    mode = c.enum("mode", RecognitionMode, default=_MODE_DEFAULT)
    act = c.enum("act", RecognitionAct)
    start = c.fuzzy("from", required=True)
    end = c.fuzzy("to")
    _end_not_before(c, "to", end, start)
    end_reason = c.enum("end_reason", RecognitionEndReason)
    if end_reason is not None and end is None and "to" not in {e.column for e in c.errors}:
        c.error("end_reason", end_reason, "needs an end date (column to)")
    confidence = c.enum("confidence", Confidence)
    notes = c.text("notes", max_length=100_000)
    cited = c.citations()
    key = None
    if recognizer and subject_state and episode:
        key = f"{recognizer}>{subject_government or subject_state}#{episode}"
        _check_derived_key(c, key)
    if c.errors:
        return None
    return (
        key,
        recognizer,
        None if subject_government else subject_state,
        subject_government,
        episode,
        kind,
        mode,
        act,
        *_fuzzy_values(start),
        *_fuzzy_values(end),
        end_reason,
        confidence,
        notes,
        *(cited or ((), ())),
    )


RECOGNITIONS = EntitySpec(
    name="recognitions",
    table="recognition",
    key_column="key",
    columns=(
        "key",
        "recognizer",
        "subject",
        "episode",
        "type",
        "mode",
        "act",
        "from",
        "to",
        "end_reason",
        "confidence",
        "sources",
        "notes",
    ),
    staging=(
        ("recognizer", "text"),
        ("subject_state", "text"),
        ("subject_government", "text"),
        ("episode", "int"),
        ("type", "text"),
        ("mode", "text"),
        ("act", "text"),
        *_fuzzy_columns("from", "to"),
        ("end_reason", "text"),
        ("confidence", "text"),
        ("notes", "text"),
        *_CITED,
    ),
    refs=(
        Ref("recognizer", "recognizer", "state", "iso3", "unknown state"),
        Ref("subject", "subject_state", "state", "iso3", "unknown state"),
        Ref(
            "subject",
            "subject_government",
            "government",
            "key",
            "unknown government",
            with_state=True,
        ),
    ),
    assign=(
        ("key", "r.key"),
        ("recognizer_id", "r.recognizer_id"),
        ("subject_state_id", "COALESCE(r.subject_government_state_id, r.subject_state_id)"),
        ("subject_government_id", "r.subject_government_id"),
        *_copy(
            "episode",
            "type",
            "mode",
            "act",
            "from_date",
            "from_precision",
            "to_date",
            "to_precision",
            "end_reason",
            "confidence",
            "notes",
        ),
    ),
    validate=_validate_recognition,
    cited=True,
    exclusive_episodes=True,
)


# --- envoys --------------------------------------------------------------------------------------


def _validate_envoy(c: Cells) -> tuple[Any, ...] | None:
    person = c.person("person", required=True)
    sender_state, sender_government = c.state_or_government("sender", required=True)
    receiver = c.state("receiver", required=True)
    if receiver is not None and receiver == sender_state:
        c.error("receiver", receiver, "is the sending state itself")
    episode = c.integer("episode", default=1)
    rank = c.enum("rank", EnvoyRank)
    title = c.text("title", max_length=300)
    appointed = c.fuzzy("appointed")
    copy = c.fuzzy("credentials_copy")
    copy_by = c.person("credentials_copy_received_by")
    credentials = c.fuzzy("credentials")
    credentials_by = c.person("credentials_received_by")
    ended = c.fuzzy("ended")
    start = next((d for d in (appointed, copy, credentials) if d is not None), None)
    _end_not_before(c, "ended", ended, start)
    end_reason = c.enum("end_reason", EnvoyEndReason)
    if end_reason is not None and ended is None and "ended" not in {e.column for e in c.errors}:
        c.error("end_reason", end_reason, "needs an end date (column ended)")
    notes = c.text("notes", max_length=100_000)
    cited = c.citations()
    key = None
    if person and sender_state and receiver and episode:
        key = f"{person}@{sender_state}>{receiver}#{episode}"
        _check_derived_key(c, key)
    if c.errors:
        return None
    return (
        key,
        person,
        None if sender_government else sender_state,
        sender_government,
        receiver,
        episode,
        rank,
        title,
        *_fuzzy_values(appointed),
        *_fuzzy_values(copy),
        copy_by,
        *_fuzzy_values(credentials),
        credentials_by,
        *_fuzzy_values(ended),
        end_reason,
        notes,
        *(cited or ((), ())),
    )


ENVOYS = EntitySpec(
    name="envoys",
    table="envoy",
    key_column="key",
    columns=(
        "key",
        "person",
        "sender",
        "receiver",
        "episode",
        "rank",
        "title",
        "appointed",
        "credentials_copy",
        "credentials_copy_received_by",
        "credentials",
        "credentials_received_by",
        "ended",
        "end_reason",
        "sources",
        "notes",
    ),
    staging=(
        ("person", "text"),
        ("sender_state", "text"),
        ("sender_government", "text"),
        ("receiver", "text"),
        ("episode", "int"),
        ("rank", "text"),
        ("title", "text"),
        *_fuzzy_columns("appointed", "credentials_copy"),
        ("credentials_copy_received_by", "text"),
        *_fuzzy_columns("credentials"),
        ("credentials_received_by", "text"),
        *_fuzzy_columns("ended"),
        ("end_reason", "text"),
        ("notes", "text"),
        *_CITED,
    ),
    refs=(
        Ref("person", "person", "person", "key", "unknown person"),
        Ref("sender", "sender_state", "state", "iso3", "unknown state"),
        Ref(
            "sender",
            "sender_government",
            "government",
            "key",
            "unknown government",
            with_state=True,
        ),
        Ref("receiver", "receiver", "state", "iso3", "unknown state"),
        Ref(
            "credentials_copy_received_by",
            "credentials_copy_received_by",
            "person",
            "key",
            "unknown person",
        ),
        Ref(
            "credentials_received_by", "credentials_received_by", "person", "key", "unknown person"
        ),
    ),
    assign=(
        ("key", "r.key"),
        ("person_id", "r.person_id"),
        ("sender_state_id", "COALESCE(r.sender_government_state_id, r.sender_state_id)"),
        ("sender_government_id", "r.sender_government_id"),
        ("receiver_id", "r.receiver_id"),
        *_copy(
            "episode",
            "rank",
            "title",
            "appointed_date",
            "appointed_precision",
            "credentials_copy_date",
            "credentials_copy_precision",
        ),
        ("credentials_copy_received_by_id", "r.credentials_copy_received_by_id"),
        *_copy("credentials_date", "credentials_precision"),
        ("credentials_received_by_id", "r.credentials_received_by_id"),
        *_copy("ended_date", "ended_precision", "end_reason", "notes"),
    ),
    validate=_validate_envoy,
    cited=True,
)


# --- sanctions -----------------------------------------------------------------------------------


def _validate_sanction(c: Cells) -> tuple[Any, ...] | None:
    key = c.key("key", max_length=120)
    authority = c.text("authority", required=True, max_length=60)
    program = c.text("program", max_length=500)
    instrument = c.text("instrument", max_length=500)
    measures = c.enum_items("measures", SanctionMeasure)
    target_kind = c.enum("target_kind", TargetKind, required=True)
    state = government = person = organization = None
    if target_kind == TargetKind.STATE:
        state = c.state("target", required=True)
    elif target_kind == TargetKind.GOVERNMENT:
        government = c.matching("target", _TARGET_GOVERNMENT, required=True)
    elif target_kind == TargetKind.PERSON:
        person = c.person("target", required=True)
    elif target_kind == TargetKind.ORGANIZATION:
        organization = c.text("target", required=True, max_length=300)
    start = c.fuzzy("from")
    end = c.fuzzy("to")
    _end_not_before(c, "to", end, start)
    status = c.enum("status", SanctionStatus)
    notes = c.text("notes", max_length=100_000)
    cited = c.citations()
    if c.errors:
        return None
    return (
        key,
        authority,
        program,
        instrument,
        measures,
        target_kind,
        state,
        government,
        person,
        organization,
        *_fuzzy_values(start),
        *_fuzzy_values(end),
        status,
        notes,
        *(cited or ((), ())),
    )


SANCTIONS = EntitySpec(
    name="sanctions",
    table="sanction",
    key_column="key",
    columns=(
        "key",
        "authority",
        "program",
        "instrument",
        "measures",
        "target_kind",
        "target",
        "from",
        "to",
        "status",
        "sources",
        "notes",
    ),
    staging=(
        ("authority", "text"),
        ("program", "text"),
        ("instrument", "text"),
        ("measures", "text[]"),
        ("target_kind", "text"),
        ("target_state", "text"),
        ("target_government", "text"),
        ("target_person", "text"),
        ("target_organization", "text"),
        *_fuzzy_columns("from", "to"),
        ("status", "text"),
        ("notes", "text"),
        *_CITED,
    ),
    refs=(
        Ref("target", "target_state", "state", "iso3", "unknown state"),
        Ref(
            "target",
            "target_government",
            "government",
            "key",
            "unknown government",
            with_state=True,
        ),
        Ref("target", "target_person", "person", "key", "unknown person"),
    ),
    assign=(
        ("key", "r.key"),
        *_copy("authority", "program", "instrument", "measures", "target_kind"),
        ("target_state_id", "COALESCE(r.target_government_state_id, r.target_state_id)"),
        ("target_government_id", "r.target_government_id"),
        ("target_person_id", "r.target_person_id"),
        *_copy(
            "target_organization",
            "from_date",
            "from_precision",
            "to_date",
            "to_precision",
            "status",
            "notes",
        ),
    ),
    validate=_validate_sanction,
    cited=True,
)


# --- cooperations --------------------------------------------------------------------------------


def _validate_cooperation(c: Cells) -> tuple[Any, ...] | None:
    party = c.state("party", required=True)
    partner_state, partner_government = c.state_or_government("partner", required=True)
    if party is not None and party == partner_state:
        c.error("partner", c.fields.get("partner"), "is the party itself")
    area = c.matching("area", AREA_CODE, required=True)
    episode = c.integer("episode", default=1)
    stance = c.enum("stance", CooperationStance, default=_STANCE_DEFAULT)
    stated = c.fuzzy("date")
    notes = c.text("notes", max_length=100_000)
    cited = c.citations()
    key = None
    if party and partner_state and area and episode:
        key = f"{party}-{partner_state}:{area}#{episode}"
        _check_derived_key(c, key)
    if c.errors:
        return None
    return (
        key,
        party,
        None if partner_government else partner_state,
        partner_government,
        area,
        episode,
        stance,
        *_fuzzy_values(stated),
        notes,
        *(cited or ((), ())),
    )


COOPERATIONS = EntitySpec(
    name="cooperations",
    table="cooperation",
    key_column="key",
    columns=("key", "party", "partner", "area", "episode", "stance", "date", "sources", "notes"),
    staging=(
        ("party", "text"),
        ("partner_state", "text"),
        ("partner_government", "text"),
        ("area", "text"),
        ("episode", "int"),
        ("stance", "text"),
        *_fuzzy_columns("stated"),
        ("notes", "text"),
        *_CITED,
    ),
    refs=(
        Ref("party", "party", "state", "iso3", "unknown state"),
        Ref("partner", "partner_state", "state", "iso3", "unknown state"),
        Ref(
            "partner",
            "partner_government",
            "government",
            "key",
            "unknown government",
            with_state=True,
        ),
        Ref("area", "area", "cooperation_area", "code", "unknown cooperation area"),
    ),
    assign=(
        ("key", "r.key"),
        ("party_id", "r.party_id"),
        ("partner_state_id", "COALESCE(r.partner_government_state_id, r.partner_state_id)"),
        ("partner_government_id", "r.partner_government_id"),
        ("area_id", "r.area_id"),
        *_copy("episode", "stance", "stated_date", "stated_precision", "notes"),
    ),
    validate=_validate_cooperation,
    cited=True,
)


# Dependency order: every entity only references entities before it.
ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        SOURCES,
        STATES,
        COOPERATION_AREAS,
        PERSONS,
        GOVERNMENTS,
        RECOGNITIONS,
        ENVOYS,
        SANCTIONS,
        COOPERATIONS,
    )
}

_REQUIRED: dict[str, frozenset[str]] = {
    "states": frozenset({"iso3", "name"}),
    "sources": frozenset({"key", "title"}),
    "cooperation_areas": frozenset({"code", "label"}),
    "persons": frozenset({"key", "name"}),
    "governments": frozenset({"key", "state", "name"}),
    "recognitions": frozenset({"recognizer", "subject", "from"}),
    "envoys": frozenset({"person", "sender", "receiver"}),
    "sanctions": frozenset({"key", "authority", "target_kind", "target"}),
    "cooperations": frozenset({"party", "partner", "area"}),
}

# The citation column that points at each cited entity's rows.
CITATION_COLUMN = {spec.name: f"{spec.table}_id" for spec in ENTITIES.values() if spec.cited}
