"""HTTP caching of GET queries: ETags from the data's version, 304s, and what is never cached."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from api.app import create_app
from api.auth import AuthConfig, mint_token
from api.importer import ImportOptions, RowsInput, import_inputs
from api.roles import Role
from api.settings import Settings
from schema.http import EXECUTOR_HEADER, GraphQLView

SECRET = "a-test-secret-of-more-than-32-bytes!"
TOKEN = mint_token(AuthConfig(secret=SECRET), role=Role.READER, subject="tests", ttl_seconds=3600)
STATES = {"query": "{ states(first: 10, orderBy: ISO3_ASC) { nodes { iso3 name } } }"}


async def _import(database_url: str, *codes: str) -> None:
    rows = [{"iso3": code, "name": f"State {code}", "kind": "current"} for code in codes]
    summary = await import_inputs(
        [RowsInput("states", "states", rows)],
        database_url=database_url,
        options=ImportOptions(actor="tests"),
    )
    assert not summary.errors, summary.errors


def _app(engine: AsyncEngine, **overrides: Any) -> Any:
    # A TTL of 0 by default here: every GET asks the database, so an import shows at once.
    overrides = {"data_version_ttl": 0, "debug": True, "jwt_secret": SECRET, **overrides}
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    return create_app(settings, database_url="unused", engine=engine)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _view(app: Any) -> GraphQLView:
    # The HTTP route's app: the view, behind the event-stream dispatch of subscriptions.
    [route] = [r for r in app.routes if isinstance(r, Route) and r.path == "/graphql"]
    view = getattr(route.app, "app", route.app)
    assert isinstance(view, GraphQLView)
    return view


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await _import(database_url, "AAA", "BBB")
    async with _client(_app(engine)) as client:
        yield client


@pytest.mark.parametrize("executor", ["compiled", "resolver"])
async def test_an_unchanged_answer_is_304_and_an_import_makes_a_new_etag(
    engine: AsyncEngine, database_url: str, executor: str
) -> None:
    await _import(database_url, "AAA", "BBB")
    headers = {EXECUTOR_HEADER: executor}
    async with _client(_app(engine)) as client:
        first = await client.get("/graphql", params=STATES, headers=headers)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert tag.startswith('W/"')
        assert first.headers["cache-control"] == "no-cache"
        assert first.headers.get(EXECUTOR_HEADER) == (
            "compiled" if executor == "compiled" else None
        )

        again = await client.get(
            "/graphql", params=STATES, headers={**headers, "if-none-match": tag}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == tag

        await _import(database_url, "CCC")
        changed = await client.get(
            "/graphql", params=STATES, headers={**headers, "if-none-match": tag}
        )
        assert changed.status_code == 200
        assert changed.headers["etag"] != tag
        assert [n["iso3"] for n in changed.json()["data"]["states"]["nodes"]] == [
            "AAA",
            "BBB",
            "CCC",
        ]


async def test_another_request_has_another_etag(client: httpx.AsyncClient) -> None:
    one = await client.get("/graphql", params=STATES)
    other = await client.get("/graphql", params={"query": "{ states(first: 1) { totalCount } }"})
    json_media = await client.get(
        "/graphql", params=STATES, headers={"accept": "application/graphql-response+json"}
    )
    assert len({one.headers["etag"], other.headers["etag"], json_media.headers["etag"]}) == 3
    mismatch = await client.get(
        "/graphql", params=STATES, headers={"if-none-match": other.headers["etag"]}
    )
    assert mismatch.status_code == 200


@pytest.mark.parametrize(
    "credentials", [{"authorization": f"Bearer {TOKEN}"}, {"cookie": "session=1"}]
)
async def test_a_request_with_credentials_is_never_cached(
    client: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    tag = (await client.get("/graphql", params=STATES)).headers["etag"]
    response = await client.get(
        "/graphql", params=STATES, headers={**credentials, "if-none-match": tag}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert "etag" not in response.headers


async def test_post_answers_and_errors_are_not_cached(client: httpx.AsyncClient) -> None:
    posted = await client.post("/graphql", json=STATES)
    assert "etag" not in posted.headers and "cache-control" not in posted.headers
    error = await client.get("/graphql", params={"query": "{ nope }"})
    assert "etag" not in error.headers
    assert error.headers["cache-control"] == "no-store"


async def test_the_cache_control_is_a_setting(engine: AsyncEngine, database_url: str) -> None:
    async with _client(_app(engine, cache_control="public, max-age=60")) as client:
        response = await client.get("/graphql", params=STATES)
        assert response.headers["cache-control"] == "public, max-age=60"


async def test_the_version_is_looked_up_once_per_ttl(
    engine: AsyncEngine, database_url: str
) -> None:
    app = _app(engine, data_version_ttl=3600)
    async with _client(app) as client:
        for _ in range(5):
            assert (await client.get("/graphql", params=STATES)).status_code == 200
    cache = _view(app).cache
    assert cache is not None and cache.version.lookups == 1
    app = _app(engine, data_version_ttl=0)
    async with _client(app) as client:
        for _ in range(3):
            await client.get("/graphql", params=STATES)
    cache = _view(app).cache
    assert cache is not None and cache.version.lookups == 3
