"""Sanctions: a regime or listing targeting a state, government, person or organization."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate
from schema.ids import encode_id
from schema.inputs.sanction import (
    SANCTION_ORDERINGS,
    SanctionOrder,
    SanctionWhere,
    sanction_conditions,
)
from schema.loaders import AnyRow, Entity
from schema.pagination import Branch, Connection, connection
from schema.types import government as _government
from schema.types import person as _person
from schema.types import state as _state
from schema.types.enums import SanctionMeasure, SanctionStatus, TargetKind
from schema.types.history import Recorded
from schema.types.node import Node, Organization
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.government import Government
    from schema.types.person import Person
    from schema.types.state import State

_s = tables.sanction.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_government = strawberry.lazy("schema.types.government")
_lazy_person = strawberry.lazy("schema.types.person")

SanctionTarget = Annotated[
    Annotated["State", _lazy_state]
    | Annotated["Government", _lazy_government]
    | Annotated["Person", _lazy_person]
    | Organization,
    strawberry.union("SanctionTarget"),
]


@strawberry.type(description="A sanctions regime or listing in force for a period.")
class Sanction(Node, Recorded):
    __slots__ = (
        "_pk",
        "_target_government_pk",
        "_target_person_pk",
        "_target_state_pk",
        "authority",
        "from_",
        "instrument",
        "key",
        "measures",
        "notes",
        "program",
        "status",
        "target_kind",
        "target_organization",
        "to",
    )
    _pk: strawberry.Private[int]
    _target_state_pk: strawberry.Private[int | None]
    _target_government_pk: strawberry.Private[int | None]
    _target_person_pk: strawberry.Private[int | None]
    target_organization: strawberry.Private[str | None]
    key: str
    authority: str
    program: str | None
    instrument: str | None
    measures: list[SanctionMeasure]
    target_kind: TargetKind
    from_: FuzzyDate | None
    to: FuzzyDate | None
    status: SanctionStatus | None
    notes: str | None

    @classmethod
    def from_row(cls, row: AnyRow) -> "Sanction":
        return cls(
            id=strawberry.ID(encode_id("Sanction", row.key)),
            _pk=row.id,
            _target_state_pk=row.target_state_id,
            _target_government_pk=row.target_government_id,
            _target_person_pk=row.target_person_id,
            target_organization=row.target_organization,
            key=row.key,
            authority=row.authority,
            program=row.program,
            instrument=row.instrument,
            measures=[SanctionMeasure(m) for m in row.measures],
            target_kind=TargetKind(row.target_kind),
            from_=FuzzyDate.of(row.from_date, row.from_precision),
            to=FuzzyDate.of(row.to_date, row.to_precision),
            status=SanctionStatus(row.status) if row.status is not None else None,
            notes=row.notes,
        )

    @strawberry.field
    async def target(self, info: Info) -> SanctionTarget:
        if self._target_government_pk is not None:
            return await _government.government_by_pk(info, self._target_government_pk)
        if self._target_person_pk is not None:
            return await _person.person_by_pk(info, self._target_person_pk)
        if self._target_state_pk is not None:
            return await _state.state_by_pk(info, self._target_state_pk)
        return Organization(name=self.target_organization or "")

    @strawberry.field
    async def citations(self, info: Info) -> list[Citation]:
        return await cited(info, "sanction", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "sanction", self._pk)


SANCTION = Entity(
    name="Sanction",
    from_=tables.sanction,
    columns=(
        _s.id,
        _s.key,
        _s.authority,
        _s.program,
        _s.instrument,
        _s.measures,
        _s.target_kind,
        _s.target_state_id,
        _s.target_government_id,
        _s.target_person_id,
        _s.target_organization,
        _s.from_date,
        _s.from_precision,
        _s.to_date,
        _s.to_precision,
        _s.status,
        _s.notes,
    ),
    from_row=Sanction.from_row,
    key=_s.key,
    pk=_s.id,
)


async def sanction_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
    as_of: date | None,
    where: SanctionWhere | None,
    order_by: SanctionOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Sanction]:
    return await connection(
        info,
        entity=SANCTION,
        ordering=SANCTION_ORDERINGS[order_by],
        conditions=lambda: sanction_conditions(where, as_of),
        key=(field, repr(where), as_of),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )
