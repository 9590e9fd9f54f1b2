"""Which failures mean "the database is away" (retry later) or "the statement ran too long".

Both read paths and the readiness probe ask here, so a restart, a frozen server or an exhausted
pool gives callers one retryable answer instead of a masked internal error.
"""

from collections.abc import Iterator
from enum import Enum

import asyncpg
from sqlalchemy import exc as sa_exc


class DatabaseFault(Enum):
    UNAVAILABLE = "unavailable"
    STATEMENT_TIMEOUT = "statement timeout"


# Server states in which it cannot answer now but will again: shutting down, starting up,
# crashed, out of connection slots. Everything of class 08 is a broken connection.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
    # Refused, reset, unreachable, and asyncpg's connect or command timeout (TimeoutError is an
    # OSError): the server did not answer at all.
    OSError,
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # SQLAlchemy wraps the driver's exception in `.orig`; the driver's own is its cause.
        wrapped = getattr(current, "orig", None)
        if isinstance(wrapped, BaseException) and id(wrapped) not in seen:
            current = wrapped
        else:
            current = current.__cause__ or current.__context__


def database_fault(error: BaseException) -> DatabaseFault | None:
    for cause in _causes(error):
        if isinstance(cause, asyncpg.QueryCanceledError):
            return DatabaseFault.STATEMENT_TIMEOUT
        if isinstance(cause, _UNAVAILABLE_ERRORS):
            return DatabaseFault.UNAVAILABLE
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return DatabaseFault.UNAVAILABLE
    return None
