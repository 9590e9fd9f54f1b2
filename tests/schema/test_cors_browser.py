"""A page on another origin calls Credence with `fetch` in a real headless Chromium.

The browser enforces CORS, so this is the test that counts: the listed origin gets data, any
other origin's fetch rejects (its preflight gets no CORS header). Uses Debian's Chromium, as
tests/schema/test_graphiql_browser.py does (skipped when missing unless CI requires it).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from api.app import create_app
from api.auth import AuthConfig, mint_token
from api.roles import Role
from api.settings import Settings
from tests.schema.browser import CHROMIUM_ARGS
from tests.schema.threaded_server import serve_in_thread

pytestmark = pytest.mark.browser

# A real token: the page sends Authorization, which makes its fetch need a preflight.
SECRET = "a-test-secret-of-more-than-32-bytes!"
TOKEN = mint_token(AuthConfig(secret=SECRET), role=Role.READER, subject="tests", ttl_seconds=3600)

# The frontend: a page whose script asks Credence with a JSON POST (so the browser sends a
# preflight first) and reports either the data or why the fetch failed.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>frontend</title></head><body>
<script>
window.askCredence = async function (url, token) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {"content-type": "application/json", "authorization": "Bearer " + token},
      body: JSON.stringify({query: '{ state(iso3: "RUS") { iso3 name } }'}),
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {rejected: String(error)};
  }
};
</script></body></html>"""


def _frontend() -> Starlette:
    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    return Starlette(routes=[Route("/", page)])


@pytest.fixture
def origins() -> Iterator[tuple[str, str]]:
    """Two frontends on two ports of 127.0.0.1: two origins."""
    with serve_in_thread(_frontend()) as allowed, serve_in_thread(_frontend()) as other:
        yield allowed, other


def _ask(chromium: Path, page_url: str, credence: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_url)
            answer: dict[str, Any] = page.evaluate(
                "([url, token]) => window.askCredence(url, token)", [f"{credence}/graphql", TOKEN]
            )
            return answer
        finally:
            browser.close()


def test_only_the_listed_origin_reads_the_api(
    chromium: Path, seeded_database: str, origins: tuple[str, str]
) -> None:
    allowed, other = origins
    settings = Settings(_env_file=None, cors_origins=[allowed], jwt_secret=SECRET)  # type: ignore[call-arg]
    app = create_app(settings, database_url=seeded_database)
    with serve_in_thread(app) as credence:
        listed = _ask(chromium, f"{allowed}/", credence)
        refused = _ask(chromium, f"{other}/", credence)
    assert listed == {
        "status": 200,
        "body": {"data": {"state": {"iso3": "RUS", "name": "Russian Federation"}}},
    }
    assert "rejected" in refused and "Failed to fetch" in refused["rejected"]


def test_without_origins_the_api_is_same_origin_only(
    chromium: Path, seeded_database: str, origins: tuple[str, str]
) -> None:
    allowed, _ = origins
    app = create_app(Settings(_env_file=None), database_url=seeded_database)  # type: ignore[call-arg]
    with serve_in_thread(app) as credence:
        assert "rejected" in _ask(chromium, f"{allowed}/", credence)
