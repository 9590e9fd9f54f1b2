"""Filters and orderings of persons."""

from enum import Enum

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.filters import StringFilter, key_conditions, state_ids, string_conditions
from schema.pagination import Ordering

_pe = tables.person.c


@strawberry.enum
class PersonOrder(Enum):
    NAME_ASC = "name_asc"
    NAME_DESC = "name_desc"
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"


PERSON_ORDERINGS = {
    PersonOrder.NAME_ASC: Ordering("person.name", (_pe.name,)),
    PersonOrder.NAME_DESC: Ordering("person.name", (_pe.name,), descending=True),
    PersonOrder.KEY_ASC: Ordering("person.key", (_pe.key,)),
    PersonOrder.KEY_DESC: Ordering("person.key", (_pe.key,), descending=True),
}


@strawberry.input
class PersonWhere:
    key: StringFilter | None = None
    name: StringFilter | None = None
    nationality: StringFilter | None = strawberry.field(default=None, description="ISO3")


def person_conditions(where: PersonWhere | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    return [
        *string_conditions(_pe.key, where.key),
        *string_conditions(_pe.name, where.name),
        *key_conditions(_pe.nationality_id, state_ids, where.nationality),
    ]
