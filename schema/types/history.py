"""The recorded history in GraphQL: versions, history entries, field changes and the change feed.

Shared by every recorded node type (through the `Recorded` interface), the root `changes` feed
and the subscriptions. The rules (what a change is, how entries group, cursors) live in
`api.history`; this module only translates.
"""

from datetime import datetime
from enum import Enum
from typing import Any, NewType

import strawberry
from graphql import IntValueNode, StringValueNode, ValueNode
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from api import history
from schema.context import Info
from schema.errors import BadUserInput
from schema.fields import described
from schema.ids import encode_id
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageInfo


def _parse_version(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise ValueError(f"{value!r} is not a version (a change id: digits)")


# Change ids are bigint: past 2^31 an Int would overflow and past 2^53 a JavaScript number
# would round, so the version travels as a decimal string (an integer is accepted as input).
Version = NewType("Version", int)


def _parse_version_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, IntValueNode | StringValueNode):
        return _parse_version(int(node.value) if isinstance(node, IntValueNode) else node.value)
    raise ValueError("a version is a string of digits or an integer")


# Registered in the schema's `scalar_map` (schema.root).
SCALARS: dict[object, ScalarDefinition] = {
    Version: strawberry.scalar(
        name="Version",
        description=(
            "The id of a recorded change, as a decimal string: a node's version is the id of "
            "the last change that touched it. Accepted as a string or an integer."
        ),
        serialize=str,
        parse_value=_parse_version,
        parse_literal=_parse_version_literal,
    )
}


@strawberry.enum(name="Entity", description="A kind of recorded row (a table of the database).")
class EntityKind(Enum):
    STATE = "state"
    SOURCE = "source"
    COOPERATION_AREA = "cooperation_area"
    PERSON = "person"
    GOVERNMENT = "government"
    GOVERNMENT_PERIOD = "government_period"
    RECOGNITION = "recognition"
    ENVOY = "envoy"
    SANCTION = "sanction"
    COOPERATION = "cooperation"
    CITATION = "citation"


@strawberry.enum(description="What a change did.")
class ChangeAction(Enum):
    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    TRUNCATE = strawberry.enum_value(
        "truncate",
        description="A whole table emptied, recorded before history kept truncated rows.",
    )


@strawberry.type(description="One field an update changed, with its stored values.")
class FieldChange:
    field: str = strawberry.field(
        description=(
            "The stored column (snake_case), or `sources` (source keys, in citation order) and "
            "`periods` (`from/to`) for a fact's citations and a government's periods."
        )
    )
    before: JSON | None
    after: JSON | None

    @classmethod
    def of(cls, change: history.FieldChange) -> "FieldChange":
        return cls(field=change.field, before=change.before, after=change.after)


def _actor(info: Info, actor: str | None) -> str | None:
    # Who changed what is for admins; everyone else sees that a change happened, not by whom.
    return actor if info.context.principal.sees_actors else None


@strawberry.type(description="What one transaction did to one fact, its citations included.")
class HistoryEntry:
    _actor: strawberry.Private[str | None]
    cursor: str
    version: Version = strawberry.field(description="The newest change of the entry.")
    at: datetime
    action: ChangeAction
    origin: str | None = strawberry.field(
        description="Who wrote it: import, mutation, seed, migration (null when not said)."
    )
    changes: list[FieldChange] = strawberry.field(
        description="The fields an update changed; empty for inserts and deletes."
    )

    @described("Who made the change; null unless the caller is an admin.")
    def actor(self, info: Info) -> str | None:
        return _actor(info, self._actor)

    @classmethod
    def of(cls, entry: history.HistoryEntry) -> "HistoryEntry":
        return cls(
            _actor=entry.actor,
            cursor=entry.cursor,
            version=Version(entry.id),
            at=entry.at,
            action=ChangeAction(entry.action),
            origin=entry.origin,
            changes=[FieldChange.of(c) for c in entry.changes],
        )


@strawberry.type
class HistoryEdge:
    cursor: str
    node: HistoryEntry


@strawberry.type(description="A node's history, newest first.")
class HistoryConnection:
    edges: list[HistoryEdge]
    nodes: list[HistoryEntry]
    page_info: PageInfo
    total_count: int = strawberry.field(description="The node's entries, all pages together.")

    @classmethod
    def of(
        cls, page: history.Page[history.HistoryEntry], after: str | None, total: int
    ) -> "HistoryConnection":
        nodes = [HistoryEntry.of(e) for e in page.items]
        return cls(
            total_count=total,
            edges=[HistoryEdge(cursor=n.cursor, node=n) for n in nodes],
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=after is not None,
                start_cursor=nodes[0].cursor if nodes else None,
                end_cursor=nodes[-1].cursor if nodes else None,
            ),
        )


# GraphQL type names of the recorded tables' rows, for global ids.
TYPE_NAMES = {
    "state": "State",
    "source": "Source",
    "cooperation_area": "CooperationArea",
    "person": "Person",
    "government": "Government",
    "government_period": "GovernmentPeriod",
    "recognition": "Recognition",
    "envoy": "Envoy",
    "sanction": "Sanction",
    "cooperation": "Cooperation",
    "citation": "Citation",
}
TABLES = {name: table for table, name in TYPE_NAMES.items()}


def _global_id(table: str | None, key: str | None, row_id: int | None) -> strawberry.ID | None:
    if table is None:
        return None
    if table in ("citation", "government_period"):
        return strawberry.ID(encode_id(TYPE_NAMES[table], row_id)) if row_id else None
    return strawberry.ID(encode_id(TYPE_NAMES[table], key)) if key is not None else None


@strawberry.type(description="One recorded change of one row, as the feed serves it.")
class Change:
    _actor: strawberry.Private[str | None]
    cursor: str
    version: Version = strawberry.field(description="The id of this change.")
    at: datetime
    entity: EntityKind
    key: str | None = strawberry.field(
        description="The row's natural key (a citation's is its source's key)."
    )
    node_id: strawberry.ID | None = strawberry.field(
        description="The global id of the row changed (it may no longer exist)."
    )
    fact: EntityKind | None = strawberry.field(
        description="For citations and government periods: the kind of fact they belong to."
    )
    fact_node_id: strawberry.ID | None = strawberry.field(
        description="For citations and government periods: the global id of their fact."
    )
    action: ChangeAction
    origin: str | None
    changes: list[FieldChange]

    @described("Who made the change; null unless the caller is an admin.")
    def actor(self, info: Info) -> str | None:
        return _actor(info, self._actor)

    @classmethod
    def of(cls, change: history.Change, fact_key: str | None = None) -> "Change":
        return cls(
            _actor=change.actor,
            cursor=change.cursor,
            version=Version(change.id),
            at=change.at,
            entity=EntityKind(change.entity),
            key=change.natural_key,
            node_id=_global_id(change.entity, change.natural_key, change.row_id),
            fact=EntityKind(change.fact_entity) if change.fact_entity else None,
            fact_node_id=_global_id(change.fact_entity, fact_key, change.fact_id),
            action=ChangeAction(change.action),
            origin=change.origin,
            changes=[FieldChange.of(c) for c in change.changes],
        )


@strawberry.type
class ChangeEdge:
    cursor: str
    node: Change


@strawberry.type(description="Changes in the order they were recorded, oldest first.")
class ChangeConnection:
    edges: list[ChangeEdge]
    nodes: list[Change]
    page_info: PageInfo
    resume_after: str | None = strawberry.field(
        description=(
            "Pass as `after` to poll for what comes next: the last change's cursor, or the "
            "cursor asked with when nothing new was recorded."
        )
    )


def page_size(first: int | None, default: int) -> int:
    size = default if first is None else first
    if size < 0:
        raise BadUserInput("first must not be negative")
    if size > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be at most {MAX_PAGE_SIZE}")
    return size


def cursor_of(after: str | None) -> str | None:
    """`after` checked: a change cursor or nothing."""
    if after is not None:
        try:
            history.decode_cursor(after)
        except history.BadCursor as error:
            raise BadUserInput(str(error)) from None
    return after


async def change_feed(
    info: Info,
    *,
    after: str | None,
    entity: EntityKind | None,
    key: str | None,
    first: int | None,
) -> ChangeConnection:
    size = page_size(first, DEFAULT_PAGE_SIZE)
    if key is not None and (entity is None or entity.value not in history.KEY_COLUMNS):
        raise BadUserInput("key needs an entity with natural keys")
    checked = cursor_of(after)

    async def read(connection: Any) -> tuple[history.Page[history.Change], dict[Any, str]]:
        page = await history.changes_after(
            connection,
            after=checked,
            entity=entity.value if entity else None,
            key=key,
            first=size,
        )
        return page, await history.fact_keys(connection, page.items)

    page, fact_keys = await info.context.loaders.with_driver(read)
    nodes = [Change.of(c, fact_keys.get((c.fact_entity, c.fact_id))) for c in page.items]
    return ChangeConnection(
        edges=[ChangeEdge(cursor=n.cursor, node=n) for n in nodes],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=checked is not None,
            start_cursor=nodes[0].cursor if nodes else None,
            end_cursor=nodes[-1].cursor if nodes else None,
        ),
        resume_after=page.resume_after,
    )


@strawberry.interface(description="A fact whose changes are recorded: its version and history.")
class Recorded:
    # The row id of the node in its table (every recorded type has one).
    _pk: strawberry.Private[int]

    @described(
        "The id of the last change that touched this node, its citations included "
        "(0 for a row written while history was not recorded)."
    )
    async def version(self, info: Info) -> Version:
        table = TABLES[type(self).__name__]

        async def batch(pks: list[int]) -> list[int | None]:
            found = await info.context.loaders.with_driver(
                lambda connection: history.versions(connection, table, pks)
            )
            return [found.get(pk) for pk in pks]

        value = await info.context.loaders.loader(("version", table), batch).load(self._pk)
        return Version(value or 0)

    @described("This node's recorded changes, newest first.")
    async def history(
        self, info: Info, first: int | None = history.DEFAULT_PAGE, after: str | None = None
    ) -> HistoryConnection:
        size = page_size(first, history.DEFAULT_PAGE)
        checked = cursor_of(after)
        table = TABLES[type(self).__name__]

        async def batch(pks: list[int]) -> list[list[history.HistoryEntry]]:
            found = await info.context.loaders.with_driver(
                lambda connection: history.histories(connection, table, pks)
            )
            return [found[pk] for pk in pks]

        entries = await info.context.loaders.loader(("history", table), batch).load(self._pk)
        page = history.page_of(entries, first=size, after=checked)
        return HistoryConnection.of(page, checked, len(entries))
