"""The compiled path behind the HTTP view: the switch, the header, the JSON metrics route."""

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route

from schema.http import EXECUTOR_HEADER, GraphQLView, metrics_route
from schema.root import schema

QUERY = {"query": '{ state(iso3: "RUS") { name } }'}


def _client(view: GraphQLView) -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/graphql", view), metrics_route(view)])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_metrics_count_compiled_answers_and_fallbacks(world: AsyncEngine) -> None:
    view = GraphQLView(schema, engine=lambda: world, executor_header=True)
    async with _client(view) as client:
        assert (await client.post("/graphql", json=QUERY)).headers[EXECUTOR_HEADER] == "compiled"
        await client.post("/graphql", json={"query": '{ search(text: "") { score } }'})
        skipped = await client.post("/graphql", json=QUERY, headers={EXECUTOR_HEADER: "resolver"})
        assert EXECUTOR_HEADER not in skipped.headers
        metrics = (await client.get("/metrics.json")).json()
    assert metrics == {
        "compiledReads": {
            "compiled": 1,
            "statements": 1,
            "fallbacks": 1,
            "fallbackReasons": {"search": 1},
        }
    }


async def test_compiled_reads_can_be_switched_off(world: AsyncEngine) -> None:
    view = GraphQLView(schema, engine=lambda: world, compiled_reads=False)
    async with _client(view) as client:
        response = await client.post("/graphql", json=QUERY)
        assert response.json() == {"data": {"state": {"name": "Russian Federation"}}}
        assert EXECUTOR_HEADER not in response.headers
        assert (await client.get("/metrics.json")).json() == {"compiledReads": None}


async def test_mutations_and_bad_documents_are_left_to_strawberry(world: AsyncEngine) -> None:
    view = GraphQLView(schema, engine=lambda: world, executor_header=True)
    async with _client(view) as client:
        for body in (
            {"query": "mutation { __typename }"},
            {"query": "{ state(iso3: 1) { name } }"},
            {"query": "{ nope }"},
            {"query": "{ state("},
            {"query": "query A { __typename } query B { __typename }"},
            {"query": "query ($x: Int!) { states(first: $x) { totalCount } }"},
        ):
            response = await client.post("/graphql", json=body)
            assert EXECUTOR_HEADER not in response.headers, body
    assert view.compiled is not None
    assert view.compiled.stats.compiled == 0
    assert view.compiled.stats.fallbacks == 6


async def test_odd_request_bodies_answer_alike(world: AsyncEngine) -> None:
    view = GraphQLView(schema, engine=lambda: world, executor_header=True)
    async with _client(view) as client:
        for body in (
            {"query": "{ __typename }", "variables": [1]},
            {"query": "{ __typename }", "variables": "x"},
            {"query": "{ __typename }", "operationName": "Nope"},
            {"query": ""},
        ):
            answers = [
                await client.post("/graphql", json=body, headers={EXECUTOR_HEADER: executor})
                for executor in ("resolver", "compiled")
            ]
            assert answers[0].status_code == answers[1].status_code, body
            assert answers[0].json() == answers[1].json(), body
