import asyncio

import typer

from api.cli.common import database_url_for_cli

app = typer.Typer(help="Migrate the database schema (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database up to REVISION (default: the latest)."""
    from api import migrations

    migrations.upgrade(database_url_for_cli(), revision)
    typer.echo(f"database at {revision}")


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, or `base` for empty."),
) -> None:
    """Migrate the database down to REVISION."""
    from api import migrations

    migrations.downgrade(database_url_for_cli(), revision)
    typer.echo(f"database at {revision}")


@app.command()
def current() -> None:
    """Print the database's revision and the latest one."""
    from sqlalchemy import text

    from api import migrations
    from api.database import create_engine

    async def _current(url: str) -> str | None:
        engine = create_engine(url, application_name="credence-cli", pool_size=1)
        try:
            async with engine.connect() as connection:
                exists = await connection.scalar(text("SELECT to_regclass('alembic_version')"))
                if exists is None:
                    return None
                return await connection.run_sync(migrations.current_revision_sync)
        finally:
            await engine.dispose()

    revision = asyncio.run(_current(database_url_for_cli()))
    typer.echo(f"current: {revision or '(empty database)'}")
    typer.echo(f"head:    {migrations.head_revision()}")
