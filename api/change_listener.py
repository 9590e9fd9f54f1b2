"""One listening connection per process that wakes the change streams when change_log grows.

The connection is its own (never taken from the pool: LISTEN holds it for the life of the process)
and reconnects with backoff when the database goes away. A wake-up carries no data: this connection
reads the new changes once into the process's `ChangeWindow` (by its settled cursor), then wakes
every stream, which takes what follows its own cursor from the window (or, when it is behind the
window, reads change_log itself). A notification lost while reconnecting costs a delay, not a
change; the window is also read every `check_interval` seconds and after each (re)connection.
"""

import asyncio
import contextlib
import logging

import asyncpg

from api.change_feed import ChangeWindow
from api.database_url import to_asyncpg_dsn

logger = logging.getLogger(__name__)

CHANNEL = "credence_changes"
# The periodic check: covers a notification that never came (and notices a dead connection).
CHECK_INTERVAL_SECONDS = 2.0
_BACKOFF_FIRST_SECONDS = 0.1
_BACKOFF_MAX_SECONDS = 5.0


class ChangeListener:
    def __init__(
        self,
        url: str,
        *,
        check_interval: float = CHECK_INTERVAL_SECONDS,
        connect_timeout: float = 5.0,
    ) -> None:
        self._dsn = to_asyncpg_dsn(url)
        self._check_interval = check_interval
        self._connect_timeout = connect_timeout
        self._woken = asyncio.Event()
        self._pending = asyncio.Event()
        # The newest changes, read here once for every stream of the process.
        self.window = ChangeWindow()
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        # How many times the connection was (re)established: tests and metrics read it.
        self.connections = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="credence-change-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.wake()

    def wake(self) -> None:
        # One event per generation: every waiter of this generation wakes, later waiters wait
        # for the next. Waking costs O(1) per waiting stream, whatever their number.
        woken, self._woken = self._woken, asyncio.Event()
        woken.set()

    @property
    def check_interval(self) -> float:
        return self._check_interval

    def next_wake(self) -> asyncio.Event:
        """The wake-up after now. Taken before reading, so one that comes during the read
        is not missed."""
        return self._woken

    async def wait_for(self, wake: asyncio.Event, within: float | None) -> None:
        """Until `wake` (from `next_wake`) is set, or at most `within` seconds."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await wake.wait()

    async def _run(self) -> None:
        backoff = _BACKOFF_FIRST_SECONDS
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.connected.clear()
                logger.warning("Change listener lost its connection (%s); retrying", error)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX_SECONDS)
            if self.connected.is_set():
                backoff = _BACKOFF_FIRST_SECONDS

    async def _listen(self) -> None:
        connection: asyncpg.Connection = await asyncpg.connect(
            self._dsn,
            timeout=self._connect_timeout,
            server_settings={"application_name": "credence-listener"},
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
            self.connections += 1
            self.connected.set()
            # Whatever was committed while no one listened is found by the cursors.
            await self._refresh(connection)
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._check_interval):
                        await self._pending.wait()
                self._pending.clear()
                if not lost.is_set():
                    await self._refresh(connection)
            raise ConnectionError("the listening connection was closed")
        finally:
            self.connected.clear()
            with contextlib.suppress(Exception):
                connection.terminate()

    async def _refresh(self, connection: asyncpg.Connection) -> None:
        # Bounded: a server that stopped answering is a lost connection.
        async with asyncio.timeout(max(self._connect_timeout, 10.0)):
            await self.window.refresh(connection)
        # Every stream wakes: those in the window take from it, the others read their gap.
        self.wake()

    def _notified(
        self,
        connection: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        pid: int,
        channel: str,
        payload: object,
    ) -> None:
        # Whatever the id: it may be the one a stream waits on. Read once, whatever the burst.
        self._pending.set()
