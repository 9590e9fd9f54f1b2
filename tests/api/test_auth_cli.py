"""`credence token` from a shell: a token the API accepts, or `error:` and exit 2."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.auth import principal_from_authorization
from api.roles import Principal, Role
from api.settings import Settings

CREDENCE = str(Path(sys.executable).parent / "credence")
SECRET = "a-cli-test-secret-of-more-than-32-bytes"


def credence_token(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    # Only what the test sets: no CREDENCE_JWT_* of the developer's shell leaks in.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CREDENCE_JWT_")}
    return subprocess.run(
        [CREDENCE, "token", *args],
        capture_output=True,
        text=True,
        env={**inherited, **environment},
        timeout=60,
        check=False,
        # No .env file of the checkout is read.
        cwd=Path(__file__).parent,
    )


async def test_a_minted_token_round_trips_through_the_api(engine: AsyncEngine) -> None:
    settings = {"jwt_secret": SECRET, "jwt_issuer": "credence-dev", "jwt_audience": "api"}
    minted = credence_token(
        "--role",
        "editor",
        "--sub",
        "alice",
        "--ttl",
        "1h",
        CREDENCE_JWT_SECRET=SECRET,
        CREDENCE_JWT_ISSUER="credence-dev",
        CREDENCE_JWT_AUDIENCE="api",
    )
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="api")
    assert claims["exp"] - claims["iat"] == 3600
    assert (claims["sub"], claims["credence_role"], claims["iss"]) == (
        "alice",
        "editor",
        "credence-dev",
    )

    app = create_app(Settings(_env_file=None, **settings), database_url="unused", engine=engine)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ states { totalCount } }"},
            headers={"authorization": f"Bearer {token}"},
        )
        other_audience = Settings(_env_file=None, **{**settings, "jwt_audience": "other"})  # type: ignore[call-arg]
    assert response.status_code == 200
    assert response.json() == {"data": {"states": {"totalCount": 0}}}
    assert principal_from_authorization(
        f"Bearer {token}", Settings(_env_file=None, **settings)
    ) == (  # type: ignore[call-arg]
        Principal(role=Role.EDITOR, subject="alice", authenticated=True)
    )
    refused = await _status(engine, other_audience, token)
    assert refused == 401


async def _status(engine: AsyncEngine, settings: Settings, token: str) -> int:
    app = create_app(settings, database_url="unused", engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(
            "/graphql",
            params={"query": "{ __typename }"},
            headers={"authorization": f"Bearer {token}"},
        )
    return response.status_code


def test_without_a_secret_it_says_so_and_exits_2() -> None:
    result = credence_token("--role", "editor", "--sub", "alice")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: CREDENCE_JWT_SECRET is not set: there is no secret to sign the token with\n"
    )


def test_a_short_secret_is_refused_with_the_reason() -> None:
    result = credence_token("--sub", "alice", CREDENCE_JWT_SECRET="too-short")
    assert result.returncode == 2
    assert "CREDENCE_JWT_SECRET must be at least 32 bytes long" in result.stderr


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (
            ["--sub", "alice", "--ttl", "soon"],
            "'soon' is not a duration such as 90s, 15m, 1h or 7d",
        ),
        (
            ["--sub", "alice", "--role", "owner"],
            "'owner' is not one of 'reader', 'editor', 'admin'",
        ),
        (["--role", "editor"], "--sub is required"),
    ],
)
def test_bad_options_are_refused(args: list[str], complaint: str) -> None:
    result = credence_token(*args, CREDENCE_JWT_SECRET=SECRET, COLUMNS="200")
    assert result.returncode == 2
    assert complaint in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(("ttl", "seconds"), [("90", 90), ("15m", 900), ("7d", 604800)])
def test_the_ttl_takes_seconds_minutes_hours_and_days(ttl: str, seconds: int) -> None:
    result = credence_token("--sub", "bob", "--ttl", ttl, CREDENCE_JWT_SECRET=SECRET)
    claims = jwt.decode(result.stdout.strip(), SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == seconds
    assert claims["credence_role"] == "reader"
