"""A lean pool of asyncpg connections for the compiled reads.

The compiled read path needs nothing of SQLAlchemy but a connection: it sends one statement and
splices the bytes that come back. Taking that connection from SQLAlchemy's pool cost about a
tenth of a small read's CPU (the async adapter's greenlet, the connection and fairy objects, the
pool's events, and the same again on return). This pool hands out asyncpg connections from a
list: the last one returned is the next one taken (it is the warmest), and nothing is sent to
the server on return, so a prepared statement stays prepared on its connection and asyncpg's
statement cache reuses it.

Each engine made by `api.database.create_engine` gets one such pool, sized and bounded as the
engine's own (`CREDENCE_POOL_SIZE`, `CREDENCE_POOL_TIMEOUT`), opening connections as they are
first needed, with the same settings (statement timeout, read-only transactions, the pooler's
unnamed statements). Disposing of the engine closes it.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from weakref import WeakKeyDictionary

import asyncpg
from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine


class PoolTimeout(TimeoutError):
    """No connection came free in time (a TimeoutError: the database is busy; retry later)."""


class DriverPool:
    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        size: int,
        timeout: float,
    ) -> None:
        self._connect = connect
        self._size = size
        self._timeout = timeout
        self._idle: list[asyncpg.Connection] = []
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._opened = 0
        # Connections opened before the last `close` are closed as they come back.
        self._current: set[asyncpg.Connection] = set()
        # Called with each connection the pool opens (tests watch the statements it runs).
        self.on_connect: list[Callable[[asyncpg.Connection], None]] = []

    @property
    def opened(self) -> int:
        """Connections open now, idle or in use."""
        return self._opened

    @property
    def in_use(self) -> int:
        return self._opened - len(self._idle)

    async def acquire(self) -> asyncpg.Connection:
        while True:
            while self._idle:
                connection = self._idle.pop()
                if not connection.is_closed():
                    return connection
                self._opened -= 1  # closed while idle (the server went away)
            if self._opened < self._size:
                self._opened += 1
                try:
                    connection = await self._connect()
                except BaseException:
                    self._opened -= 1
                    self._wake()
                    raise
                self._current.add(connection)
                for listener in self.on_connect:
                    listener(connection)
                return connection
            handed = await self._wait()
            if handed is not None:
                return handed
            # Woken without a connection: one was closed, so there is room to open another.

    async def _wait(self) -> asyncpg.Connection | None:
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._timeout):
                return await waiter
        except BaseException as error:
            # Cancelled (or timed out) just after a connection was handed over: keep it.
            if waiter.done() and not waiter.cancelled():
                handed = waiter.result()
                if handed is not None:
                    self.release(handed)
            if isinstance(error, TimeoutError):
                raise PoolTimeout(
                    f"no database connection came free within {self._timeout:g}s"
                ) from None
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def release(self, connection: asyncpg.Connection) -> None:
        """Return a connection in a known state (its statements ran to completion or the
        server refused them)."""
        if connection not in self._current or connection.is_closed():
            self.discard(connection)
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def discard(self, connection: asyncpg.Connection) -> None:
        """Close a connection whose state is unknown (a request cancelled mid-statement, a
        broken socket) rather than hand it to the next request."""
        connection.terminate()
        self._current.discard(connection)
        self._opened -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every idle connection now, and each one in use as it is returned.

        As SQLAlchemy's `dispose`: the pool stays usable and opens new connections as needed.
        """
        self._current.clear()
        idle, self._idle = self._idle, []
        for connection in idle:
            self.discard(connection)


_POOLS: "WeakKeyDictionary[Engine, DriverPool]" = WeakKeyDictionary()


def register_driver_pool(engine: AsyncEngine, pool: DriverPool) -> None:
    """Make `pool` the compiled reads' pool of `engine`, closed whenever the engine is disposed."""
    _POOLS[engine.sync_engine] = pool
    event.listen(engine.sync_engine, "engine_disposed", lambda _: pool.close())


def driver_pool(engine: AsyncEngine) -> DriverPool | None:
    """The compiled reads' pool of an engine `create_engine` made; None for any other engine."""
    return _POOLS.get(engine.sync_engine)
