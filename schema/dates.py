"""Fuzzy dates (a day, month or year) and the "in force on day D" predicates."""

import calendar
from datetime import date
from typing import Any

import strawberry
from sqlalchemy import Date, cast, literal
from sqlalchemy.sql.elements import ColumnElement

from api.models import Precision

strawberry.enum(Precision)


def _latest(day: date, precision: str) -> date:
    if precision == "year":
        return date(day.year, 12, 31)
    if precision == "month":
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def _iso(day: date, precision: str) -> str:
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


@strawberry.type(
    description="A date known to a year, a month or a day: `iso` is its ISO prefix (YYYY, "
    "YYYY-MM or YYYY-MM-DD), `earliest` and `latest` the first and last day it can mean."
)
class FuzzyDate:
    __slots__ = ("earliest", "iso", "latest", "precision")
    iso: str
    precision: Precision
    earliest: date
    latest: date

    @classmethod
    def of(cls, day: date | None, precision: str | None) -> "FuzzyDate | None":
        if day is None or precision is None:
            return None
        return cls(
            iso=_iso(day, precision),
            precision=Precision(precision),
            earliest=day,
            latest=_latest(day, precision),
        )


def day_param(day: date) -> ColumnElement[Any]:
    # An explicit cast: `daterange @> $1` is ambiguous (element or range) to the server.
    return cast(literal(day, Date), Date)


def in_force(valid: ColumnElement[Any], day: date) -> ColumnElement[bool]:
    return valid.op("@>", is_comparison=True)(day_param(day))
