"""Read throughput: compiled reads against the resolver path and a hand-written SQL floor.

    .venv/bin/python -m bench.reads [--duration 4] [--concurrency 8]

Loads a deterministic synthetic dataset (250 states, 300 governments, 20,000 recognitions, 2,000
envoys, 5,000 sanctions, 10,000 cooperations) through the importer into a fresh database (on
TEST_DATABASE_URL's server, else DATABASE_URL's, else a temporary embedded server), serves it
with uvicorn (one worker, 127.0.0.1, a free port) and drives it from a second process: an async
httpx client with N concurrent connections, for a bounded time and request count per run.

Three ways to answer each question, all over the same HTTP stack and connection pool:
- floor: one hand-written SQL statement building the same JSON, served by a tiny endpoint;
- compiled: POST /graphql (the compiled read path);
- resolver: POST /graphql with `X-Credence-Executor: resolver` (Strawberry and DataLoaders).
Before timing, each question is asked all three ways and the answers compared. The table
measures uncompressed answers (`Accept-Encoding: identity`); a second table measures the compiled
path on the large answers with no encoding, gzip and brotli: bytes on the wire and throughput,
as ratios to the uncompressed answer.
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import re
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlencode

DATABASE_ENV = "CREDENCE_BENCH_DATABASE_URL"
# When set, the service reads from this replica (DATABASE_READ_URLS) and the floor reads it too;
# the service's own lifespan then makes its engines (bench/replicas.py).
READ_ENV = "CREDENCE_BENCH_READ_URL"
EXECUTOR_HEADER = "X-Credence-Executor"

# --- The questions -------------------------------------------------------------------------------

_ISO = (
    "CASE {p} WHEN 'year' THEN to_char({d}, 'YYYY') WHEN 'month' THEN to_char({d}, 'YYYY-MM') "
    "ELSE to_char({d}, 'YYYY-MM-DD') END"
)


def _nested(per_state: int) -> tuple[str, str, list[Any]]:
    query = (
        "{ states(first: 50, orderBy: ISO3_ASC) { nodes { iso3 name "
        f"recognitionsGiven(first: {per_state}) {{ nodes {{ key subjectState {{ iso3 name }} "
        "subject { ... on State { name } ... on Government { name } } } } } } }"
    )
    floor = """
SELECT json_build_object('states', json_build_object('nodes', coalesce((
  SELECT json_agg(json_build_object('iso3', s.iso3, 'name', s.name,
    'recognitionsGiven', json_build_object('nodes', coalesce((
      SELECT json_agg(json_build_object('key', r.key,
          'subjectState', json_build_object('iso3', ss.iso3, 'name', ss.name),
          'subject', CASE WHEN g.id IS NOT NULL THEN json_build_object('name', g.name)
                          ELSE json_build_object('name', ss.name) END)
        ORDER BY r.from_date, r.id)
      FROM (SELECT * FROM recognition WHERE recognizer_id = s.id
            ORDER BY from_date, id LIMIT $1) r
      JOIN state ss ON ss.id = r.subject_state_id
      LEFT JOIN government g ON g.id = r.subject_government_id), '[]'::json))) ORDER BY s.iso3)
  FROM (SELECT * FROM state ORDER BY iso3 LIMIT 50) s), '[]'::json)))::text"""
    return query, floor, [per_state]


SCENARIOS: dict[str, tuple[str, str, list[Any]]] = {
    # No database at all on the compiled path: what the request path costs by itself.
    "{ __typename }": ("{ __typename }", """SELECT '{"__typename":"Query"}'""", []),
    "trivial": (
        '{ state(iso3: "AAB") { iso3 name } }',
        "SELECT json_build_object('state', (SELECT json_build_object('iso3', iso3, 'name', name) "
        "FROM state WHERE iso3 = $1))::text",
        ["AAB"],
    ),
    "50 states flat": (
        "{ states(first: 50, orderBy: ISO3_ASC) { nodes { iso3 name kind } } }",
        "SELECT json_build_object('states', json_build_object('nodes', coalesce((SELECT json_agg("
        "json_build_object('iso3', s.iso3, 'name', s.name, 'kind', upper(s.kind)) "
        "ORDER BY s.iso3) FROM (SELECT * FROM state ORDER BY iso3 LIMIT 50) s), '[]'::json)))"
        "::text",
        [],
    ),
    "50 states x 10 recognitions (3 levels)": _nested(10),
    "50 states x all recognitions": _nested(100),
    "filtered + asOf": (
        '{ recognitions(asOf: "2000-01-01", where: {type: {eq: DE_JURE}}, orderBy: KEY_ASC, '
        "first: 50) { totalCount nodes { key from { iso } recognizer { iso3 name } } } }",
        "SELECT json_build_object('recognitions', json_build_object("
        "'totalCount', (SELECT count(*) FROM recognition WHERE valid @> $1::date "
        "AND type = 'de_jure'), "
        "'nodes', coalesce((SELECT json_agg(json_build_object('key', r.key, "
        f"'from', json_build_object('iso', {_ISO.format(p='r.from_precision', d='r.from_date')}),"
        " 'recognizer', json_build_object('iso3', s.iso3, 'name', s.name)) ORDER BY r.key, r.id) "
        "FROM (SELECT * FROM recognition WHERE valid @> $1::date AND type = 'de_jure' "
        "ORDER BY key, id LIMIT 50) r JOIN state s ON s.id = r.recognizer_id), '[]'::json)))"
        "::text",
        [date(2000, 1, 1)],
    ),
    "recognitionStats aggregate": (
        "{ recognitionStats(groupBy: [YEAR, TYPE]) { year type count } }",
        "SELECT json_build_object('recognitionStats', coalesce((SELECT json_agg(json_build_object("
        "'year', g.year, 'type', upper(g.type), 'count', g.count) ORDER BY g.year, g.type) "
        "FROM (SELECT CAST(EXTRACT(year FROM from_date) AS INTEGER) AS year, type, "
        "count(*) AS count FROM recognition GROUP BY 1, 2) g), '[]'::json))::text",
        [],
    ),
}

# The compression table: the large answers, sent as they are, gzipped and brotli'd.
COMPRESSED_SCENARIOS = ("50 states x 10 recognitions (3 levels)", "50 states x all recognitions")
COMPRESSION_KEY = "compression"

# --- The dataset ---------------------------------------------------------------------------------


def _fuzzy(rng: random.Random, low: int, high: int) -> str:
    year = rng.randint(low, high)
    kind = rng.randrange(3)
    if kind == 0:
        return str(year)
    if kind == 1:
        return f"{year}-{rng.randint(1, 12):02d}"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def dataset_rows(seed: int = 2025) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    codes = ["".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3)][:250]
    states = [{"iso3": c, "name": f"State {c}", "kind": "current"} for c in codes]
    sources = [{"key": f"src-{i}", "title": f"Source {i}"} for i in range(50)]
    areas = [
        {"code": c, "label": c.title()} for c in ("trade", "energy", "culture", "sport", "aid")
    ]
    governments = [
        {
            "key": f"{codes[i % 250]}:gov-{i // 250}",
            "state": codes[i % 250],
            "name": f"Government {i}",
            "periods": "1950/1989;1995/" if i % 2 else "1990/",
        }
        for i in range(300)
    ]
    by_state: dict[str, list[str]] = {}
    for g in governments:
        by_state.setdefault(g["state"], []).append(g["key"])
    persons = [
        {"key": f"person-{i}", "name": f"Person {i}", "nationality": codes[i % 250]}
        for i in range(2000)
    ]
    recognitions = []
    for i, recognizer in enumerate(codes):
        for k in range(1, 81):
            subject = codes[(i + k) % 250]
            if subject in by_state and rng.random() < 0.3:
                subject = rng.choice(by_state[subject])
            start = rng.randint(1950, 2020)
            recognitions.append(
                {
                    "recognizer": recognizer,
                    "subject": subject,
                    "type": rng.choice(["de_jure", "de_facto", "unspecified"]),
                    "from": _fuzzy(rng, start, start),
                    "to": _fuzzy(rng, start + 1, 2024) if rng.random() < 0.3 else "",
                    "sources": f"src-{rng.randrange(50)}",
                }
            )
    envoys = [
        {
            "person": f"person-{i}",
            "sender": codes[i % 250],
            "receiver": codes[(i + 7) % 250],
            "rank": "ambassador",
            "appointed": _fuzzy(rng, 1990, 2024),
        }
        for i in range(2000)
    ]
    sanctions = []
    for i in range(5000):
        kind = ("state", "government", "person", "organization")[i % 4]
        target = {
            "state": codes[i % 250],
            "government": governments[i % 300]["key"],
            "person": f"person-{i % 2000}",
            "organization": f"Organization {i % 100}",
        }[kind]
        sanctions.append(
            {
                "key": f"AUTH{i % 5}:program-{i}",
                "authority": f"AUTH{i % 5}",
                "measures": "asset_freeze;travel_ban",
                "target_kind": kind,
                "target": target,
                "from": _fuzzy(rng, 1990, 2020),
            }
        )
    cooperations = [
        {
            "party": party,
            "partner": codes[(i + k) % 250],
            "area": areas[(i + k) % 5]["code"],
            "date": _fuzzy(rng, 2000, 2025),
        }
        for i, party in enumerate(codes)
        for k in range(1, 41)
    ]
    return {
        "sources": sources,
        "states": states,
        "cooperation_areas": areas,
        "persons": persons,
        "governments": governments,
        "recognitions": recognitions,
        "envoys": envoys,
        "sanctions": sanctions,
        "cooperations": cooperations,
    }


async def prepare_database() -> str:
    """A fresh database on the chosen server, migrated and loaded through the importer."""
    import asyncpg

    from api.database_url import to_asyncpg_dsn, with_database

    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server:
        from api.embedded import start_temporary_server

        server = start_temporary_server()
    name = f"credence_bench_reads_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(to_asyncpg_dsn(with_database(server, "postgres")))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(server, name)
    await load_dataset(url)
    return url


async def load_dataset(url: str) -> None:
    """Migrate the database at `url` and load the dataset into it through the importer."""
    import asyncpg

    from api import migrations
    from api.database_url import to_asyncpg_dsn
    from api.importer import ImportOptions, RowsInput, import_inputs

    # Alembic's async env runs its own event loop: off this one, in a thread.
    await asyncio.to_thread(migrations.upgrade, url)
    rows = dataset_rows()
    inputs = [RowsInput(entity, entity, entity_rows) for entity, entity_rows in rows.items()]
    started = time.perf_counter()
    # The generated envoys, sanctions and cooperations cite no source: drafts, as the sources
    # rule calls them.
    options = ImportOptions(actor="bench", allow_unsourced=True)
    summary = await import_inputs(inputs, database_url=url, options=options)
    if summary.errors:
        raise SystemExit("\n".join(str(e) for e in summary.errors[:10]))
    total = sum(len(r) for r in rows.values())
    print(f"loaded {total:,} rows in {time.perf_counter() - started:.1f}s")
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def bench_database(url: str | None, keep: bool) -> AsyncIterator[str]:
    """The database at `url` (never dropped), or a fresh one with the dataset, dropped
    afterwards unless `keep`."""
    if url is not None:
        yield url
        return
    url = await prepare_database()
    try:
        yield url
    finally:
        if keep:
            print(f"kept {url}")
        else:
            await drop_database(url)


async def drop_database(url: str) -> None:
    import asyncpg

    from api.database_url import to_asyncpg_dsn, with_database

    admin = await asyncpg.connect(to_asyncpg_dsn(with_database(url, "postgres")))
    try:
        name = url.rsplit("/", 1)[-1].split("?")[0]
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


# --- The server (runs inside uvicorn) ------------------------------------------------------------


def create_bench_app() -> Any:
    """The service as `credence serve` builds it, plus the floor and a statement counter."""
    from sqlalchemy import event
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from api.app import create_app
    from api.database import create_engine
    from api.settings import Settings
    from schema.http import GraphQLView

    # As `credence serve` tunes its process: long-lived objects leave the collector's view,
    # and young collections run less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)

    url = os.environ[DATABASE_ENV]
    read_url = os.environ.get(READ_ENV)
    engine = create_engine(read_url or url, application_name="credence-bench", pool_size=10)
    sqlalchemy_statements = [0]

    def count(*args: Any) -> None:
        sqlalchemy_statements[0] += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    # Debug mode: the resolver line is chosen per request with X-Credence-Executor.
    settings = Settings(_env_file=None, debug=True)  # type: ignore[call-arg]
    if read_url:
        # Routed as a deployment with a replica is: the lifespan connects the primary and the
        # replica, and queries go to the replica (the engine above serves only the floor; the
        # resolvers' statements are not counted).
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, debug=True, database_read_urls=[read_url]
        )
        app = create_app(settings, database_url=url)
    else:
        app = create_app(settings, database_url=url, engine=engine)
    route = next(r.app for r in app.routes if isinstance(r, Route) and r.path == "/graphql")
    # The view sits behind the event-stream dispatch of subscriptions.
    view = getattr(route, "app", route)
    assert isinstance(view, GraphQLView) and view.compiled is not None
    stats = view.compiled.stats

    async def metrics(request: Request) -> JSONResponse:
        # The server's own CPU time: per request, what one worker costs whatever else runs.
        return JSONResponse(
            {
                **stats.as_dict(),
                "resolverStatements": sqlalchemy_statements[0],
                "cpu": time.process_time(),
            }
        )

    app.router.routes += [Route("/bench/metrics", metrics, methods=["GET"])]
    return Floors(app, engine)


class Floors:
    """The two floors, in front of the service, as lean as ASGI allows (no Starlette at all).

    `/bench/floor?name=Q`: question Q's hand-written SQL statement, run on a connection from the
    compiled reads' own pool, its JSON text sent as it came. `/bench/bare?name=Q`: the same
    answer as constant bytes, no database: what uvicorn and the ASGI protocol cost by
    themselves.
    """

    def __init__(self, app: Any, engine: Any) -> None:
        self.app = app
        self.engine = engine
        self.answers: dict[str, bytes] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path")
        if scope["type"] != "http" or path not in ("/bench/floor", "/bench/bare"):
            await self.app(scope, receive, send)
            return
        name = parse_qs(scope["query_string"].decode())["name"][0]
        body = self.answers.get(name) if path == "/bench/bare" else None
        if body is None:
            body = self.answers[name] = await self._sql(name)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _sql(self, name: str) -> bytes:
        from api.driver_pool import driver_pool

        _, sql, args = SCENARIOS[name]
        # The compiled reads' own pool, as lean as a pool gets.
        pool = driver_pool(self.engine)
        assert pool is not None
        connection = await pool.acquire()
        try:
            text: str = await connection.fetchval(sql, *args)
        finally:
            pool.release(connection)
        return b'{"data":' + text.encode() + b"}"


# --- The load generator (a second process) -------------------------------------------------------


async def _run(
    client: Any, request: dict[str, Any], concurrency: int, duration: float, limit: int
) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + duration
    sent = 0

    async def worker() -> None:
        nonlocal sent
        while time.perf_counter() < deadline and sent < limit:
            sent += 1
            started = time.perf_counter()
            response = await client.request(**request)
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "n": len(latencies),
    }


def _lua(request: dict[str, Any], headers: dict[str, str]) -> str:
    """wrk's script for one request: method, body and headers."""
    lines = [f'wrk.method = "{request["method"]}"']
    all_headers = {**headers, **request.get("headers", {})}
    if "json" in request:
        lines.append(f"wrk.body = [==[{json.dumps(request['json'])}]==]")
        all_headers["content-type"] = "application/json"
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in all_headers.items()]
    return "\n".join(lines) + "\n"


_WRK_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


async def _wrk(
    base: str, request: dict[str, Any], concurrency: int, duration: float, headers: dict[str, str]
) -> dict[str, Any]:
    """`_run`'s figures, with wrk as the load generator: far lighter than a Python client, so
    the small answers measure the server and not the client."""
    url = base + request["url"]
    if "params" in request:
        url += "?" + urlencode(request["params"])
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_lua(request, headers))
        script.flush()
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t", "2", "-c", str(concurrency), "-d", f"{max(1, round(duration))}s",
            "--latency",
            "-s", script.name, url, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        output = (await process.communicate())[0].decode()
    total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rps is None or "Non-2xx" in output:
        raise SystemExit(f"wrk failed on {url}:\n{output}")

    def latency(percent: str) -> float:
        found = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", output)
        return float(found.group(1)) * _WRK_UNITS[found.group(2)] if found else float("nan")

    return {
        "rps": float(rps.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "n": int(total.group(1)),
    }


def _ordered(body: bytes) -> Any:
    return json.loads(body, object_pairs_hook=lambda pairs: list(pairs))


async def loadgen(
    base: str, concurrency: int, duration: float, use_wrk: bool = False
) -> dict[str, Any]:
    import httpx

    results: dict[str, Any] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # The per-question table measures answers as they are (comparable with runs before the
    # service compressed); the compression table asks for each encoding itself.
    headers = {"accept-encoding": "identity"}
    async with httpx.AsyncClient(
        base_url=base, limits=limits, timeout=120, headers=headers
    ) as client:
        for name, (query, _, _) in SCENARIOS.items():
            graphql = {"method": "POST", "url": "/graphql", "json": {"query": query}}
            requests: dict[str, dict[str, Any]] = {
                "bare": {"method": "GET", "url": "/bench/bare", "params": {"name": name}},
                "floor": {"method": "GET", "url": "/bench/floor", "params": {"name": name}},
                "compiled": graphql,
                "full": {**graphql, "headers": {EXECUTOR_HEADER: "full"}},
                "resolver": {**graphql, "headers": {EXECUTOR_HEADER: "resolver"}},
            }
            bodies = {mode: (await client.request(**r)).content for mode, r in requests.items()}
            same = (
                _ordered(bodies["compiled"]) == _ordered(bodies["resolver"])
                and bodies["compiled"] == bodies["full"]
            )
            floor_same = json.loads(bodies["floor"]) == json.loads(bodies["compiled"])
            row: dict[str, Any] = {"same": same, "floor_same": floor_same}
            for mode, request in requests.items():
                await _run(client, request, concurrency, 0.5, 50)  # warm up
                before = (await client.get("/bench/metrics")).json()
                # The resolvers' large answers take longer than a run: wrk, which counts only
                # the requests done by its end, would see none. The Python client waits for them.
                if use_wrk and mode != "resolver":
                    row[mode] = await _wrk(base, request, concurrency, duration, headers)
                else:
                    row[mode] = await _run(client, request, concurrency, duration, 20_000)
                after = (await client.get("/bench/metrics")).json()
                served = after["compiled"] - before["compiled"]
                row[mode]["cpu"] = (after["cpu"] - before["cpu"]) / row[mode]["n"] * 1000
                if mode in ("compiled", "full"):
                    row[mode]["statements"] = (after["statements"] - before["statements"]) / max(
                        served, 1
                    )
                    row[mode]["fallbacks"] = after["fallbacks"] - before["fallbacks"]
                elif mode == "resolver":
                    row[mode]["statements"] = (
                        after["resolverStatements"] - before["resolverStatements"]
                    ) / max(row[mode]["n"], 1)
            results[name] = row
            print(f"  measured {name}", file=sys.stderr)
        results[COMPRESSION_KEY] = await _compression(client, concurrency, duration)
    return results


async def _compression(client: Any, concurrency: int, duration: float) -> dict[str, Any]:
    """The compiled path on the large answers, sent as they are, gzipped and brotli'd.

    Bytes are those on the wire (the loadgen's httpx decodes them again, as a real client does,
    so its throughput includes the decoding).
    """
    rows: dict[str, Any] = {}
    for name in COMPRESSED_SCENARIOS:
        query = SCENARIOS[name][0]
        row: dict[str, Any] = {}
        for coding in ("identity", "gzip", "br"):
            request = {
                "method": "POST",
                "url": "/graphql",
                "json": {"query": query},
                "headers": {"accept-encoding": coding},
            }
            probe = await client.request(**request)
            assert probe.headers.get("content-encoding", "identity") == coding
            await _run(client, request, concurrency, 0.5, 50)  # warm up
            before = (await client.get("/bench/metrics")).json()
            row[coding] = await _run(client, request, concurrency, duration, 20_000)
            after = (await client.get("/bench/metrics")).json()
            row[coding]["cpu"] = (after["cpu"] - before["cpu"]) / row[coding]["n"] * 1000
            row[coding]["bytes"] = probe.num_bytes_downloaded
        rows[name] = row
        print(f"  measured compression of {name}", file=sys.stderr)
    return rows


# --- The report ----------------------------------------------------------------------------------


def compression_table(rows: dict[str, Any]) -> str:
    lines = [
        "compiled path, by Accept-Encoding: bytes on the wire, requests/s, server CPU ms/req; "
        "ratios against identity",
        f"{'question':38} {'coding':>8} {'bytes':>9} {'saved':>6} {'rps':>6} {'x rps':>6} "
        f"{'CPU ms':>7}",
    ]
    for name, row in rows.items():
        plain = row["identity"]
        for coding, measured in row.items():
            lines.append(
                f"{name:38} {coding:>8} {measured['bytes']:9,} "
                f"{1 - measured['bytes'] / plain['bytes']:6.1%} {measured['rps']:6.0f} "
                f"{measured['rps'] / plain['rps']:6.2f} {measured['cpu']:7.2f}"
            )
    return "\n".join(lines)


def table(results: dict[str, Any], concurrency: int) -> str:
    """Two tables: throughput, and the server's CPU per request (the steadier figure on a shared
    machine); each against the floors measured in the same run."""
    lines = [
        f"one uvicorn worker, {concurrency} concurrent connections, loopback; "
        "bare = constant bytes, no database; floor = the hand-written SQL statement; "
        "compiled = the fast path; full = the compiled path behind the full request path",
        "",
        "requests/s, and latencies in ms",
        f"{'question':38} {'bare':>6} {'floor':>6} {'compiled':>8} {'p50':>6} {'p99':>6} "
        f"{'full':>6} {'resolver':>8} {'c/floor':>7} {'c/bare':>6} {'c/res':>6} "
        f"{'SQL/req':>7} same",
    ]
    rows = [(n, r) for n, r in results.items() if n != COMPRESSION_KEY]
    for name, row in rows:
        b, f, c, u, r = (row[k] for k in ("bare", "floor", "compiled", "full", "resolver"))
        lines.append(
            f"{name:38} {b['rps']:6.0f} {f['rps']:6.0f} {c['rps']:8.0f} {c['p50']:6.1f} "
            f"{c['p99']:6.1f} {u['rps']:6.0f} {r['rps']:8.1f} {c['rps'] / f['rps']:7.0%} "
            f"{c['rps'] / b['rps']:6.0%} {c['rps'] / r['rps']:5.1f}x "
            f"{c['statements']:3.0f}|{r['statements']:<3.0f} "
            f"{'yes' if row['same'] and row['floor_same'] else 'NO'}"
        )
    lines += [
        "",
        "server CPU in ms per request; ratios of the compiled path's",
        f"{'question':38} {'bare':>6} {'floor':>6} {'compiled':>8} {'full':>6} {'resolver':>8} "
        f"{'c/bare':>7} {'c/floor':>7} {'c/full':>6}",
    ]
    for name, row in rows:
        b, f, c, u, r = (row[k]["cpu"] for k in ("bare", "floor", "compiled", "full", "resolver"))
        lines.append(
            f"{name:38} {b:6.3f} {f:6.3f} {c:8.3f} {u:6.3f} {r:8.2f} {c / b:6.1f}x "
            f"{c / f:6.2f}x {c / u:6.2f}"
        )
    if COMPRESSION_KEY in results:
        lines += ["", compression_table(results[COMPRESSION_KEY])]
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (capacity per core)"
    )
    parser.add_argument("--loadgen", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument(
        "--wrk",
        action="store_true",
        help="drive the per-question table with wrk (on PATH) instead of a Python client",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--database-url", help="a database a previous run kept (--keep): skip loading"
    )
    args = parser.parse_args()
    if args.loadgen:
        measured = loadgen(args.loadgen, args.concurrency, args.duration, args.wrk)
        print(json.dumps(asyncio.run(measured)))
        return

    url = args.database_url or asyncio.run(prepare_database())
    try:
        results = serve_and_measure(
            {DATABASE_ENV: url}, args.workers, args.concurrency, args.duration, args.wrk
        )
        print(table(results, args.concurrency))
    finally:
        if args.keep or args.database_url:
            print(f"kept {url}")
        else:
            asyncio.run(drop_database(url))


def serve_and_measure(
    environment: dict[str, str],
    workers: int,
    concurrency: int,
    duration: float,
    use_wrk: bool = False,
) -> dict[str, Any]:
    """Serve the benchmark app with uvicorn and measure it from a second process."""
    port = _free_port()
    env = {**os.environ, **environment}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.reads:create_bench_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         # As `credence serve` runs it (api.cli.serve.uvicorn_options) at this log level.
         "--log-level", "warning", "--no-access-log", "--no-proxy-headers", "--no-server-header"],
        env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        measured = subprocess.run(
            [sys.executable, "-m", "bench.reads", "--loadgen", base,
             "--concurrency", str(concurrency), "--duration", str(duration),
             *(["--wrk"] if use_wrk else [])],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(measured.stdout)
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
