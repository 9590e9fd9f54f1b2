"""The Query root and the executable schema."""

from datetime import date
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext

from schema.context import Info
from schema.fields import described
from schema.ids import decode_id
from schema.inputs.cooperation import CooperationOrder, CooperationWhere
from schema.inputs.envoy import EnvoyOrder, EnvoyWhere
from schema.inputs.government import GovernmentOrder, GovernmentWhere
from schema.inputs.person import PersonOrder, PersonWhere
from schema.inputs.recognition import RecognitionOrder, RecognitionWhere
from schema.inputs.sanction import SanctionOrder, SanctionWhere
from schema.inputs.source import SourceOrder, SourceWhere
from schema.inputs.state import StateOrder, StateWhere
from schema.limits import log_errors, schema_extensions
from schema.loaders import Entity
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, AsOf, Connection, Cursor, PageSize
from schema.search import MAX_SEARCH_TEXT, SearchHit, search
from schema.stats import MAX_STATS_GROUPS, RecognitionGroup, RecognitionGroupBy, recognition_stats
from schema.subscriptions import Subscription
from schema.types.cooperation import (
    AREA,
    COOPERATION,
    Cooperation,
    CooperationArea,
    all_areas,
    cooperation_connection,
)
from schema.types.envoy import ENVOY, Envoy, envoy_connection
from schema.types.government import (
    GOVERNMENT,
    PERIOD,
    Government,
    government_connection,
)
from schema.types.history import SCALARS, ChangeConnection, EntityKind, change_feed
from schema.types.node import Node
from schema.types.person import PERSON, Person, person_connection
from schema.types.recognition import RECOGNITION, Recognition, recognition_connection
from schema.types.sanction import SANCTION, Sanction, sanction_connection
from schema.types.source import (
    CITATION,
    SOURCE,
    Source,
    source_connection,
)
from schema.types.state import STATE, State, state_connection

# Global id type name -> entity. Types without a natural key are found by surrogate id.
_BY_KEY: dict[str, Entity[Any]] = {
    e.name: e
    for e in (STATE, GOVERNMENT, PERSON, RECOGNITION, ENVOY, SANCTION, AREA, COOPERATION, SOURCE)
}
_BY_PK: dict[str, Entity[Any]] = {e.name: e for e in (CITATION, PERIOD)}


@strawberry.type
class Query:
    @described("A state by its ISO3 code; null when unknown.")
    async def state(self, info: Info, iso3: str) -> State | None:
        return await info.context.loaders.by_key(STATE).load(iso3)

    @strawberry.field
    async def states(
        self,
        info: Info,
        where: StateWhere | None = None,
        order_by: StateOrder = StateOrder.NAME_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[State]:
        return await state_connection(
            info, where=where, order_by=order_by, first=first, after=after, last=last, before=before
        )

    @strawberry.field
    async def government(self, info: Info, key: str) -> Government | None:
        return await info.context.loaders.by_key(GOVERNMENT).load(key)

    @described("Governments, in power on `asOf` when given.")
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
    ) -> Connection[Government]:
        return await government_connection(
            info,
            field="governments",
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def recognition(self, info: Info, key: str) -> Recognition | None:
        return await info.context.loaders.by_key(RECOGNITION).load(key)

    @described("Recognitions, in force on `asOf` when given.")
    async def recognitions(
        self,
        info: Info,
        as_of: AsOf = None,
        where: RecognitionWhere | None = None,
        order_by: RecognitionOrder = RecognitionOrder.FROM_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Recognition]:
        return await recognition_connection(
            info,
            field="recognitions",
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def recognition_stats(
        self,
        info: Info,
        group_by: list[RecognitionGroupBy],
        where: RecognitionWhere | None = None,
        as_of: date | None = None,
        first: Annotated[
            int,
            strawberry.argument(
                description=f"The first groups in key order; at most {MAX_STATS_GROUPS}."
            ),
        ] = MAX_STATS_GROUPS,
    ) -> list[RecognitionGroup]:
        return await recognition_stats(
            info, where=where, as_of=as_of, group_by=group_by, first=first
        )

    @strawberry.field
    async def envoy(self, info: Info, key: str) -> Envoy | None:
        return await info.context.loaders.by_key(ENVOY).load(key)

    @described("Envoy postings, in force on `asOf` when given.")
    async def envoys(
        self,
        info: Info,
        as_of: AsOf = None,
        where: EnvoyWhere | None = None,
        order_by: EnvoyOrder = EnvoyOrder.START_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Envoy]:
        return await envoy_connection(
            info,
            field="envoys",
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def sanction(self, info: Info, key: str) -> Sanction | None:
        return await info.context.loaders.by_key(SANCTION).load(key)

    @described("Sanctions, in force on `asOf` when given.")
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
    ) -> Connection[Sanction]:
        return await sanction_connection(
            info,
            field="sanctions",
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("The controlled vocabulary of cooperation areas, by code.")
    async def cooperation_areas(self, info: Info) -> list[CooperationArea]:
        return await all_areas(info)

    @strawberry.field
    async def cooperation(self, info: Info, key: str) -> Cooperation | None:
        return await info.context.loaders.by_key(COOPERATION).load(key)

    @described("Declared cooperation, stated on or before `asOf` when given.")
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
    ) -> Connection[Cooperation]:
        return await cooperation_connection(
            info,
            field="cooperations",
            as_of=as_of,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def person(self, info: Info, key: str) -> Person | None:
        return await info.context.loaders.by_key(PERSON).load(key)

    @strawberry.field
    async def persons(
        self,
        info: Info,
        where: PersonWhere | None = None,
        order_by: PersonOrder = PersonOrder.NAME_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Person]:
        return await person_connection(
            info, where=where, order_by=order_by, first=first, after=after, last=last, before=before
        )

    @strawberry.field
    async def source(self, info: Info, key: str) -> Source | None:
        return await info.context.loaders.by_key(SOURCE).load(key)

    @strawberry.field
    async def sources(
        self,
        info: Info,
        where: SourceWhere | None = None,
        order_by: SourceOrder = SourceOrder.KEY_ASC,
        first: PageSize = None,
        after: Cursor = None,
        last: PageSize = None,
        before: Cursor = None,
    ) -> Connection[Source]:
        return await source_connection(
            info,
            where=where,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @described("Any object by its global id; null when it does not exist.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, key = decode_id(id)
        if type_name in _BY_KEY:
            found: Node | None = await info.context.loaders.by_key(_BY_KEY[type_name]).load(key)
            return found
        if type_name in _BY_PK and key.isdigit():
            found = await info.context.loaders.by_pk(_BY_PK[type_name]).load(int(key))
            return found
        return None

    @described(
        "The changes recorded after the `after` cursor, oldest first: poll with the "
        "`resumeAfter` of the last answer to miss none. `entity` keeps one kind of row; with "
        "`key`, one fact (its citations included). `first` is at most "
        f"{MAX_PAGE_SIZE}. Exact while writers take turns on the change log, as imports and "
        "mutations do."
    )
    async def changes(
        self,
        info: Info,
        after: str | None = None,
        entity: EntityKind | None = None,
        key: str | None = None,
        first: int | None = DEFAULT_PAGE_SIZE,
    ) -> ChangeConnection:
        return await change_feed(info, after=after, entity=entity, key=key, first=first)

    @described(
        "States, governments and persons whose name, in any language it is stored "
        "in, resembles `text` (trigram similarity), best first. `text` has at most "
        f"{MAX_SEARCH_TEXT} characters; `first` is at most {MAX_PAGE_SIZE}."
    )
    async def search(
        self, info: Info, text: str, first: int = DEFAULT_PAGE_SIZE
    ) -> list[SearchHit]:
        return await search(info, text, first)


class _NameConverter(NameConverter):
    """Python names that clash with keywords (`from_`, `in_`) lose their trailing underscore."""

    def apply_naming_config(self, name: str) -> str:
        return super().apply_naming_config(name.rstrip("_") or name)


class CredenceSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry's default logs every error at ERROR with a traceback, the client's mistakes
        # included; ours logs those at INFO, in one line, and faults once with their traceback.
        log_errors(errors)


schema = CredenceSchema(
    query=Query,
    subscription=Subscription,
    config=StrawberryConfig(name_converter=_NameConverter(), scalar_map=SCALARS),
    # Document limits and caches, variable and cost checks, error codes and masking.
    extensions=schema_extensions(),
)
