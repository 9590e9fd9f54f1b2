"""Apollo's automatic persisted queries over POST and GET, and the persisted-only mode."""

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.http import EXECUTOR_HEADER
from schema.persisted_queries import (
    PersistedQueries,
    PersistedQueriesConfigurationError,
    load_registered,
)

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = 'query Russia { state(iso3: "RUS") { iso3 name } }'
ANSWER = {"data": {"state": {"iso3": "RUS", "name": "Russian Federation"}}}
WITH_VARIABLES = "query One($iso3: String!) { state(iso3: $iso3) { iso3 name } }"


def _hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": _hash(document)}}


def _client(engine: AsyncEngine, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _code(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    code: str = error["extensions"]["code"]
    return code


async def test_unknown_then_registered_then_hit_over_post(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        # What Apollo Client does: the hash alone first ...
        miss = await client.post("/graphql", json={"extensions": _persisted(QUERY)})
        assert miss.status_code == 200
        assert miss.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                }
            ]
        }
        # ... then the hash with the document, which registers it ...
        register = await client.post(
            "/graphql", json={"query": QUERY, "extensions": _persisted(QUERY)}
        )
        assert register.json() == ANSWER
        assert register.headers[EXECUTOR_HEADER] == "compiled"
        # ... and from then on the hash alone, served by the compiled path.
        hit = await client.post(
            "/graphql", json={"extensions": _persisted(QUERY), "operationName": "Russia"}
        )
        assert hit.json() == ANSWER
        assert hit.headers[EXECUTOR_HEADER] == "compiled"


async def test_a_hit_over_get_on_both_executors(seed: AsyncEngine) -> None:
    variables = json.dumps({"iso3": "RUS"})
    extensions = json.dumps(_persisted(WITH_VARIABLES))
    async with _client(seed, debug=True) as client:
        register = await client.get(
            "/graphql",
            params={"query": WITH_VARIABLES, "variables": variables, "extensions": extensions},
        )
        assert register.json() == ANSWER
        for executor in ("compiled", "resolver"):
            hit = await client.get(
                "/graphql",
                params={"extensions": extensions, "variables": variables},
                headers={EXECUTOR_HEADER: executor},
            )
            assert hit.status_code == 200
            assert hit.json() == ANSWER
            # The resolvers (Strawberry) got the document, not the hash.
            assert hit.headers.get(EXECUTOR_HEADER) == (
                "compiled" if executor == "compiled" else None
            )


async def test_a_miss_is_200_even_for_the_graphql_response_media_type(seed: AsyncEngine) -> None:
    # Apollo Client turns persisted queries off for good after a 400.
    async with _client(seed) as client:
        miss = await client.get(
            "/graphql",
            params={"extensions": json.dumps(_persisted(QUERY))},
            headers={"accept": GRAPHQL_RESPONSE},
        )
        assert miss.status_code == 200
        assert _code(miss) == "PERSISTED_QUERY_NOT_FOUND"
        assert miss.headers["cache-control"] == "private, no-store"


async def test_a_hash_that_does_not_match_is_refused_and_not_registered(
    seed: AsyncEngine,
) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": _hash("{ __typename }")}}
    async with _client(seed) as client:
        for accept, status in (("application/json", 200), (GRAPHQL_RESPONSE, 400)):
            mismatch = await client.post(
                "/graphql",
                json={"query": QUERY, "extensions": wrong},
                headers={"accept": accept},
            )
            assert mismatch.status_code == status
            assert _code(mismatch) == "BAD_USER_INPUT"
            assert "does not match" in mismatch.json()["errors"][0]["message"]
        # The hash was not taken over by the other document.
        assert _code(await client.post("/graphql", json={"extensions": wrong})) == (
            "PERSISTED_QUERY_NOT_FOUND"
        )
        for bad in ({"version": 2, "sha256Hash": _hash(QUERY)}, {"version": 1, "sha256Hash": "x"}):
            response = await client.post("/graphql", json={"extensions": {"persistedQuery": bad}})
            assert _code(response) == "BAD_USER_INPUT"


def test_the_store_is_bounded() -> None:
    from schema.http_params import GraphQLParams

    store = PersistedQueries(size=2, max_chars=100)
    documents = [f'{{ state(iso3: "{iso}") {{ name }} }}' for iso in ("AAA", "BBB", "CCC")]
    for document in documents:
        store.resolve(GraphQLParams(document, None, None, _persisted(document)))
    assert len(store) == 2
    first = store.resolve(GraphQLParams(None, None, None, _persisted(documents[0])))
    assert not isinstance(first, GraphQLParams)  # the least recently used went first
    last = store.resolve(GraphQLParams(None, None, None, _persisted(documents[2])))
    assert isinstance(last, GraphQLParams) and last.query == documents[2]
    long = "{ __typename }" + " " * 100
    store.resolve(GraphQLParams(long, None, None, _persisted(long)))
    missed = store.resolve(GraphQLParams(None, None, None, _persisted(long)))
    assert not isinstance(missed, GraphQLParams)  # run, but too long to keep


@pytest.fixture
def registered(tmp_path: Path) -> Path:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({_hash(QUERY): QUERY}))
    return path


async def test_persisted_only_runs_the_registered_documents(
    seed: AsyncEngine, registered: Path
) -> None:
    async with _client(seed, persisted_only=True, persisted_queries_file=registered) as client:
        by_hash = await client.post("/graphql", json={"extensions": _persisted(QUERY)})
        assert by_hash.json() == ANSWER
        assert by_hash.headers[EXECUTOR_HEADER] == "compiled"
        # The registered text itself is fine too; anything else is not.
        assert (await client.post("/graphql", json={"query": QUERY})).json() == ANSWER
        for body in (
            {"query": "{ __typename }"},
            {"query": "{ __typename }", "extensions": _persisted("{ __typename }")},
        ):
            refused = await client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
            assert refused.status_code == 400
            assert _code(refused) == "PERSISTED_QUERY_REQUIRED"
        refused_get = await client.get("/graphql", params={"query": "{ __typename }"})
        assert _code(refused_get) == "PERSISTED_QUERY_REQUIRED"


def test_a_folder_of_graphql_files_is_a_registered_list(tmp_path: Path) -> None:
    (tmp_path / "russia.graphql").write_text(QUERY)
    (tmp_path / "notes.txt").write_text("not a document")
    assert load_registered(tmp_path) == {_hash(QUERY): QUERY}


def test_a_list_whose_hash_is_wrong_stops_the_start(tmp_path: Path, seed: AsyncEngine) -> None:
    path = tmp_path / "persisted.json"
    path.write_text(json.dumps({_hash("{ __typename }"): QUERY}))
    with pytest.raises(PersistedQueriesConfigurationError, match="does not have that SHA-256"):
        load_registered(path)
    with pytest.raises(PersistedQueriesConfigurationError, match="needs the registered"):
        create_app(
            Settings(_env_file=None, persisted_only=True),  # type: ignore[call-arg]
            database_url="unused",
            engine=seed,
        )
