"""The GraphQL object type of each entity of the format, and reading its rows back inside a
mutation's transaction.

The rows a mutation returns are read on the mutation's own connection before it commits, with
the same statement (`Entity.select`) and row converter the loaders use. Fields nested below
them (a recognition's subject, citations) resolve afterwards through the request's loaders,
which read the committed state.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql.compiler import SQLCompiler

from schema.loaders import Entity, among
from schema.types.cooperation import AREA, COOPERATION
from schema.types.envoy import ENVOY
from schema.types.government import GOVERNMENT
from schema.types.person import PERSON
from schema.types.recognition import RECOGNITION
from schema.types.sanction import SANCTION
from schema.types.source import SOURCE
from schema.types.state import STATE

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]

# The entities with a natural key, found for each table of the format by their primary key.
_ENTITIES: dict[str, Entity[Any]] = {
    entity.pk.table.name: entity  # type: ignore[attr-defined]
    for entity in (
        STATE,
        SOURCE,
        AREA,
        PERSON,
        GOVERNMENT,
        RECOGNITION,
        ENVOY,
        SANCTION,
        COOPERATION,
    )
}


def entity_of(table: str) -> Entity[Any]:
    return _ENTITIES[table]


def object_type(table: str) -> type:
    """The strawberry type an entity's rows convert to (its `from_row` is a classmethod)."""
    owner: type = getattr(_ENTITIES[table].from_row, "__self__")  # noqa: B009
    return owner


class _Row:
    """An asyncpg record read the way row converters read SQLAlchemy rows."""

    __slots__ = ("_mapping",)

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._mapping = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


def reader(table: str) -> Callable[[asyncpg.Connection, list[int]], Awaitable[list[Any]]]:
    """Read rows of `table` by id, in the order asked, as GraphQL objects."""
    entity = _ENTITIES[table]

    async def read(connection: asyncpg.Connection, ids: list[int]) -> list[Any]:
        if not ids:
            return []
        statement = (
            entity.select().add_columns(entity.pk.label("read_pk")).where(among(entity.pk, ids))
        )
        compiled = statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        values = [compiled.params[name] for name in compiled.positiontup or ()]
        records = await connection.fetch(compiled.string, *values)
        found = {record["read_pk"]: entity.from_row(_Row(record)) for record in records}  # type: ignore[arg-type]
        return [found[i] for i in ids]

    return read
