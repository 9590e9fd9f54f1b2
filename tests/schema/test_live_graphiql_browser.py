"""GraphiQL in a real headless Chromium runs a subscription and shows a change as it happens."""

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from api.app import create_app
from api.database_url import to_asyncpg_dsn
from api.settings import Settings
from tests.schema.browser import CHROMIUM_ARGS
from tests.schema.threaded_server import serve_in_thread

pytestmark = pytest.mark.browser

SUBSCRIPTION = (
    "subscription WatchStates { changes(entity: STATE) { cursor change { action key } } }"
)


@pytest.fixture
def service(database_url: str) -> Iterator[str]:
    app = create_app(Settings(_env_file=None), database_url=database_url)  # type: ignore[call-arg]
    with serve_in_thread(app) as base:
        yield base


async def _insert_state(database_url: str) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        await connection.execute("INSERT INTO state (iso3, name) VALUES ('LIV', 'Liveland')")
    finally:
        await connection.close()


def test_graphiql_shows_a_live_event_after_a_change(
    chromium: Path, service: str, database_url: str
) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{service}/graphql")
            run = page.locator("button.graphiql-execute-button")
            run.wait_for(timeout=20_000)
            page.evaluate(
                "text => document.querySelector('.graphiql-query-editor .CodeMirror')"
                ".CodeMirror.setValue(text)",
                SUBSCRIPTION,
            )
            page.wait_for_timeout(500)  # GraphiQL reads the operation's name as the text changes
            run.click()
            # The subscription starts at the present: let it reach the server first.
            page.wait_for_timeout(1500)
            # In a thread of its own: Playwright's sync API runs an event loop in this one.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _insert_state(database_url)).result()
            shown = ""
            deadline = time.monotonic() + 20
            while '"LIV"' not in shown:
                assert time.monotonic() < deadline, f"no live event shown: {shown!r} {errors}"
                page.wait_for_timeout(100)
                shown = page.evaluate(
                    "document.querySelector('.graphiql-response .CodeMirror')"
                    "?.CodeMirror.getValue() ?? ''"
                )
        finally:
            browser.close()
    assert '"INSERT"' in shown
    assert not errors, errors
