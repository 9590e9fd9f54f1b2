"""`recognitionStats`: counts of recognitions grouped by year, recognizer, subject or type."""

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Integer, cast, extract, func, select
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.context import Info, loaders_for
from schema.errors import BadUserInput
from schema.inputs.recognition import RecognitionWhere, recognition_conditions
from schema.types import government as _government
from schema.types import state as _state
from schema.types.enums import RecognitionType
from schema.types.recognition import RecognitionSubject
from schema.types.state import State

_r = tables.recognition.c

# Groups returned at most, in key order: grouped by recognizer and subject, a large dataset has
# hundreds of thousands, and five aliases of that made a 122 MB answer. A century of years by
# type is about 600 groups, so the default covers every grouping by year and type.
MAX_STATS_GROUPS = 1000


@strawberry.enum
class RecognitionGroupBy(Enum):
    YEAR = "year"
    RECOGNIZER = "recognizer"
    SUBJECT = "subject"
    TYPE = "type"


@strawberry.type(
    description="One group of recognitions: the keys asked for in `groupBy` are set, the others "
    "null. `year` is the year the recognition started."
)
class RecognitionGroup:
    __slots__ = (
        "_recognizer_pk",
        "_subject_government_pk",
        "_subject_state_pk",
        "count",
        "type",
        "year",
    )
    _recognizer_pk: strawberry.Private[int | None]
    _subject_state_pk: strawberry.Private[int | None]
    _subject_government_pk: strawberry.Private[int | None]
    count: int
    year: int | None
    type: RecognitionType | None

    @strawberry.field
    async def recognizer(self, info: Info) -> State | None:
        if self._recognizer_pk is None:
            return None
        return await _state.state_by_pk(info, self._recognizer_pk)

    @strawberry.field
    async def subject(self, info: Info) -> RecognitionSubject | None:
        if self._subject_government_pk is not None:
            return await _government.government_by_pk(info, self._subject_government_pk)
        if self._subject_state_pk is not None:
            return await _state.state_by_pk(info, self._subject_state_pk)
        return None


def check_first(first: int) -> None:
    if not 0 <= first <= MAX_STATS_GROUPS:
        raise BadUserInput(
            f"first must be between 0 and {MAX_STATS_GROUPS}", maxGroups=MAX_STATS_GROUPS
        )


def _keys(group_by: list[RecognitionGroupBy]) -> dict[str, ColumnElement[Any]]:
    keys: dict[str, ColumnElement[Any]] = {}
    for g in group_by:
        if g is RecognitionGroupBy.YEAR:
            keys["year"] = cast(extract("year", _r.from_date), Integer)
        elif g is RecognitionGroupBy.RECOGNIZER:
            keys["recognizer_id"] = _r.recognizer_id
        elif g is RecognitionGroupBy.SUBJECT:
            keys["subject_state_id"] = _r.subject_state_id
            keys["subject_government_id"] = _r.subject_government_id
        else:
            keys["type"] = _r.type
    return keys


async def recognition_stats(
    info: Info,
    *,
    where: RecognitionWhere | None,
    as_of: date | None,
    group_by: list[RecognitionGroupBy],
    first: int = MAX_STATS_GROUPS,
) -> list[RecognitionGroup]:
    if len(set(group_by)) != len(group_by):
        raise BadUserInput("groupBy lists a key twice")
    check_first(first)
    keys = _keys(group_by)
    columns = [column.label(name) for name, column in keys.items()]
    statement = (
        select(*columns, func.count().label("count"))
        .select_from(tables.recognition)
        .where(*recognition_conditions(where, as_of))
        .group_by(*keys.values())
        .order_by(*keys.values())
        .limit(first)
    )
    groups = []
    for row in await loaders_for(info).fetch(statement):
        m = row._mapping
        groups.append(
            RecognitionGroup(
                _recognizer_pk=m.get("recognizer_id"),
                _subject_state_pk=m.get("subject_state_id"),
                _subject_government_pk=m.get("subject_government_id"),
                count=m["count"],
                year=m.get("year"),
                type=RecognitionType(m["type"]) if "type" in m else None,
            )
        )
    return groups
