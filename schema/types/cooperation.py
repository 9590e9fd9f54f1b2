"""Cooperation areas and the cooperation states declare with states or governments."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import asc

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.cooperation import (
    COOPERATION_ORDERINGS,
    CooperationOrder,
    CooperationWhere,
    cooperation_conditions,
)
from schema.loaders import AnyRow, Entity
from schema.pagination import Branch, Connection, connection
from schema.types import government as _government
from schema.types import state as _state
from schema.types.enums import CooperationStance
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.government import Government
    from schema.types.state import State

_a = tables.cooperation_area.c
_c = tables.cooperation.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_government = strawberry.lazy("schema.types.government")

CooperationPartner = Annotated[
    Annotated["State", _lazy_state] | Annotated["Government", _lazy_government],
    strawberry.union("CooperationPartner"),
]


@strawberry.type(description="An area of cooperation, from a small controlled vocabulary.")
class CooperationArea(Node, Recorded):
    __slots__ = ("_parent_pk", "_pk", "code", "label")
    _pk: strawberry.Private[int]
    _parent_pk: strawberry.Private[int | None]
    code: str
    label: str

    @classmethod
    def from_row(cls, row: AnyRow, prefix: str = "") -> "CooperationArea":
        """`prefix` reads an area joined into a cooperation's row (`area_code`)."""
        m = row._mapping
        code = m[prefix + "code"]
        return cls(
            id=strawberry.ID(encode_id("CooperationArea", code)),
            _pk=m[prefix + "id"],
            _parent_pk=m[prefix + "parent_id"],
            code=code,
            label=m[prefix + "label"],
        )

    @strawberry.field
    async def parent(self, info: Info) -> "CooperationArea | None":
        if self._parent_pk is None:
            return None
        return await info.context.loaders.by_pk(AREA).load(self._parent_pk)


AREA = Entity(
    name="CooperationArea",
    from_=tables.cooperation_area,
    columns=(_a.id, _a.code, _a.label, _a.parent_id),
    from_row=CooperationArea.from_row,
    key=_a.code,
    pk=_a.id,
)


async def all_areas(info: Info) -> list[CooperationArea]:
    rows = await info.context.loaders.fetch(AREA.select().order_by(asc(_a.code)))
    return [CooperationArea.from_row(row) for row in rows]


@strawberry.type(
    description="An area of cooperation a state declared with a state or a government."
)
class Cooperation(Node, Recorded):
    __slots__ = (
        "_partner_government_pk",
        "_partner_state_pk",
        "_party_pk",
        "_pk",
        "area",
        "date",
        "episode",
        "key",
        "notes",
        "stance",
    )
    _pk: strawberry.Private[int]
    _party_pk: strawberry.Private[int]
    _partner_state_pk: strawberry.Private[int]
    _partner_government_pk: strawberry.Private[int | None]
    key: str
    episode: int
    stance: CooperationStance
    date: FuzzyDate | None
    notes: str | None
    area: CooperationArea

    @classmethod
    def from_row(cls, row: AnyRow) -> "Cooperation":
        return cls(
            id=strawberry.ID(encode_id("Cooperation", row.key)),
            _pk=row.id,
            _party_pk=row.party_id,
            _partner_state_pk=row.partner_state_id,
            _partner_government_pk=row.partner_government_id,
            key=row.key,
            episode=row.episode,
            stance=CooperationStance(row.stance),
            date=FuzzyDate.of(row.stated_date, row.stated_precision),
            notes=row.notes,
            area=CooperationArea.from_row(row, "area_"),
        )

    @described("The state that declared it.")
    async def party(self, info: Info) -> Annotated["State", _lazy_state]:
        return await _state.state_by_pk(info, self._party_pk)

    @strawberry.field
    async def partner(self, info: Info) -> CooperationPartner:
        if self._partner_government_pk is not None:
            return await _government.government_by_pk(info, self._partner_government_pk)
        return await _state.state_by_pk(info, self._partner_state_pk)

    @strawberry.field
    async def citations(self, info: Info) -> list[Citation]:
        return await cited(info, "cooperation", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "cooperation", self._pk)


# The area is joined in: a small vocabulary every cooperation names.
_area = tables.cooperation_area.alias("area")

COOPERATION = Entity(
    name="Cooperation",
    from_=tables.cooperation.join(_area, _c.area_id == _area.c.id),
    columns=(
        _c.id,
        _c.key,
        _c.party_id,
        _c.partner_state_id,
        _c.partner_government_id,
        _c.episode,
        _c.stance,
        _c.stated_date,
        _c.stated_precision,
        _c.notes,
        *(column.label(f"area_{column.key}") for column in _area.c),
    ),
    from_row=Cooperation.from_row,
    key=_c.key,
    pk=_c.id,
)


async def cooperation_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
    as_of: date | None,
    where: CooperationWhere | None,
    order_by: CooperationOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Cooperation]:
    return await connection(
        info,
        entity=COOPERATION,
        ordering=COOPERATION_ORDERINGS[order_by],
        conditions=lambda: cooperation_conditions(where, as_of),
        key=(field, repr(where), as_of),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )
