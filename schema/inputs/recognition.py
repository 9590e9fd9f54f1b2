"""Filters and orderings of recognitions."""

from datetime import date
from enum import Enum

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.dates import in_force
from schema.filters import (
    DateFilter,
    EnumFilter,
    StringFilter,
    date_conditions,
    enum_conditions,
    key_conditions,
    reference_conditions,
    state_ids,
    string_conditions,
)
from schema.pagination import Ordering
from schema.types.enums import (
    Confidence,
    RecognitionAct,
    RecognitionEndReason,
    RecognitionMode,
    RecognitionType,
)

_r = tables.recognition.c


@strawberry.enum
class RecognitionOrder(Enum):
    FROM_ASC = "from_asc"
    FROM_DESC = "from_desc"
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"


RECOGNITION_ORDERINGS = {
    RecognitionOrder.FROM_ASC: Ordering("recognition.from", (_r.from_date,)),
    RecognitionOrder.FROM_DESC: Ordering("recognition.from", (_r.from_date,), descending=True),
    RecognitionOrder.KEY_ASC: Ordering("recognition.key", (_r.key,)),
    RecognitionOrder.KEY_DESC: Ordering("recognition.key", (_r.key,), descending=True),
}


@strawberry.input
class RecognitionWhere:
    key: StringFilter | None = None
    subject: StringFilter | None = strawberry.field(
        default=None,
        description="The subject exactly: an ISO3 code (the state itself) or a government key.",
    )
    subject_state: StringFilter | None = strawberry.field(
        default=None, description="ISO3 of a state: recognitions of it or of its governments."
    )
    recognizer: StringFilter | None = strawberry.field(
        default=None, description="ISO3 of the recognizing state."
    )
    type: EnumFilter[RecognitionType] | None = None
    mode: EnumFilter[RecognitionMode] | None = None
    act: EnumFilter[RecognitionAct] | None = None
    end_reason: EnumFilter[RecognitionEndReason] | None = None
    confidence: EnumFilter[Confidence] | None = None
    from_: DateFilter | None = None
    to: DateFilter | None = strawberry.field(
        default=None, description="`isNull: true` finds recognitions still in force."
    )


def recognition_conditions(
    where: RecognitionWhere | None, as_of: date | None
) -> list[ColumnElement[bool]]:
    conditions = [in_force(_r.valid, as_of)] if as_of is not None else []
    if where is not None:
        conditions += [
            *string_conditions(_r.key, where.key),
            *reference_conditions(
                _r.subject_state_id, _r.subject_government_id, where.subject, exact=True
            ),
            *key_conditions(_r.subject_state_id, state_ids, where.subject_state),
            *key_conditions(_r.recognizer_id, state_ids, where.recognizer),
            *enum_conditions(_r.type, where.type),
            *enum_conditions(_r.mode, where.mode),
            *enum_conditions(_r.act, where.act),
            *enum_conditions(_r.end_reason, where.end_reason),
            *enum_conditions(_r.confidence, where.confidence),
            *date_conditions(_r.from_date, where.from_),
            *date_conditions(_r.to_date, where.to),
        ]
    return conditions
