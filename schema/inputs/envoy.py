"""Filters and orderings of envoy postings."""

from datetime import date
from enum import Enum

import strawberry
from sqlalchemy import func
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
    person_ids,
    reference_conditions,
    state_ids,
    string_conditions,
)
from schema.pagination import Ordering
from schema.types.enums import EnvoyEndReason, EnvoyRank

_e = tables.envoy.c


@strawberry.enum
class EnvoyOrder(Enum):
    START_ASC = "start_asc"
    START_DESC = "start_desc"
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"


# A posting starts at its first known date; postings with none sort first.
_START = func.coalesce(
    _e.appointed_date, _e.credentials_copy_date, _e.credentials_date, date(1, 1, 1)
)
ENVOY_ORDERINGS = {
    EnvoyOrder.START_ASC: Ordering("envoy.start", (_START,)),
    EnvoyOrder.START_DESC: Ordering("envoy.start", (_START,), descending=True),
    EnvoyOrder.KEY_ASC: Ordering("envoy.key", (_e.key,)),
    EnvoyOrder.KEY_DESC: Ordering("envoy.key", (_e.key,), descending=True),
}


@strawberry.input
class EnvoyWhere:
    key: StringFilter | None = None
    person: StringFilter | None = strawberry.field(default=None, description="A person key.")
    sender: StringFilter | None = strawberry.field(
        default=None,
        description="An ISO3 code (that state or any of its governments) or a government key.",
    )
    receiver: StringFilter | None = strawberry.field(default=None, description="ISO3")
    rank: EnumFilter[EnvoyRank] | None = None
    appointed: DateFilter | None = None
    credentials_copy: DateFilter | None = None
    credentials: DateFilter | None = None
    ended: DateFilter | None = None
    end_reason: EnumFilter[EnvoyEndReason] | None = None


def envoy_conditions(where: EnvoyWhere | None, as_of: date | None) -> list[ColumnElement[bool]]:
    conditions = [in_force(_e.valid, as_of)] if as_of is not None else []
    if where is not None:
        conditions += [
            *string_conditions(_e.key, where.key),
            *key_conditions(_e.person_id, person_ids, where.person),
            *reference_conditions(
                _e.sender_state_id, _e.sender_government_id, where.sender, exact=False
            ),
            *key_conditions(_e.receiver_id, state_ids, where.receiver),
            *enum_conditions(_e.rank, where.rank),
            *date_conditions(_e.appointed_date, where.appointed),
            *date_conditions(_e.credentials_copy_date, where.credentials_copy),
            *date_conditions(_e.credentials_date, where.credentials),
            *date_conditions(_e.ended_date, where.ended),
            *enum_conditions(_e.end_reason, where.end_reason),
        ]
    return conditions
