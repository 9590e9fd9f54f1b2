"""What several commands share: the database URL, and running a coroutine that SIGTERM stops
the way Ctrl-C does."""

import asyncio
import signal
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from api.settings import Settings

T = TypeVar("T")


def database_url_for_cli() -> str:
    """DATABASE_URL, or the embedded server in the data folder (started if need be)."""
    # Imported here: settings and the engine module are not needed to parse the command line.
    from api.database import resolve_database_url
    from api.settings import get_settings

    return resolve_database_url(get_settings())


def describe_database(settings: "Settings") -> str:
    """Which server the commands use, in words safe to print (no password)."""
    if settings.database_url:
        from sqlalchemy.engine import make_url

        from api.database_url import to_sqlalchemy_url

        shown = make_url(to_sqlalchemy_url(settings.database_url))
        return f"PostgreSQL at {shown.render_as_string(hide_password=True)} (DATABASE_URL)"
    return f"embedded PostgreSQL in {settings.data_dir.expanduser().absolute()}"


def run_interruptible(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, with SIGTERM handled as asyncio handles SIGINT: the task is
    cancelled, so it rolls back and closes its connection on the way out, and then
    KeyboardInterrupt is raised, as for Ctrl-C.

    `kill`, `timeout`, systemd and container runtimes stop a process with SIGTERM; left to its
    default action it would end the process at once, without a word, leaving the server to
    notice the dropped connection. Callers catch KeyboardInterrupt and say what happened.
    """
    terminated = False

    async def guarded() -> T:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()

        def on_sigterm() -> None:
            nonlocal terminated
            terminated = True
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if terminated:
            raise KeyboardInterrupt from None
        raise
