"""Filters and orderings of states."""

from enum import Enum

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.filters import EnumFilter, StringFilter, enum_conditions, string_conditions
from schema.pagination import Ordering
from schema.types.enums import StateKind

_st = tables.state.c


@strawberry.enum
class StateOrder(Enum):
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    ISO3_ASC = "iso3_asc"
    ISO3_DESC = "iso3_desc"


STATE_ORDERINGS = {
    StateOrder.NAME_ASC: Ordering("state.name", (_st.name,)),
    StateOrder.NAME_DESC: Ordering("state.name", (_st.name,), descending=True),
    StateOrder.ISO3_ASC: Ordering("state.iso3", (_st.iso3,)),
    StateOrder.ISO3_DESC: Ordering("state.iso3", (_st.iso3,), descending=True),
}


@strawberry.input
class StateWhere:
    iso3: StringFilter | None = None
    name: StringFilter | None = None
    kind: EnumFilter[StateKind] | None = None


def state_conditions(where: StateWhere | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    return [
        *string_conditions(_st.iso3, where.iso3),
        *string_conditions(_st.name, where.name),
        *enum_conditions(_st.kind, where.kind),
    ]
