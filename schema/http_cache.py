"""HTTP caching of GET queries: an ETag from the data's version, 304 when it has not changed.

The data's version is the newest `change_log` id: every write to a fact table is audited there
by a trigger, in the writer's transaction, and writers take turns on `change_log` (an import
locks it until it commits), so ids become visible in order and a larger id means newer data.
`SELECT max(id)` reads one entry of the primary key's index.

The lookup is shared: at most one runs at a time, and its answer is reused for
`ttl` seconds (CREDENCE_DATA_VERSION_TTL, 1 s by default; 0 asks on every GET), so a burst of
GETs costs one tiny query per second, and an answer may be up to `ttl` seconds older than a
write before a revalidation sees it.

The ETag is weak (`W/`): the same answer may travel gzipped, brotli'd or as it is. It covers
the data's version, the request's parameters (the raw query string), the media type answered
and today's date (some fields default to today).

Nothing is cached for a request that carries credentials (Authorization or cookies): such
answers get `Cache-Control: private, no-store` and no ETag. POST answers get no caching headers
(no shared cache stores them).
"""

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import date

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers

DEFAULT_CACHE_CONTROL = "no-cache"
PRIVATE = "private, no-store"
_VERSION_SQL = "SELECT coalesce(max(id), 0) FROM change_log"


class DataVersion:
    def __init__(self, engine: Callable[[], AsyncEngine], ttl: float = 1.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._value = 0
        self._read_at: float | None = None
        self._lock = asyncio.Lock()
        self.lookups = 0  # queries run (tests count them)

    async def current(self) -> int:
        if self._fresh():
            return self._value
        async with self._lock:
            if self._fresh():  # another request looked it up while this one waited
                return self._value
            async with self._engine().connect() as connection:
                raw = await connection.get_raw_connection()
                driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
                value: int = await driver.fetchval(_VERSION_SQL)
            self.lookups += 1
            self._value, self._read_at = value, time.monotonic()
            return value

    def _fresh(self) -> bool:
        return self._read_at is not None and time.monotonic() - self._read_at < self._ttl


def carries_credentials(headers: Headers) -> bool:
    return "authorization" in headers or "cookie" in headers


def etag(version: int, query_string: bytes, media_type: str) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for part in (query_string, media_type.encode(), date.today().isoformat().encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    return f'W/"{version}-{digest.hexdigest()}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether `If-None-Match` names `tag` (compared weakly, as the specification asks)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )


class HttpCache:
    """What the view needs: the data's version, and the Cache-Control of anonymous answers."""

    def __init__(self, version: DataVersion, cache_control: str = DEFAULT_CACHE_CONTROL) -> None:
        self.version = version
        self.cache_control = cache_control
