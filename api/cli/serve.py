import logging
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.common import database_url_for_cli, describe_database

if TYPE_CHECKING:
    from api.settings import Settings

logger = logging.getLogger(__name__)


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default 127.0.0.1, or CREDENCE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default 8000, or CREDENCE_PORT).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default 1, or CREDENCE_WORKERS).")
    ] = None,
    seed: Annotated[
        bool, typer.Option(help="Load the bundled seed dataset into an empty database.")
    ] = True,
    migrate: Annotated[
        bool,
        typer.Option(
            help="Bring the database to the latest migration first. Turn it off where a "
            "separate job migrates (several workers, or DATABASE_URL through a pooler)."
        ),
    ] = True,
) -> None:
    """Migrate the database, load the seed into an empty one, and serve GraphQL on /graphql."""
    import uvicorn

    from api import migrations
    from api.app import create_app
    from api.runtime import tune_garbage_collector
    from api.seed import seed_if_empty
    from api.settings import get_settings

    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
    )
    url = database_url_for_cli()
    typer.echo(f"database: {describe_database(settings)}", err=True)
    if migrate:
        migrations.upgrade(url)
    if seed:
        seed_if_empty(url)
    bind_host, bind_port = host or settings.host, port or settings.port
    worker_count = workers or settings.workers
    logger.info("GraphiQL at http://%s:%s/graphql", bind_host, bind_port)
    if worker_count > 1:
        # Workers are separate processes: hand them the resolved URL (the embedded server's
        # too; it keeps running while this process lives).
        os.environ["DATABASE_URL"] = url
        uvicorn.run(
            "api.app:create_app_from_environment",
            factory=True,
            workers=worker_count,
            host=bind_host,
            port=bind_port,
            **uvicorn_options(settings),
        )
        return
    app = create_app(settings, database_url=url)
    tune_garbage_collector()
    uvicorn.run(app, host=bind_host, port=bind_port, **uvicorn_options(settings))


def uvicorn_options(settings: "Settings") -> dict[str, Any]:
    """How uvicorn serves: what it logs, and what it adds to each request and answer.

    Each of these is work uvicorn does per request whether or not it shows. Counted in
    instructions on small reads (bench/README.md, "Second pass", and bench/served.py), its
    defaults cost 7-9 % of a request: the access-log line's arguments, built even when the log
    level drops the line; the proxy headers, looked for on every request; `server: uvicorn`.
    """
    level = settings.log_level.lower()
    forwarded = settings.forwarded_allow_ips.strip()
    return {
        "log_level": level,
        # uvicorn builds an access-log line's arguments before the logger drops it.
        "access_log": logging.getLevelNamesMapping().get(level.upper(), 0) <= logging.INFO,
        "proxy_headers": bool(forwarded),
        "forwarded_allow_ips": forwarded or None,
        # No advertising of the server software (nothing a client needs; something a scan uses).
        "server_header": False,
    }
