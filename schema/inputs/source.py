"""Filters and orderings of sources."""

from datetime import date
from enum import Enum

import strawberry
from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.filters import (
    DateFilter,
    EnumFilter,
    StringFilter,
    date_conditions,
    enum_conditions,
    string_conditions,
)
from schema.pagination import Ordering
from schema.types.enums import Confidence, SourceKind

_s = tables.source.c


@strawberry.enum
class SourceOrder(Enum):
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"
    PUBLISHED_ASC = "published_asc"
    PUBLISHED_DESC = "published_desc"


_EARLIEST = date(1, 1, 1)
SOURCE_ORDERINGS = {
    SourceOrder.KEY_ASC: Ordering("source.key", (_s.key,)),
    SourceOrder.KEY_DESC: Ordering("source.key", (_s.key,), descending=True),
    SourceOrder.PUBLISHED_ASC: Ordering(
        "source.published", (func.coalesce(_s.published_date, _EARLIEST),)
    ),
    SourceOrder.PUBLISHED_DESC: Ordering(
        "source.published", (func.coalesce(_s.published_date, _EARLIEST),), descending=True
    ),
}


@strawberry.input
class SourceWhere:
    key: StringFilter | None = None
    publisher: StringFilter | None = None
    language: StringFilter | None = None
    kind: EnumFilter[SourceKind] | None = None
    reliability: EnumFilter[Confidence] | None = None
    published: DateFilter | None = None


def source_conditions(where: SourceWhere | None) -> list[ColumnElement[bool]]:
    if where is None:
        return []
    return [
        *string_conditions(_s.key, where.key),
        *string_conditions(_s.publisher, where.publisher),
        *string_conditions(_s.language, where.language),
        *enum_conditions(_s.kind, where.kind),
        *enum_conditions(_s.reliability, where.reliability),
        *date_conditions(_s.published_date, where.published),
    ]
