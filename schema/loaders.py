"""Per-request DataLoaders and the one way resolvers read the database.

Concurrency: Strawberry resolves sibling fields concurrently, so several loader batches can be in
flight at once. Each batch checks out its own pooled connection (`engine.connect()`) for the one
statement it runs, instead of sharing a per-request connection: no lock serialises siblings, and
a slow batch does not hold up the others. A per-request semaphore caps how many connections one
request may hold at a time, so a very wide query cannot drain the pool for everyone else.
Reads are single statements, so no batch needs a transaction spanning several of them. The cost:
each statement sees its own snapshot, so a response read while an import commits may mix rows
from before and after it (as any READ COMMITTED reader would).
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg
from sqlalchemy import Row, Select, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause
from strawberry.dataloader import DataLoader

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
Statement: TypeAlias = Select[*tuple[Any, ...]]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Connections one request may hold at once (the engine's pool is shared by all requests).
MAX_CONNECTIONS_PER_REQUEST = 4


@dataclass(frozen=True, slots=True, eq=False)
class Entity(Generic[T]):
    """How to read one GraphQL object type: its table, the columns it needs, its row converter."""

    name: str
    from_: FromClause
    columns: tuple[ColumnElement[Any], ...]
    from_row: Callable[[AnyRow], T]
    key: ColumnElement[Any]
    pk: ColumnElement[int]

    def select(self) -> Statement:
        return Select(*self.columns).select_from(self.from_)


def among(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column = ANY($1)` with one array parameter.

    Unlike `IN ($1, $2, ...)` the statement text does not change with the batch size, so the
    server prepares it once, whatever the number of parents in a batch.
    """
    item_type = column.type
    return column == any_(bindparam(None, list(values), type_=ARRAY(item_type)))


class Loaders:
    """The DataLoaders of one request, created on first use and keyed by what they load."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}
        self._connections = asyncio.Semaphore(MAX_CONNECTIONS_PER_REQUEST)

    async def fetch(self, statement: Statement) -> Sequence[AnyRow]:
        async with self._connections, self._engine.connect() as connection:
            result = await connection.execute(statement)
            rows: Sequence[AnyRow] = result.all()
            return rows

    def loader(
        self, key: Hashable, batch: Callable[[list[K]], Awaitable[list[V]]]
    ) -> DataLoader[K, V]:
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(load_fn=batch)
        return found

    def by_pk(self, entity: Entity[T]) -> DataLoader[int, T | None]:
        async def batch(pks: list[int]) -> list[T | None]:
            statement = entity.select().add_columns(entity.pk.label("page_pk"))
            rows = await self.fetch(statement.where(among(entity.pk, pks)))
            found = {row.page_pk: entity.from_row(row) for row in rows}
            return [found.get(pk) for pk in pks]

        return self.loader(("pk", entity.name), batch)

    def by_key(self, entity: Entity[T]) -> DataLoader[str, T | None]:
        async def batch(keys: list[str]) -> list[T | None]:
            statement = entity.select().add_columns(entity.key.label("lookup_key"))
            rows = await self.fetch(statement.where(among(entity.key, keys)))
            found = {row.lookup_key: entity.from_row(row) for row in rows}
            return [found.get(key) for key in keys]

        return self.loader(("key", entity.name), batch)

    def children(
        self,
        key: Hashable,
        entity: Entity[T],
        parent: ColumnElement[Any],
        order_by: Sequence[ColumnElement[Any]],
    ) -> DataLoader[int, list[T]]:
        """All rows of a small, bounded relation (periods, citations), grouped by parent."""

        async def batch(parents: list[int]) -> list[list[T]]:
            statement = (
                entity.select()
                .add_columns(parent.label("page_parent"))
                .where(among(parent, parents))
                .order_by(*order_by)
            )
            grouped: dict[int, list[T]] = {p: [] for p in parents}
            for row in await self.fetch(statement):
                grouped[row.page_parent].append(entity.from_row(row))
            return [grouped[p] for p in parents]

        return self.loader(key, batch)

    async def with_driver(self, work: Callable[[asyncpg.Connection], Awaitable[V]]) -> V:
        """Run `work` on a pooled connection's asyncpg driver (for the domain layer's functions,
        which take one), within this request's connection cap."""
        async with self._connections, self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
            return await work(driver)
