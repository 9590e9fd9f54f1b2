"""Cached plans of the compiled statements: does PostgreSQL keep a generic plan for them?

    .venv/bin/python -m bench.plans [--executions 20] [--repeat 300] [--database-url URL] [--keep]

The service's asyncpg connections prepare each statement once and execute it again and again.
PostgreSQL plans the first five executions for their parameter values (custom plans), then
keeps one generic plan if it does not cost more than those did; otherwise it plans every
execution anew, which for a small answer can cost more than running it.

Loads bench/reads.py's dataset (or uses a database it kept). For each question, the compiled
planner makes its one statement; on one connection it is prepared, executed `--executions`
times, and pg_prepared_statements tells how many generic and custom plans served it. Then,
alternating in rounds, `--repeat` executions are timed three ways: as the service runs it
(`plan_cache_mode = auto`), planned every time (`force_custom_plan`), and a hand-written
statement with the same filter and order that returns plain rows (the floor: no JSON built).
"""

import argparse
import asyncio
import statistics
import time
from datetime import date
from typing import Any

from bench.reads import drop_database, prepare_database

_ROW = "key type from { iso } recognizer { iso3 name }"
_FLOOR_COLUMNS = (
    "SELECT r.key, r.type, r.from_date, r.from_precision, s.iso3, s.name FROM recognition r "
    "LEFT JOIN state s ON s.id = r.recognizer_id WHERE "
)
_FLOOR_ORDER = " ORDER BY r.from_date, r.id LIMIT 100"
_SUBJECT = (
    "r.subject_state_id = (SELECT id FROM state WHERE iso3 = $1) "
    "AND r.subject_government_id IS NULL"
)

# name -> (GraphQL query, hand-written statement, its parameters)
QUESTIONS: dict[str, tuple[str, str, list[Any]]] = {
    "subject, type, from range": (
        '{ recognitions(where: {subject: {eq: "AAB"}, type: {eq: DE_JURE}, '
        'from: {gte: "1960-01-01", lte: "1990-12-31"}}, orderBy: FROM_ASC, first: 100) '
        f"{{ nodes {{ {_ROW} }} }} }}",
        _FLOOR_COLUMNS
        + _SUBJECT
        + " AND r.type = $2 AND r.from_date >= $3 AND r.from_date <= $4"
        + _FLOOR_ORDER,
        ["AAB", "de_jure", date(1960, 1, 1), date(1990, 12, 31)],
    ),
    "subject, asOf": (
        '{ recognitions(where: {subject: {eq: "AAB"}}, asOf: "1990-06-15", orderBy: FROM_ASC, '
        f"first: 100) {{ nodes {{ {_ROW} }} }} }}",
        _FLOOR_COLUMNS + _SUBJECT + " AND r.valid @> $2::date" + _FLOOR_ORDER,
        ["AAB", date(1990, 6, 15)],
    ),
    "recognizer": (
        '{ recognitions(where: {recognizer: {eq: "AAB"}}, orderBy: FROM_ASC, first: 100) '
        f"{{ nodes {{ {_ROW} }} }} }}",
        _FLOOR_COLUMNS + "r.recognizer_id = (SELECT id FROM state WHERE iso3 = $1)" + _FLOOR_ORDER,
        ["AAB"],
    ),
    "subject in two states": (
        '{ recognitions(where: {subject: {in: ["AAB", "AAC"]}}, orderBy: FROM_ASC, first: 100) '
        f"{{ nodes {{ {_ROW} }} }} }}",
        _FLOOR_COLUMNS
        + "r.subject_state_id IN (SELECT id FROM state WHERE iso3 = ANY($1::text[])) "
        + "AND r.subject_government_id IS NULL"
        + _FLOOR_ORDER,
        [["AAB", "AAC"]],
    ),
}


def compiled_statement(query: str) -> tuple[str, tuple[Any, ...]]:
    from graphql import OperationDefinitionNode, parse
    from graphql.execution.values import get_variable_values

    from schema.compiled.planner import Planner
    from schema.root import schema

    graphql_schema = schema._schema
    operation = next(d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode))
    variables = get_variable_values(graphql_schema, [], {})
    assert not isinstance(variables, list), variables
    (root,) = Planner(graphql_schema, {}, variables, date.today()).plan(operation)
    assert root.statement is not None
    return root.statement.sql, root.statement.params


async def measure(url: str, executions: int, repeat: int, rounds: int) -> dict[str, Any]:
    import asyncpg

    from api.database_url import to_asyncpg_dsn

    results: dict[str, Any] = {}
    auto = await asyncpg.connect(to_asyncpg_dsn(url))
    custom = await asyncpg.connect(
        to_asyncpg_dsn(url), server_settings={"plan_cache_mode": "force_custom_plan"}
    )
    try:
        for name, (query, floor_sql, floor_params) in QUESTIONS.items():
            sql, params = compiled_statement(query)
            ways = {
                "compiled": (await auto.prepare(sql), params),
                "compiled, planned every time": (await custom.prepare(sql), params),
                "floor": (await auto.prepare(floor_sql), tuple(floor_params)),
            }
            plans: dict[str, asyncpg.Record] = {}
            for way, (statement, args) in ways.items():
                for _ in range(executions):
                    await statement.fetch(*args)
                if way != "compiled, planned every time":
                    row = await auto.fetchrow(
                        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                        "WHERE statement = $1",
                        sql if way == "compiled" else floor_sql,
                    )
                    assert row is not None, f"{way}: not among the prepared statements"
                    plans[way] = row
            times: dict[str, list[float]] = {way: [] for way in ways}
            order = list(ways)
            for round_ in range(rounds):
                for way in order if round_ % 2 == 0 else order[::-1]:
                    statement, args = ways[way]
                    started = time.perf_counter()
                    for _ in range(repeat):
                        await statement.fetch(*args)
                    times[way].append((time.perf_counter() - started) / repeat * 1000)
            results[name] = {
                "plans": {
                    way: (row["generic_plans"], row["custom_plans"]) for way, row in plans.items()
                },
                "ms": {way: statistics.median(t) for way, t in times.items()},
            }
    finally:
        await auto.close()
        await custom.close()
    return results


def table(results: dict[str, Any], executions: int) -> str:
    lines = [
        f"| question | generic/custom plans of {executions}, compiled | floor | compiled ms "
        "| planned every time ms | floor ms | compiled / floor |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for name, result in results.items():
        plans = {way: "/".join(map(str, counts)) for way, counts in result["plans"].items()}
        ms = result["ms"]
        lines.append(
            f"| {name} | {plans['compiled']} | {plans['floor']} | {ms['compiled']:.3f} "
            f"| {ms['compiled, planned every time']:.3f} | {ms['floor']:.3f} "
            f"| {ms['compiled'] / ms['floor']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=20, help="before reading plan counts")
    parser.add_argument("--repeat", type=int, default=300, help="timed executions per round")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (medians)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--database-url", help="a database bench.reads kept (--keep)")
    args = parser.parse_args()
    url = args.database_url or asyncio.run(prepare_database())
    try:
        results = asyncio.run(measure(url, args.executions, args.repeat, args.rounds))
        print(table(results, args.executions))
    finally:
        if args.keep or args.database_url:
            print(f"kept {url}")
        else:
            asyncio.run(drop_database(url))


if __name__ == "__main__":
    main()
