"""GraphiQL's headers tab carries a bearer token, in a real headless Chromium.

A service that serves no anonymous reads: the query without a token comes back UNAUTHENTICATED;
the same query with `Authorization` typed into the headers tab is answered. The page keeps its
Content-Security-Policy throughout (no console error).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from api.app import create_app
from api.auth import AuthConfig, mint_token
from api.roles import Role
from api.settings import Settings
from tests.schema.browser import CHROMIUM_ARGS
from tests.schema.threaded_server import serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SECRET = "a-graphiql-test-secret-of-32-bytes-or-more"
QUERY = '{ state(iso3: "RUS") { iso3 name } }'


@pytest.fixture
def service(seeded_database: str) -> Iterator[str]:
    settings = Settings(_env_file=None, jwt_secret=SECRET, anonymous_read=False)  # type: ignore[call-arg]
    with serve_in_thread(create_app(settings, database_url=seeded_database)) as base:
        yield base


def _editor_value(page: "Page", selector: str) -> str:
    script = f"document.querySelector('{selector} .CodeMirror')?.CodeMirror.getValue() ?? ''"
    value: str = page.evaluate(script)
    return value


def _set_editor(page: "Page", selector: str, value: str) -> None:
    page.evaluate(
        "([selector, value]) => document.querySelector(selector + ' .CodeMirror')"
        ".CodeMirror.setValue(value)",
        [selector, value],
    )


def _run_and_wait(page: "Page", containing: str) -> str:
    page.locator("button.graphiql-execute-button").click()
    deadline = time.monotonic() + 20
    while True:
        text = _editor_value(page, ".graphiql-response")
        if containing in text:
            return text
        assert time.monotonic() < deadline, f"the response never showed {containing!r}: {text!r}"
        page.wait_for_timeout(100)


def test_the_headers_tab_sends_the_token(chromium: Path, service: str) -> None:
    from playwright.sync_api import sync_playwright

    token = mint_token(
        AuthConfig(secret=SECRET), role=Role.READER, subject="graphiql", ttl_seconds=600
    )
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.goto(f"{service}/graphql")
            page.locator("button.graphiql-execute-button").wait_for(timeout=20_000)
            _set_editor(page, ".graphiql-query-editor", QUERY)
            refused = _run_and_wait(page, "UNAUTHENTICATED")

            page.get_by_role("button", name="Headers").click()
            headers = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
            page.locator(f"{headers} .CodeMirror").wait_for(timeout=5_000)
            _set_editor(page, headers, json.dumps({"Authorization": f"Bearer {token}"}))
            answered = _run_and_wait(page, "Russian Federation")
        finally:
            browser.close()
    assert "This service requires a bearer token" in refused
    assert json.loads(answered) == {
        "data": {"state": {"iso3": "RUS", "name": "Russian Federation"}}
    }
    assert console_errors == []
