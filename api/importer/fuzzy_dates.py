"""Fuzzy dates (`1997`, `1997-05`, `1997-05-26`) and government periods, parsed and written.

Pure functions: the validator uses them per row and the exporter writes with them, so a value
read back is always the value written.
"""

import calendar
import functools
import itertools
import re
from dataclasses import dataclass, field
from datetime import date

from api.models import Precision

_FUZZY = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
DATE_HINT = "is not a date (YYYY, YYYY-MM or YYYY-MM-DD)"


class FuzzyDateError(ValueError):
    """The reason a text is not a fuzzy date, worded to follow the quoted value."""


@dataclass(frozen=True, slots=True)
class FuzzyDate:
    earliest: date
    precision: Precision
    # The last day the value may mean. Computed once: parsed dates are cached and compared row
    # after row, and a property would rebuild the date every time.
    latest: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "latest", _last_day(self.earliest, self.precision))

    def __str__(self) -> str:
        return format_fuzzy(self.earliest, self.precision)


def _last_day(earliest: date, precision: Precision) -> date:
    if precision is Precision.YEAR:
        return date(earliest.year, 12, 31)
    if precision is Precision.MONTH:
        # monthrange rather than "the 1st of next month minus a day": that overflows in 9999-12.
        days = calendar.monthrange(earliest.year, earliest.month)[1]
        return date(earliest.year, earliest.month, days)
    return earliest


# Real files repeat the same dates over and over; a bounded cache keeps memory flat.
@functools.lru_cache(maxsize=8192)
def parse_fuzzy(text: str) -> FuzzyDate:
    match = _FUZZY.fullmatch(text)
    if match is None:
        raise FuzzyDateError(DATE_HINT)
    year, month, day = match.groups()
    if int(year) < 1:
        raise FuzzyDateError("is not a date (year 0000 does not exist)")
    if month is not None and not 1 <= int(month) <= 12:
        raise FuzzyDateError(DATE_HINT)
    try:
        if day is not None:
            return FuzzyDate(date(int(year), int(month), int(day)), Precision.DAY)
    except ValueError:
        raise FuzzyDateError("is not a date (no such day in that month)") from None
    if month is not None:
        return FuzzyDate(date(int(year), int(month), 1), Precision.MONTH)
    return FuzzyDate(date(int(year), 1, 1), Precision.YEAR)


def format_fuzzy(earliest: date, precision: str) -> str:
    iso = earliest.isoformat()
    if precision == Precision.YEAR:
        return iso[:4]
    if precision == Precision.MONTH:
        return iso[:7]
    return iso


@dataclass(frozen=True, slots=True)
class Period:
    """A span in power; `start` None means an unknown start, `end` None still in force."""

    start: FuzzyDate | None
    end: FuzzyDate | None

    def __str__(self) -> str:
        return f"{self.start or ''}/{self.end or ''}"


_OPEN = ("", "..")


def parse_periods(text: str) -> tuple[Period, ...]:
    """`FROM/TO;FROM/TO`, sorted by start; raises FuzzyDateError with the reason."""
    periods: list[Period] = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        if item.count("/") != 1:
            raise FuzzyDateError(f"is not a list of periods FROM/TO (in {item!r})")
        start_text, end_text = (part.strip() for part in item.split("/"))
        try:
            start = None if start_text in _OPEN else parse_fuzzy(start_text)
            end = None if end_text in _OPEN else parse_fuzzy(end_text)
        except FuzzyDateError as error:
            raise FuzzyDateError(f"{error} (in period {item!r})") from None
        if start is not None and end is not None and end.latest < start.earliest:
            raise FuzzyDateError(f"ends before it starts (period {item!r})")
        periods.append(Period(start, end))
    periods.sort(key=lambda p: p.start.earliest if p.start else date.min)
    for before, after in itertools.pairwise(periods):
        if before.end is None or (after.start is None or before.end.latest >= after.start.earliest):
            raise FuzzyDateError(f"has overlapping periods ({before} and {after})")
    return tuple(periods)


def format_periods(periods: tuple[Period, ...]) -> str:
    return ";".join(str(p) for p in periods)
