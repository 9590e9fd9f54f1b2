"""Filters and orderings of governments."""

from datetime import date
from enum import Enum

import strawberry
from sqlalchemy import exists
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.dates import in_force
from schema.filters import StringFilter, key_conditions, state_ids, string_conditions
from schema.pagination import Ordering

_g = tables.government.c
_p = tables.government_period.c


def in_power(day: date) -> ColumnElement[bool]:
    """The government (of the enclosing query) has a period in power on `day`."""
    return exists().where(_p.government_id == _g.id, in_force(_p.valid, day))


@strawberry.enum
class GovernmentOrder(Enum):
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"


GOVERNMENT_ORDERINGS = {
    GovernmentOrder.KEY_ASC: Ordering("government.key", (_g.key,)),
    GovernmentOrder.KEY_DESC: Ordering("government.key", (_g.key,), descending=True),
    GovernmentOrder.NAME_ASC: Ordering("government.name", (_g.name,)),
    GovernmentOrder.NAME_DESC: Ordering("government.name", (_g.name,), descending=True),
}


@strawberry.input
class GovernmentWhere:
    key: StringFilter | None = None
    state: StringFilter | None = strawberry.field(default=None, description="ISO3 of the state")
    name: StringFilter | None = None
    form: StringFilter | None = None


def government_conditions(
    where: GovernmentWhere | None, as_of: date | None
) -> list[ColumnElement[bool]]:
    conditions = [in_power(as_of)] if as_of is not None else []
    if where is not None:
        conditions += [
            *string_conditions(_g.key, where.key),
            *key_conditions(_g.state_id, state_ids, where.state),
            *string_conditions(_g.name, where.name),
            *string_conditions(_g.form, where.form),
        ]
    return conditions
