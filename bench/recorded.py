"""Transaction-time reads: the same questions at present and `asRecordedAt` three instants.

    .venv/bin/python -m bench.recorded [--repeat 30] [--database-url URL] [--keep]

Loads the dataset of bench/reads.py through the importer (250 states, 20,000 recognitions, ...),
then changes it in two later transactions: notes on 2,000 recognitions (one in ten), and 200
recognitions deleted with their citations. Each question is asked at present and at three
recorded instants, through the service's own GraphQL view in this process (no HTTP socket),
on the compiled path and on the resolvers:

- `after all`: after the last change (nothing in the log after it: the views add only an
  index probe per current row);
- `before edits`: after the load, before the changes (2,200 rows' first later change read back
  from the log);
- `before all`: before the load (the worst case: the whole load's log is after it, read and
  sorted, and every row's first later change is its insert, so the answer is empty).

It prints the mean milliseconds per request (after a warm-up) and the ratio to the present.
"""

import argparse
import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

from bench.reads import prepare_database

# `@AT` marks where the root field's `asRecordedAt` goes.
QUESTIONS = {
    "one recognizer, filtered (index)": (
        '{ recognitions(where: {recognizer: {eq: "AAB"}}, first: 50@AT) { totalCount '
        "nodes { key notes subject { ... on State { iso3 } ... on Government { key } } } } }"
    ),
    "by key": '{ recognition(key: "AAB>AAC#1"@AT) { key notes recognizer { name } } }',
    "50 states x 10 recognitions (3 levels)": (
        "{ states(first: 50, orderBy: ISO3_ASC@AT) { nodes { iso3 name "
        "recognitionsGiven(first: 10) { nodes { key notes subjectState { iso3 name } } } } } }"
    ),
    "filtered + asOf": (
        '{ recognitions(asOf: "2000-01-01", where: {type: {eq: DE_JURE}}, orderBy: KEY_ASC, '
        "first: 50@AT) { totalCount nodes { key from { iso } recognizer { iso3 name } } } }"
    ),
}
CHANGES = [
    "UPDATE recognition SET notes = 'edited' WHERE id % 10 = 0",
    "DELETE FROM citation WHERE recognition_id IN (SELECT id FROM recognition WHERE id % 100 = 1)",
    "DELETE FROM recognition WHERE id % 100 = 1",
]


def _at(query: str, recorded: bool) -> str:
    if not recorded:
        return query.replace("@AT", "")
    return "query ($t: DateTime!) " + query.replace("@AT", ", asRecordedAt: $t")


async def _instant(connection: Any) -> str:
    value = await connection.fetchval("SELECT clock_timestamp()")
    return str(value.isoformat())


async def measure(url: str | None, repeat: int) -> tuple[dict[str, Any], str]:
    import asyncpg
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Route

    from api.database import create_engine
    from api.database_url import to_asyncpg_dsn
    from schema.http import EXECUTOR_HEADER, GraphQLView
    from schema.root import schema

    # bench/reads.py's database: the same rows, its unsourced facts loaded as drafts.
    url = url or await prepare_database()
    instants: dict[str, str] = {}
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        # Before the load's transaction began: the whole load's log is after it.
        load = await connection.fetchval("SELECT min(at) FROM change_log WHERE origin = 'import'")
        instants["before all"] = (load - timedelta(seconds=1)).isoformat()
        instants["before edits"] = await _instant(connection)
        for change in CHANGES:
            await connection.execute(change)
        # As autovacuum would soon after: statistics, and the BRIN ranges of `at` summarized.
        await connection.execute("VACUUM ANALYZE")
        instants["after all"] = await _instant(connection)
        logged = await connection.fetchval("SELECT count(*) FROM change_log")
    finally:
        await connection.close()
    print(f"change_log holds {logged:,} rows")

    engine = create_engine(url, application_name="credence-bench", pool_size=4)
    view = GraphQLView(schema, engine=lambda: engine, executor_header=True)
    app = Starlette(routes=[Route("/graphql", view)])
    results: dict[str, Any] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def ask(query: str, variables: dict[str, Any], executor: str) -> tuple[float, str]:
            headers = {EXECUTOR_HEADER: "resolver"} if executor == "resolver" else {}
            started = time.perf_counter()
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            elapsed = time.perf_counter() - started
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            return elapsed, response.headers.get(EXECUTOR_HEADER, "resolver")

        for name, query in QUESTIONS.items():
            runs: dict[str, tuple[str, dict[str, Any]]] = {"present": (_at(query, False), {})} | {
                label: (_at(query, True), {"t": at}) for label, at in instants.items()
            }
            for executor in ("compiled", "resolver"):
                for label, (text, variables) in runs.items():
                    for _ in range(3):
                        await ask(text, variables, executor)
                    times = []
                    for _ in range(repeat):
                        elapsed, served = await ask(text, variables, executor)
                        assert served == executor, (name, label, served)
                        times.append(elapsed)
                    results.setdefault(name, {}).setdefault(executor, {})[label] = (
                        statistics.mean(times) * 1000
                    )
    await engine.dispose()
    return results, url


def table(results: dict[str, Any]) -> str:
    labels = ["present", "after all", "before edits", "before all"]
    lines = [
        "| question | path | " + " | ".join(f"{label} ms" for label in labels) + " |",
        "|---|---|" + "---|" * len(labels),
    ]
    for name, paths in results.items():
        for executor, times in paths.items():
            present = times["present"]
            cells = [f"{times['present']:.1f}"] + [
                f"{times[label]:.1f} ({times[label] / present:.1f}x)" for label in labels[1:]
            ]
            lines.append(f"| {name} | {executor} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per cell")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--database-url", help="a database bench.reads kept (--keep)")
    args = parser.parse_args()
    results, url = asyncio.run(measure(args.database_url, args.repeat))
    print(table(results))
    if args.keep or args.database_url:
        print(f"kept {url}")
    else:
        from bench.reads import drop_database

        asyncio.run(drop_database(url))


if __name__ == "__main__":
    main()
