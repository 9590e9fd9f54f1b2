"""States and their relations in both directions."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.context import Info
from schema.fields import described
from schema.filters import (
    is_government_key,
    reference_in,
    state_ids,
)
from schema.ids import encode_id
from schema.inputs.cooperation import CooperationOrder, CooperationWhere
from schema.inputs.envoy import EnvoyOrder, EnvoyWhere
from schema.inputs.government import GovernmentOrder, GovernmentWhere
from schema.inputs.recognition import RecognitionOrder, RecognitionWhere
from schema.inputs.sanction import SanctionOrder, SanctionWhere
from schema.inputs.state import STATE_ORDERINGS, StateOrder, StateWhere, state_conditions
from schema.loaders import AnyRow, Entity
from schema.pagination import AsOf, Branch, Connection, Cursor, PageSize, connection
from schema.types import cooperation as _cooperation
from schema.types import envoy as _envoy
from schema.types import government as _government
from schema.types import recognition as _recognition
from schema.types import sanction as _sanction
from schema.types.enums import StateKind
from schema.types.history import Recorded
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.cooperation import Cooperation
    from schema.types.envoy import Envoy
    from schema.types.government import Government
    from schema.types.recognition import Recognition
    from schema.types.sanction import Sanction

_st = tables.state.c
_lazy_government = strawberry.lazy("schema.types.government")
_lazy_recognition = strawberry.lazy("schema.types.recognition")
_lazy_envoy = strawberry.lazy("schema.types.envoy")
_lazy_sanction = strawberry.lazy("schema.types.sanction")
_lazy_cooperation = strawberry.lazy("schema.types.cooperation")


@strawberry.type(description="A state, by its ISO 3166-1 alpha-3 code (or a historic one).")
class State(Node, Recorded):
    __slots__ = ("_pk", "iso2", "iso3", "kind", "name", "numeric", "official_name")
    _pk: strawberry.Private[int]
    iso3: str
    iso2: str | None
    numeric: str | None
    name: str
    official_name: str | None
    kind: StateKind

    @classmethod
    def from_row(cls, row: AnyRow, prefix: str = "") -> "State":
        """`prefix` reads a state joined into another entity's row (`recognizer_iso3`)."""
        m = row._mapping
        iso3 = m[prefix + "iso3"]
        return cls(
            id=strawberry.ID(encode_id("State", iso3)),
            _pk=m[prefix + "id"],
            iso3=iso3,
            iso2=m[prefix + "iso2"],
            numeric=m[prefix + "numeric"],
            name=m[prefix + "name"],
            official_name=m[prefix + "official_name"],
            kind=StateKind(m[prefix + "kind"]),
        )

    @described("Governments of this state, in power on `asOf` when given.")
    async def governments(
        self,
        info: Info,
        as_of: AsOf = None,
        where: GovernmentWhere | None = None,
        order_by: GovernmentOrder = GovernmentOrder.KEY_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Government", _lazy_government]]:
        return await _government.government_connection(
            info,
            field="State.governments",
            parent=self._pk,
            branches=(Branch(tables.government.c.state_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described(
        "The government in power on `asOf` (default today); when rivals overlap, "
        "the one that came to power last."
    )
    async def current_government(
        self, info: Info, as_of: date | None = None
    ) -> Annotated["Government", _lazy_government] | None:
        return await _government.current_government(info, self._pk, as_of or date.today())

    @described("Recognitions this state gave.")
    async def recognitions_given(
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
            field="State.recognitionsGiven",
            parent=self._pk,
            branches=(Branch(tables.recognition.c.recognizer_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Recognitions of this state or of any of its governments.")
    async def recognitions_received(
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
            field="State.recognitionsReceived",
            parent=self._pk,
            branches=(Branch(tables.recognition.c.subject_state_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Envoys sent by this state or any of its governments.")
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
            field="State.envoysSent",
            parent=self._pk,
            branches=(Branch(tables.envoy.c.sender_state_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Envoys received by this state.")
    async def envoys_received(
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
            field="State.envoysReceived",
            parent=self._pk,
            branches=(Branch(tables.envoy.c.receiver_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Sanctions targeting this state or any of its governments.")
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
            field="State.sanctions",
            parent=self._pk,
            branches=(Branch(tables.sanction.c.target_state_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described(
        "Cooperation declared between this state and another state or government, "
        "whichever side declared it. `partner` narrows to one counterpart: an ISO3 code (that "
        "state or any of its governments) or a government key."
    )
    async def cooperations(
        self,
        info: Info,
        partner: str | None = None,
        as_of: AsOf = None,
        where: CooperationWhere | None = None,
        order_by: CooperationOrder = CooperationOrder.DATE_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Annotated["Cooperation", _lazy_cooperation]]:
        c = tables.cooperation.c
        as_party: tuple[ColumnElement[bool], ...] = ()
        as_partner: tuple[ColumnElement[bool], ...] = ()
        if partner is not None:
            as_party = (
                reference_in(c.partner_state_id, c.partner_government_id, [partner], exact=False),
            )
            # Only states declare cooperation, so a government key never matches this side.
            as_partner = (
                (false(),)
                if is_government_key(partner)
                else (c.party_id.in_(state_ids([partner])),)
            )
        return await _cooperation.cooperation_connection(
            info,
            field=f"State.cooperations:{partner}",
            parent=self._pk,
            branches=(Branch(c.party_id, as_party), Branch(c.partner_state_id, as_partner)),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )


STATE = Entity(
    name="State",
    from_=tables.state,
    columns=(_st.id, _st.iso3, _st.iso2, _st.numeric, _st.name, _st.official_name, _st.kind),
    from_row=State.from_row,
    key=_st.iso3,
    pk=_st.id,
)


async def state_by_pk(info: Info, pk: int) -> State:
    found = await info.context.loaders.by_pk(STATE).load(pk)
    assert found is not None, "foreign keys guarantee the state exists"
    return found


async def state_connection(
    info: Info,
    *,
    where: StateWhere | None,
    order_by: StateOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[State]:
    return await connection(
        info,
        entity=STATE,
        ordering=STATE_ORDERINGS[order_by],
        conditions=lambda: state_conditions(where),
        key=("states", repr(where)),
        first=first,
        after=after,
        last=last,
        before=before,
    )
