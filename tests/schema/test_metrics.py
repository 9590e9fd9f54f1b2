"""/metrics in Prometheus' text format: requests by operation and executor, fallbacks, the pool."""

from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.http import EXECUTOR_HEADER

QUERY = {"query": '{ state(iso3: "RUS") { name } }'}


def _client(engine: AsyncEngine, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, debug=True, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _samples(client: httpx.AsyncClient, path: str = "/metrics") -> dict[Any, float]:
    """Every sample as {(name, sorted labels): value}."""
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _requests(samples: dict[Any, float], operation: str, executor: str) -> float:
    key = ("credence_graphql_requests_total", (("executor", executor), ("operation", operation)))
    return samples[key]


def _latency_count(samples: dict[Any, float], operation: str, executor: str) -> float:
    labels = (("executor", executor), ("operation", operation))
    return samples[("credence_graphql_request_duration_seconds_count", labels)]


async def test_requests_are_counted_by_operation_and_executor(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        before = await _samples(client)
        assert _requests(before, "query", "compiled") == 0
        for _ in range(3):
            await client.post("/graphql", json=QUERY)
        await client.post("/graphql", json=QUERY, headers={EXECUTOR_HEADER: "resolver"})
        await client.post("/graphql", json={"query": "mutation { __typename }"})
        await client.post("/graphql", json={"query": "{ nope }"})
        await client.post("/graphql", content=b"[", headers={"content-type": "text/plain"})
        after = await _samples(client)
    assert _requests(after, "query", "compiled") == 3
    assert _latency_count(after, "query", "compiled") == 3
    assert _requests(after, "query", "resolver") == 1
    # The mutation goes to the resolvers (never the compiled reads); a document that fails
    # validation has no known operation; a body refused before it was read reached no executor.
    assert _requests(after, "mutation", "resolver") == 1
    assert _requests(after, "unknown", "resolver") == 1
    assert _requests(after, "unknown", "none") == 1
    # Every observation lands in the +Inf bucket: counts, never times, are checked here.
    inf = ("le", "+Inf")
    labels = tuple(sorted((("executor", "compiled"), ("operation", "query"), inf)))
    assert after[("credence_graphql_request_duration_seconds_bucket", labels)] == 3


async def test_compiled_answers_and_fallbacks_by_reason(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        await client.post("/graphql", json=QUERY)
        await client.post("/graphql", json={"query": "{ nope }"})
        await client.post("/graphql", json={"query": "mutation { __typename }"})
        await client.post("/graphql", json={"query": "{ state("})
        samples = await _samples(client)
    assert samples[("credence_compiled_answers_total", ())] == 1
    assert samples[("credence_compiled_statements_total", ())] == 1
    assert samples[("credence_compiled_fallbacks_total", (("reason", "validation"),))] == 1
    assert samples[("credence_compiled_fallbacks_total", (("reason", "mutation"),))] == 1
    assert samples[("credence_compiled_fallbacks_total", (("reason", "parse"),))] == 1


async def test_the_pool_is_reported(seed: AsyncEngine) -> None:
    async with _client(seed, pool_size=4) as client:
        await client.post("/graphql", json=QUERY)
        samples = await _samples(client)
    # The engine the tests pass in has its own pool of 4; none is in use between requests.
    assert samples[("credence_db_pool_size", ())] == 4
    assert samples[("credence_db_pool_checked_out", ())] == 0


async def test_each_app_counts_its_own_requests(seed: AsyncEngine) -> None:
    async with _client(seed) as first, _client(seed) as second:
        await first.post("/graphql", json=QUERY)
        assert _requests(await _samples(first), "query", "compiled") == 1
        assert _requests(await _samples(second), "query", "compiled") == 0


async def test_the_json_document_moved_next_to_the_metrics(seed: AsyncEngine) -> None:
    async with _client(seed, metrics_path="/internal/metrics") as client:
        await client.post("/graphql", json=QUERY)
        document = (await client.get("/internal/metrics.json")).json()
        assert document["compiledReads"]["compiled"] == 1
        assert "credence_graphql_requests_total" in (await client.get("/internal/metrics")).text
