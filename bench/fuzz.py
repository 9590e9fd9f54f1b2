"""Fuzz a real `credence serve` with careless and hostile requests; count 5xx answers and log lines.

    .venv/bin/python -m bench.fuzz [--seconds 300] [--concurrency 8] [--seed 1]

Creates a database (on TEST_DATABASE_URL's server, else DATABASE_URL's), loads the bundled
seed, and runs `credence serve --no-seed` on it exactly as an operator would (log level info,
access log on), its log captured to a file. Then, for a bounded time, sends a random mix of:
mutated valid queries, hostile documents (fragment fan-out, deep nesting, alias floods, long
texts), wrong variables (NUL, lone surrogates, huge and nested values), and broken HTTP (bad
JSON, invalid UTF-8, wrong methods and media types, oversized bodies).

It reports the answers by status, every 5xx (there should be none), and the server's log lines:
all of them, those of the application alone (without uvicorn's access log), and tracebacks.
Exits 1 when any answer was a 5xx or any traceback was logged.
"""

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from api import migrations
from api.database_url import to_asyncpg_dsn, with_database

VALID = [
    "{ states(first: 5) { totalCount nodes { iso3 name } } }",
    '{ state(iso3: "RUS") { name recognitionsGiven(first: 3) { nodes { key type from { iso } } } '
    "} }",
    '{ government(key: "AFG:islamic-emirate") { name recognizedBy(asOf: "2025-08-01") { '
    "totalCount nodes { key } } } }",
    '{ search(text: "Taliban") { score node { __typename ... on State { iso3 } } } }',
    "{ recognitionStats(groupBy: [YEAR]) { year count } }",
    "{ recognitions(first: 10, where: { type: { eq: DE_JURE } }) { edges { cursor node { key "
    "citations { quote source { title url } } } } pageInfo { hasNextPage endCursor } } }",
    "{ sanctions(first: 5) { nodes { key authority measures target { __typename } } } }",
    "{ envoys(first: 5) { nodes { key person { name } senderState { iso3 } receiver { iso3 } } } }",
    "query Q($iso3: String!) { state(iso3: $iso3) { name } }",
    "{ __schema { queryType { name } types { name kind } } }",
    '{ node(id: "U3RhdGU6UlVT") { id __typename } }',
]
VARIABLE_VALUES: list[Any] = [
    "RUS",
    "\u0000",
    "a\u0000b",
    "\ud800",
    "x" * 5_000,
    -1,
    2**70,
    1e308,
    None,
    True,
    [],
    {"a": {"b": {"c": [1, 2, 3]}}},
    "2025-02-30",
    "🇦🇫",
]
NOISE = [
    "{",
    "}",
    "(",
    ")",
    "...",
    "$",
    "@skip(if: true)",
    "first: -1",
    "first: 1000000",
    '"',
    "\\",
]


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        where = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.3 and chars:
            del chars[min(where, len(chars) - 1)]
        elif action < 0.6:
            chars.insert(where, rng.choice(NOISE))
        elif chars:
            chars.insert(where, chars[rng.randrange(len(chars))])
    return "".join(chars)


def _fan_out(levels: int) -> str:
    parts = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return "{ ...F0 } " + " ".join(parts)


def _hostile(rng: random.Random) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return _fan_out(rng.randint(5, 60))
    if choice == 1:
        depth = rng.randint(5, 200)
        return "{ " + "states { nodes { recognitionsGiven { nodes { recognizer { " * depth + "}"
    if choice == 2:
        return (
            "{ " + " ".join(f"a{i}: states(first: 100) {{ totalCount }}" for i in range(300)) + " }"
        )
    if choice == 3:
        return '{ search(text: "' + "x" * rng.randint(100, 400_000) + '") { score } }'
    if choice == 4:
        chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(400))
        return "{ ...F0 } " + chain + " fragment F400 on Query { __typename }"
    count = rng.randint(2, 40)
    return (
        "{ "
        + " ".join(f"s{i}: recognitionStats(groupBy: [YEAR]) {{ year }}" for i in range(count))
        + " }"
    )


def _request(rng: random.Random) -> dict[str, Any]:
    """One request as keyword arguments for httpx.AsyncClient.request."""
    kind = rng.random()
    if kind < 0.35:
        body: Any = {"query": _mutate(rng, rng.choice(VALID))}
    elif kind < 0.55:
        body = {"query": _hostile(rng)}
    elif kind < 0.75:
        body = {
            "query": rng.choice([VALID[8], "query($t: String!) { search(text: $t) { score } }"]),
            "variables": {rng.choice(["iso3", "t", "x"]): rng.choice(VARIABLE_VALUES)},
        }
    elif kind < 0.85:
        body = {"query": rng.choice(VALID)}
    else:
        return _broken_http(rng)
    content = json.dumps(body, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        return {"method": "GET", "url": "/graphql", "params": {"query": body["query"][:4000]}}
    return {
        "method": "POST",
        "url": "/graphql",
        "content": content,
        "headers": {
            "content-type": "application/json",
            "accept": rng.choice(["application/json", "application/graphql-response+json", "*/*"]),
        },
    }


def _broken_http(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(7)
    json_type = {"content-type": "application/json"}
    if choice == 0:
        return {
            "method": "POST",
            "url": "/graphql",
            "content": b'{"query": "{',
            "headers": json_type,
        }
    if choice == 1:
        return {
            "method": "POST",
            "url": "/graphql",
            "content": b'{"query": "\xff\xfe{ __typename }"}',
            "headers": json_type,
        }
    if choice == 2:
        return {"method": rng.choice(["PUT", "DELETE", "PATCH"]), "url": "/graphql"}
    if choice == 3:
        return {"method": "POST", "url": "/graphql", "content": b"query=x", "headers": {}}
    if choice == 4:
        return {
            "method": "POST",
            "url": "/graphql",
            "content": b'{"query": "{ __typename }", "v": "' + b"x" * 2_000_000 + b'"}',
            "headers": json_type,
        }
    if choice == 5:
        return {
            "method": "POST",
            "url": "/graphql",
            "content": b"[" * 100_000,
            "headers": json_type,
        }
    return {
        "method": "POST",
        "url": "/graphql",
        "content": json.dumps(
            rng.choice([[], 1, "x", {"query": 1}, {"query": "{ a }", "variables": 7}])
        ),
        "headers": json_type,
    }


async def _drive(
    base: str, seconds: float, concurrency: int, seed: int
) -> tuple[Counter[int], list[str]]:
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    deadline = time.monotonic() + seconds

    async def worker(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                request = _request(rng)
                try:
                    response = await client.request(**request)
                except httpx.TransportError as error:
                    statuses[0] += 1
                    server_errors.append(f"transport error {error!r} for {str(request)[:300]}")
                    continue
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(
                        f"{response.status_code} {response.text[:300]} for {str(request)[:300]}"
                    )

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return statuses, server_errors


async def _create_seeded_database() -> str:
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server:
        raise SystemExit("set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server")
    name = f"credence_fuzz_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(to_asyncpg_dsn(with_database(server, "postgres")))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return with_database(server, name)


async def _drop_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    admin = await asyncpg.connect(to_asyncpg_dsn(with_database(url, "postgres")))
    await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    await admin.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from api.seed import load_seed

    url = asyncio.run(_create_seeded_database())
    migrations.upgrade(url)
    asyncio.run(load_seed(url, actor="fuzz"))
    port = _free_port()
    log = Path(tempfile.mkstemp(prefix="credence-fuzz-", suffix=".log")[1])
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CREDENCE_PORT": str(port),
        "CREDENCE_LOG_LEVEL": "info",
    }
    credence = Path(sys.executable).with_name("credence")
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [str(credence), "serve", "--no-seed"], env=env, stderr=log_file, stdout=log_file
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        start_lines = len(log.read_text().splitlines())
        statuses, server_errors = asyncio.run(
            _drive(base, args.seconds, args.concurrency, args.seed)
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        asyncio.run(_drop_database(url))
    lines = log.read_text(errors="replace").splitlines()[start_lines:]
    access = [line for line in lines if '"GET /' in line or '"POST /' in line or "HTTP/1.1" in line]
    application = [line for line in lines if line not in access]
    warnings_or_worse = [
        line for line in application if line.startswith(("WARNING", "ERROR", "CRITICAL"))
    ]
    tracebacks = [line for line in lines if line.startswith("Traceback")]
    requests = sum(statuses.values())
    print(f"{requests} requests in {args.seconds:g} s, {args.concurrency} connections")
    print("answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    print(f"5xx answers or broken connections: {len(server_errors)}")
    for line in server_errors[:20]:
        print("  " + line)
    print(
        f"server log lines: {len(lines)} in all ({len(lines) / max(requests, 1):.2f} per request), "
        f"{len(application)} from the application ({len(application) / max(requests, 1):.2f} per "
        f"request), {len(warnings_or_worse)} at WARNING or above, {len(tracebacks)} tracebacks"
    )
    print(f"log: {log}")
    sys.exit(1 if server_errors or tracebacks else 0)


if __name__ == "__main__":
    main()
