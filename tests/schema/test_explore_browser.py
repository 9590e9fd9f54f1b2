"""A real headless Chromium drives the explorer at /explore against the real service, offline.

Uses Debian's Chromium (`apt-get install chromium`), never a browser downloaded by Playwright.
Skipped when it is missing, unless CREDENCE_REQUIRE_BROWSER is set (CI sets it).

The colours are checked against the API asked directly: the states the page shows as
recognizing on a date (coloured on the map, or listed as "not on map" when the 110m map has no
shape for them) are exactly the recognizers `recognitions(asOf:)` returns for that date.
"""

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.schema.browser import CHROMIUM_ARGS
from tests.schema.threaded_server import serve_in_thread

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request, Response, Route

# The README shows this one; the test rewrites it only when CREDENCE_UPDATE_SCREENSHOT is set.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "explorer.png"

pytestmark = pytest.mark.browser


@pytest.fixture
def service(seeded_database: str) -> Iterator[str]:
    """The real service (its own lifespan and engine) on a free port, in a thread of its own."""
    app = create_app(Settings(_env_file=None), database_url=seeded_database)  # type: ignore[call-arg]
    with serve_in_thread(app) as base:
        yield base


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: CREDENCE_TEST_ARTIFACTS when set (CI keeps it), else tmp_path."""
    folder = Path(os.environ.get("CREDENCE_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class _Traffic:
    """Every request the page made, and what /graphql answered with which executor."""

    elsewhere: list[str] = field(default_factory=list)
    graphql: list[tuple[str, str | None]] = field(default_factory=list)  # (operation, executor)
    errors: list[str] = field(default_factory=list)

    def only_the_service(self, route: "Route") -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def answered(self, response: "Response") -> None:
        if urlsplit(response.url).path != "/graphql":
            return
        request: Request = response.request
        operation = (request.post_data_json or {}).get("query", "").split("(")[0].strip()
        self.graphql.append((operation, response.headers.get("x-credence-executor")))


def _open(browser: "Browser", url: str, traffic: _Traffic, width: int = 1280) -> "Page":
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.route("**/*", traffic.only_the_service)
    page.on("response", traffic.answered)
    page.on("console", lambda m: traffic.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: traffic.errors.append(str(error)))
    page.goto(url)
    page.locator("#explorer[data-ready=true]").wait_for(timeout=20_000)
    return page


def _wait_for_date(page: "Page", day: str, timeout: float = 10) -> None:
    """Until the page shows `day` (the slider redraws on the next animation frame).

    Polled from here: `wait_for_function` evaluates strings, which the page's CSP forbids.
    """
    deadline = time.monotonic() + timeout
    while page.locator("#as-of-date").input_value() != day:
        assert time.monotonic() < deadline, f"the page never showed {day}"
        page.wait_for_timeout(50)


def _api(service: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{service}/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _api_recognizers(service: str, subject: str, as_of: str) -> tuple[int, set[str]]:
    """totalCount, and the recognizers in force, as the API answers (page by page)."""
    query = """
      query($subject: String!, $asOf: Date!, $after: String) {
        recognitions(where: {subject: {eq: $subject}}, asOf: $asOf, first: 100, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { recognizer { iso3 } }
        }
      }"""
    after: str | None = None
    recognizers: set[str] = set()
    while True:
        page = _api(service, query, {"subject": subject, "asOf": as_of, "after": after})
        connection = page["recognitions"]
        recognizers |= {node["recognizer"]["iso3"] for node in connection["nodes"]}
        if not connection["pageInfo"]["hasNextPage"]:
            return connection["totalCount"], recognizers
        after = connection["pageInfo"]["endCursor"]


def _shown(page: "Page") -> tuple[int, set[str], set[str]]:
    """(the live region's count, states coloured on the map, states listed as not on the map)."""
    count = int(page.locator("#count").get_attribute("data-count") or "-1")
    coloured: list[str] = page.eval_on_selector_all(
        "#map path[data-status=dejure], #map path[data-status=defacto]",
        "paths => paths.map(p => p.dataset.iso3)",
    )
    off_map: list[str] = page.eval_on_selector_all(
        "#recognizers li[data-on-map=false]", "items => items.map(i => i.dataset.iso3)"
    )
    return count, set(coloured), set(off_map)


def _assert_matches_the_api(page: "Page", service: str, subject: str, as_of: str) -> int:
    total, recognizers = _api_recognizers(service, subject, as_of)
    count, coloured, off_map = _shown(page)
    listed = set(
        page.eval_on_selector_all("#recognizers li", "items => items.map(i => i.dataset.iso3)")
    )
    # One state recognizes once at a time (the data forbids overlapping episodes), so the
    # recognitions in force and the recognizing states are the same number.
    assert total == len(recognizers)
    assert coloured.isdisjoint(off_map)
    assert coloured | off_map == recognizers == listed, as_of
    assert count == total
    return total


def test_the_explorer_shows_what_the_api_says_offline_and_compiled(
    chromium: Path, service: str, artifacts: Path
) -> None:
    from playwright.sync_api import sync_playwright

    traffic = _Traffic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = _open(browser, f"{service}/explore?subject=PSE&asOf=2012-01-01", traffic)
            assert page.locator("#subject-name").text_content() == "Palestine, State of"
            in_2012 = _assert_matches_the_api(page, service, "PSE", "2012-01-01")
            assert in_2012 > 100
            # The first view: one query, and one more page of Palestine's ~160 recognitions.
            assert [operation for operation, _ in traffic.graphql] == [
                "query ExploreState",
                "query ExploreMore",
            ]

            # The slider moves the date: fewer states in 1989, and the count follows.
            slider = page.locator("#as-of-slider")
            first_day = int(slider.get_attribute("min") or "0")
            days_to_1989 = 16071  # 1945-01-01 to 1989-01-01
            slider.fill(str(first_day + days_to_1989))
            _wait_for_date(page, "1989-01-01")
            in_1989 = _assert_matches_the_api(page, service, "PSE", "1989-01-01")
            assert 0 < in_1989 < in_2012
            assert "asOf=1989-01-01" in page.url
            # Moving the slider asks the API nothing: the page computes every date itself.
            assert len(traffic.graphql) == 2

            # The date field sets a date too, and the keyboard reaches the list's states.
            page.locator("#as-of-date").fill("2025-10-01")
            page.locator("#as-of-date").dispatch_event("change")
            in_2025 = _assert_matches_the_api(page, service, "PSE", "2025-10-01")
            assert in_2025 > in_2012

            # A click on a state (on the map) shows its recognition and the sources, linked.
            page.locator("#map path[data-iso3=BRA]").click()
            detail = page.locator("#detail")
            assert detail.get_attribute("data-selected") == "BRA"
            _assert_citations_shown(page, service, "PSE", "BRA")
            page.screenshot(path=str(artifacts / "explorer-palestine.png"))

            # The URL restores the same view in a new page.
            shared = page.url
            assert parse_qs(urlsplit(shared).query) == {"subject": ["PSE"], "asOf": ["2025-10-01"]}
            again = _open(browser, shared, traffic)
            assert _shown(again) == _shown(page)
            assert again.locator("#as-of-date").input_value() == "2025-10-01"
            again.close()

            # A government, picked with the search box: the Republic of China in 1970.
            page.locator("#search").fill("Republic of China")
            page.locator("#results button[data-key='CHN:republic-of-china']").click()
            page.locator("#subject-name", has_text="Republic of China").wait_for()
            page.locator("#as-of-date").fill("1970-01-01")
            page.locator("#as-of-date").dispatch_event("change")
            _assert_matches_the_api(page, service, "CHN:republic-of-china", "1970-01-01")
            # Ended recognitions (the United States' in 1979) show as ended later on.
            page.locator("#as-of-date").fill("1980-01-01")
            page.locator("#as-of-date").dispatch_event("change")
            _assert_matches_the_api(page, service, "CHN:republic-of-china", "1980-01-01")
            assert page.locator("#ended li[data-iso3=USA]").count() == 1
            assert page.locator("#map path[data-iso3=USA]").get_attribute("data-status") == "ended"

            # Keyboard: Page Down on the slider moves a year back.
            page.locator("#as-of-slider").focus()
            page.keyboard.press("PageDown")
            _wait_for_date(page, "1979-01-01")
            _assert_matches_the_api(page, service, "CHN:republic-of-china", "1979-01-01")
            assert page.locator("#map path[data-iso3=USA]").get_attribute("data-status") == "dejure"

            # Keyboard: Tab reaches a listed state, Enter opens its detail.
            page.locator("#recognizers li button").first.focus()
            page.keyboard.press("Enter")
            assert detail.locator("article.episode").count() >= 1

            # The README's picture: Palestine today, a state opened.
            readme_view = _open(browser, f"{service}/explore?subject=PSE&asOf=2025-10-01", traffic)
            readme_view.locator("#recognizers li[data-iso3=FRA] button").click()
            readme_view.screenshot(path=str(artifacts / "explorer.png"))
            if os.environ.get("CREDENCE_UPDATE_SCREENSHOT"):
                readme_view.screenshot(path=str(README_SCREENSHOT))
            readme_view.close()
        finally:
            browser.close()
    print(f"screenshots in {artifacts}")

    assert traffic.elsewhere == []
    assert traffic.errors == []
    # Every read the page made, search included, went the compiled path, one statement per
    # root field (counted in the compiled path's statistics by test_explore_compiled.py).
    assert traffic.graphql and all(e == "compiled" for _, e in traffic.graphql), traffic.graphql
    assert any(op == "query ExploreSearch" for op, _ in traffic.graphql)


def _assert_citations_shown(page: "Page", service: str, subject: str, recognizer: str) -> None:
    query = """
      query($subject: String!, $recognizer: String!) {
        recognitions(where: {subject: {eq: $subject}, recognizer: {eq: $recognizer}}) {
          nodes { key citations { quote source { url } } }
        }
      }"""
    nodes = _api(service, query, {"subject": subject, "recognizer": recognizer})["recognitions"][
        "nodes"
    ]
    expected = {c["source"]["url"] for n in nodes for c in n["citations"] if c["source"]["url"]}
    assert expected, "the seed cites a source with a URL"
    links = set(page.eval_on_selector_all("#detail a[href]", "links => links.map(a => a.href)"))
    assert links == expected
    text = page.locator("#detail").inner_text()
    for node in nodes:
        assert page.locator(f"#detail article[data-key='{node['key']}']").count() == 1
        for citation in node["citations"]:
            if citation["quote"]:
                assert " ".join(citation["quote"].split())[:60] in " ".join(text.split())


def test_the_explorer_fits_a_phone(chromium: Path, service: str, artifacts: Path) -> None:
    from playwright.sync_api import sync_playwright

    traffic = _Traffic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = _open(browser, f"{service}/explore?subject=XAB&asOf=2020-01-01", traffic, 390)
            _assert_matches_the_api(page, service, "XAB", "2020-01-01")
            # Nauru is too small for the map: the list still holds it.
            off_map = _shown(page)[2]
            assert "NRU" in off_map
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, "nothing overflows a phone's width"
            page.screenshot(path=str(artifacts / "explorer-phone.png"), full_page=True)
        finally:
            browser.close()
    assert traffic.elsewhere == [] and traffic.errors == []
