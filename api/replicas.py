"""Read replicas: which database a query goes to.

Queries go to a healthy streaming replica, round robin; writes, and any read that must see the
caller's own writes, go to the primary. A background check asks every replica, every
`check_interval` seconds, whether it answers and how far it lags; a replica that does not answer
within `check_timeout`, or lags more than `max_lag`, leaves the rotation until a later check
finds it well again. A query that meets a dead replica before the check notices is retried on
the primary by the HTTP layer, which also takes the replica out at once (`mark_down`).

Lag is the age of the last transaction the replica replayed when it has WAL it has not replayed
yet, or when its WAL receiver is not streaming (it may be missing changes); a replica that has
replayed everything it received while streaming is 0 s behind, however idle the primary is.
A replica that is behind but has replayed no transaction since it started cannot tell its lag:
it counts as infinitely behind until it replays one.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from api.database_url import to_asyncpg_dsn

logger = logging.getLogger(__name__)

# One statement per check: recovery state, streaming state and lag in seconds.
_LAG_SQL = """
    SELECT pg_is_in_recovery() AS standby,
           CASE
             WHEN NOT pg_is_in_recovery() THEN 0.0
             WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                  AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')
               THEN 0.0
             ELSE coalesce(
               extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8,
               'Infinity'::float8)
           END AS lag
    """


@dataclass(eq=False)
class Replica:
    """One configured replica and what the last check found."""

    name: str
    engine: AsyncEngine
    # Checked over a connection of its own, never one of the pool: a check waiting behind busy
    # queries for a pooled connection would take a loaded but healthy replica out.
    url: str
    probe: asyncpg.Connection | None = field(default=None, repr=False)
    # Out of the rotation until a check finds it answering (a replica that was never checked
    # is not trusted: it may be a stale copy that just came up).
    healthy: bool = False
    lag: float | None = None
    # Why it is out of the rotation, for logs and /readyz.
    problem: str | None = "not checked yet"
    checks_failed: int = field(default=0)


@dataclass(frozen=True, slots=True)
class ReadTarget:
    """Where one request's queries run: an engine, and the replica behind it (None: primary)."""

    engine: AsyncEngine
    replica: Replica | None = None

    @property
    def name(self) -> str:
        return "primary" if self.replica is None else self.replica.name


class ReadRouting:
    def __init__(
        self,
        primary: AsyncEngine,
        replicas: Sequence[Replica] = (),
        *,
        max_lag: float = 5.0,
        check_interval: float = 1.0,
        check_timeout: float = 1.0,
    ) -> None:
        self.primary = ReadTarget(primary)
        self.replicas = list(replicas)
        self.max_lag = max_lag
        self.check_interval = check_interval
        self.check_timeout = check_timeout
        self._turns = itertools.count()

    def reader(self) -> ReadTarget:
        """A healthy replica, taking turns; the primary when none is."""
        if not self.replicas:
            return self.primary
        healthy = [replica for replica in self.replicas if replica.healthy]
        if not healthy:
            return self.primary
        replica = healthy[next(self._turns) % len(healthy)]
        return ReadTarget(replica.engine, replica)

    def mark_down(self, replica: Replica, problem: str) -> None:
        """Out of the rotation now (a query failed on it); the next good check brings it back."""
        if replica.healthy:
            logger.warning("Replica %s left the rotation: %s", replica.name, problem)
        replica.healthy, replica.problem = False, problem

    async def check(self, replica: Replica) -> None:
        """Ask one replica whether it answers and how far behind it is."""
        problem: str | None
        try:
            async with asyncio.timeout(self.check_timeout):
                row = await self._probe(replica)
        except TimeoutError:
            problem = f"no answer within {self.check_timeout:g}s"
            await self._drop_probe(replica)
        except Exception as error:  # any failure means: do not send queries there
            problem = f"unavailable ({type(error).__name__})"
            await self._drop_probe(replica)
        else:
            replica.lag = float(row["lag"])
            if not row["standby"]:
                # Promoted (or misconfigured): still a correct copy, so it may serve reads.
                problem = None
            elif replica.lag > self.max_lag:
                problem = f"lagging {replica.lag:.1f}s (more than {self.max_lag:g}s)"
            else:
                problem = None
        if problem is None:
            if not replica.healthy:
                logger.info("Replica %s is in the rotation (lag %.2fs)", replica.name, replica.lag)
            replica.healthy, replica.problem, replica.checks_failed = True, None, 0
        else:
            replica.checks_failed += 1
            self.mark_down(replica, problem)

    async def _probe(self, replica: Replica) -> asyncpg.Record:
        if replica.probe is None or replica.probe.is_closed():
            replica.probe = await asyncpg.connect(
                to_asyncpg_dsn(replica.url),
                # No prepared statement kept: the replica may sit behind a transaction pooler.
                statement_cache_size=0,
                server_settings={"application_name": "credence-replica-check"},
            )
        row = await replica.probe.fetchrow(_LAG_SQL)
        assert row is not None
        return row

    async def _drop_probe(self, replica: Replica) -> None:
        probe, replica.probe = replica.probe, None
        if probe is not None:
            probe.terminate()

    async def check_all(self) -> None:
        await asyncio.gather(*(self.check(replica) for replica in self.replicas))

    async def watch(self) -> None:
        """Check every replica every `check_interval` seconds, forever (a background task)."""
        while True:
            started = time.monotonic()
            await self.check_all()
            await asyncio.sleep(max(0.0, self.check_interval - (time.monotonic() - started)))

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """The background check for the life of the app (nothing to do without replicas)."""
        if not self.replicas:
            yield
            return
        # A first round before serving, so a healthy replica takes queries from the start.
        await self.check_all()
        task = asyncio.create_task(self.watch(), name="credence-replica-check")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def dispose(self) -> None:
        for replica in self.replicas:
            await self._drop_probe(replica)
            await replica.engine.dispose()
