"""History served in GraphQL: every fact's `version` and `history`, actors for admins only, the
`changes` feed resumed from its cursor, and the compiled path leaving them to the resolvers."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import Route

from api.database import create_engine
from api.roles import Principal, Role
from schema.context import create_context
from schema.http import EXECUTOR_HEADER, GraphQLView
from schema.root import schema
from tests.api.test_history import PAK, _delete, _story
from tests.api.test_import import fetch
from tests.schema.compiled.test_statements import statements_on

ADMIN = Principal(Role.ADMIN, subject="root", authenticated=True)
READER = Principal(Role.READER, subject="someone", authenticated=True)

HISTORY = """
query ($key: String!, $first: Int, $after: String) {
  recognition(key: $key) {
    version
    history(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { version action origin actor changes { field before after } } }
    }
  }
}
"""


async def _ask(
    engine: AsyncEngine,
    query: str,
    variables: dict[str, Any] | None = None,
    principal: Principal = READER,
) -> Any:
    result = await schema.execute(
        query,
        variable_values=variables,
        context_value=create_context(engine=engine, principal=principal),
    )
    return result


@pytest.fixture
async def story(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    await _story(database_url, tmp_path)
    engine = create_engine(database_url, application_name="credence-tests", pool_size=2)
    yield engine
    await engine.dispose()


async def test_a_facts_history_with_actors_for_admins_only(story: AsyncEngine) -> None:
    seen = {}
    for principal in (READER, ADMIN):
        result = await _ask(story, HISTORY, {"key": PAK}, principal)
        assert result.errors is None, result.errors
        seen[principal.role] = result.data["recognition"]

    admin = seen[Role.ADMIN]
    entries = [edge["node"] for edge in admin["history"]["edges"]]
    assert [(e["action"], e["origin"], e["actor"]) for e in entries] == [
        ("UPDATE", "import", "third"),
        ("UPDATE", "import", "second"),
        ("INSERT", "import", "first"),
    ]
    assert entries[0]["changes"] == [
        {"field": "sources", "before": ["S02"], "after": ["S02", "S01"]}
    ]
    assert entries[1]["changes"] == [
        {"field": "from_date", "before": "1997-05-26", "after": "1997-05-25"}
    ]
    # The version is the newest change, the citation added; as a string of digits.
    assert admin["version"] == entries[0]["version"] and admin["version"].isdigit()
    # A reader sees the same history without who made it.
    reader = [edge["node"] for edge in seen[Role.READER]["history"]["edges"]]
    assert [e["actor"] for e in reader] == [None, None, None]
    assert [{**e, "actor": None} for e in entries] == reader


async def test_history_pages_follow_their_cursor(story: AsyncEngine) -> None:
    first = (await _ask(story, HISTORY, {"key": PAK, "first": 2})).data["recognition"]
    page = first["history"]["pageInfo"]
    rest = (await _ask(story, HISTORY, {"key": PAK, "first": 2, "after": page["endCursor"]})).data[
        "recognition"
    ]

    assert page["hasNextPage"] is True
    assert [e["node"]["action"] for e in rest["history"]["edges"]] == ["INSERT"]
    assert rest["history"]["pageInfo"]["hasNextPage"] is False
    bad = await _ask(story, HISTORY, {"key": PAK, "after": "nope"})
    assert bad.errors and bad.errors[0].extensions == {"code": "BAD_USER_INPUT"}


FEED = """
query ($after: String, $first: Int, $entity: Entity, $key: String) {
  changes(after: $after, first: $first, entity: $entity, key: $key) {
    resumeAfter
    pageInfo { hasNextPage }
    nodes { version entity key nodeId fact factNodeId action origin actor
            changes { field before after } }
  }
}
"""


async def test_the_feed_is_polled_and_resumed_with_nothing_missed(
    story: AsyncEngine, database_url: str
) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        result = await _ask(story, FEED, {"after": cursor, "first": 5}, ADMIN)
        assert result.errors is None, result.errors
        feed = result.data["changes"]
        seen.extend(feed["nodes"])
        cursor = feed["resumeAfter"]
        if not feed["pageInfo"]["hasNextPage"]:
            break
    quiet = (await _ask(story, FEED, {"after": cursor}, ADMIN)).data["changes"]
    await _delete(database_url, PAK, "root")
    news = (await _ask(story, FEED, {"after": cursor}, ADMIN)).data["changes"]

    every = await fetch(database_url, "SELECT id FROM change_log ORDER BY id")
    assert [int(c["version"]) for c in seen + news["nodes"]] == [r[0] for r in every]
    assert quiet["nodes"] == [] and quiet["resumeAfter"] == cursor
    deleted = {(c["entity"], c["action"], c["actor"], c["origin"]) for c in news["nodes"]}
    assert deleted == {
        ("RECOGNITION", "DELETE", "root", "mutation"),
        ("CITATION", "DELETE", "root", "mutation"),
    }
    # A citation's change names its source and the fact it belonged to, gone or not.
    fact_ids = {c["factNodeId"] for c in news["nodes"] if c["entity"] == "CITATION"}
    recognition = next(c for c in news["nodes"] if c["entity"] == "RECOGNITION")
    assert fact_ids == {recognition["nodeId"]}
    assert {c["key"] for c in news["nodes"] if c["entity"] == "CITATION"} == {"S01", "S02"}


async def test_one_facts_feed_and_bad_arguments(story: AsyncEngine) -> None:
    one = (await _ask(story, FEED, {"entity": "RECOGNITION", "key": PAK})).data["changes"]
    kinds = [(c["entity"], c["action"]) for c in one["nodes"]]
    assert kinds.count(("RECOGNITION", "INSERT")) == 1
    assert kinds.count(("RECOGNITION", "UPDATE")) == 1
    assert {c["actor"] for c in one["nodes"]} == {None}
    for variables in ({"first": 101}, {"first": -1}, {"after": "x"}, {"key": PAK}):
        result = await _ask(story, FEED, variables)
        assert result.errors and result.errors[0].extensions == {"code": "BAD_USER_INPUT"}


async def test_versions_of_a_list_cost_one_statement(story: AsyncEngine) -> None:
    query = "{ states(first: 50) { nodes { iso3 version } } recognitions { nodes { version } } }"
    with statements_on(story) as seen:
        result = await _ask(story, query)
    assert result.errors is None, result.errors
    versions = [s for s in seen if "change_log" in s]
    # One statement per node type, whatever the number of nodes.
    assert len(versions) == 2
    states = result.data["states"]["nodes"]
    assert len(states) == 5 and all(int(s["version"]) > 0 for s in states)


async def test_the_compiled_path_leaves_history_to_the_resolvers(story: AsyncEngine) -> None:
    view = GraphQLView(schema, engine=lambda: story, executor_header=True)
    app = Starlette(routes=[Route("/graphql", view)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answers = {}
        for executor in ("resolver", "compiled"):
            response = await client.post(
                "/graphql",
                json={"query": HISTORY, "variables": {"key": PAK}},
                headers={EXECUTOR_HEADER: executor},
            )
            answers[executor] = response.json()
        plain = await client.post("/graphql", json={"query": '{ state(iso3: "RUS") { name } }'})
    assert answers["resolver"] == answers["compiled"]
    assert answers["compiled"]["data"]["recognition"]["history"]["edges"]
    assert plain.headers[EXECUTOR_HEADER] == "compiled"
    assert view.compiled is not None and view.compiled.stats.fallbacks >= 1
