import logging

import typer

from api import migrations
from api.cli.common import database_url_for_cli
from api.settings import get_settings

logger = logging.getLogger(__name__)


def serve(
    host: str | None = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 8000)."),
    seed: bool = typer.Option(True, help="Load the bundled seed dataset into an empty database."),
) -> None:
    """Migrate the database, load the seed into an empty one, and serve GraphQL on /graphql."""
    import uvicorn

    from api.app import create_app
    from api.seed import seed_if_empty

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    url = database_url_for_cli()
    migrations.upgrade(url)
    if seed:
        seed_if_empty(url)
    app = create_app(settings, database_url=url)
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level,
    )
