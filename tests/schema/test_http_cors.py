"""CORS as HTTP sees it: what a preflight and a request get, for listed and other origins."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.http_cors import CorsConfigurationError

FRONTEND = "https://app.example"
QUERY = {"query": '{ state(iso3: "RUS") { iso3 } }'}


def _client(engine: AsyncEngine, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
    }


def _cors_headers(response: httpx.Response) -> set[str]:
    return {name for name in response.headers if name.startswith("access-control-")}


async def test_a_listed_origin_gets_a_preflight_and_its_answers(seed: AsyncEngine) -> None:
    async with _client(seed, cors_origins=[FRONTEND], cors_max_age=300) as client:
        preflight = await client.options("/graphql", headers=_preflight(FRONTEND))
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == FRONTEND
        assert preflight.headers["access-control-allow-methods"] == "GET, POST"
        allowed = preflight.headers["access-control-allow-headers"].split(", ")
        assert {"content-type", "authorization", "apollo-require-preflight"} <= set(allowed)
        assert preflight.headers["access-control-max-age"] == "300"
        assert "access-control-allow-credentials" not in preflight.headers
        assert "Origin" in preflight.headers["vary"]

        answer = await client.post("/graphql", json=QUERY, headers={"origin": FRONTEND})
        assert answer.json() == {"data": {"state": {"iso3": "RUS"}}}
        assert answer.headers["access-control-allow-origin"] == FRONTEND
        assert "etag" in answer.headers["access-control-expose-headers"]
        assert "Origin" in answer.headers["vary"]
        assert "access-control-allow-credentials" not in answer.headers


async def test_another_origin_gets_no_cors_header_at_all(seed: AsyncEngine) -> None:
    async with _client(seed, cors_origins=[FRONTEND], cors_credentials=True) as client:
        preflight = await client.options("/graphql", headers=_preflight("https://evil.example"))
        assert preflight.status_code == 403
        assert _cors_headers(preflight) == set()
        answer = await client.post(
            "/graphql", json=QUERY, headers={"origin": "https://evil.example"}
        )
        # Served (the server cannot stop a simple request), but the browser hides the answer.
        assert answer.status_code == 200
        assert _cors_headers(answer) == set()
        assert "Origin" in answer.headers["vary"]


async def test_credentials_are_allowed_only_when_configured(seed: AsyncEngine) -> None:
    async with _client(seed, cors_origins=[FRONTEND], cors_credentials=True) as client:
        preflight = await client.options("/graphql", headers=_preflight(FRONTEND))
        assert preflight.headers["access-control-allow-credentials"] == "true"
        answer = await client.post("/graphql", json=QUERY, headers={"origin": FRONTEND})
        assert answer.headers["access-control-allow-credentials"] == "true"
        assert answer.headers["access-control-allow-origin"] == FRONTEND


async def test_any_origin_for_a_public_read_only_api(seed: AsyncEngine) -> None:
    async with _client(seed, cors_origins=["*"]) as client:
        preflight = await client.options("/graphql", headers=_preflight("https://any.example"))
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        answer = await client.get(
            "/graphql", params=QUERY, headers={"origin": "https://any.example"}
        )
        assert answer.headers["access-control-allow-origin"] == "*"


def test_any_origin_with_credentials_is_refused_at_start(seed: AsyncEngine) -> None:
    with pytest.raises(CorsConfigurationError, match="cannot be combined"):
        create_app(
            Settings(_env_file=None, cors_origins=["*"], cors_credentials=True),  # type: ignore[call-arg]
            database_url="unused",
            engine=seed,
        )


def test_origins_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDENCE_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


async def test_without_origins_there_is_no_cors(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        preflight = await client.options("/graphql", headers=_preflight(FRONTEND))
        assert preflight.status_code == 405
        assert _cors_headers(preflight) == set()
        answer = await client.post("/graphql", json=QUERY, headers={"origin": FRONTEND})
        assert _cors_headers(answer) == set()
