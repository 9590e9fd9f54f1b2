"""Filters and orderings of sanctions."""

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.dates import in_force
from schema.filters import (
    DateFilter,
    EnumFilter,
    StringFilter,
    date_conditions,
    enum_conditions,
    government_ids,
    person_ids,
    state_ids,
    string_conditions,
)
from schema.pagination import Ordering
from schema.types.enums import SanctionMeasure, SanctionStatus, TargetKind

_s = tables.sanction.c


@strawberry.enum
class SanctionOrder(Enum):
    KEY_ASC = "key_asc"
    KEY_DESC = "key_desc"
    FROM_ASC = "from_asc"
    FROM_DESC = "from_desc"


_FROM = func.coalesce(_s.from_date, date(1, 1, 1))
SANCTION_ORDERINGS = {
    SanctionOrder.KEY_ASC: Ordering("sanction.key", (_s.key,)),
    SanctionOrder.KEY_DESC: Ordering("sanction.key", (_s.key,), descending=True),
    SanctionOrder.FROM_ASC: Ordering("sanction.from", (_FROM,)),
    SanctionOrder.FROM_DESC: Ordering("sanction.from", (_FROM,), descending=True),
}


@strawberry.input(description="`measures` matches sanctions carrying the measure(s) given.")
class SanctionWhere:
    key: StringFilter | None = None
    authority: StringFilter | None = None
    target: StringFilter | None = strawberry.field(
        default=None,
        description="An ISO3 code (that state or any of its governments), a government key, a "
        "person key or an organization's name.",
    )
    target_kind: EnumFilter[TargetKind] | None = None
    measures: EnumFilter[SanctionMeasure] | None = None
    status: EnumFilter[SanctionStatus] | None = None
    from_: DateFilter | None = None
    to: DateFilter | None = None


def _target_in(values: list[str]) -> ColumnElement[bool]:
    return or_(
        _s.target_state_id.in_(state_ids(values)),
        _s.target_government_id.in_(government_ids(values)),
        _s.target_person_id.in_(person_ids(values)),
        _s.target_organization.in_(values),
    )


def _measure_conditions(given: EnumFilter[Any] | None) -> list[ColumnElement[bool]]:
    if given is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if given.is_null is not None:
        conditions.append((func.cardinality(_s.measures) == 0) == given.is_null)
    if given.eq is not None:
        conditions.append(_s.measures.contains([given.eq.value]))
    if given.in_ is not None:
        conditions.append(_s.measures.overlap([v.value for v in given.in_]))
    return conditions


def sanction_conditions(
    where: SanctionWhere | None, as_of: date | None
) -> list[ColumnElement[bool]]:
    conditions = [in_force(_s.valid, as_of)] if as_of is not None else []
    if where is not None:
        target = where.target
        conditions += [
            *string_conditions(_s.key, where.key),
            *string_conditions(_s.authority, where.authority),
            *([_target_in([target.eq])] if target is not None and target.eq is not None else []),
            *([_target_in(target.in_)] if target is not None and target.in_ is not None else []),
            *enum_conditions(_s.target_kind, where.target_kind),
            *_measure_conditions(where.measures),
            *enum_conditions(_s.status, where.status),
            *date_conditions(_s.from_date, where.from_),
            *date_conditions(_s.to_date, where.to),
        ]
    return conditions
