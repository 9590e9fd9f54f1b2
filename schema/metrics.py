"""Prometheus metrics of one app: requests, latency, compiled-path fallbacks, the pool.

Each app has a registry of its own (not prometheus_client's global one), so a process creating
many apps (the tests) never registers a name twice, and each app reports only its own traffic.

Per request: one bucket count and one sum, in plain Python numbers per (operation, executor)
pair. Everything is turned into metrics when Prometheus scrapes: those counts, the compiled
path's counters (`CompiledStats`, which it keeps anyway) and the pool's state.

Imports are not here: `credence import` runs in a process of its own, which ends before any
scrape could read it; its summary and exit status are what a scheduler records.
"""

from bisect import bisect_left
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy.ext.asyncio import AsyncEngine

from api.driver_pool import driver_pool
from api.replicas import ReadRouting
from schema.compiled.executor import CompiledStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# What served a request: the compiled path, the resolvers, or nothing (refused before an
# operation ran: a malformed request, an unknown persisted query, an HTTP error).
EXECUTORS = ("compiled", "resolver", "none")
# The operation's type; `unknown` when the request never named a runnable operation.
OPERATIONS = ("query", "mutation", "unknown")

# From a cached persisted query (about a millisecond) to the request deadline (15 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)


class Metrics:
    def __init__(
        self,
        *,
        compiled: CompiledStats | None = None,
        engine: Callable[[], AsyncEngine] | None = None,
        routing: Callable[[], ReadRouting] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self._requests = _RequestCollector()
        self.registry.register(self._requests)
        if compiled is not None:
            self.registry.register(_CompiledCollector(compiled))
        if engine is not None:
            self.registry.register(_PoolCollector(engine))
        if routing is not None:
            self.registry.register(_ReplicaCollector(routing))

    def observe(self, operation: str, executor: str, seconds: float) -> None:
        series = self._requests.series[(operation, executor)]
        series.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        series.total += seconds

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Series:
    """One (operation, executor) pair's requests: a count per latency bucket, and their sum."""

    __slots__ = ("buckets", "total")

    def __init__(self) -> None:
        # One more than the bounds: the last counts what passed the highest bound (+Inf).
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0


class _RequestCollector(Collector):
    """Requests and their latency, kept as plain counts and turned into metrics when scraped.

    prometheus_client's Counter and Histogram take a lock and walk their buckets on every
    observation; at several thousand small reads a second that was a measurable share of a
    request. One event loop per worker observes, so plain integers are exact.
    """

    def __init__(self) -> None:
        self.series = {
            (operation, executor): _Series() for operation in OPERATIONS for executor in EXECUTORS
        }

    def collect(self) -> Iterator[Any]:
        requests = CounterMetricFamily(
            "credence_graphql_requests",
            "GraphQL requests answered, by operation type and by what served them.",
            labels=["operation", "executor"],
        )
        latency = HistogramMetricFamily(
            "credence_graphql_request_duration_seconds",
            "Time from a GraphQL request's arrival to its answer being sent.",
            labels=["operation", "executor"],
        )
        bounds = [*(floatToGoString(b) for b in LATENCY_BUCKETS), "+Inf"]  # type: ignore[no-untyped-call]
        for labels, series in self.series.items():
            cumulative = list(accumulate(series.buckets))
            requests.add_metric(labels, cumulative[-1])
            latency.add_metric(labels, list(zip(bounds, cumulative, strict=True)), series.total)
        yield requests
        yield latency


class _CompiledCollector(Collector):
    """The compiled path's own counters, read at scrape time (nothing added per request)."""

    def __init__(self, stats: CompiledStats) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Any]:
        stats = self._stats
        yield CounterMetricFamily(
            "credence_compiled_answers",
            "Query operations the compiled path answered.",
            value=stats.compiled,
        )
        yield CounterMetricFamily(
            "credence_compiled_fast_answers",
            "Of those, answered on the fast path (a plain POST query whose plan was known).",
            value=stats.fast,
        )
        yield CounterMetricFamily(
            "credence_compiled_statements",
            "SQL statements the compiled path ran (one per root field).",
            value=stats.statements,
        )
        fallbacks = CounterMetricFamily(
            "credence_compiled_fallbacks",
            "Requests the compiled path left to the resolvers, by reason (a field the planner "
            "does not cover, a mutation, a document that does not validate, ...).",
            labels=["reason"],
        )
        for reason, count in sorted(stats.reasons.items()):
            fallbacks.add_metric([reason], count)
        yield fallbacks


class _PoolCollector(Collector):
    """Database connections of this worker's pools: the compiled reads' (in use, open) and the
    other one's (checked out, size)."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Any]:
        try:
            engine = self._engine()
        except RuntimeError:
            return  # the engine is not started yet (the app's lifespan has not run)
        compiled = driver_pool(engine)
        if compiled is not None:
            yield GaugeMetricFamily(
                "credence_db_compiled_pool_in_use",
                "Connections of the compiled reads' pool in use by requests now.",
                value=compiled.in_use,
            )
            yield GaugeMetricFamily(
                "credence_db_compiled_pool_open",
                "Connections the compiled reads' pool holds open (idle or in use).",
                value=compiled.opened,
            )
        pool: Any = engine.pool
        checked_out = getattr(pool, "checkedout", None)
        size = getattr(pool, "size", None)
        if checked_out is None or size is None:
            return  # a pool without a size (NullPool in some tools)
        yield GaugeMetricFamily(
            "credence_db_pool_checked_out",
            "Database connections in use by requests now.",
            value=checked_out(),
        )
        yield GaugeMetricFamily(
            "credence_db_pool_size",
            "Database connections the pool keeps (CREDENCE_POOL_SIZE).",
            value=size(),
        )


class _ReplicaCollector(Collector):
    """Each read replica: in the rotation or not, and its lag at the last check."""

    def __init__(self, routing: Callable[[], ReadRouting]) -> None:
        self._routing = routing

    def collect(self) -> Iterator[Any]:
        try:
            replicas = self._routing().replicas
        except RuntimeError:
            return  # not started yet
        if not replicas:
            return
        healthy = GaugeMetricFamily(
            "credence_replica_healthy",
            "1 when the replica serves queries, 0 when it is out of the rotation.",
            labels=["replica"],
        )
        lag = GaugeMetricFamily(
            "credence_replica_lag_seconds",
            "How far the replica was behind the primary at its last successful check.",
            labels=["replica"],
        )
        for replica in replicas:
            healthy.add_metric([replica.name], 1.0 if replica.healthy else 0.0)
            if replica.lag is not None:
                lag.add_metric([replica.name], replica.lag)
        yield healthy
        yield lag
