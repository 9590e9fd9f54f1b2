"""Mutations per second: `upsertRecognitions` with 1 and with 1,000 items, over HTTP, against
baselines measured in the same run.

    python bench/mutations.py [--single 200] [--batches 10] [--database-url URL]

On a fresh database holding every ISO 3166 state and 100 sources, new recognitions (distinct
recognizer/subject pairs, each citing 1-2 sources) are written four ways, each with rows of its
own so that every write is an insert:

1. `upsertRecognitions` over HTTP (the app in process, httpx's ASGI transport, READ ONLY
   transactions by default as the service runs) with an editor's HS256 token:
   `--single` calls of 1 item, then `--batches` calls of 1,000 items.
2. The importer's pipeline on one held connection (`import_on`, what a mutation wraps), with
   the same sizes: what GraphQL, HTTP, the pooled connection and the read-back add.
3. Hand-written SQL on one held connection, the same sizes, one transaction per call: one
   INSERT ... SELECT of the recognitions resolving the natural keys by joins, one of their
   citations, with every constraint, index and audit trigger in place (the floor).

Prints calls/s and rows/s for each, and each line's time as a multiple of the floor's. The
database: --database-url, else TEST_DATABASE_URL, else DATABASE_URL, else a temporary embedded
server; a fresh database is created there and dropped after.
"""

import argparse
import asyncio
import itertools
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pycountry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import migrations  # noqa: E402
from api.app import create_app  # noqa: E402
from api.auth import AuthConfig, mint_token  # noqa: E402
from api.database import create_engine  # noqa: E402
from api.database_url import to_asyncpg_dsn, with_database  # noqa: E402
from api.importer import ImportOptions, RowsInput, import_inputs  # noqa: E402
from api.importer.pipeline import import_on  # noqa: E402
from api.roles import Role  # noqa: E402
from api.settings import Settings  # noqa: E402

SOURCES = 100
UPSERT = """mutation($input: [RecognitionInput!]!) {
  upsertRecognitions(input: $input) { recognitions { key } changeId } }"""
SECRET = "a-benchmark-secret-of-32-bytes-or-more"


def server_url(given: str | None) -> str:
    chosen = given or os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if chosen:
        return chosen
    from api.embedded import start_temporary_server

    return start_temporary_server()


def recognitions() -> Iterator[dict[str, Any]]:
    """New recognitions, each of a pair not seen before (so never overlapping)."""
    codes = sorted(country.alpha_3 for country in pycountry.countries)
    for number, (recognizer, subject) in enumerate(itertools.permutations(codes, 2)):
        year = 1950 + number % 70
        yield {
            "recognizer": recognizer,
            "subject": subject,
            "from": f"{year}-{1 + number % 12:02d}",
            "type": ("de_jure", "de_facto", "unspecified")[number % 3],
            "sources": [f"S{number % SOURCES}", f"S{(number + 7) % SOURCES}"][: 1 + number % 2],
        }


def as_graphql(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "sources": [{"source": key} for key in record["sources"]]}


_FLOOR_RECOGNITIONS = """
INSERT INTO recognition (key, recognizer_id, subject_state_id, episode, type, mode,
                         from_date, from_precision)
SELECT r.recognizer || '>' || r.subject || '#1', a.id, b.id, 1, r.type, 'unspecified',
       (r.start || '-01')::date, 'month'
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS r(recognizer, subject, start, type)
JOIN state a ON a.iso3 = r.recognizer JOIN state b ON b.iso3 = r.subject
"""
_FLOOR_CITATIONS = """
INSERT INTO citation (source_id, recognition_id, position)
SELECT s.id, t.id, c.position
FROM unnest($1::text[], $2::text[], $3::int[]) AS c(fact, source, position)
JOIN recognition t ON t.key = c.fact JOIN source s ON s.key = c.source
"""


async def floor_write(connection: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    async with connection.transaction():
        await connection.execute(
            "SELECT set_config('credence.actor', 'bench', true), "
            "set_config('credence.origin', 'bench', true)"
        )
        await connection.execute(
            _FLOOR_RECOGNITIONS,
            [r["recognizer"] for r in rows],
            [r["subject"] for r in rows],
            [r["from"] for r in rows],
            [r["type"] for r in rows],
        )
        cited = [
            (f"{r['recognizer']}>{r['subject']}#1", key, position)
            for r in rows
            for position, key in enumerate(r["sources"])
        ]
        await connection.execute(
            _FLOOR_CITATIONS, [c[0] for c in cited], [c[1] for c in cited], [c[2] for c in cited]
        )


async def pipeline_write(connection: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    async with connection.transaction():
        summary = await import_on(
            connection,
            [RowsInput("input", "recognitions", rows)],
            ImportOptions(actor="bench", origin="bench"),
        )
    assert not summary.errors, summary.errors[:3]


async def timed(
    write: Callable[[list[dict[str, Any]]], Awaitable[None]], calls: list[list[dict[str, Any]]]
) -> float:
    started = time.perf_counter()
    for rows in calls:
        await write(rows)
    return time.perf_counter() - started


async def run(url: str, single: int, batches: int) -> None:
    await import_inputs(
        [
            RowsInput(
                "states",
                "states",
                [{"iso3": c.alpha_3, "name": c.name} for c in pycountry.countries],
            ),
            RowsInput(
                "sources",
                "sources",
                [{"key": f"S{n}", "title": f"Source {n}"} for n in range(SOURCES)],
            ),
        ],
        database_url=url,
        options=ImportOptions(actor="bench"),
    )
    fresh = recognitions()

    def take(size: int, count: int) -> list[list[dict[str, Any]]]:
        return [list(itertools.islice(fresh, size)) for _ in range(count)]

    # As the service runs: transactions READ ONLY unless they say otherwise, tokens verified.
    engine = create_engine(url, application_name="credence-bench", pool_size=4, read_only=True)
    settings = Settings(_env_file=None, jwt_secret=SECRET)  # type: ignore[call-arg]
    app = create_app(settings, database_url=url, engine=engine)
    editor = mint_token(
        AuthConfig.from_settings(settings), role=Role.EDITOR, subject="bench", ttl_seconds=86_400
    )
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    results: list[tuple[str, int, int, float]] = []
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:

            async def mutation(rows: list[dict[str, Any]]) -> None:
                response = await client.post(
                    "/graphql",
                    headers={"authorization": f"Bearer {editor}"},
                    json={"query": UPSERT, "variables": {"input": [as_graphql(r) for r in rows]}},
                )
                body = response.json()
                assert "errors" not in body, body["errors"]
                assert len(body["data"]["upsertRecognitions"]["recognitions"]) == len(rows)

            for size, count in ((1, single), (1000, batches)):
                # One untimed call of each kind first: plans, pools and caches warm.
                for write in (
                    mutation,
                    lambda r: pipeline_write(connection, r),
                    lambda r: floor_write(connection, r),
                ):
                    await write(take(size, 1)[0])
                for name, write in (
                    ("upsertRecognitions (HTTP)", mutation),
                    (
                        "importer pipeline (held connection)",
                        lambda r: pipeline_write(connection, r),
                    ),
                    ("hand-written SQL (floor)", lambda r: floor_write(connection, r)),
                ):
                    seconds = await timed(write, take(size, count))
                    results.append((name, size, count, seconds))
    finally:
        await connection.close()
        await engine.dispose()

    print(
        f"{'line':<38} {'items':>6} {'calls':>6} {'seconds':>8} {'calls/s':>9} "
        f"{'rows/s':>9} {'x floor':>8}"
    )
    floors = {size: seconds for name, size, _, seconds in results if name.endswith("(floor)")}
    for name, size, count, seconds in results:
        print(
            f"{name:<38} {size:>6} {count:>6} {seconds:>8.2f} {count / seconds:>9.1f} "
            f"{size * count / seconds:>9,.0f} {seconds / floors[size]:>8.1f}"
        )


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(with_database(url, "postgres")))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=200, help="calls of 1 item")
    parser.add_argument("--batches", type=int, default=10, help="calls of 1,000 items")
    parser.add_argument("--database-url", help="server to use (a fresh database is created)")
    arguments = parser.parse_args()
    server = server_url(arguments.database_url)
    name = f"credence_bench_mutations_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = with_database(server, name)
    try:
        migrations.upgrade(url)
        asyncio.run(run(url, arguments.single, arguments.batches))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
