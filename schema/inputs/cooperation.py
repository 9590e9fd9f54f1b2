"""Filters and orderings of declared cooperation."""

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
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
from schema.types.enums import CooperationStance

_a = tables.cooperation_area.c
_c = tables.cooperation.c


@strawberry.enum
class CooperationOrder(Enum):
    DATE_ASC = "date_asc"
    DATE_DESC = "date_desc"
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"


_DATE = func.coalesce(_c.stated_date, date(1, 1, 1))
COOPERATION_ORDERINGS = {
    CooperationOrder.DATE_ASC: Ordering("cooperation.date", (_DATE,)),
    CooperationOrder.DATE_DESC: Ordering("cooperation.date", (_DATE,), descending=True),
    CooperationOrder.KEY_ASC: Ordering("cooperation.key", (_c.key,)),
    CooperationOrder.KEY_DESC: Ordering("cooperation.key", (_c.key,), descending=True),
}


@strawberry.input
class CooperationWhere:
    key: StringFilter | None = None
    party: StringFilter | None = strawberry.field(default=None, description="ISO3")
    partner: StringFilter | None = strawberry.field(
        default=None,
        description="An ISO3 code (that state or any of its governments) or a government key.",
    )
    area: StringFilter | None = strawberry.field(default=None, description="An area code.")
    stance: EnumFilter[CooperationStance] | None = None
    date: DateFilter | None = None


def _area_ids(codes: list[str]) -> Any:
    return select(_a.id).where(_a.code.in_(codes))


def cooperation_conditions(
    where: CooperationWhere | None, as_of: date | None
) -> list[ColumnElement[bool]]:
    # Cooperation is a statement made on a date: "as of D" means stated by then.
    conditions = [_c.stated_date <= as_of] if as_of is not None else []
    if where is not None:
        conditions += [
            *string_conditions(_c.key, where.key),
            *key_conditions(_c.party_id, state_ids, where.party),
            *reference_conditions(
                _c.partner_state_id, _c.partner_government_id, where.partner, exact=False
            ),
            *key_conditions(_c.area_id, _area_ids, where.area),
            *enum_conditions(_c.stance, where.stance),
            *date_conditions(_c.stated_date, where.date),
        ]
    return conditions
