"""The service behind PgBouncer in transaction mode (Debian's pgbouncer, started here in front of
a private primary; never the shared server).

A transaction pooler gives each transaction whichever server connection is free, so the pool
below is smaller than the concurrency above: any prepared statement or setting that outlived its
transaction would be met on the wrong connection, and these tests would see the errors.
"""

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from api.auth import AuthConfig, mint_token
from api.database_url import to_asyncpg_dsn
from api.roles import Role
from api.settings import Settings
from tests.private_clusters import PgBouncer, Primary, pgbouncer_available, private_folder
from tests.test_service_faults import serving

# `make test` installs it; only a developer's own run without it may skip, never CI.
pytestmark = pytest.mark.skipif(
    not pgbouncer_available() and not os.environ.get("CI"),
    reason="Debian's pgbouncer is not installed (make test installs it)",
)

SECRET = "a-pooler-test-secret-of-32-bytes-or-more"
POOLED = {
    "transaction_pooler": True,
    "debug": True,
    "pool_size": 8,
    "statement_timeout": 5.0,
    "jwt_secret": SECRET,
}
STATES = [{"iso3": code, "name": name} for code, name in (("FRA", "France"), ("PER", "Peru"))]
QUERIES = [
    {"query": "{ states(first: 5) { totalCount nodes { iso3 name } } }"},
    {"query": "query($c: String!) { state(iso3: $c) { name } }", "variables": {"c": "PER"}},
    {"query": '{ search(text: "France") { score } }'},
    # A past instant reads through the past-state views, with settings local to a savepoint
    # of the request's transaction: the roots after it must read the present again.
    {
        "query": 'query { then: states(first: 5, asRecordedAt: "2000-01-01T00:00:00Z") '
        "{ totalCount } states(first: 5) { totalCount nodes { iso3 name } } }"
    },
]
RESOLVER = {"X-Credence-Executor": "resolver"}


@pytest.fixture(scope="module")
def bouncer() -> Iterator[PgBouncer]:
    with private_folder("credence-pgbouncer-") as folder:
        primary = Primary(folder)
        try:
            # Migrations and imports take a direct connection, as docs/scaling.md says: they
            # tune their session (work_mem, temp_buffers), which a transaction pooler cannot
            # carry, and run as one long transaction that would hold a pooled connection anyway.
            primary.load_states(STATES)
            pooler = PgBouncer(primary, folder)
            try:
                yield pooler
            finally:
                pooler.stop()
        finally:
            primary.stop()


async def test_the_pooler_is_in_transaction_mode(bouncer: PgBouncer) -> None:
    # What the service meets there: a session setting does not follow the next transaction.
    connection = await asyncpg.connect(to_asyncpg_dsn(bouncer.url), statement_cache_size=0)
    try:
        assert await connection.fetchval("SELECT count(*) FROM state") == 2
        backends = {await connection.fetchval("SELECT pg_backend_pid()") for _ in range(3)}
        assert len(backends) >= 1
    finally:
        await connection.close()


async def test_concurrent_queries_on_both_read_paths_through_the_pooler(
    bouncer: PgBouncer,
) -> None:
    async with serving(bouncer.url, **POOLED) as client:

        async def ask(body: dict[str, Any], headers: dict[str, str]) -> Any:
            response = await client.post("/graphql", json=body, headers=headers)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert "errors" not in answer, answer
            return answer["data"]

        # Several times the pooler's four server connections, on both executors.
        answers = await asyncio.gather(
            *(
                ask(body, headers)
                for _ in range(15)
                for body in QUERIES
                for headers in ({}, RESOLVER)
            )
        )
        assert len(answers) == 120
        assert {a["then"]["totalCount"] for a in answers if "then" in a} == {0}
        counts = {a["states"]["totalCount"] for a in answers if "states" in a}
        assert counts == {2}
        assert {a["state"]["name"] for a in answers if "state" in a} == {"Peru"}
        ready = await client.get("/readyz")
        assert ready.json()["status"] == "ok"


async def test_mutations_and_their_re_reads_through_the_pooler(bouncer: PgBouncer) -> None:
    settings = Settings(_env_file=None, jwt_secret=SECRET)  # type: ignore[call-arg]
    editor = mint_token(
        AuthConfig.from_settings(settings), role=Role.EDITOR, subject="erin", ttl_seconds=600
    )
    auth = {"Authorization": f"Bearer {editor}"}
    async with serving(bouncer.url, **POOLED) as client:

        async def rename(name: str) -> Any:
            response = await client.post(
                "/graphql",
                json={
                    "query": 'mutation($n: String!) { updateState(iso3: "PER", '
                    "patch: {name: $n}) { state { name } version } }",
                    "variables": {"n": name},
                },
                headers=auth,
            )
            assert response.status_code == 200, response.text
            answer = response.json()
            assert "errors" not in answer, answer
            return answer["data"]["updateState"]

        # Writers take turns on the change log's lock, each in its own pooled transaction
        # (temporary staging tables, SET TRANSACTION READ WRITE, the lock, the merge).
        written = await asyncio.gather(*(rename(f"Peru {n}") for n in range(6)))
        assert len({w["version"] for w in written}) == 6
        last = max(written, key=lambda w: int(w["version"]))
        read = await client.post(
            "/graphql", json={"query": '{ state(iso3: "PER") { name version } }'}
        )
        assert read.json()["data"]["state"] == {
            "name": last["state"]["name"],
            "version": last["version"],
        }
        await rename("Peru")
