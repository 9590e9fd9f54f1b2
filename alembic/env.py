"""Async Alembic environment.

The URL comes, in order, from a connection handed over by the caller
(`config.attributes["connection"]`, used by the CLI and the tests), from the `sqlalchemy.url`
option set programmatically, or from the application settings (DATABASE_URL, else the embedded
server in the data folder).
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from api.database import resolve_database_url
from api.database_url import to_sqlalchemy_url
from api.settings import Settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # Extension-owned objects are not ours to manage.
    return not (type_ == "table" and reflected and compare_to is None)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=False,
        include_object=_include_object,
    )


def _do_run_migrations(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        # Rows a migration writes into the audited tables are recorded as the migration's, unless
        # the caller has named an origin already.
        connection.exec_driver_sql(
            "SELECT set_config('credence.origin', "
            "coalesce(nullif(current_setting('credence.origin', true), ''), 'migration'), true)"
        )
        context.run_migrations()


async def _run_async_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or resolve_database_url(Settings())
    engine = create_async_engine(to_sqlalchemy_url(url))
    async with engine.connect() as connection:
        await connection.run_sync(_do_run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_async_migrations())
    else:
        _do_run_migrations(connection)


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
