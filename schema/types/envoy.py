"""Envoys: one posting of a person sent by a state (or government) to another state."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.envoy import ENVOY_ORDERINGS, EnvoyOrder, EnvoyWhere, envoy_conditions
from schema.loaders import AnyRow, Entity
from schema.pagination import Branch, Connection, connection
from schema.types import government as _government
from schema.types import person as _person
from schema.types import state as _state
from schema.types.enums import EnvoyEndReason, EnvoyRank
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.government import Government
    from schema.types.person import Person
    from schema.types.state import State

_e = tables.envoy.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_government = strawberry.lazy("schema.types.government")
_lazy_person = strawberry.lazy("schema.types.person")

EnvoySender = Annotated[
    Annotated["State", _lazy_state] | Annotated["Government", _lazy_government],
    strawberry.union("EnvoySender", description="A state, or the government that sent the envoy."),
]


@strawberry.type(
    description="One posting of a person sent by a state (or one of its governments) to another "
    "state: the copy of credentials goes to the foreign ministry, the letter of credence to the "
    "head of state."
)
class Envoy(Node, Recorded):
    __slots__ = (
        "_copy_received_by_pk",
        "_credentials_received_by_pk",
        "_pk",
        "_receiver_pk",
        "_sender_government_pk",
        "_sender_state_pk",
        "appointed",
        "credentials",
        "credentials_copy",
        "end_reason",
        "ended",
        "episode",
        "key",
        "notes",
        "person",
        "rank",
        "title",
    )
    _pk: strawberry.Private[int]
    _sender_state_pk: strawberry.Private[int]
    _sender_government_pk: strawberry.Private[int | None]
    _receiver_pk: strawberry.Private[int]
    _copy_received_by_pk: strawberry.Private[int | None]
    _credentials_received_by_pk: strawberry.Private[int | None]
    key: str
    episode: int
    rank: EnvoyRank | None
    title: str | None
    appointed: FuzzyDate | None
    credentials_copy: FuzzyDate | None
    credentials: FuzzyDate | None
    ended: FuzzyDate | None
    end_reason: EnvoyEndReason | None
    notes: str | None
    person: Annotated["Person", _lazy_person]

    @classmethod
    def from_row(cls, row: AnyRow) -> "Envoy":
        return cls(
            id=strawberry.ID(encode_id("Envoy", row.key)),
            _pk=row.id,
            _sender_state_pk=row.sender_state_id,
            _sender_government_pk=row.sender_government_id,
            _receiver_pk=row.receiver_id,
            _copy_received_by_pk=row.credentials_copy_received_by_id,
            _credentials_received_by_pk=row.credentials_received_by_id,
            key=row.key,
            episode=row.episode,
            rank=EnvoyRank(row.rank) if row.rank is not None else None,
            title=row.title,
            appointed=FuzzyDate.of(row.appointed_date, row.appointed_precision),
            credentials_copy=FuzzyDate.of(
                row.credentials_copy_date, row.credentials_copy_precision
            ),
            credentials=FuzzyDate.of(row.credentials_date, row.credentials_precision),
            ended=FuzzyDate.of(row.ended_date, row.ended_precision),
            end_reason=EnvoyEndReason(row.end_reason) if row.end_reason is not None else None,
            notes=row.notes,
            person=_person.Person.from_row(row, "person_"),
        )

    @described("The government that sent the envoy, else the state.")
    async def sender(self, info: Info) -> EnvoySender:
        if self._sender_government_pk is not None:
            return await _government.government_by_pk(info, self._sender_government_pk)
        return await _state.state_by_pk(info, self._sender_state_pk)

    @strawberry.field
    async def sender_state(self, info: Info) -> Annotated["State", _lazy_state]:
        return await _state.state_by_pk(info, self._sender_state_pk)

    @strawberry.field
    async def receiver(self, info: Info) -> Annotated["State", _lazy_state]:
        return await _state.state_by_pk(info, self._receiver_pk)

    @described("Who accepted the copy of credentials.")
    async def credentials_copy_received_by(
        self, info: Info
    ) -> Annotated["Person", _lazy_person] | None:
        if self._copy_received_by_pk is None:
            return None
        return await _person.person_by_pk(info, self._copy_received_by_pk)

    @described("Who accepted the letter of credence.")
    async def credentials_received_by(self, info: Info) -> Annotated["Person", _lazy_person] | None:
        if self._credentials_received_by_pk is None:
            return None
        return await _person.person_by_pk(info, self._credentials_received_by_pk)

    @strawberry.field
    async def citations(self, info: Info) -> list[Citation]:
        return await cited(info, "envoy", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "envoy", self._pk)


# The envoy is joined in: every posting has one, and lists of postings show them.
_envoy_person = tables.person.alias("envoy_person")

ENVOY = Entity(
    name="Envoy",
    from_=tables.envoy.join(_envoy_person, _e.person_id == _envoy_person.c.id),
    columns=(
        _e.id,
        _e.key,
        _e.sender_state_id,
        _e.sender_government_id,
        _e.receiver_id,
        _e.episode,
        _e.rank,
        _e.title,
        _e.appointed_date,
        _e.appointed_precision,
        _e.credentials_copy_date,
        _e.credentials_copy_precision,
        _e.credentials_copy_received_by_id,
        _e.credentials_date,
        _e.credentials_precision,
        _e.credentials_received_by_id,
        _e.ended_date,
        _e.ended_precision,
        _e.end_reason,
        _e.notes,
        *(column.label(f"person_{column.key}") for column in _envoy_person.c),
    ),
    from_row=Envoy.from_row,
    key=_e.key,
    pk=_e.id,
)


async def envoy_connection(
    info: Info,
    *,
    field: str,
    parent: int | None = None,
    branches: tuple[Branch, ...] = (Branch(None),),
    as_of: date | None,
    where: EnvoyWhere | None,
    order_by: EnvoyOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Envoy]:
    return await connection(
        info,
        entity=ENVOY,
        ordering=ENVOY_ORDERINGS[order_by],
        conditions=lambda: envoy_conditions(where, as_of),
        key=(field, repr(where), as_of),
        branches=branches,
        parent=parent,
        first=first,
        after=after,
        last=last,
        before=before,
    )
