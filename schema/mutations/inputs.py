"""GraphQL input types derived from the importer's entity specifications.

Each column of the bulk format is a field of the same name in camelCase (`end_reason` ->
`endReason`); values are written as in the format's JSON (fuzzy dates and enumerations as
text, multi-valued fields as lists, citations as `{source, quote}`). Nothing here checks a
value: the importer does, so a mutation and a file are held to the same rules.
"""

import keyword
from collections.abc import Callable, Mapping
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


def citation_item(value: Mapping[str, Any]) -> Any:
    """A `CitationInput` value as the format writes a citation: the key, or key and quote."""
    quote = value.get("quote")
    return value["source"] if quote is None else {"source": value["source"], "quote": quote}


def record_builder(columns: list[Column]) -> Callable[[type, Mapping[str, Any], Any], Any]:
    """Build a record of the format straight from the coerced GraphQL value.

    graphql-core has already checked every value against the input type; Strawberry's own
    conversion (an object per item, a call per field) would cost more than the import of the
    row itself. A field the request leaves out stays out of the record; a null is None.
    """
    columns_by_name = {column.graphql: column.name for column in columns}

    def build(cls: type, value: Mapping[str, Any], context: Any) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name, item in value.items():
            column = columns_by_name[name]
            if column == "sources" and item is not None:
                item = [citation_item(citation) for citation in item]
            record[column] = item
        return record

    return build


def input_type(
    name: str, columns: list[Column], *, required: frozenset[str], description: str
) -> type:
    """A strawberry input class whose values arrive as records of the format (dicts keyed by
    the format's columns, see `record_builder`)."""
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
    built = strawberry.input(type(name, (), namespace), description=description)
    built.__strawberry_definition__.from_input = record_builder(columns)  # type: ignore[attr-defined]
    return built
