"""Recognitions: one state recognizing a state or one of its governments, for a period."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.recognition import (
    RECOGNITION_ORDERINGS,
    RecognitionOrder,
    RecognitionWhere,
    recognition_conditions,
)
from schema.loaders import AnyRow, Entity
from schema.pagination import Branch, Connection, connection
from schema.types import government as _government
from schema.types import state as _state
from schema.types.enums import (
    Confidence,
    RecognitionAct,
    RecognitionEndReason,
    RecognitionMode,
    RecognitionType,
)
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.government import Government
    from schema.types.state import State

_r = tables.recognition.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_government = strawberry.lazy("schema.types.government")

RecognitionSubject = Annotated[
    Annotated["State", _lazy_state] | Annotated["Government", _lazy_government],
    strawberry.union("RecognitionSubject", description="A state, or one of its governments."),
]


def _optional(enum: type[Any], value: str | None) -> Any:
    return enum(value) if value is not None else None


@strawberry.type(description="One episode of a state recognizing a state or a government.")
class Recognition(Node, Recorded):
    __slots__ = (
        "_pk",
        "_subject_government_pk",
        "_subject_state_pk",
        "act",
        "confidence",
        "end_reason",
        "episode",
        "from_",
        "key",
        "mode",
        "notes",
        "recognizer",
        "to",
        "type",
    )
    _pk: strawberry.Private[int]
    _subject_state_pk: strawberry.Private[int]
    _subject_government_pk: strawberry.Private[int | None]
    key: str
    episode: int
    type: RecognitionType
    mode: RecognitionMode
    act: RecognitionAct | None
    from_: FuzzyDate
    to: FuzzyDate | None
    end_reason: RecognitionEndReason | None
    confidence: Confidence | None
    notes: str | None
    recognizer: Annotated["State", _lazy_state]

    @classmethod
    def from_row(cls, row: AnyRow) -> "Recognition":
        start = FuzzyDate.of(row.from_date, row.from_precision)
        assert start is not None, "a recognition always has a start"
        return cls(
            id=strawberry.ID(encode_id("Recognition", row.key)),
            _pk=row.id,
            _subject_state_pk=row.subject_state_id,
            _subject_government_pk=row.subject_government_id,
            key=row.key,
            episode=row.episode,
            type=RecognitionType(row.type),
            mode=RecognitionMode(row.mode),
            act=_optional(RecognitionAct, row.act),
            from_=start,
            to=FuzzyDate.of(row.to_date, row.to_precision),
            end_reason=_optional(RecognitionEndReason, row.end_reason),
            confidence=_optional(Confidence, row.confidence),
            notes=row.notes,
            recognizer=_state.State.from_row(row, "recognizer_"),
        )

    @described("The state or government recognized.")
    async def subject(self, info: Info) -> RecognitionSubject:
        if self._subject_government_pk is not None:
            return await _government.government_by_pk(info, self._subject_government_pk)
        return await _state.state_by_pk(info, self._subject_state_pk)

    @described("The state recognized, or the state of the government.")
    async def subject_state(self, info: Info) -> Annotated["State", _lazy_state]:
        return await _state.state_by_pk(info, self._subject_state_pk)

    @strawberry.field
    async def citations(self, info: Info) -> list[Citation]:
        return await cited(info, "recognition", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "recognition", self._pk)


# The recognizer is joined in: every recognition has one, and lists of recognitions show it.
_recognizer = tables.state.alias("recognizer")

RECOGNITION = Entity(
    name="Recognition",
    from_=tables.recognition.join(_recognizer, _r.recognizer_id == _recognizer.c.id),
    columns=(
        _r.id,
        _r.key,
        _r.subject_state_id,
        _r.subject_government_id,
        _r.episode,
        _r.type,
        _r.mode,
        _r.act,
        _r.from_date,
        _r.from_precision,
        _r.to_date,
        _r.to_precision,
        _r.end_reason,
        _r.confidence,
        _r.notes,
        *(column.label(f"recognizer_{column.key}") for column in _recognizer.c),
    ),
    from_row=Recognition.from_row,
    key=_r.key,
    pk=_r.id,
)


async def recognition_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
    as_of: date | None,
    where: RecognitionWhere | None,
    order_by: RecognitionOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Recognition]:
    return await connection(
        info,
        entity=RECOGNITION,
        ordering=RECOGNITION_ORDERINGS[order_by],
        conditions=lambda: recognition_conditions(where, as_of),
        key=(field, repr(where), as_of),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )
