"""What a hostile request costs: bounded validation, a cost limit, capped lists, safe text,
caches that keep nothing unusual, and logs that stay quiet about clients' mistakes.

Every request goes over HTTP to the app (compiled path by default, the resolver path with
`X-Credence-Executor: resolver`), against a real database.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.compiled.executor import CompiledReads
from schema.context import create_context
from schema.cost import MAX_QUERY_COST
from schema.document_cache import MAX_CACHED_DOCUMENT_CHARS, documents_for
from schema.document_limits import MAX_ALIASES, MAX_FRAGMENT_SPREADS
from schema.http import EXECUTOR_HEADER
from schema.limits import schema_extensions
from schema.root import CredenceSchema, schema
from schema.search import MAX_SEARCH_TEXT
from schema.stats import MAX_STATS_GROUPS
from tests.schema.compiled.test_statements import statements_on

GRAPHQL_RESPONSE = "application/graphql-response+json"
# A hang guard, not a performance assertion: before the fix these requests took minutes.
HANG_GUARD_SECONDS = 5.0
PATHS = ["compiled", "resolver"]


@pytest.fixture
async def client(world_url: str, world: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    # Debug mode honours the executor header, so each test can ask both read paths.
    app = create_app(Settings(debug=True), database_url=world_url, engine=world)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def empty(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a database of its own, whose engine's statements a test may watch."""
    app = create_app(Settings(debug=True), database_url=database_url, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str = "compiled",
) -> httpx.Response:
    headers = {"accept": GRAPHQL_RESPONSE, "content-type": "application/json"}
    if path == "resolver":
        headers[EXECUTOR_HEADER] = "resolver"
    # Encoded here, ASCII only: a lone surrogate travels as the JSON escape `\\ud800`, as a
    # client written in JavaScript would send it (httpx would refuse to encode it).
    body = json.dumps({"query": query, "variables": variables})
    request = client.post("/graphql", content=body, headers=headers)
    return await asyncio.wait_for(request, HANG_GUARD_SECONDS)


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    return error  # type: ignore[no-any-return]


def _fan_out(levels: int) -> str:
    """Each fragment spreads the next one twice: 2**levels spreads, in about 40 bytes a level."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"


def _chain(length: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{length} on Query {{ __typename }}"


def _app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    # httpx logs every request it sends; only the service's own lines count here.
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


# --- Validation in bounded time ------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
async def test_a_fragment_fan_out_is_refused_at_once(client: httpx.AsyncClient, path: str) -> None:
    response = await _post(client, _fan_out(40), path=path)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert f"expands to {2**41 - 1} fragment spreads" in error["message"]
    assert f"Allowed: {MAX_FRAGMENT_SPREADS}" in error["message"]


@pytest.mark.parametrize("path", PATHS)
async def test_a_long_fragment_chain_is_a_validation_error_logged_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await _post(client, _chain(400), path=path)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "expands to 401 fragment spreads" in error["message"]
    logged = [r for r in _app_records(caplog) if r.levelno >= logging.INFO]
    assert len(logged) == 1, [r.getMessage() for r in logged]
    assert logged[0].levelno == logging.INFO
    assert logged[0].exc_info is None


async def test_an_unused_fragment_chain_is_refused_too(client: httpx.AsyncClient) -> None:
    # Validation walks every fragment, used or not.
    query = "{ __typename } " + _chain(400).split(" ", 3)[3]
    error = _error(await _post(client, query))
    assert error["message"] == "Fragment 'F0' expands to 400 fragment spreads. Allowed: 100"


async def test_aliases_count_once_per_spread(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(MAX_ALIASES // 2 + 1))
    fragment = f"fragment F on Query {{ {aliases} }}"
    assert (await _post(client, f"{{ ...F }} {fragment}")).status_code == 200
    # The same fragment reached twice answers with its aliases twice.
    response = await _post(client, f"{{ ...F ... on Query {{ ...F }} }} {fragment}")
    error = _error(response)
    count = 2 * (MAX_ALIASES // 2 + 1)
    assert error["message"] == f"{count} aliases found. Allowed: {MAX_ALIASES}"


async def test_introspection_counts_aliases_and_spreads_but_not_depth(
    client: httpx.AsyncClient,
) -> None:
    aliases = " ".join(f"a{i}: description" for i in range(MAX_ALIASES + 1))
    error = _error(await _post(client, f"{{ __schema {{ {aliases} }} }}"))
    assert error["message"] == f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    fan_out = _fan_out(40).replace("on Query", "on __Schema").replace("__typename", "description")
    error = _error(await _post(client, fan_out.replace("{ ...F0 }", "{ __schema { ...F0 } }", 1)))
    assert "fragment spreads. Allowed" in error["message"]


async def test_many_copies_of_one_field_are_refused(client: httpx.AsyncClient) -> None:
    # graphql-core compares every pair of fields with one name; its budget is ours to set.
    query = "{ " + "states { nodes { name } } " * 700 + "}"
    error = _error(await _post(client, query))
    assert error["message"].startswith("Validation aborted: the document is too complex")
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


# --- Cost ----------------------------------------------------------------------------------------

# 100 states, 100 recognitions each, `first` of each recognizer's recognitions:
# 100 + 100 * 100 + 100 * 100 * first entries.
COSTLY = """
query ($first: Int!) {
  states(first: 100) { nodes { recognitionsGiven(first: 100) { nodes {
    recognizer { recognitionsGiven(first: $first) { nodes { key } } }
  } } } }
}
"""


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("first", [9, 9.0])  # JSON 9.0 is an Int as well
async def test_a_costly_query_is_refused_with_its_cost(
    client: httpx.AsyncClient, path: str, first: float
) -> None:
    response = await _post(client, COSTLY, {"first": first}, path=path)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 100_100,
        "maxCost": MAX_QUERY_COST,
    }
    assert "100100" in error["message"]
    assert str(MAX_QUERY_COST) in error["message"]


@pytest.mark.parametrize("path", PATHS)
async def test_a_query_just_under_the_cost_limit_runs(client: httpx.AsyncClient, path: str) -> None:
    response = await _post(client, COSTLY, {"first": 8}, path=path)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert response.headers.get(EXECUTOR_HEADER, "resolver") == path
    assert body["data"]["states"]["nodes"]


async def test_the_compiled_path_declines_what_strawberry_refuses() -> None:
    compiled = CompiledReads(schema)
    assert compiled.plan(COSTLY, {"first": 9}, None) == "refused"
    assert compiled.plan("{ state(iso3: $x) { name } }", None, None) == "validation"
    assert compiled.plan(
        "query ($iso3: String!) { state(iso3: $iso3) { name } }", {"iso3": "\0"}, None
    ) == ("refused")


# --- Capped lists --------------------------------------------------------------------------------

STATS = "query ($first: Int!) { recognitionStats(groupBy: [RECOGNIZER], first: $first) { count } }"


async def test_recognition_stats_are_capped_alike_on_both_paths(
    client: httpx.AsyncClient,
) -> None:
    answers = [(await _post(client, STATS, {"first": 2}, path=path)).json() for path in PATHS]
    assert answers[0] == answers[1]
    assert len(answers[0]["data"]["recognitionStats"]) == 2
    everything = (await _post(client, STATS, {"first": MAX_STATS_GROUPS})).json()
    assert len(everything["data"]["recognitionStats"]) == 5


@pytest.mark.parametrize("path", PATHS)
async def test_recognition_stats_beyond_the_cap_is_a_user_error(
    client: httpx.AsyncClient, path: str
) -> None:
    body = (await _post(client, STATS, {"first": MAX_STATS_GROUPS + 1}, path=path)).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(MAX_STATS_GROUPS) in error["message"]


async def test_recognition_stats_default_to_the_cap(client: httpx.AsyncClient) -> None:
    query = '{ __type(name: "Query") { fields { name args { name defaultValue } } } }'
    fields = (await _post(client, query)).json()["data"]["__type"]["fields"]
    [stats] = [f for f in fields if f["name"] == "recognitionStats"]
    assert {"name": "first", "defaultValue": str(MAX_STATS_GROUPS)} in stats["args"]


async def test_search_text_too_long_is_refused_without_the_database(
    empty: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    await engine.dispose()  # new connections, which the logger below sees
    query = "query ($text: String!) { search(text: $text) { score } }"
    with statements_on(engine) as seen:
        response = await _post(empty, query, {"text": "x" * 300_000})
    body = response.json()
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "text",
        "maxLength": MAX_SEARCH_TEXT,
    }
    assert f"at most {MAX_SEARCH_TEXT} characters" in error["message"]
    assert seen == []


# --- Text a database cannot hold -----------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "where"),
    [
        (r'{ state(iso3: "A\u0000B") { name } }', "iso3"),
        (r'{ recognitions(where: {subject: {eq: "x\u0000"}}) { totalCount } }', "where.subject.eq"),
        ('{ search(text: """a\x00b""") { score } }', "text"),
    ],
)
async def test_nul_in_a_literal_is_a_user_error_without_the_database(
    empty: httpx.AsyncClient, engine: AsyncEngine, path: str, query: str, where: str
) -> None:
    await engine.dispose()
    with statements_on(engine) as seen:
        response = await _post(empty, query, path=path)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": where}
    assert f"Argument {where} contains a NUL character (U+0000)" in error["message"]
    assert seen == []


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "variables", "where", "problem"),
    [
        (
            "query ($iso3: String!) { state(iso3: $iso3) { name } }",
            {"iso3": "A\0B"},
            "$iso3",
            "a NUL character (U+0000)",
        ),
        (
            "query ($where: RecognitionWhere) { recognitions(where: $where) { totalCount } }",
            {"where": {"subject": {"in": ["AFG", "x\0"]}}},
            "$where.subject.in.1",
            "a NUL character (U+0000)",
        ),
    ],
)
async def test_forbidden_text_in_a_variable_is_a_user_error_without_the_database(
    empty: httpx.AsyncClient,
    engine: AsyncEngine,
    path: str,
    query: str,
    variables: dict[str, Any],
    where: str,
    problem: str,
) -> None:
    await engine.dispose()
    with statements_on(engine) as seen:
        response = await _post(empty, query, variables, path=path)
    assert response.status_code == 400
    error = _error(response)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "variable": where}
    assert error["message"] == f"Variable {where} contains {problem}, which text cannot hold."
    assert seen == []


SURROGATES = [
    (
        "query ($text: String!) { search(text: $text) { score } }",
        {"text": "Russia\ud800"},
        "$text",
        "D800",
    ),
    (
        "query ($where: RecognitionWhere) { recognitions(where: $where) { totalCount } }",
        {"where": {"subject": {"eq": "\udfff"}}},
        "$where.subject.eq",
        "DFFF",
    ),
]


@pytest.mark.parametrize(("query", "variables", "where", "code_point"), SURROGATES)
async def test_schema_execute_refuses_lone_surrogates_on_its_own(
    world: AsyncEngine, query: str, variables: dict[str, Any], where: str, code_point: str
) -> None:
    # Over HTTP the JSON decoder refuses lone surrogates first; a caller of `schema.execute`
    # (a script, a test) has no HTTP layer in front, and the schema's own check stands.
    await world.dispose()
    with statements_on(world) as seen:
        result = await schema.execute(
            query, variable_values=variables, context_value=create_context(engine=world)
        )
    assert result.data is None
    assert result.errors is not None
    [error] = result.errors
    assert error.message == (
        f"Variable {where} contains an unpaired surrogate (U+{code_point}), which text cannot hold."
    )
    assert error.extensions == {"code": "BAD_USER_INPUT", "variable": where}
    assert seen == []
    # The compiled path declines them (orjson cannot even encode them to key a plan), so
    # Strawberry answers with the error above.
    assert CompiledReads(schema).plan(query, variables, None) == "variables"


# --- Caches --------------------------------------------------------------------------------------


async def test_the_document_cache_keeps_only_valid_documents_of_modest_size(
    client: httpx.AsyncClient,
) -> None:
    documents = documents_for(schema._schema)
    documents.clear()
    for failing in (
        "{ states { ",
        "{ nowhere }",
        _fan_out(40),
        r'{ state(iso3: "\u0000") { name } }',
    ):
        await _post(client, failing)
        await _post(client, failing, path="resolver")
    assert len(documents) == 0
    large = "{ __typename" + " " * MAX_CACHED_DOCUMENT_CHARS + "}"
    assert (await _post(client, large)).json() == {"data": {"__typename": "Query"}}
    assert len(documents) == 0
    assert (await _post(client, "{ __typename }")).status_code == 200
    assert len(documents) == 1
    # Both paths share the entry: the resolver path finds it and adds none.
    assert (await _post(client, "{ __typename }", path="resolver")).status_code == 200
    assert len(documents) == 1


async def test_the_plan_cache_keeps_small_keys_and_digests_and_no_failures() -> None:
    compiled = CompiledReads(schema)
    query = "query ($iso3: String!) { state(iso3: $iso3) { name } }"
    assert isinstance(compiled.plan(query, {"iso3": "AFG"}, None), list)
    assert len(compiled._plans) == 1
    # Large variables: planned, not kept (a plan holds their values).
    assert isinstance(compiled.plan(query, {"iso3": "A" * 10_000}, None), list)
    # Failures: not kept.
    compiled.plan("{ states { ", None, None)
    compiled.plan("{ nowhere }", None, None)
    compiled.plan(query, {"iso3": 1}, None)
    compiled.plan(COSTLY, {"first": 100}, None)
    assert len(compiled._plans) == 1
    # A short request is its own key; a longer one (up to the cache's limits) a digest.
    [small] = compiled._plans
    assert small[0] == query
    padded = query + " " * 3000
    assert isinstance(compiled.plan(padded, {"iso3": "AFG"}, None), list)
    assert len(compiled._plans) == 2
    digest, _day = list(compiled._plans)[-1]
    assert isinstance(digest, bytes) and len(digest) == 32


# --- Logging -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ nowhere }", None),
        ("{ states { ", None),
        ('{ node(id: "%%%") { id } }', None),
        ("query ($first: Int!) { states(first: $first) { totalCount } }", {"first": "many"}),
        ("query ($iso3: String!) { state(iso3: $iso3) { name } }", {"iso3": "\0"}),
    ],
)
async def test_a_client_mistake_is_one_info_line(
    client: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    query: str,
    variables: dict[str, Any] | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    await _post(client, query, variables, path=path)
    logged = [r for r in _app_records(caplog) if r.levelno >= logging.INFO]
    assert [r.levelno for r in logged] == [logging.INFO], [r.getMessage() for r in logged]
    assert logged[0].exc_info is None
    assert "refused" in logged[0].getMessage()


@strawberry.type
class _Crashing:
    @strawberry.field
    def boom(self) -> int:
        raise RuntimeError("secret detail")


async def test_a_fault_is_one_error_line_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crashing = CredenceSchema(query=_Crashing, extensions=schema_extensions())
    caplog.set_level(logging.DEBUG)
    result = await crashing.execute("{ boom }")
    assert result.errors is not None
    [error] = result.errors
    assert error.message == "Internal server error"
    assert error.extensions is not None and error.extensions["code"] == "INTERNAL_SERVER_ERROR"
    logged = [r for r in _app_records(caplog) if r.levelno >= logging.INFO]
    assert [r.levelno for r in logged] == [logging.ERROR]
    assert logged[0].exc_info is not None
    assert "secret detail" in str(logged[0].exc_info[1])
    assert error.extensions["requestId"] in logged[0].getMessage()
