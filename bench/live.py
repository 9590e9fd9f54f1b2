"""From commit to delivery: how long a change takes to reach 1, 100 and 1,000 subscribers on one
worker, against a bare asyncpg LISTEN client measured in the same run, and the server's memory
per subscriber.

    python bench/live.py [--subscribers 1,100,1000] [--changes 30] [--database-url URL]

A fresh database (migrated) on the server of `--database-url` (default: TEST_DATABASE_URL);
one `uvicorn` worker in a process of its own. Subscribers are `changes` subscriptions over
WebSocket, 20 per connection. Each change is one committed UPDATE; its latency for a subscriber
is the time from the end of the COMMIT to that subscriber's event (all on this machine's
monotonic clock). The bare client's latency is the time from the same commit to its NOTIFY.
Memory: the worker's RSS with the subscribers open, less its RSS before, over their number.
Server CPU: the worker's user and system time from the first commit to the end of the round, over
the number of changes; the clients' CPU (this process) likewise: they share the same cores, so
latency measures them too.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Subprotocol  # noqa: E402

from api import migrations  # noqa: E402
from api.database_url import to_asyncpg_dsn  # noqa: E402
from tests.databases import create_database, drop_database  # noqa: E402
from tests.live_server import live_server  # noqa: E402

PER_CONNECTION = 20
QUERY = "subscription { changes(entity: STATE) { cursor } }"


async def _open(url: str, count: int) -> ClientConnection:
    ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_queue=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    for n in range(count):
        payload = {"query": QUERY}
        await ws.send(json.dumps({"type": "subscribe", "id": str(n), "payload": payload}))
    return ws


async def _collect(ws: ClientConnection, arrivals: dict[str, list[float]]) -> None:
    async for raw in ws:
        message = json.loads(raw)
        if message["type"] == "next":
            arrivals.setdefault(message["payload"]["data"]["changes"]["cursor"], []).append(
                time.monotonic()
            )


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


async def _round(
    base: str, pid: int, database_url: str, subscribers: int, changes: int
) -> dict[str, float]:
    url = base.replace("http://", "ws://") + "/graphql"
    worker = psutil.Process(pid)
    rss_before = worker.memory_info().rss
    sockets = []
    for start in range(0, subscribers, PER_CONNECTION):
        sockets.append(await _open(url, min(PER_CONNECTION, subscribers - start)))
    await asyncio.sleep(2)  # every subscription has read its starting point
    rss_after = worker.memory_info().rss
    arrivals: dict[str, list[float]] = {}
    readers = [asyncio.create_task(_collect(ws, arrivals)) for ws in sockets]
    bare = await asyncpg.connect(to_asyncpg_dsn(database_url))
    notified: dict[int, float] = {}

    def _notified(_connection: object, _pid: int, _channel: str, payload: object) -> None:
        notified.setdefault(int(str(payload)), time.monotonic())

    await bare.add_listener("credence_changes", _notified)
    writer = await asyncpg.connect(to_asyncpg_dsn(database_url))
    committed: dict[int, float] = {}
    cpu_before, clients_before = worker.cpu_times(), psutil.Process().cpu_times()
    for n in range(changes):
        async with writer.transaction():
            await writer.execute("UPDATE state SET name = $1 WHERE iso3 = 'AAA'", f"N{n}")
            change_id = await writer.fetchval("SELECT max(id) FROM change_log")
        committed[change_id] = time.monotonic()
        await asyncio.sleep(0.2)
    await asyncio.sleep(3)
    cpu_after, clients_after = worker.cpu_times(), psutil.Process().cpu_times()
    for task in readers:
        task.cancel()
    for ws in sockets:
        await ws.close()
    await bare.close()
    await writer.close()
    from api.history import encode_cursor

    delivered = [t - committed[i] for i in committed for t in arrivals.get(encode_cursor(i), [])]
    expected = subscribers * changes
    bare_latencies = [notified[i] - committed[i] for i in committed if i in notified]
    p50, p99 = _percentiles(delivered) if delivered else (float("nan"), float("nan"))
    b50, b99 = _percentiles(bare_latencies)
    return {
        "delivered": len(delivered) / expected,
        "p50_ms": p50 * 1000,
        "p99_ms": p99 * 1000,
        "bare_p50_ms": b50 * 1000,
        "bare_p99_ms": b99 * 1000,
        "kib_per_subscriber": (rss_after - rss_before) / 1024 / subscribers,
        # The worker's CPU (user and system) from the first commit to the end of the round,
        # per change: what the server spends, whatever the clients on the same cores cost.
        "server_cpu_ms_per_change": (
            (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system)
            * 1000
            / changes
        ),
        # This process's (the subscribers' and the writer's) on the same cores, likewise.
        "client_cpu_ms_per_change": (
            (
                clients_after.user
                + clients_after.system
                - clients_before.user
                - clients_before.system
            )
            * 1000
            / changes
        ),
    }


async def _main(url: str, counts: list[int], changes: int) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    await connection.execute("INSERT INTO state (iso3, name) VALUES ('AAA', 'A')")
    await connection.close()
    with live_server(url) as (base, pid):
        print(
            "subscribers  delivered  p50 ms  p99 ms  bare p50  bare p99  "
            "p50/bare  p99/bare  KiB/sub  server CPU ms/change  client CPU ms/change"
        )
        for count in counts:
            r = await _round(base, pid, url, count, changes)
            print(
                f"{count:>11}  {r['delivered']:>8.0%}  {r['p50_ms']:>6.1f}  "
                f"{r['p99_ms']:>6.1f}  {r['bare_p50_ms']:>8.2f}  {r['bare_p99_ms']:>8.2f}  "
                f"{r['p50_ms'] / r['bare_p50_ms']:>8.1f}  "
                f"{r['p99_ms'] / r['bare_p99_ms']:>8.1f}  {r['kib_per_subscriber']:>7.1f}  "
                f"{r['server_cpu_ms_per_change']:>20.1f}  {r['client_cpu_ms_per_change']:>20.1f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", default="1,100,1000")
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url or TEST_DATABASE_URL is needed")
    counts = [int(n) for n in args.subscribers.split(",")]
    url = create_database(args.database_url, prefix="credence_bench_live")
    try:
        migrations.upgrade(url)
        asyncio.run(_main(url, counts, args.changes))
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
