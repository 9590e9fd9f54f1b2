"""States and their relations in both directions."""

from datetime import date
from inspect import Parameter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.connection_fields import (
    COOPERATIONS,
    ENVOYS,
    GOVERNMENTS,
    RECOGNITIONS,
    SANCTIONS,
    list_field,
    nested_list,
)
from schema.context import Info, loaders_for
from schema.fields import described
from schema.filters import (
    is_government_key,
    reference_in,
    state_ids,
)
from schema.ids import encode_id
from schema.inputs.state import STATE_ORDERINGS, StateOrder, StateWhere, state_conditions
from schema.loaders import AnyRow, Entity
from schema.pagination import Branch, Connection, connection
from schema.types import cooperation as _cooperation
from schema.types import government as _government
from schema.types.enums import StateKind
from schema.types.history import Recorded
from schema.types.node import Node

if TYPE_CHECKING:
    from schema.types.cooperation import Cooperation
    from schema.types.government import Government

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

    governments = nested_list(
        GOVERNMENTS,
        field="State.governments",
        parent=tables.government.c.state_id,
        description="Governments of this state, in power on `asOf` when given.",
    )

    @described(
        "The government in power on `asOf` (default today); when rivals overlap, "
        "the one that came to power last."
    )
    async def current_government(
        self, info: Info, as_of: date | None = None
    ) -> Annotated["Government", _lazy_government] | None:
        return await _government.current_government(info, self._pk, as_of or date.today())

    recognitions_given = nested_list(
        RECOGNITIONS,
        field="State.recognitionsGiven",
        parent=tables.recognition.c.recognizer_id,
        description="Recognitions this state gave.",
    )

    recognitions_received = nested_list(
        RECOGNITIONS,
        field="State.recognitionsReceived",
        parent=tables.recognition.c.subject_state_id,
        description="Recognitions of this state or of any of its governments.",
    )

    envoys_sent = nested_list(
        ENVOYS,
        field="State.envoysSent",
        parent=tables.envoy.c.sender_state_id,
        description="Envoys sent by this state or any of its governments.",
    )

    envoys_received = nested_list(
        ENVOYS,
        field="State.envoysReceived",
        parent=tables.envoy.c.receiver_id,
        description="Envoys received by this state.",
    )

    sanctions = nested_list(
        SANCTIONS,
        field="State.sanctions",
        parent=tables.sanction.c.target_state_id,
        description="Sanctions targeting this state or any of its governments.",
    )

    async def _cooperations(
        self, info: Info, partner: str | None = None, **arguments: Any
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
            **arguments,
        )

    cooperations = list_field(
        COOPERATIONS,
        _cooperations,
        description="Cooperation declared between this state and another state or government, "
        "whichever side declared it. `partner` narrows to one counterpart: an ISO3 code (that "
        "state or any of its governments) or a government key.",
        leading=[Parameter("partner", Parameter.KEYWORD_ONLY, default=None, annotation=str | None)],
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
    found = await loaders_for(info).by_pk(STATE).load(pk)
    assert found is not None, "foreign keys guarantee the state exists"
    return found


async def state_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
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
        key=(field, repr(where)),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )
