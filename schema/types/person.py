"""Persons: officials and envoys."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema import tables
from schema.context import Info
from schema.fields import described
from schema.ids import encode_id
from schema.inputs.envoy import EnvoyOrder, EnvoyWhere
from schema.inputs.person import PERSON_ORDERINGS, PersonOrder, PersonWhere, person_conditions
from schema.inputs.sanction import SanctionOrder, SanctionWhere
from schema.loaders import AnyRow, Entity
from schema.pagination import AsOf, Branch, Connection, Cursor, PageSize, connection
from schema.types import envoy as _envoy
from schema.types import sanction as _sanction
from schema.types import state as _state
from schema.types.history import Recorded
from schema.types.node import Node
from schema.types.source import Citation, Source, cited, sources_cited

if TYPE_CHECKING:
    from schema.types.envoy import Envoy
    from schema.types.sanction import Sanction
    from schema.types.state import State

_pe = tables.person.c
_lazy_state = strawberry.lazy("schema.types.state")
_lazy_envoy = strawberry.lazy("schema.types.envoy")
_lazy_sanction = strawberry.lazy("schema.types.sanction")


@strawberry.type(
    description="A person: an official or an envoy. `aliases` holds other spellings and "
    "names, in any script."
)
class Person(Node, Recorded):
    __slots__ = ("_nationality_pk", "_pk", "aliases", "key", "name")
    _pk: strawberry.Private[int]
    _nationality_pk: strawberry.Private[int | None]
    key: str
    name: str
    aliases: list[str]

    @classmethod
    def from_row(cls, row: AnyRow, prefix: str = "") -> "Person":
        """`prefix` reads a person joined into another entity's row (`person_key`)."""
        m = row._mapping
        key = m[prefix + "key"]
        return cls(
            id=strawberry.ID(encode_id("Person", key)),
            _pk=m[prefix + "id"],
            _nationality_pk=m[prefix + "nationality_id"],
            key=key,
            name=m[prefix + "name"],
            aliases=m[prefix + "aliases"],
        )

    @strawberry.field
    async def nationality(self, info: Info) -> Annotated["State", _lazy_state] | None:
        if self._nationality_pk is None:
            return None
        return await _state.state_by_pk(info, self._nationality_pk)

    @described("Postings of this person as an envoy.")
    async def postings(
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
            field="Person.postings",
            parent=self._pk,
            branches=(Branch(tables.envoy.c.person_id),),
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Sanctions targeting this person.")
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
            field="Person.sanctions",
            parent=self._pk,
            branches=(Branch(tables.sanction.c.target_person_id),),
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
        return await cited(info, "person", self._pk)

    @strawberry.field
    async def sources(self, info: Info) -> list[Source]:
        return await sources_cited(info, "person", self._pk)


PERSON = Entity(
    name="Person",
    from_=tables.person,
    columns=(_pe.id, _pe.key, _pe.name, _pe.aliases, _pe.nationality_id),
    from_row=Person.from_row,
    key=_pe.key,
    pk=_pe.id,
)


async def person_by_pk(info: Info, pk: int) -> Person:
    found = await info.context.loaders.by_pk(PERSON).load(pk)
    assert found is not None, "foreign keys guarantee the person exists"
    return found


async def person_connection(
    info: Info,
    *,
    where: PersonWhere | None,
    order_by: PersonOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Person]:
    return await connection(
        info,
        entity=PERSON,
        ordering=PERSON_ORDERINGS[order_by],
        conditions=lambda: person_conditions(where),
        key=("persons", repr(where)),
        first=first,
        after=after,
        last=last,
        before=before,
    )
