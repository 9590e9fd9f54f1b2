"""Typed `where` inputs and their translation into SQLAlchemy Core conditions.

Every value reaches SQL as a bound parameter; nothing is formatted into SQL text.
"""

from datetime import date
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.loaders import Statement

E = TypeVar("E", bound=Enum)


@strawberry.input(description="Matches a text value; all given operators must hold.")
class StringFilter:
    eq: str | None = None
    in_: list[str] | None = None
    is_null: bool | None = None


@strawberry.input(description="Matches a fuzzy date by its earliest day.")
class DateFilter:
    eq: date | None = None
    gte: date | None = None
    lte: date | None = None
    is_null: bool | None = None


@strawberry.input(description="Matches an enumerated value.")
class EnumFilter(Generic[E]):
    eq: E | None = None
    in_: list[E] | None = None
    is_null: bool | None = None


def _null(column: ColumnElement[Any], is_null: bool | None) -> list[ColumnElement[bool]]:
    if is_null is None:
        return []
    return [column.is_(None) if is_null else column.is_not(None)]


def string_conditions(
    column: ColumnElement[Any], given: StringFilter | None
) -> list[ColumnElement[bool]]:
    if given is None:
        return []
    conditions = _null(column, given.is_null)
    if given.eq is not None:
        conditions.append(column == given.eq)
    if given.in_ is not None:
        conditions.append(column.in_(given.in_))
    return conditions


def date_conditions(
    column: ColumnElement[Any], given: DateFilter | None
) -> list[ColumnElement[bool]]:
    if given is None:
        return []
    conditions = _null(column, given.is_null)
    if given.eq is not None:
        conditions.append(column == given.eq)
    if given.gte is not None:
        conditions.append(column >= given.gte)
    if given.lte is not None:
        conditions.append(column <= given.lte)
    return conditions


def enum_conditions(
    column: ColumnElement[Any], given: EnumFilter[Any] | None
) -> list[ColumnElement[bool]]:
    if given is None:
        return []
    conditions = _null(column, given.is_null)
    if given.eq is not None:
        conditions.append(column == given.eq.value)
    if given.in_ is not None:
        conditions.append(column.in_([v.value for v in given.in_]))
    return conditions


# --- References by natural key -------------------------------------------------------------------


def state_ids(iso3s: list[str]) -> Statement:
    return select(tables.state.c.id).where(tables.state.c.iso3.in_(iso3s))


def government_ids(keys: list[str]) -> Statement:
    return select(tables.government.c.id).where(tables.government.c.key.in_(keys))


def person_ids(keys: list[str]) -> Statement:
    return select(tables.person.c.id).where(tables.person.c.key.in_(keys))


def is_government_key(value: str) -> bool:
    return ":" in value


def reference_in(
    state_column: ColumnElement[Any],
    government_column: ColumnElement[Any],
    references: list[str],
    *,
    exact: bool,
) -> ColumnElement[bool]:
    """A "state or government" reference: `AFG` or `AFG:islamic-emirate`.

    A government key matches that government. A state code matches the state itself when `exact`
    (a recognition of the state, not of one of its governments), else the state or any of its
    governments.
    """
    isos = [r for r in references if not is_government_key(r)]
    keys = [r for r in references if is_government_key(r)]
    alternatives: list[ColumnElement[bool]] = []
    if isos:
        by_state = state_column.in_(state_ids(isos))
        alternatives.append(and_(by_state, government_column.is_(None)) if exact else by_state)
    if keys:
        alternatives.append(government_column.in_(government_ids(keys)))
    return or_(*alternatives) if alternatives else false()


def reference_conditions(
    state_column: ColumnElement[Any],
    government_column: ColumnElement[Any],
    given: StringFilter | None,
    *,
    exact: bool,
) -> list[ColumnElement[bool]]:
    if given is None:
        return []
    conditions = _null(state_column, given.is_null)
    if given.eq is not None:
        conditions.append(reference_in(state_column, government_column, [given.eq], exact=exact))
    if given.in_ is not None:
        conditions.append(reference_in(state_column, government_column, given.in_, exact=exact))
    return conditions


def key_conditions(
    column: ColumnElement[Any], ids: Any, given: StringFilter | None
) -> list[ColumnElement[bool]]:
    """A foreign key filtered by the natural key of the row it points at (`ids` maps keys)."""
    if given is None:
        return []
    conditions = _null(column, given.is_null)
    if given.eq is not None:
        conditions.append(column.in_(ids([given.eq])))
    if given.in_ is not None:
        conditions.append(column.in_(ids(given.in_)))
    return conditions
