"""GraphQL input types derived from the importer's entity specifications.

Each column of the bulk format is a field of the same name in camelCase (`end_reason` ->
`endReason`); values are written as in the format's JSON (fuzzy dates and enumerations as
text, multi-valued fields as lists, citations as `{source, quote}`). Nothing here checks a
value: the importer does, so a mutation and a file are held to the same rules.
"""

import keyword
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

from api.importer.entities import EntitySpec
from api.importer.fields import FIELDS


@strawberry.input(description="A source cited by a fact, with an optional quote.")
class CitationInput:
    source: str
    quote: str | None = None

    def as_item(self) -> Any:
        return self.source if self.quote is None else {"source": self.source, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the format as a field of an input type."""

    name: str  # the format's column
    attribute: str  # the Python attribute (`from_` for `from`)
    graphql: str  # the GraphQL field name
    kind: type[Any] | Any  # the GraphQL type without nullability


def graphql_name(column: str) -> str:
    return to_camel_case(column)


def _kind(spec: EntitySpec, column: str) -> Any:
    staged = dict(spec.staging)
    if column == "sources":
        return list[CitationInput]
    if column == "periods" or staged.get(column) == "text[]":
        return list[str]
    if staged.get(column) == "int":
        return int
    return str


def columns_of(spec: EntitySpec, names: tuple[str, ...] | None = None) -> list[Column]:
    chosen = names if names is not None else spec.columns
    return [
        Column(
            name,
            f"{name}_" if keyword.iskeyword(name) else name,
            graphql_name(name),
            _kind(spec, name),
        )
        for name in chosen
    ]


def patch_columns(spec: EntitySpec) -> list[Column]:
    """The fields an update may change: every column but the fact's identity."""
    return columns_of(spec, tuple(field.name for field in FIELDS[spec.name]))


def input_type(
    name: str, columns: list[Column], *, required: frozenset[str], description: str
) -> type:
    """A strawberry input class; a field left out of the request is UNSET (not None)."""
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    # Required fields first: a dataclass wants fields without defaults before the others.
    for column in sorted(columns, key=lambda c: c.name not in required):
        if column.name in required:
            annotations[column.attribute] = column.kind
            namespace[column.attribute] = strawberry.field(name=column.graphql)
        else:
            annotations[column.attribute] = column.kind | None
            namespace[column.attribute] = strawberry.field(name=column.graphql, default=UNSET)
    return strawberry.input(type(name, (), namespace), description=description)


def given(value: object, columns: list[Column]) -> dict[str, Any]:
    """The fields of an input object the request gave, as a record of the format."""
    record: dict[str, Any] = {}
    for column in columns:
        item = getattr(value, column.attribute, UNSET)
        if item is UNSET:
            continue
        if column.name == "sources" and item is not None:
            item = [citation.as_item() for citation in item]
        record[column.name] = item
    return record
