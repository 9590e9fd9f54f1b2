"""The app factory: the one place that joins the service (`api`) and the GraphQL surface."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.settings import Settings


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: Settings, *, database_url: str) -> Starlette:
    return Starlette(routes=[Route("/healthz", _healthz)])
