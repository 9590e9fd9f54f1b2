"""Queries on a real streaming replica: built here with `pg_basebackup -R` from a primary this
module starts (never the shared server), served by uvicorn with DATABASE_READ_URLS.

The service runs in debug mode, where each answer says which database gave it
(`Credence-Read-From`); the replica's own pg_stat_activity confirms it from the other side.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest

from api.auth import AuthConfig, mint_token
from api.database_url import to_asyncpg_dsn
from api.roles import Role
from api.settings import Settings
from tests.private_clusters import Primary, Replica, private_folder
from tests.test_service_faults import serving

QUERY = {"query": "{ states(first: 10) { totalCount nodes { iso3 name } } }"}
RESOLVER_QUERY = {"query": '{ state(iso3: "FRA") { name } search(text: "France") { score } }'}
# Debug mode obeys this header: the same routing must hold on the resolver path.
RESOLVER = {"X-Credence-Executor": "resolver"}
STATES = [
    {"iso3": "FRA", "name": "France"},
    {"iso3": "DEU", "name": "Germany"},
    {"iso3": "ITA", "name": "Italy"},
]
SECRET = "a-replica-test-secret-of-32-bytes-or-more"
ROUTED = {
    "debug": True,
    "replica_check_interval": 0.2,
    "replica_check_timeout": 1.0,
    "max_replica_lag": 2.0,
    "connect_timeout": 1.0,
    "pool_timeout": 2.0,
    "statement_timeout": 2.0,
    "jwt_secret": SECRET,
}


class Pair:
    def __init__(self, primary: Primary, replica: Replica) -> None:
        self.primary, self.replica = primary, replica


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with private_folder("credence-replica-") as folder:
        primary = Primary(folder)
        try:
            primary.load_states(STATES)
            replica = Replica(primary, folder)
            try:
                yield Pair(primary, replica)
            finally:
                replica.stop()
        finally:
            primary.stop()


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(to_asyncpg_dsn(url))


async def _caught_up(pair: Pair) -> None:
    """Wait until the replica has replayed everything the primary committed so far: a
    transaction committed now on the primary is known there as committed. (Comparing WAL
    positions is not enough: the primary's may sit on a page boundary past the last record.)"""
    primary = await _connect(pair.primary.url)
    replica = await _connect(pair.replica.url)
    try:
        xid = await primary.fetchval("SELECT pg_current_xact_id()::text")
        for _ in range(200):
            with contextlib.suppress(asyncpg.PostgresError):  # "in the future" until replayed
                status = await replica.fetchval("SELECT pg_xact_status($1::text::xid8)", xid)
                if status == "committed":
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the replica did not replay transaction {xid} within 10 s")
    finally:
        await primary.close()
        await replica.close()


async def _wait_for(client: Any, want: str, body: dict[str, str] = QUERY) -> None:
    for _ in range(100):
        response = await client.post("/graphql", json=body)
        if response.headers.get("credence-read-from") == want:
            return
        await asyncio.sleep(0.1)
    metrics = (await client.get("/metrics")).text
    replicas = [line for line in metrics.splitlines() if line.startswith("credence_replica")]
    raise AssertionError(f"queries never went to {want}: {replicas}")


@pytest.fixture
async def client(pair: Pair) -> AsyncIterator[Any]:
    await _caught_up(pair)
    async with serving(pair.primary.url, database_read_urls=[pair.replica.url], **ROUTED) as c:
        yield c


async def test_queries_are_served_by_the_replica(pair: Pair, client: Any) -> None:
    for body, headers, executor in ((QUERY, {}, "compiled"), (RESOLVER_QUERY, RESOLVER, "")):
        response = await client.post("/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
        assert response.headers["credence-read-from"] == "replica-1"
        assert response.headers.get("x-credence-executor", "") == executor
    data = (await client.post("/graphql", json=QUERY)).json()["data"]
    assert data["states"]["totalCount"] == 3
    # From the replica's side: the service's read pool is connected to it.
    replica = await _connect(pair.replica.url)
    try:
        readers = await replica.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'credence-read'"
        )
        assert readers >= 1
        assert await replica.fetchval("SELECT pg_is_in_recovery()")
    finally:
        await replica.close()


async def test_the_primary_is_used_when_asked_and_for_what_must_see_writes(client: Any) -> None:
    response = await client.post(
        "/graphql", json=QUERY, headers={"Credence-Consistency": "primary"}
    )
    assert response.status_code == 200
    assert response.headers["credence-read-from"] == "primary"
    # A document holding a mutation goes to the primary whole (here refused: no such field),
    # so a mutation's answer is never read from a copy that may lag.
    response = await client.post("/graphql", json={"query": "mutation { nothing }"})
    assert response.headers["credence-read-from"] == "primary"


async def test_a_write_on_the_primary_is_read_back_from_the_replica_once_replayed(
    pair: Pair, client: Any
) -> None:
    primary = await _connect(pair.primary.url)
    try:
        await primary.execute("UPDATE state SET name = 'French Republic' WHERE iso3 = 'FRA'")
    finally:
        await primary.close()
    body = {"query": '{ state(iso3: "FRA") { name } }'}
    fresh = await client.post("/graphql", json=body, headers={"Credence-Consistency": "primary"})
    assert fresh.json()["data"]["state"]["name"] == "French Republic"
    await _caught_up(pair)
    replayed = await client.post("/graphql", json=body)
    assert replayed.headers["credence-read-from"] == "replica-1"
    assert replayed.json()["data"]["state"]["name"] == "French Republic"


async def test_a_stopped_replica_leaves_the_rotation_without_errors_and_rejoins(
    pair: Pair, client: Any
) -> None:
    await _wait_for(client, "replica-1")
    pair.replica.stop()
    try:
        # Straight after the stop, before any check noticed: every answer is still good.
        answers = await asyncio.gather(
            *(
                client.post("/graphql", json=body, headers=headers)
                for body, headers in [(QUERY, {}), (RESOLVER_QUERY, RESOLVER)] * 10
            )
        )
        assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers]
        assert all("errors" not in a.json() for a in answers)
        assert {a.headers["credence-read-from"] for a in answers} == {"primary"}
        metrics = (await client.get("/metrics")).text
        assert 'credence_replica_healthy{replica="replica-1"} 0.0' in metrics
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "ok"
        assert ready["replicas"]["replica-1"] != "ok"
    finally:
        pair.replica.start()
    await _wait_for(client, "replica-1")
    metrics = (await client.get("/metrics")).text
    assert 'credence_replica_healthy{replica="replica-1"} 1.0' in metrics
    assert 'credence_replica_lag_seconds{replica="replica-1"}' in metrics


async def test_a_replica_lagging_past_the_limit_is_skipped(pair: Pair, client: Any) -> None:
    await _wait_for(client, "replica-1")
    replica = await _connect(pair.replica.url)
    primary = await _connect(pair.primary.url)
    try:
        await replica.execute("SELECT pg_wal_replay_pause()")
        # A write the replica receives but does not replay: it falls behind from now on.
        await primary.execute("UPDATE state SET name = 'Italian Republic' WHERE iso3 = 'ITA'")
        await asyncio.sleep(ROUTED["max_replica_lag"] + 1)
        await _wait_for(client, "primary")
        metrics = (await client.get("/metrics")).text
        lag = float(
            metrics.split('credence_replica_lag_seconds{replica="replica-1"} ')[1].split()[0]
        )
        # The age of the last transaction it replayed, or +Inf when it has replayed none since
        # it started: behind, by an amount nobody can tell.
        assert lag > ROUTED["max_replica_lag"]
        answer = await client.post("/graphql", json={"query": '{ state(iso3: "ITA") { name } }'})
        assert answer.json()["data"]["state"]["name"] == "Italian Republic"
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()
        await primary.close()
    await _wait_for(client, "replica-1")


async def test_a_mutation_answers_from_the_primary_and_its_writer_reads_it_back(
    pair: Pair, client: Any
) -> None:
    settings = Settings(_env_file=None, jwt_secret=SECRET)  # type: ignore[call-arg]
    editor = mint_token(
        AuthConfig.from_settings(settings), role=Role.EDITOR, subject="erin", ttl_seconds=600
    )
    await _wait_for(client, "replica-1")
    written = await client.post(
        "/graphql",
        json={
            "query": 'mutation { updateState(iso3: "DEU", patch: {name: "Federal Republic"}) '
            "{ state { name } version } }"
        },
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert written.status_code == 200, written.text
    # The answer was read inside the mutation's own transaction, on the primary.
    assert written.headers["credence-read-from"] == "primary"
    assert written.json()["data"]["updateState"]["state"]["name"] == "Federal Republic"
    # The writer's immediate re-read, asking for the primary, sees the new value at once.
    body = {"query": '{ state(iso3: "DEU") { name version } }'}
    again = await client.post("/graphql", json=body, headers={"Credence-Consistency": "primary"})
    assert again.headers["credence-read-from"] == "primary"
    assert again.json()["data"]["state"]["name"] == "Federal Republic"
    # Everyone else reads it from the replica once replayed.
    await _caught_up(pair)
    replayed = await client.post("/graphql", json=body)
    assert replayed.headers["credence-read-from"] == "replica-1"
    assert replayed.json()["data"]["state"] == again.json()["data"]["state"]
