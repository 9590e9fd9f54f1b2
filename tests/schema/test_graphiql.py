"""GraphiQL at /graphql: our page, every asset from the service itself, a working example."""

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest
from graphql import build_schema, parse, validate
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.settings import Settings
from schema.http import GRAPHIQL_DIR

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Resources(HTMLParser):
    """The URLs a page makes the browser load (links to data: URLs load nothing)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and name in ("src", "href") and not value.startswith("data:"):
                self.urls.append(value)


def _example_query(page: str) -> str:
    match = re.search(
        r'<script type="application/graphql" id="example-query">(.*?)</script>', page, re.S
    )
    assert match, "the page carries its example query"
    return match.group(1)


def _client(database_url: str, engine: AsyncEngine) -> httpx.AsyncClient:
    app = create_app(Settings(_env_file=None), database_url=database_url, engine=engine)  # type: ignore[call-arg]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(database_url: str, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(database_url, engine) as client:
        yield client


@pytest.fixture
async def seeded_client(seeded_database: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(seeded_database, application_name="credence-tests", pool_size=2)
    try:
        async with _client(seeded_database, engine) as client:
            yield client
    finally:
        await engine.dispose()


async def test_a_browser_gets_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>Credence · GraphiQL</title>" in response.text


async def test_every_resource_of_the_page_comes_from_the_service(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=BROWSER)).text
    parser = Resources()
    parser.feed(page)
    assert parser.urls, "the page loads its scripts and styles"
    assert all(url.startswith("/graphql/assets/") for url in parser.urls), parser.urls
    assert "https://" not in page and "http://" not in page
    for url in parser.urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].split(";")[0] in (
            "text/javascript",
            "text/css",
            "image/svg+xml",  # the favicon
        )
        assert len(asset.content) > 0


async def test_the_page_forbids_loading_from_elsewhere(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=BROWSER)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy


async def test_graphiql_and_react_are_vendored_in_the_package(client: httpx.AsyncClient) -> None:
    for name in (
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "LICENSE.graphiql",
        "LICENSE.react",
        "LICENSE.react-dom",
    ):
        assert (await client.get(f"/graphql/assets/{name}")).status_code == 200, name


def test_the_example_query_is_valid_against_the_exported_schema() -> None:
    sdl = build_schema((GRAPHIQL_DIR.parent / "schema.graphql").read_text(encoding="utf-8"))
    page = (GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8")
    assert validate(sdl, parse(_example_query(page))) == []


async def test_the_example_query_answers_the_story_from_the_seed(
    seeded_client: httpx.AsyncClient,
) -> None:
    page = (await seeded_client.get("/graphql", headers=BROWSER)).text
    response = await seeded_client.post("/graphql", json={"query": _example_query(page)})
    body = response.json()
    assert "errors" not in body, body
    recognitions = body["data"]["recognitions"]
    recognizers = {node["recognizer"]["iso3"] for node in recognitions["nodes"]}
    # In 2000 the Emirate had been recognized by Pakistan, Saudi Arabia and the UAE; Russia only
    # in 2025.
    assert {"PAK", "SAU", "ARE"} <= recognizers
    assert "RUS" not in recognizers
    assert recognitions["totalCount"] == len(recognitions["nodes"])
    assert all(node["sources"] for node in recognitions["nodes"])
