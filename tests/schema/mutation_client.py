"""A GraphQL client for the mutation tests: the HTTP app (verifying HS256 tokens, on an engine
whose transactions are READ ONLY by default) on a fresh database holding a few states, sources
and a government, and signed tokens for each role."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import jwt

from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.importer import ImportOptions, RowsInput, import_inputs
from api.settings import Settings

BASE: dict[str, list[dict[str, Any]]] = {
    "states": [
        {"iso3": "AFG", "name": "Afghanistan"},
        {"iso3": "RUS", "name": "Russian Federation"},
        {"iso3": "PAK", "name": "Pakistan"},
        {"iso3": "CHN", "name": "China"},
        {"iso3": "USA", "name": "United States"},
    ],
    "sources": [
        {"key": "S1", "title": "First source"},
        {"key": "S2", "title": "Second source"},
        {"key": "S3", "title": "Third source"},
    ],
    "governments": [
        {
            "key": "AFG:islamic-emirate",
            "state": "AFG",
            "name": "Islamic Emirate of Afghanistan",
            "periods": ["1996-09-27/2001-11-13", "2021-08-15/"],
        }
    ],
}

# Tokens are HS256 with this secret, issuer and audience, as the app below is configured.
SECRET = "a-mutation-test-secret-of-32-bytes-or-more"
ISSUER = "https://issuer.test/"
AUDIENCE = "credence-tests"


def token(role: str, subject: str | None = None, **overrides: Any) -> str:
    """A signed token; `overrides` replace claims (`exp=...`, `aud=...`), `secret` the key."""
    secret = overrides.pop("secret", SECRET)
    now = int(time.time())
    claims = {
        "sub": subject or role,
        "credence_role": role,
        "iat": now,
        # A day: a long test run never outlives its tokens.
        "exp": now + 86_400,
        "iss": ISSUER,
        "aud": AUDIENCE,
        **overrides,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def as_role(role: str, subject: str | None = None, **overrides: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {token(role, subject, **overrides)}"}


EDITOR = as_role("editor", "erin")
ADMIN = as_role("admin", "ada")
READER = as_role("reader", "rita")


async def load(database_url: str, rows: dict[str, list[dict[str, Any]]]) -> None:
    summary = await import_inputs(
        [RowsInput(entity, entity, items) for entity, items in rows.items()],
        database_url=database_url,
        options=ImportOptions(actor="tests"),
    )
    assert summary.committed, [str(e) for e in summary.errors]


@asynccontextmanager
async def mutation_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load(database_url, BASE)
    # READ ONLY by default, as the service's own engine: the mutations say READ WRITE.
    engine = create_engine(
        database_url, application_name="credence-tests", pool_size=4, read_only=True
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        jwt_secret=SECRET,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )
    try:
        app = create_app(settings, database_url=database_url, engine=engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            yield client
    finally:
        await engine.dispose()


async def post(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    """The whole answer body (data and errors)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ok(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    body = await post(client, query, headers, **variables)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def only_error(
    client: httpx.AsyncClient,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    body = await post(client, query, headers, **variables)
    assert body.get("data") is None, body
    [error] = body["errors"]
    found: dict[str, Any] = error
    return found


async def change_log_size(database_url: str) -> int:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM change_log"))
    finally:
        await connection.close()
