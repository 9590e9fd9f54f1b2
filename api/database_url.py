"""Turn the user's PostgreSQL URL into the forms SQLAlchemy and asyncpg each expect."""

from sqlalchemy.engine import URL, make_url

_ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


class DatabaseURLError(ValueError):
    pass


def to_sqlalchemy_url(url: str) -> URL:
    """`postgresql://...` (the usual form) or `postgresql+asyncpg://...` to an asyncpg URL."""
    parsed = make_url(url)
    if parsed.drivername not in _ACCEPTED_SCHEMES:
        raise DatabaseURLError(
            f"DATABASE_URL must be a PostgreSQL URL (postgresql://user@host:port/db), "
            f"got scheme {parsed.drivername!r}"
        )
    return parsed.set(drivername="postgresql+asyncpg")


def to_asyncpg_dsn(url: str | URL) -> str:
    """A libpq-style DSN for `asyncpg.connect` (no `+asyncpg` driver suffix)."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str | URL, database: str) -> str:
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(database=database).render_as_string(hide_password=False)
