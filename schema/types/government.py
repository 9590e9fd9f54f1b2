"""Governments, their periods in power, and their relations."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import asc, desc, nulls_last, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate, in_force
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.cooperation import CooperationOrder, CooperationWhere
from schema.inputs.envoy import EnvoyOrder, EnvoyWhere
from schema.inputs.government import (
    GOVERNMENT_ORDERINGS,
    GovernmentOrder,
    GovernmentWhere,
    government_conditions,
    in_power,
)
from schema.inputs.recognition import RecognitionOrder, RecognitionWhere
from schema.inputs.sanction import SanctionOrder, SanctionWhere
from schema.loaders import AnyRow, Entity, Statement, among
from schema.pagination import AsOf, Branch, Connection, Cursor, PageSize, connection
from schema.types import cooperation as _cooperation
from schema.types import envoy as _envoy
from schema.types import recognition as _recognition
from schema.types import sanction as _sanction
from schema.types import state as _state
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.cooperation import Cooperation
    from schema.types.envoy import Envoy
    from schema.types.recognition import Recognition
    from schema.types.sanction import Sanction
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

    @described("Recognitions of this government.")
    async def recognized_by(
        self,
        info: Info,
        as_of: AsOf = None,
        where: RecognitionWhere | None = None,
        order_by: RecognitionOrder = RecognitionOrder.FROM_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Recognition", _lazy_recognition]]:
        return await _recognition.recognition_connection(
            info,
            field="Government.recognizedBy",
            parent=self._pk,
            branches=(Branch(tables.recognition.c.subject_government_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Envoys sent in this government's name.")
    async def envoys_sent(
        self,
        info: Info,
        as_of: AsOf = None,
        where: EnvoyWhere | None = None,
        order_by: EnvoyOrder = EnvoyOrder.START_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Envoy", _lazy_envoy]]:
        return await _envoy.envoy_connection(
            info,
            field="Government.envoysSent",
            parent=self._pk,
            branches=(Branch(tables.envoy.c.sender_government_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Sanctions targeting this government.")
    async def sanctions(
        self,
        info: Info,
        as_of: AsOf = None,
        where: SanctionWhere | None = None,
        order_by: SanctionOrder = SanctionOrder.KEY_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Sanction", _lazy_sanction]]:
        return await _sanction.sanction_connection(
            info,
            field="Government.sanctions",
            parent=self._pk,
            branches=(Branch(tables.sanction.c.target_government_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Cooperation states declared with this government.")
    async def cooperations(
        self,
        info: Info,
        as_of: AsOf = None,
        where: CooperationWhere | None = None,
        order_by: CooperationOrder = CooperationOrder.DATE_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Cooperation", _lazy_cooperation]]:
        return await _cooperation.cooperation_connection(
            info,
            field="Government.cooperations",
            parent=self._pk,
            branches=(Branch(tables.cooperation.c.partner_government_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
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
    loader = info.context.loaders.children(
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
            for row in await info.context.loaders.fetch(statement)
        }
        return [found.get(s) for s in states]

    loader = info.context.loaders.loader(("State.currentGovernment", day), batch)
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
    found = await info.context.loaders.by_pk(GOVERNMENT).load(pk)
    assert found is not None, "foreign keys guarantee the government exists"
    return found
