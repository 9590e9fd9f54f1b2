"""The app factory: the one place that joins the service (`api`) and the GraphQL surface."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from api.auth import authenticator_for
from api.change_listener import ChangeListener
from api.database import create_engine
from api.replicas import ReadRouting, Replica
from api.runtime import tune_garbage_collector
from api.settings import Settings
from schema.export import SDL_PATH, export_sdl
from schema.http import (
    GraphQLView,
    RequestIdMiddleware,
    graphiql_assets,
    metrics_route,
    prometheus_route,
)
from schema.http_cache import DataVersion, HttpCache
from schema.http_compression import CompressionMiddleware
from schema.http_cors import CorsMiddleware, CorsPolicy
from schema.http_event_stream import WithEventStreams
from schema.http_explore import explore_routes
from schema.http_fast import FastReads
from schema.http_guard import RequestLimits
from schema.http_websocket import websocket_endpoint
from schema.live import Live, LiveLimits
from schema.metrics import Metrics
from schema.persisted_queries import PersistedQueries, load_registered
from schema.root import schema

logger = logging.getLogger(__name__)

# A readiness probe must answer before the orchestrator's own timeout, even when the database hangs.
READY_TIMEOUT_SECONDS = 3.0


class _Database:
    """The engine every route uses: the caller's, or one the lifespan creates and disposes.

    Tests pass their own engine and need no lifespan (httpx's ASGITransport runs none);
    `credence serve` passes none, and uvicorn runs the lifespan.
    """

    def __init__(self, *, url: str, settings: Settings, engine: AsyncEngine | None) -> None:
        self._url = url
        self._settings = settings
        self._engine = engine
        self._owned = engine is None
        # Routing over the replicas the lifespan connects; a given engine reads and writes alone.
        self._routing = ReadRouting(engine) if engine is not None else None
        self._listener: ChangeListener | None = None
        self.live: Live | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(
                "The database engine is created by the app's lifespan, which has not started: "
                "run the lifespan (uvicorn does; tests can use asgi_lifespan.LifespanManager) "
                "or pass engine= to create_app."
            )
        return self._engine

    @property
    def routing(self) -> ReadRouting:
        if self._routing is None:
            self.engine  # noqa: B018 (raises the explanation above)
            raise RuntimeError("no routing")  # pragma: no cover
        return self._routing

    @property
    def listener(self) -> ChangeListener:
        if self._listener is None:
            raise RuntimeError(
                "The change listener is started by the app's lifespan, which has not started."
            )
        return self._listener

    @asynccontextmanager
    async def listening(self) -> AsyncIterator[None]:
        """One listening connection per process, its own (never the pool's), for subscriptions;
        and the live streams' shutdown on SIGTERM."""
        settings = self._settings
        self._listener = ChangeListener(
            settings.database_listen_url or self._url,
            check_interval=settings.live_check_interval,
            connect_timeout=settings.connect_timeout,
        )
        self._listener.start()
        if self.live is not None:
            self.live.install_signal_handlers()
        try:
            yield
        finally:
            listener, self._listener = self._listener, None
            await listener.stop()

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if not self._owned:
            yield
            return
        # Created inside the server's event loop: asyncpg connections belong to one loop.
        settings = self._settings
        self._engine = self._connect(self._url, "credence")
        replicas = [
            Replica(f"replica-{number}", self._connect(url, "credence-read"), url)
            for number, url in enumerate(settings.database_read_urls, start=1)
        ]
        self._routing = routing = ReadRouting(
            self._engine,
            replicas,
            max_lag=settings.max_replica_lag,
            check_interval=settings.replica_check_interval,
            check_timeout=settings.replica_check_timeout,
        )
        try:
            async with routing.watching():
                yield
        finally:
            engine, self._engine, self._routing = self._engine, None, None
            await routing.dispose()
            await engine.dispose()

    def _connect(self, url: str, application_name: str) -> AsyncEngine:
        settings = self._settings
        return create_engine(
            url,
            application_name=application_name,
            pool_size=settings.pool_size,
            statement_timeout=settings.statement_timeout,
            connect_timeout=settings.connect_timeout,
            pool_timeout=settings.pool_timeout,
            read_only=True,
            transaction_pooler=settings.transaction_pooler,
        )


def create_app(
    settings: Settings, *, database_url: str, engine: AsyncEngine | None = None
) -> Starlette:
    # Checked first: a configuration that cannot be served safely stops the start, loudly.
    cors = CorsPolicy.from_settings(
        settings.cors_origins, settings.cors_credentials, settings.cors_max_age
    )
    persisted = PersistedQueries(
        size=settings.persisted_queries_cache_size,
        registered=(
            load_registered(settings.persisted_queries_file)
            if settings.persisted_queries_file is not None
            else None
        ),
        only=settings.persisted_only,
    )
    # Also checked first: a key file that cannot be read stops the start.
    authenticator = authenticator_for(settings)
    database = _Database(url=database_url, settings=settings, engine=engine)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        reason = await _database_problem(database)
        # Replicas are shown, not required: without them queries go to the primary.
        replicas = _replica_states(database)
        if reason is None:
            return JSONResponse({"status": "ok", "database": "ok", **replicas})
        return JSONResponse(
            {"status": "unavailable", "reason": reason, **replicas}, status_code=503
        )

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse(request.url_for("graphql"))

    graphql = GraphQLView(
        schema,
        engine=lambda: database.engine,
        routing=lambda: database.routing,
        compiled_reads=settings.compiled_reads,
        limits=RequestLimits(
            max_body_bytes=settings.max_body_bytes,
            request_timeout=settings.request_timeout,
            retry_after=settings.retry_after,
        ),
        executor_header=settings.debug,
        introspection=settings.introspection,
        field_suggestions=settings.field_suggestions,
        persisted_queries=persisted,
        cache=HttpCache(
            DataVersion(lambda: database.engine, ttl=settings.data_version_ttl),
            settings.cache_control,
        ),
        authenticator=authenticator,
    )
    if graphql.compiled is not None:
        graphql.compiled.in_transaction = settings.transaction_pooler
    if settings.metrics_path:
        # After the view: the metrics read its compiled path's counters.
        graphql.metrics = Metrics(
            compiled=graphql.compiled.stats if graphql.compiled is not None else None,
            engine=lambda: database.engine,
            routing=lambda: database.routing,
        )
    live = Live(
        schema,
        engine=lambda: database.engine,
        listener=lambda: database.listener,
        limits=LiveLimits(
            queue_size=settings.live_queue_size,
            slow_consumer_seconds=settings.live_slow_consumer_seconds,
            subscriptions_per_connection=settings.live_subscriptions_per_connection,
            connections=settings.live_connections,
            keepalive_seconds=settings.live_keepalive_seconds,
        ),
        authenticator=authenticator,
    )
    database.live = live

    async def subscriptions(websocket: WebSocket) -> None:
        await websocket_endpoint(live, websocket)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The engine, then the change listener (and the live streams' shutdown).
        async with database.lifespan(app), database.listening():
            yield

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Mount("/graphql/assets", graphiql_assets(), name="graphiql-assets"),
        # Subscriptions: graphql-transport-ws on the same path, and an event stream for a
        # request that accepts one (graphql-sse); everything else is the view's.
        Route(
            "/graphql",
            WithEventStreams(
                live,
                graphql,
                max_body_bytes=settings.max_body_bytes,
                retry_after=settings.retry_after,
            ),
            name="graphql",
        ),
        WebSocketRoute("/graphql", subscriptions),
        *explore_routes(),
    ]
    if graphql.metrics is not None:
        routes += [
            prometheus_route(graphql.metrics, settings.metrics_path),
            metrics_route(graphql, settings.metrics_path + ".json"),
        ]
    middleware = [Middleware(RequestIdMiddleware)]
    if cors.origins:
        middleware.append(Middleware(CorsMiddleware, policy=cors))
    if settings.compression:
        middleware.append(
            Middleware(CompressionMiddleware, minimum_bytes=settings.compression_min_bytes)
        )
    app = CredenceApp(routes=routes, middleware=middleware, lifespan=lifespan)
    if settings.fast_path and graphql.compiled is not None:
        app.front = FastReads(
            app.starlette,
            view=graphql,
            cors=cors,
            compression_min_bytes=(
                settings.compression_min_bytes if settings.compression else None
            ),
        )
    return app


class CredenceApp(Starlette):
    """Starlette, with an optional layer in front of all of it, its error middleware included.

    The front layer is the fast path (`FastReads`): a plain query with a known plan is answered
    before any of Starlette runs, and everything else reaches Starlette as usual. The fast path
    catches and masks its own errors, as Starlette's outermost middleware would.
    """

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        front = self.front
        if front is None:
            await self.starlette(scope, receive, send)
        else:
            await front(scope, receive, send)

    async def starlette(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def _replica_states(database: _Database) -> dict[str, dict[str, str]]:
    try:
        replicas = database.routing.replicas
    except RuntimeError:
        return {}
    if not replicas:
        return {}
    return {"replicas": {r.name: "ok" if r.healthy else str(r.problem) for r in replicas}}


async def _database_problem(database: _Database) -> str | None:
    """Why the database cannot serve a query now, in words safe to show; None when it can."""
    try:
        engine = database.engine
    except RuntimeError:
        return "database engine not started (the app's lifespan is not running)"
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except TimeoutError:
        logger.warning("Readiness: the database did not answer within %ss", READY_TIMEOUT_SECONDS)
        return f"database did not answer within {READY_TIMEOUT_SECONDS:g}s"
    except Exception as error:
        # Whatever failed, the database cannot serve. The full message (hosts, database names)
        # goes to the log, only the class name to the probe.
        cause = error.orig if isinstance(error, DBAPIError) else error
        logger.warning("Readiness: the database is unavailable: %s", error)
        return f"database unavailable ({type(cause).__name__})"
    return None


def schema_sdl() -> str:
    """The GraphQL schema as SDL (for `credence schema export`, which may not import `schema`)."""
    return export_sdl()


def default_sdl_path() -> Path:
    return SDL_PATH


def create_app_from_environment() -> Starlette:
    """Factory for uvicorn's worker processes (`credence serve --workers N`).

    The parent process has migrated and seeded the database and exported its URL.
    """
    from api.settings import get_settings

    settings = get_settings()
    if not settings.database_url:
        raise RuntimeError("create_app_from_environment needs DATABASE_URL")
    app = create_app(settings, database_url=settings.database_url)
    tune_garbage_collector()
    return app
