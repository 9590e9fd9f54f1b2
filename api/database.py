"""Engines and sessions. Nothing here connects at import time."""

import uuid

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from api.database_url import to_asyncpg_dsn, to_sqlalchemy_url
from api.driver_pool import DriverPool, register_driver_pool
from api.embedded import start_embedded_server
from api.settings import Settings

# How long past PostgreSQL's own statement timeout the client waits for an answer before it
# gives the server up (a frozen or unreachable server never sends the timeout error).
_CLIENT_GRACE_SECONDS = 2.0


def resolve_database_url(settings: Settings) -> str:
    """The configured server, or the embedded one in the data folder."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_server(settings.data_dir)


def create_engine(
    url: str,
    *,
    application_name: str = "credence",
    pool_size: int = 10,
    statement_timeout: float | None = None,
    connect_timeout: float = 10.0,
    pool_timeout: float = 30.0,
    read_only: bool = False,
    transaction_pooler: bool = False,
) -> AsyncEngine:
    """An engine whose every wait is bounded.

    `read_only` makes READ ONLY the default of every transaction (the GraphQL service's engine).
    `statement_timeout` (seconds) is set in PostgreSQL for each connection, so a statement the
    server runs too long is cancelled by the server itself; the client gives up a little later
    (asyncpg's command timeout), which covers a server that stopped answering altogether.
    """
    server_settings = {"application_name": application_name}
    if read_only:
        # Every transaction on these connections is READ ONLY unless it says otherwise (the
        # mutations' `BEGIN READ WRITE`): a bug in a read path cannot write, and it costs no
        # round trip (a startup parameter, sent with the connection).
        server_settings["default_transaction_read_only"] = "on"
    connect_args: dict[str, object] = {"timeout": connect_timeout}
    if statement_timeout is not None:
        server_settings["statement_timeout"] = str(round(statement_timeout * 1000))
        # A backend whose client vanished (killed, network lost) stops at its next check
        # instead of running its statement to the end.
        server_settings["client_connection_check_interval"] = "2000"
        connect_args["command_timeout"] = statement_timeout + _CLIENT_GRACE_SECONDS
    if transaction_pooler:
        # A transaction-mode pooler (PgBouncer) hands each transaction to whichever server
        # connection is free: a named prepared statement made on one is missing on the next,
        # and settings sent at connection start reach only the pooler, which refuses those it
        # does not know. Statements are prepared unnamed (uniquely named where SQLAlchemy
        # insists on a name) and the server's own per-role settings apply instead.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
        server_settings = {"application_name": application_name}
    connect_args["server_settings"] = server_settings
    engine = _create_async_engine(
        to_sqlalchemy_url(url),
        pool_size=pool_size,
        # Never more than the pool's size: a connection opened for a burst and closed on return
        # costs a connection's start (TLS attempt, authentication) on every request past it.
        max_overflow=0,
        pool_timeout=pool_timeout,
        # No pre-ping: the loaders take a pooled connection per batch, and a ping per batch would
        # double the round trips. Recycling bounds the life of a connection instead.
        pool_recycle=1800,
        # Named connections make pg_stat_activity readable for operators.
        connect_args=connect_args,
    )
    # The compiled reads' own pool: the same server, settings and bounds, asyncpg's arguments
    # only (the prepared-statement naming is SQLAlchemy's).
    driver_args = {k: v for k, v in connect_args.items() if k in _ASYNCPG_CONNECT_ARGS}
    dsn = to_asyncpg_dsn(url)

    async def connect() -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(dsn, **driver_args)  # type: ignore[call-overload]
        return connection

    pool = DriverPool(connect, size=pool_size, timeout=pool_timeout)
    register_driver_pool(engine, pool)
    return engine


_ASYNCPG_CONNECT_ARGS = frozenset(
    {"timeout", "command_timeout", "statement_cache_size", "server_settings"}
)


def _unique_statement_name() -> str:
    return f"__credence_{uuid.uuid4().hex}__"


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
