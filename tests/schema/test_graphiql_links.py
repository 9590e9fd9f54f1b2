"""`/graphql?query=...` is GraphiQL for a browser and an answer for a program; the favicon."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
QUERY = {"query": '{ state(iso3: "RUS") { iso3 } }'}


@pytest.fixture
async def client(seed: AsyncEngine) -> httpx.AsyncClient:
    app = create_app(Settings(_env_file=None), database_url="unused", engine=seed)  # type: ignore[call-arg]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_browser_opening_a_query_link_gets_graphiql(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", params=QUERY, headers={"accept": BROWSER_ACCEPT})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "etag" not in page.headers


@pytest.mark.parametrize(
    "accept", ["*/*", "application/json", "application/graphql-response+json, text/html"]
)
async def test_a_program_gets_the_answer(client: httpx.AsyncClient, accept: str) -> None:
    answer = await client.get("/graphql", params=QUERY, headers={"accept": accept})
    assert answer.json() == {"data": {"state": {"iso3": "RUS"}}}


async def test_the_page_links_its_favicon(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert '<link rel="icon" type="image/svg+xml" href="/graphql/assets/favicon.svg">' in page.text
    icon = await client.get("/graphql/assets/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
