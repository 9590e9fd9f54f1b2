"""Engines and sessions. Nothing here connects at import time."""

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from api.database_url import to_sqlalchemy_url
from api.embedded import start_embedded_server
from api.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    """The configured server, or the embedded one in the data folder."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_server(settings.data_dir)


def create_engine(
    url: str, *, application_name: str = "credence", pool_size: int = 10
) -> AsyncEngine:
    return _create_async_engine(
        to_sqlalchemy_url(url),
        pool_size=pool_size,
        # No pre-ping: the loaders take a pooled connection per batch, and a ping per batch would
        # double the round trips. Recycling bounds the life of a connection instead.
        pool_recycle=1800,
        # Named connections make pg_stat_activity readable for operators.
        connect_args={"server_settings": {"application_name": application_name}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
