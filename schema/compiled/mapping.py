"""How each GraphQL object type reads from its table, for the compiled read path.

This mirrors the resolver path's row converters (`from_row` in `schema/types/*`): the same
columns, enum values upper-cased (`de_jure` -> `DE_JURE`), fuzzy dates as a date and a precision.
Column expressions are templates over a table alias `{t}`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from schema.compiled import filters
from schema.compiled.sql import Params
from schema.inputs.cooperation import COOPERATION_ORDERINGS
from schema.inputs.envoy import ENVOY_ORDERINGS
from schema.inputs.government import GOVERNMENT_ORDERINGS
from schema.inputs.person import PERSON_ORDERINGS
from schema.inputs.recognition import RECOGNITION_ORDERINGS
from schema.inputs.sanction import SANCTION_ORDERINGS
from schema.inputs.source import SOURCE_ORDERINGS
from schema.inputs.state import STATE_ORDERINGS
from schema.pagination import Ordering

ConditionsOf = Callable[[str, dict[str, Any] | None, date | None, Params], list[str]]


@dataclass(frozen=True, slots=True)
class ToOne:
    target: str
    fk: str
    nullable: bool = False


@dataclass(frozen=True, slots=True)
class Entity:
    typename: str
    table: str
    key: str  # the natural key: global ids and by-key lookups
    scalars: dict[str, str]
    fuzzy: dict[str, tuple[str, str]] = field(default_factory=dict)
    to_one: dict[str, ToOne] = field(default_factory=dict)
    fact: str | None = None  # the citation column naming this table, when facts are cited
    conditions: ConditionsOf | None = None
    orderings: dict[Any, Ordering] = field(default_factory=dict)


# The resolver path binds `date(1, 1, 1)` for a missing date, and asyncpg sends `date.min` as
# `-infinity` (and reads it back as `date.min`): the same value here, so keys compare alike.
_EARLIEST = "'-infinity'::date"

# Ordering name -> (sort key over `{t}`, its type). The same keys as `schema/inputs/*`.
ORDER_KEYS: dict[str, tuple[str, str]] = {
    "state.name": ("{t}.name", "text"),
    "state.iso3": ("{t}.iso3", "text"),
    "government.key": ("{t}.key", "text"),
    "government.name": ("{t}.name", "text"),
    "person.name": ("{t}.name", "text"),
    "person.key": ("{t}.key", "text"),
    "recognition.from": ("{t}.from_date", "date"),
    "recognition.key": ("{t}.key", "text"),
    "envoy.start": (
        "coalesce({t}.appointed_date, {t}.credentials_copy_date, {t}.credentials_date, "
        + _EARLIEST
        + ")",
        "date",
    ),
    "envoy.key": ("{t}.key", "text"),
    "sanction.key": ("{t}.key", "text"),
    "sanction.from": ("coalesce({t}.from_date, " + _EARLIEST + ")", "date"),
    "cooperation.date": ("coalesce({t}.stated_date, " + _EARLIEST + ")", "date"),
    "cooperation.key": ("{t}.key", "text"),
    "source.key": ("{t}.key", "text"),
    "source.published": ("coalesce({t}.published_date, " + _EARLIEST + ")", "date"),
}


def _enum(column: str) -> str:
    return f"upper({{t}}.{column})"


ENTITIES: dict[str, Entity] = {
    e.typename: e
    for e in (
        Entity(
            "State",
            "state",
            "iso3",
            scalars={
                "iso3": "{t}.iso3",
                "iso2": "{t}.iso2",
                "numeric": "{t}.numeric",
                "name": "{t}.name",
                "officialName": "{t}.official_name",
                "kind": _enum("kind"),
            },
            conditions=filters.state,
            orderings=STATE_ORDERINGS,
        ),
        Entity(
            "Government",
            "government",
            "key",
            scalars={
                "key": "{t}.key",
                "name": "{t}.name",
                "nativeName": "{t}.native_name",
                "shortName": "{t}.short_name",
                "form": "{t}.form",
            },
            to_one={"state": ToOne("State", "state_id")},
            fact="government",
            conditions=filters.government,
            orderings=GOVERNMENT_ORDERINGS,
        ),
        Entity(
            "GovernmentPeriod",
            "government_period",
            "id",
            scalars={},
            fuzzy={"from": ("from_date", "from_precision"), "to": ("to_date", "to_precision")},
        ),
        Entity(
            "Person",
            "person",
            "key",
            scalars={"key": "{t}.key", "name": "{t}.name", "aliases": "to_json({t}.aliases)"},
            to_one={"nationality": ToOne("State", "nationality_id", nullable=True)},
            fact="person",
            conditions=filters.person,
            orderings=PERSON_ORDERINGS,
        ),
        Entity(
            "Source",
            "source",
            "key",
            scalars={
                "key": "{t}.key",
                "title": "{t}.title",
                "url": "{t}.url",
                "publisher": "{t}.publisher",
                "language": "{t}.language",
                "kind": _enum("kind"),
                "reliability": _enum("reliability"),
            },
            fuzzy={"published": ("published_date", "published_precision")},
            conditions=filters.source,
            orderings=SOURCE_ORDERINGS,
        ),
        Entity(
            "Citation",
            "citation",
            "id",
            scalars={"quote": "{t}.quote", "position": "{t}.position"},
            to_one={"source": ToOne("Source", "source_id")},
        ),
        Entity(
            "Recognition",
            "recognition",
            "key",
            scalars={
                "key": "{t}.key",
                "episode": "{t}.episode",
                "type": _enum("type"),
                "mode": _enum("mode"),
                "act": _enum("act"),
                "endReason": _enum("end_reason"),
                "confidence": _enum("confidence"),
                "notes": "{t}.notes",
            },
            fuzzy={"from": ("from_date", "from_precision"), "to": ("to_date", "to_precision")},
            to_one={
                "recognizer": ToOne("State", "recognizer_id"),
                "subjectState": ToOne("State", "subject_state_id"),
            },
            fact="recognition",
            conditions=filters.recognition,
            orderings=RECOGNITION_ORDERINGS,
        ),
        Entity(
            "Envoy",
            "envoy",
            "key",
            scalars={
                "key": "{t}.key",
                "episode": "{t}.episode",
                "rank": _enum("rank"),
                "title": "{t}.title",
                "endReason": _enum("end_reason"),
                "notes": "{t}.notes",
            },
            fuzzy={
                "appointed": ("appointed_date", "appointed_precision"),
                "credentialsCopy": ("credentials_copy_date", "credentials_copy_precision"),
                "credentials": ("credentials_date", "credentials_precision"),
                "ended": ("ended_date", "ended_precision"),
            },
            to_one={
                "person": ToOne("Person", "person_id"),
                "senderState": ToOne("State", "sender_state_id"),
                "receiver": ToOne("State", "receiver_id"),
                "credentialsCopyReceivedBy": ToOne(
                    "Person", "credentials_copy_received_by_id", nullable=True
                ),
                "credentialsReceivedBy": ToOne(
                    "Person", "credentials_received_by_id", nullable=True
                ),
            },
            fact="envoy",
            conditions=filters.envoy,
            orderings=ENVOY_ORDERINGS,
        ),
        Entity(
            "Sanction",
            "sanction",
            "key",
            scalars={
                "key": "{t}.key",
                "authority": "{t}.authority",
                "program": "{t}.program",
                "instrument": "{t}.instrument",
                # The values are CHECKed identifiers, so the array's text form needs no quoting.
                "measures": "to_json(upper({t}.measures::text)::text[])",
                "targetKind": _enum("target_kind"),
                "status": _enum("status"),
                "notes": "{t}.notes",
            },
            fuzzy={"from": ("from_date", "from_precision"), "to": ("to_date", "to_precision")},
            fact="sanction",
            conditions=filters.sanction,
            orderings=SANCTION_ORDERINGS,
        ),
        Entity(
            "CooperationArea",
            "cooperation_area",
            "code",
            scalars={"code": "{t}.code", "label": "{t}.label"},
            to_one={"parent": ToOne("CooperationArea", "parent_id", nullable=True)},
        ),
        Entity(
            "Cooperation",
            "cooperation",
            "key",
            scalars={
                "key": "{t}.key",
                "episode": "{t}.episode",
                "stance": _enum("stance"),
                "notes": "{t}.notes",
            },
            fuzzy={"date": ("stated_date", "stated_precision")},
            to_one={
                "area": ToOne("CooperationArea", "area_id"),
                "party": ToOne("State", "party_id"),
            },
            fact="cooperation",
            conditions=filters.cooperation,
            orderings=COOPERATION_ORDERINGS,
        ),
    )
}

# Union-typed fields: (type, field) -> the members in the order the resolver tries them, each
# with the column that holds its id. The first member whose column is set is the value.
UNIONS: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("Recognition", "subject"): (
        ("Government", "subject_government_id"),
        ("State", "subject_state_id"),
    ),
    ("Envoy", "sender"): (("Government", "sender_government_id"), ("State", "sender_state_id")),
    ("Cooperation", "partner"): (
        ("Government", "partner_government_id"),
        ("State", "partner_state_id"),
    ),
    ("Sanction", "target"): (
        ("Government", "target_government_id"),
        ("Person", "target_person_id"),
        ("State", "target_state_id"),
    ),
    # A search hit's row: the planner sets the column of the hit's kind (`schema/search.py`).
    ("SearchHit", "node"): (
        ("State", "state_id"),
        ("Government", "government_id"),
        ("Person", "person_id"),
    ),
}


@dataclass(frozen=True, slots=True)
class Nested:
    """A connection under a parent row: the child column that holds the parent's id."""

    entity: str
    parent_column: str


NESTED: dict[tuple[str, str], Nested] = {
    ("State", "governments"): Nested("Government", "state_id"),
    ("State", "recognitionsGiven"): Nested("Recognition", "recognizer_id"),
    ("State", "recognitionsReceived"): Nested("Recognition", "subject_state_id"),
    ("State", "envoysSent"): Nested("Envoy", "sender_state_id"),
    ("State", "envoysReceived"): Nested("Envoy", "receiver_id"),
    ("State", "sanctions"): Nested("Sanction", "target_state_id"),
    ("Government", "recognizedBy"): Nested("Recognition", "subject_government_id"),
    ("Government", "envoysSent"): Nested("Envoy", "sender_government_id"),
    ("Government", "sanctions"): Nested("Sanction", "target_government_id"),
    ("Government", "cooperations"): Nested("Cooperation", "partner_government_id"),
    ("Person", "postings"): Nested("Envoy", "person_id"),
    ("Person", "sanctions"): Nested("Sanction", "target_person_id"),
}

# Root connections and by-key lookups: Query field -> entity.
ROOT_CONNECTIONS = {
    "states": "State",
    "governments": "Government",
    "recognitions": "Recognition",
    "envoys": "Envoy",
    "sanctions": "Sanction",
    "cooperations": "Cooperation",
    "persons": "Person",
    "sources": "Source",
}
ROOT_BY_KEY = {
    "state": ("State", "iso3"),
    "government": ("Government", "key"),
    "recognition": ("Recognition", "key"),
    "envoy": ("Envoy", "key"),
    "sanction": ("Sanction", "key"),
    "cooperation": ("Cooperation", "key"),
    "person": ("Person", "key"),
    "source": ("Source", "key"),
}
# `node(id:)` type names found by natural key (as `schema.root._BY_KEY`).
NODE_BY_KEY = (
    "State",
    "Government",
    "Person",
    "Recognition",
    "Envoy",
    "Sanction",
    "CooperationArea",
    "Cooperation",
    "Source",
)
