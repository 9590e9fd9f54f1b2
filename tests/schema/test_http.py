"""GraphQL over HTTP as the GraphQL-over-HTTP specification has it: methods, media types, codes."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.settings import Settings
from schema.http import negotiate_media_type
from tests.databases import create_database, drop_database

GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(_env_file=None), database_url=database_url, engine=engine)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_query_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_get_takes_variables_and_an_operation_name(client: httpx.AsyncClient) -> None:
    query = "query A($skip: Boolean!) { __typename @skip(if: $skip) } query B { __typename }"
    params = {"query": query, "variables": json.dumps({"skip": True}), "operationName": "A"}
    response = await client.get("/graphql", params=params)
    assert response.json() == {"data": {}}


async def test_a_query_over_post(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_mutation_over_get_is_405_allow_post_before_anything_runs(
    client: httpx.AsyncClient,
) -> None:
    # Decided from the operation's type alone, whatever fields the document selects.
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"errors": [{"message": "Mutations are only allowed over POST."}]}


async def test_other_methods_are_405_allow_get_and_post(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_a_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    # What is wrong and where: orjson's reason and position.
    assert error["message"].startswith("The request body is not valid JSON: unexpected end of data")
    assert "column 27" in error["message"]


async def test_variables_that_are_not_json_are_400(client: httpx.AsyncClient) -> None:
    params = {"query": "{ __typename }", "variables": "{nope"}
    response = await client.get("/graphql", params=params)
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{}, {"query": None}, {"variables": {}}])
async def test_a_request_without_a_query_is_400(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "No GraphQL query found in the request"


async def test_a_query_that_is_not_a_string_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": ["{ __typename }"]})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/graphql"]
)
async def test_a_body_of_another_media_type_is_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert "application/json" in response.json()["errors"][0]["message"]


async def test_json_with_a_charset_is_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


async def test_graphql_response_json_when_the_client_accepts_it(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_with_graphql_response_json_a_request_error_is_400_without_data(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ noSuchField }"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "noSuchField" in body["errors"][0]["message"]


async def test_with_application_json_a_request_error_is_200_without_data(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ noSuchField }"}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "data" not in response.json()


async def test_a_syntax_error_is_a_request_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename"}, headers={"accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_a_bad_variable_is_a_request_error(client: httpx.AsyncClient) -> None:
    query = "query ($skip: Boolean!) { __typename @skip(if: $skip) }"
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": {"skip": "maybe"}},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$skip" in error["message"]


async def test_http_errors_use_the_negotiated_media_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        content=b"{",
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == GRAPHQL_RESPONSE


async def test_curl_without_a_query_gets_400_not_a_web_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "*/*"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE};q=0", "application/json"),
        ("text/html", "application/json"),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE),
    ],
)
def test_media_type_negotiation(accept: str | None, expected: str) -> None:
    assert negotiate_media_type(accept) == expected


@pytest.fixture
def dropped_database(postgres_server: str) -> str:
    url = create_database(postgres_server, prefix="credence_gone")
    drop_database(url)
    return url


@pytest.fixture
async def dropped_database_engine(dropped_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database that existed and was dropped: every query fails in asyncpg."""
    engine = create_engine(dropped_database, application_name="credence-tests", pool_size=1)
    yield engine
    await engine.dispose()


async def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
    dropped_database_engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    url = dropped_database_engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(), database_url=url, engine=dropped_database_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ recognitions { totalCount } }"},
            headers={"accept": GRAPHQL_RESPONSE, "X-Request-ID": "masked-1"},
        )
    # A field error, not a request error: 200, with `data` (null, the field is non-null).
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "masked-1"
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 3}],
                "path": ["recognitions"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "masked-1"},
            }
        ],
    }
    logged = [r for r in caplog.records if r.name == "schema.limits" and "masked-1" in r.message]
    assert len(logged) == 1
    assert logged[0].exc_info is not None, "the log keeps the traceback the client never sees"
    assert "credence_gone" in str(logged[0].exc_info[1])


async def test_a_user_error_keeps_its_message_and_code(client: httpx.AsyncClient) -> None:
    # An id that decodes to nothing is the client's mistake, not the server's.
    response = await client.post("/graphql", json={"query": '{ node(id: "%%%") { id } }'})
    assert response.status_code == 200
    assert response.json() == {
        "data": {"node": None},
        "errors": [
            {
                "message": "'%%%' is not a valid id",
                "locations": [{"line": 1, "column": 3}],
                "path": ["node"],
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
