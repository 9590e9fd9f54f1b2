"""The explorer at /explore: our page, its strict CSP, every asset from the service itself, the
vendored files as the README lists them, and its documented queries valid against the schema."""

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse, validate

from api.app import create_app
from api.settings import Settings
from schema.export import SDL_PATH
from schema.http_explore import EXPLORE_CSP, EXPLORE_DIR
from tests.schema.test_graphiql import Resources

README = Path(__file__).resolve().parents[2] / "README.md"


def _client(database_url: str) -> httpx.AsyncClient:
    # The page and its assets touch no database: the engine is never started.
    app = create_app(Settings(_env_file=None), database_url=database_url)  # type: ignore[call-arg]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _queries() -> dict[str, str]:
    """explore.js's query constants, with the shared fragment spliced in as the page does."""
    script = (EXPLORE_DIR / "explore.js").read_text(encoding="utf-8")
    constants = dict(re.findall(r"const (\w+_(?:QUERY|FIELDS)) = `(.*?)`;", script, re.S))
    fragment = constants.pop("RECOGNITION_FIELDS")
    return {
        name: text.replace("${RECOGNITION_FIELDS}", fragment) for name, text in constants.items()
    }


async def test_the_page_comes_with_its_csp_and_every_asset_it_loads(postgres_server: str) -> None:
    async with _client(postgres_server) as client:
        page = await client.get("/explore")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert csp == EXPLORE_CSP
        assert "connect-src 'self'" in csp and "script-src 'self';" in csp
        assert "unsafe" not in csp
        assert 'data-endpoint="/graphql"' in page.text

        parser = Resources()
        parser.feed(page.text)
        assert len(parser.urls) == 5  # a stylesheet, three libraries and explore.js
        # explore.js fetches the map's geometry itself.
        for url in [*parser.urls, "/explore/assets/countries-110m.json"]:
            assert url.startswith("/explore/assets/"), url
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["content-security-policy"] == EXPLORE_CSP
            assert asset.content == (EXPLORE_DIR / url.rsplit("/", 1)[1]).read_bytes()

        # The template (unfilled) and the folder's notes are not served as assets.
        for name in ("index.html", "README.md"):
            assert (await client.get(f"/explore/assets/{name}")).status_code == 404


def test_the_vendored_files_match_the_readme_table() -> None:
    table = (EXPLORE_DIR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\S+) \| (\S+@[\d.]+)[^|]* \| ([0-9a-f]{64}) \|$", table, re.M)
    assert {name for name, _, _ in rows} == {
        "countries-110m.json",
        "d3-geo.min.js",
        "d3-array.min.js",
        "topojson-client.min.js",
    }
    for name, package, digest in rows:
        actual = hashlib.sha256((EXPLORE_DIR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} is not {package} as vendored"
        licence = EXPLORE_DIR / f"LICENSE.{package.split('@')[0]}"
        assert licence.is_file(), f"{licence.name} is missing"


def test_the_documented_queries_are_valid_and_shown_in_the_readme() -> None:
    queries = _queries()
    assert set(queries) == {
        "EXPLORE_STATE_QUERY",
        "EXPLORE_GOVERNMENT_QUERY",
        "EXPLORE_MORE_QUERY",
        "EXPLORE_SEARCH_QUERY",
    }
    schema = build_schema(SDL_PATH.read_text(encoding="utf-8"))
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## A frontend example: the explorer", 1)
    assert len(section) == 2, "README has the explorer section"
    for name, text in queries.items():
        assert validate(schema, parse(text)) == [], name
        operation = re.search(r"query (\w+)", text)
        assert operation and operation.group(1) in section[1], f"README shows {name}"


@pytest.mark.parametrize("root_path", ["", "/credence"])
async def test_the_page_follows_the_root_path(postgres_server: str, root_path: str) -> None:
    app = create_app(Settings(_env_file=None), database_url=postgres_server)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get(f"{root_path}/explore")
    assert page.status_code == 200
    assert f'data-endpoint="{root_path}/graphql"' in page.text
    assert f'src="{root_path}/explore/assets/explore.js"' in page.text
