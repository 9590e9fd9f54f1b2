"""What the compiled mapping assumes about the schema, checked rather than trusted."""

from enum import StrEnum

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType

from api import models
from schema.compiled.mapping import ENTITIES, NESTED, ORDER_KEYS, UNIONS
from schema.root import schema

STORED_ENUMS = [
    value
    for value in vars(models).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
]


@pytest.mark.parametrize("enum", STORED_ENUMS, ids=lambda e: e.__name__)
def test_stored_enums_read_as_their_upper_case_values(enum: type[StrEnum]) -> None:
    # The compiled path writes `upper(column)`: a GraphQL enum name must be its value upper-cased.
    graphql_type = schema._schema.get_type(enum.__name__)
    assert isinstance(graphql_type, GraphQLEnumType)
    assert {name: str(v.value) for name, v in graphql_type.values.items()} == {
        m.value.upper(): m.value for m in enum
    }


def test_every_ordering_has_sort_keys() -> None:
    names = {o.name for e in ENTITIES.values() for o in e.orderings.values()}
    assert names == set(ORDER_KEYS)


def test_the_mapping_names_real_fields() -> None:
    for typename, entity in ENTITIES.items():
        graphql_type = schema._schema.get_type(typename)
        assert isinstance(graphql_type, GraphQLObjectType)
        mapped = {*entity.scalars, *entity.fuzzy, *entity.to_one}
        assert mapped <= set(graphql_type.fields), typename
    for typename, field in [*UNIONS, *NESTED]:
        graphql_type = schema._schema.get_type(typename)
        assert isinstance(graphql_type, GraphQLObjectType)
        assert field in graphql_type.fields
