"""`/explore`: the explorer page (a world map of who recognizes whom), served like GraphiQL.

The page and everything it loads come from this service (`schema/explore/`), so it works with
no internet access; its Content-Security-Policy forbids any other origin, and lets its scripts
talk only to this service (`/graphql` and the map's geometry under `/explore/assets/`).
"""

import html
from functools import cache
from pathlib import Path

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

EXPLORE_DIR = Path(__file__).resolve().parent / "explore"

# Stricter than GraphiQL's: the page sets no inline styles and loads no fonts.
EXPLORE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


@cache
def _template() -> str:
    return (EXPLORE_DIR / "index.html").read_text(encoding="utf-8")


def explore_page(base: str, graphql: str) -> str:
    """The page, loading its assets from `{base}/assets` and querying `graphql`."""
    return (
        _template()
        .replace("__BASE__", html.escape(base, quote=True))
        .replace("__GRAPHQL__", html.escape(graphql, quote=True))
    )


class _ExploreAssets(StaticFiles):
    """The page's scripts, styles and map; never the template, which only `/explore` serves."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if Path(path).name in ("index.html", "README.md"):
            raise StarletteHTTPException(404)
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = EXPLORE_CSP
        return response


async def _page(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return HTMLResponse(
        explore_page(root + "/explore", root + "/graphql"),
        headers={"Content-Security-Policy": EXPLORE_CSP},
    )


def explore_routes() -> list[BaseRoute]:
    """`GET /explore` and its assets under `/explore/assets/`."""
    return [
        Route("/explore", _page, methods=["GET"], name="explore"),
        Mount("/explore/assets", _ExploreAssets(directory=EXPLORE_DIR), name="explore-assets"),
    ]


__all__ = ["EXPLORE_CSP", "EXPLORE_DIR", "explore_page", "explore_routes"]
