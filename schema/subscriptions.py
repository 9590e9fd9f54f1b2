"""The Subscription root: change events resumable from a cursor, and a watched list.

Both streams wake on the process's change listener (`api.change_listener`) and read the database
themselves, so a lost wake-up costs a delay, never a change. A database that goes away pauses a
stream (it retries with backoff) rather than ending it: the client sees a delay, then the changes.
"""

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from api import history
from api.change_feed import Position
from api.change_listener import ChangeListener
from api.database_faults import database_fault
from schema.context import Info
from schema.errors import BadUserInput
from schema.fields import described
from schema.filters import StringFilter
from schema.inputs.recognition import RecognitionWhere, recognition_conditions
from schema.loaders import Entity, Loaders
from schema.types.cooperation import AREA, COOPERATION
from schema.types.envoy import ENVOY
from schema.types.government import GOVERNMENT, PERIOD
from schema.types.history import Change, EntityKind, cursor_of
from schema.types.node import Node
from schema.types.person import PERSON
from schema.types.recognition import RECOGNITION, Recognition
from schema.types.sanction import SANCTION
from schema.types.source import CITATION, SOURCE
from schema.types.state import STATE

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def _subscription(description: str) -> Callable[[F], F]:
    # Typed like `schema.fields.described`: strawberry's keyword-only overload returns Any.
    return cast(Callable[[F], F], strawberry.subscription(description=description))


# Changed table -> the GraphQL type of its rows.
ENTITIES: dict[str, Entity[Any]] = {
    e.pk.table.name: e  # type: ignore[attr-defined]
    for e in (
        STATE,
        GOVERNMENT,
        PERIOD,
        PERSON,
        RECOGNITION,
        ENVOY,
        SANCTION,
        AREA,
        COOPERATION,
        SOURCE,
        CITATION,
    )
}

# A burst of changes (an import commits thousands) is read once: a watched list is read again at
# most this often.
DEBOUNCE_SECONDS = 0.2
# While the database is away, a stream tries again after this long (then twice as long, ...).
_RETRY_FIRST_SECONDS = 0.2
_RETRY_MAX_SECONDS = 5.0


@strawberry.type(description="One change in the order changes were committed, with the row now.")
class ChangeEvent:
    cursor: str = strawberry.field(
        description="Where this change stands in the log: pass it as `after` to resume after it."
    )
    change: Change
    _change: strawberry.Private[history.Change]

    @described("The changed row as it is now; null once deleted.")
    async def node(self, info: Info) -> Node | None:
        entity = ENTITIES.get(self._change.entity)
        if entity is None or self._change.action in ("delete", "truncate"):
            return None
        row_id, engine = self._change.row_id, info.context.engine
        try:
            found: Node | None = await info.context.loaders.by_pk(entity).load(row_id)
        except Exception as error:
            # A pooled connection that died with a restarted server: the pool has dropped them
            # now; read again (with fresh loaders, which cached the failure).
            if not _lost(error):
                raise
            found = await _retrying(
                lambda: Loaders(engine).by_pk(entity).load(row_id), "A change event"
            )
        return found


def _listener(info: Info) -> ChangeListener:
    listener = info.context.changes
    if listener is None:
        raise BadUserInput("Subscriptions are served over WebSocket and Server-Sent Events only.")
    return listener


def _lost(error: BaseException) -> bool:
    """The database went away (or a pooled connection died with it): worth waiting for."""
    return database_fault(error) is not None or isinstance(error, asyncpg.InterfaceError)


@asynccontextmanager
async def _driver(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        try:
            yield driver
        except Exception as error:
            # Used through the driver, a dead connection is not noticed by the pool: drop it
            # here, or the next read would be handed the same corpse.
            if _lost(error):
                await connection.invalidate()
            raise


async def _retrying(attempt: Callable[[], Any], what: str) -> Any:
    """`attempt()` until it succeeds, waiting with backoff while the database is away."""
    delay = _RETRY_FIRST_SECONDS
    while True:
        try:
            return await attempt()
        except Exception as error:
            if not _lost(error):
                raise
            logger.info("%s waits for the database: %s", what, error)
        await asyncio.sleep(delay)
        delay = min(delay * 2, _RETRY_MAX_SECONDS)


@strawberry.type
class Subscription:
    @_subscription(
        description=(
            "Every change committed from now on (or, with `after`, every change after that "
            "cursor first: a cursor of this stream or of the `changes` feed), in order, each "
            "once. `entity` keeps one kind of row; with `key`, one fact (its citations and "
            "periods included)."
        )
    )
    async def changes(
        self,
        info: Info,
        after: str | None = None,
        entity: EntityKind | None = None,
        key: str | None = None,
    ) -> AsyncGenerator[ChangeEvent, None]:
        listener = _listener(info)
        checked = cursor_of(after)
        if key is not None and (entity is None or entity.value not in history.KEY_COLUMNS):
            raise BadUserInput("key needs an entity with natural keys")
        context = info.context
        engine = context.engine
        table = entity.value if entity is not None else None
        # With a key: the fact's row ids (one before a delete and a new insert), and its parts.
        fact_ids: set[int] = set()

        mark = context.stream

        def known() -> Position | None:
            # A start that needs no connection (a thousand subscriptions opened at once would
            # otherwise each wait for one from the pool).
            if mark.resume is not None:
                return Position(cursor=mark.resume)
            if checked is not None:
                return Position(cursor=history.decode_cursor(checked))
            shared = listener.window.position
            if shared is not None:
                # The present as the process's window has it (settled up to there).
                return Position(cursor=shared.cursor)
            return None

        async def start() -> Position:
            if (table is None or key is None) and (ready := known()) is not None:
                return ready
            async with _driver(engine) as connection:
                if table is not None and key is not None:
                    column = history.KEY_COLUMNS[table]
                    rows = await connection.fetch(
                        f"SELECT id FROM {table} WHERE {column} = $1", key
                    )
                    fact_ids.update(row["id"] for row in rows)
                return known() or await Position.at_present(connection)

        def wanted(change: history.Change) -> bool:
            if table is None:
                return True
            if key is None:
                return change.entity == table
            if change.entity == table and change.natural_key == key:
                fact_ids.add(change.row_id)
            return (change.entity == table and change.row_id in fact_ids) or (
                change.fact_entity == table and change.fact_id in fact_ids
            )

        position: Position = await _retrying(start, "A change stream")
        while True:
            wake = listener.next_wake()
            shared = None if position.seen else listener.window.after(position.cursor)
            if shared is not None:
                # From memory: everything up to the window's cursor is settled.
                found, position.cursor = shared
                position.gap_running, position.more = None, False
            else:

                async def read() -> list[history.Change]:
                    async with _driver(engine) as connection:
                        return await position.read(connection)

                found = await _retrying(read, "A change stream")
            changes = [c for c in found if wanted(c)]
            fact_keys: dict[Any, str] = {}
            if any(c.fact_entity for c in changes):

                async def keys(changes: list[history.Change] = changes) -> dict[Any, str]:
                    async with _driver(engine) as connection:
                        return await history.fact_keys(connection, changes)

                fact_keys = await _retrying(keys, "A change stream")
            for change in changes:
                # Fresh loaders per event: a cached row must never stand for a newer one.
                context.loaders = Loaders(engine)
                mark.last = change.id
                yield ChangeEvent(
                    cursor=change.cursor,
                    change=Change.of(change, fact_keys.get((change.fact_entity, change.fact_id))),
                    _change=change,
                )
            if position.more:
                continue
            if not position.seen and not position.waiting_on_gap:
                mark.idle_at = position.cursor
                if mark.on_idle is not None:
                    mark.on_idle()
            try:
                # Waiting on a gap: the transaction may roll back, which notifies no one.
                await listener.wait_for(
                    wake, listener.check_interval if position.waiting_on_gap else None
                )
            finally:
                mark.idle_at = None

    @_subscription(
        description=(
            "The recognitions of `subject` (an ISO3 code or a government key), sent at once "
            "and again each time the list changes."
        )
    )
    async def recognitions_of(
        self, info: Info, subject: str
    ) -> AsyncGenerator[list[Recognition], None]:
        listener = _listener(info)
        context = info.context
        engine = context.engine
        where = RecognitionWhere(subject=StringFilter(eq=subject))
        statement = (
            RECOGNITION.select()
            .where(*recognition_conditions(where, None))
            .order_by(RECOGNITION.key)
        )
        sent: list[tuple[Any, ...]] | None = None
        while True:
            wake = listener.next_wake()
            rows = await _retrying(lambda: Loaders(engine).fetch(statement), "A watched list")
            values = [tuple(row) for row in rows]
            if values != sent:
                sent = values
                context.loaders = Loaders(engine)
                yield [RECOGNITION.from_row(row) for row in rows]
            await listener.wait_for(wake, None)
            await asyncio.sleep(DEBOUNCE_SECONDS)
