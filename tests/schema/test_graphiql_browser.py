"""A real headless Chromium runs the example query in GraphiQL against the real service, offline.

Uses Debian's Chromium (`apt-get install chromium`), never a browser downloaded by Playwright.
Skipped when it is missing, unless CREDENCE_REQUIRE_BROWSER is set (CI sets it).
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from api.app import create_app
from api.settings import Settings
from tests.schema.browser import CHROMIUM_ARGS
from tests.schema.threaded_server import serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOT = Path("/tmp/credence-graphiql.png")

pytestmark = pytest.mark.browser


@pytest.fixture
def service(seeded_database: str) -> Iterator[str]:
    """The real service (its own lifespan and engine) on a free port, in a thread of its own."""
    app = create_app(Settings(_env_file=None), database_url=seeded_database)  # type: ignore[call-arg]
    with serve_in_thread(app) as base:
        yield base


def _wait_for_editor(page: "Page", selector: str, containing: str = "", timeout: float = 20) -> str:
    """The text of one of GraphiQL's CodeMirror editors, once it holds `containing`.

    Read through CodeMirror's API, since it renders only the lines in view; polled from here
    because `wait_for_function` evaluates strings, which the page's CSP rightly forbids.
    """
    script = f"document.querySelector('{selector} .CodeMirror')?.CodeMirror.getValue() ?? ''"
    deadline = time.monotonic() + timeout
    while True:
        text: str = page.evaluate(script)
        if text and containing in text:
            return text
        assert time.monotonic() < deadline, f"{selector} never showed {containing!r}: {text!r}"
        page.wait_for_timeout(100)


def test_graphiql_runs_the_example_query_without_the_internet(chromium: Path, service: str) -> None:
    from playwright.sync_api import Route, sync_playwright

    elsewhere: list[str] = []
    console_errors: list[str] = []

    def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", only_the_service)
            page.on(
                "console", lambda m: console_errors.append(m.text) if m.type == "error" else None
            )
            page.on("pageerror", lambda error: console_errors.append(str(error)))

            page.goto(f"{service}/graphql")
            run = page.locator("button.graphiql-execute-button")
            run.wait_for(timeout=20_000)
            # GraphiQL opens with the example query.
            assert "AFG:islamic-emirate" in _wait_for_editor(page, ".graphiql-query-editor")
            run.click()
            result = _wait_for_editor(page, ".graphiql-response", containing='"PAK"')
            page.screenshot(path=str(SCREENSHOT))
        finally:
            browser.close()

    assert '"SAU"' in result and '"ARE"' in result
    assert '"errors"' not in result
    assert elsewhere == []
    assert console_errors == []


def test_a_query_in_the_url_opens_in_graphiql_with_its_variables(
    chromium: Path, service: str
) -> None:
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    query = "query One($iso3: String!) { state(iso3: $iso3) { iso3 name } }"
    link = f"{service}/graphql?" + urlencode({"query": query, "variables": '{"iso3":"RUS"}'})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(link)
            run = page.locator("button.graphiql-execute-button")
            run.wait_for(timeout=20_000)
            assert _wait_for_editor(page, ".graphiql-query-editor") == query
            # The variables pane is open, holding the link's variables (pretty-printed).
            variables = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
            assert page.locator(f"{variables} .CodeMirror").is_visible()
            assert _wait_for_editor(page, variables, containing="RUS") == '{\n  "iso3": "RUS"\n}'
            run.click()
            result = _wait_for_editor(page, ".graphiql-response", containing="Russian Federation")
            icon = page.evaluate("document.querySelector('link[rel=icon]').href")
            favicon = page.request.get(icon)
            assert favicon.ok and favicon.headers["content-type"] == "image/svg+xml"
        finally:
            browser.close()
    assert '"errors"' not in result
