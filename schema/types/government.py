"""Governments, their periods in power, and their relations."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import asc, desc, nulls_last, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.connection_fields import COOPERATIONS, ENVOYS, RECOGNITIONS, SANCTIONS, nested_list
from schema.context import Info, loaders_for
from schema.dates import FuzzyDate, in_force
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.government import (
    GOVERNMENT_ORDERINGS,
    GovernmentOrder,
    GovernmentWhere,
    government_conditions,
    in_power,
)
from schema.loaders import AnyRow, Entity, Statement, among
from schema.pagination import Branch, Connection, connection
from schema.types import state as _state
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.state import State

_g = tables.government.c
_p = tables.government_period.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_recognition = strawberry.lazy("schema.types.recognition")
_lazy_envoy = strawberry.lazy("schema.types.envoy")
_lazy_sanction = strawberry.lazy("schema.types.sanction")
_lazy_cooperation = strawberry.lazy("schema.types.cooperation")


@strawberry.type(description="One period in power; an open end means still in power.")
class GovernmentPeriod(Node):
    __slots__ = ("from_", "to")
    from_: FuzzyDate | None
    to: FuzzyDate | None

    @classmethod
    def from_row(cls, row: AnyRow) -> "GovernmentPeriod":
        return cls(
            id=strawberry.ID(encode_id("GovernmentPeriod", row.id)),
            from_=FuzzyDate.of(row.from_date, row.from_precision),
            to=FuzzyDate.of(row.to_date, row.to_precision),
        )

    def contains(self, day: date) -> bool:
        return (self.from_ is None or self.from_.earliest <= day) and (
            self.to is None or day <= self.to.latest
        )


PERIOD = Entity(
    name="GovernmentPeriod",
    from_=tables.government_period,
    columns=(_p.id, _p.from_date, _p.from_precision, _p.to_date, _p.to_precision),
    from_row=GovernmentPeriod.from_row,
    key=_p.id,
    pk=_p.id,
)


@strawberry.type(description="A government of a state, keyed `ISO3:slug`.")
class Government(Node, Recorded):
    __slots__ = ("_pk", "_state_pk", "form", "key", "name", "native_name", "short_name")
    _pk: strawberry.Private[int]
    _state_pk: strawberry.Private[int]
    key: str
    name: str
    native_name: str | None
    short_name: str | None
    form: str | None

    @classmethod
    def from_row(cls, row: AnyRow) -> "Government":
        return cls(
            id=strawberry.ID(encode_id("Government", row.key)),
            _pk=row.id,
            _state_pk=row.state_id,
            key=row.key,
            name=row.name,
            native_name=row.native_name,
            short_name=row.short_name,
            form=row.form,
        )

    @strawberry.field
    async def state(self, info: Info) -> Annotated["State", _lazy_state]:
        return await _state.state_by_pk(info, self._state_pk)

    @described("Periods in power, oldest first.")
    async def periods(self, info: Info) -> list[GovernmentPeriod]:
        return await periods_of(info, self._pk)

    @described("Whether it was in power on `asOf` (default today).")
    async def in_power(self, info: Info, as_of: date | None = None) -> bool:
        day = as_of or date.today()
        return any(p.contains(day) for p in await periods_of(info, self._pk))

    recognized_by = nested_list(
        RECOGNITIONS,
        field="Government.recognizedBy",
        parent=tables.recognition.c.subject_government_id,
        description="Recognitions of this government.",
    )

    envoys_sent = nested_list(
        ENVOYS,
        field="Government.envoysSent",
        parent=tables.envoy.c.sender_government_id,
        description="Envoys sent in this government's name.",
    )

    sanctions = nested_list(
        SANCTIONS,
        field="Government.sanctions",
        parent=tables.sanction.c.target_government_id,
        description="Sanctions targeting this government.",
    )

    cooperations = nested_list(
        COOPERATIONS,
        field="Government.cooperations",
        parent=tables.cooperation.c.partner_government_id,
        description="Cooperation states declared with this government.",
    )

    @strawberry.field
    async def citations(self, info: Info) -> list[Citation]:
        return await cited(info, "government", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "government", self._pk)


GOVERNMENT = Entity(
    name="Government",
    from_=tables.government,
    columns=(_g.id, _g.key, _g.state_id, _g.name, _g.native_name, _g.short_name, _g.form),
    from_row=Government.from_row,
    key=_g.key,
    pk=_g.id,
)


async def periods_of(info: Info, government_pk: int) -> list[GovernmentPeriod]:
    loader = loaders_for(info).children(
        "Government.periods",
        PERIOD,
        _p.government_id,
        # An unknown start sorts first: it is open to the past.
        order_by=(nulls_first_asc(_p.from_date), asc(_p.id)),
    )
    return await loader.load(government_pk)


def nulls_first_asc(column: ColumnElement[Any]) -> ColumnElement[Any]:
    ordered: ColumnElement[Any] = asc(column).nulls_first()
    return ordered


async def current_government(info: Info, state_pk: int, day: date) -> Government | None:
    async def batch(states: list[int]) -> list[Government | None]:
        latest_start = (
            select(_p.from_date)
            .where(_p.government_id == _g.id, in_force(_p.valid, day))
            .order_by(nulls_last(desc(_p.from_date)))
            .limit(1)
            .scalar_subquery()
        )
        statement: Statement = (
            GOVERNMENT.select()
            .where(among(_g.state_id, states), in_power(day))
            .order_by(_g.state_id, nulls_last(desc(latest_start)), _g.id)
            .ext(distinct_on(_g.state_id))
        )
        found = {
            row.state_id: Government.from_row(row)
            for row in await loaders_for(info).fetch(statement)
        }
        return [found.get(s) for s in states]

    loader = loaders_for(info).loader(("State.currentGovernment", day), batch)
    return await loader.load(state_pk)


async def government_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
    as_of: date | None,
    where: GovernmentWhere | None,
    order_by: GovernmentOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Government]:
    return await connection(
        info,
        entity=GOVERNMENT,
        ordering=GOVERNMENT_ORDERINGS[order_by],
        conditions=lambda: government_conditions(where, as_of),
        key=(field, repr(where), as_of),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def government_by_pk(info: Info, pk: int) -> Government:
    found = await loaders_for(info).by_pk(GOVERNMENT).load(pk)
    assert found is not None, "foreign keys guarantee the government exists"
    return found
