"""The Query root and the executable schema."""

from datetime import date
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext

from schema.connection_fields import (
    COOPERATIONS,
    ENVOYS,
    GOVERNMENTS,
    PERSONS,
    RECOGNITIONS,
    SANCTIONS,
    SOURCES,
    STATES,
    root_list,
)
from schema.context import Info, root_loaders
from schema.fields import described
from schema.ids import decode_id
from schema.inputs.recognition import RecognitionWhere
from schema.limits import log_errors, schema_extensions
from schema.loaders import Entity
from schema.mutations.root import Mutation
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.recorded import AsRecordedAt
from schema.search import MAX_SEARCH_TEXT, SearchHit, search
from schema.stats import MAX_STATS_GROUPS, RecognitionGroup, RecognitionGroupBy, recognition_stats
from schema.subscriptions import Subscription
from schema.types.cooperation import (
    AREA,
    COOPERATION,
    Cooperation,
    CooperationArea,
    all_areas,
)
from schema.types.envoy import ENVOY, Envoy
from schema.types.government import (
    GOVERNMENT,
    PERIOD,
    Government,
)
from schema.types.history import SCALARS, ChangeConnection, EntityKind, change_feed
from schema.types.node import Node
from schema.types.person import PERSON, Person
from schema.types.recognition import RECOGNITION, Recognition
from schema.types.sanction import SANCTION, Sanction
from schema.types.source import (
    CITATION,
    SOURCE,
    Source,
)
from schema.types.state import STATE, State

# Global id type name -> entity. Types without a natural key are found by surrogate id.
_BY_KEY: dict[str, Entity[Any]] = {
    e.name: e
    for e in (STATE, GOVERNMENT, PERSON, RECOGNITION, ENVOY, SANCTION, AREA, COOPERATION, SOURCE)
}
_BY_PK: dict[str, Entity[Any]] = {e.name: e for e in (CITATION, PERIOD)}


@strawberry.type
class Query:
    @described("A state by its ISO3 code; null when unknown.")
    async def state(
        self, info: Info, iso3: str, as_recorded_at: AsRecordedAt = None
    ) -> State | None:
        return await root_loaders(info, as_recorded_at).by_key(STATE).load(iso3)

    states = root_list(STATES, field="states")

    @strawberry.field
    async def government(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Government | None:
        return await root_loaders(info, as_recorded_at).by_key(GOVERNMENT).load(key)

    governments = root_list(
        GOVERNMENTS, field="governments", description="Governments, in power on `asOf` when given."
    )

    @strawberry.field
    async def recognition(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Recognition | None:
        return await root_loaders(info, as_recorded_at).by_key(RECOGNITION).load(key)

    recognitions = root_list(
        RECOGNITIONS,
        field="recognitions",
        description="Recognitions, in force on `asOf` when given.",
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
        as_recorded_at: AsRecordedAt = None,
    ) -> list[RecognitionGroup]:
        root_loaders(info, as_recorded_at)
        return await recognition_stats(
            info, where=where, as_of=as_of, group_by=group_by, first=first
        )

    @strawberry.field
    async def envoy(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Envoy | None:
        return await root_loaders(info, as_recorded_at).by_key(ENVOY).load(key)

    envoys = root_list(
        ENVOYS, field="envoys", description="Envoy postings, in force on `asOf` when given."
    )

    @strawberry.field
    async def sanction(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Sanction | None:
        return await root_loaders(info, as_recorded_at).by_key(SANCTION).load(key)

    sanctions = root_list(
        SANCTIONS, field="sanctions", description="Sanctions, in force on `asOf` when given."
    )

    @described("The controlled vocabulary of cooperation areas, by code.")
    async def cooperation_areas(
        self, info: Info, as_recorded_at: AsRecordedAt = None
    ) -> list[CooperationArea]:
        root_loaders(info, as_recorded_at)
        return await all_areas(info)

    @strawberry.field
    async def cooperation(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Cooperation | None:
        return await root_loaders(info, as_recorded_at).by_key(COOPERATION).load(key)

    cooperations = root_list(
        COOPERATIONS,
        field="cooperations",
        description="Declared cooperation, stated on or before `asOf` when given.",
    )

    @strawberry.field
    async def person(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Person | None:
        return await root_loaders(info, as_recorded_at).by_key(PERSON).load(key)

    persons = root_list(PERSONS, field="persons")

    @strawberry.field
    async def source(
        self, info: Info, key: str, as_recorded_at: AsRecordedAt = None
    ) -> Source | None:
        return await root_loaders(info, as_recorded_at).by_key(SOURCE).load(key)

    sources = root_list(SOURCES, field="sources")

    @described("Any object by its global id; null when it does not exist.")
    async def node(
        self, info: Info, id: strawberry.ID, as_recorded_at: AsRecordedAt = None
    ) -> Node | None:
        type_name, key = decode_id(id)
        loaders = root_loaders(info, as_recorded_at)
        if type_name in _BY_KEY:
            found: Node | None = await loaders.by_key(_BY_KEY[type_name]).load(key)
            return found
        if type_name in _BY_PK and key.isdigit():
            found = await loaders.by_pk(_BY_PK[type_name]).load(int(key))
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
        as_recorded_at: AsRecordedAt = None,
    ) -> ChangeConnection:
        root_loaders(info, as_recorded_at)
        return await change_feed(info, after=after, entity=entity, key=key, first=first)

    @described(
        "States, governments and persons whose name, in any language it is stored "
        "in, resembles `text` (trigram similarity), best first. `text` has at most "
        f"{MAX_SEARCH_TEXT} characters; `first` is at most {MAX_PAGE_SIZE}."
    )
    async def search(
        self,
        info: Info,
        text: str,
        first: int = DEFAULT_PAGE_SIZE,
        as_recorded_at: AsRecordedAt = None,
    ) -> list[SearchHit]:
        root_loaders(info, as_recorded_at)
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
    mutation=Mutation,
    subscription=Subscription,
    config=StrawberryConfig(name_converter=_NameConverter(), scalar_map=SCALARS),
    # Document limits and caches, variable and cost checks, error codes and masking.
    extensions=schema_extensions(),
)
