"""Bearer tokens on /graphql: a good token is served, a bad one is a 401 on every path.

HS256 with a shared secret, RS256 with a public key file, ES256 with a JWKS served by a small
HTTP server of this test on the loopback interface. A refused token never reads as anonymous.
"""

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.roles import ANONYMOUS, Principal, Role
from api.settings import Settings
from schema.context import Context
from schema.http import EXECUTOR_HEADER, GraphQLView

SECRET = "a-test-secret-of-more-than-32-bytes!"
ISSUER = "https://issuer.test/"
AUDIENCE = "credence-tests"
QUERY = '{ state(iso3: "RUS") { iso3 name } }'
ANSWER = {"data": {"state": {"iso3": "RUS", "name": "Russian Federation"}}}


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "alice",
        "credence_role": "editor",
        "iat": now,
        "exp": now + 600,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _hs256(secret: str = SECRET, **overrides: Any) -> str:
    return jwt.encode(_claims(**overrides), secret, algorithm="HS256")


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def public_key_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@contextmanager
def _jwks_server(keys: list[dict[str, Any]]) -> Iterator[tuple[str, list[str]]]:
    """A JWKS on a free loopback port; yields its URL and the paths requested so far."""
    requested: list[str] = []
    body = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def jwks(ec_key: ec.EllipticCurvePrivateKey) -> Iterator[tuple[str, list[str]]]:
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    with _jwks_server([{**jwk, "kid": "ec-1", "use": "sig", "alg": "ES256"}]) as served:
        yield served


@asynccontextmanager
async def _client(engine: AsyncEngine, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(_env_file=None, debug=True, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# Every way a request reaches an executor: the compiled path and the resolvers, GET and POST.
PATHS = ["compiled-get", "compiled-post", "resolver-get", "resolver-post"]


async def _ask(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], query: str = QUERY
) -> httpx.Response:
    executor, method = path.split("-")
    headers = {**headers, EXECUTOR_HEADER: executor}
    if method == "get":
        return await client.get("/graphql", params={"query": query}, headers=headers)
    return await client.post("/graphql", json={"query": query}, headers=headers)


def _assert_unauthenticated(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert reason in error["message"]
    assert "data" not in response.json()
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="credence", error="invalid_token", ')
    assert f'error_description="{reason}' in challenge
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", PATHS)
async def test_a_valid_hs256_token_is_served_on_every_path(world: AsyncEngine, path: str) -> None:
    async with _client(world, jwt_secret=SECRET) as client:
        response = await _ask(client, path, _bearer(_hs256()))
    assert response.status_code == 200
    assert response.json() == ANSWER
    assert response.headers.get(EXECUTOR_HEADER) == (
        "compiled" if path.startswith("compiled") else None
    )


async def test_an_rs256_token_verifies_with_the_public_key_file(
    world: AsyncEngine, public_key_file: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(_claims(), rsa_key, algorithm="RS256")
    async with _client(world, jwt_public_key_file=public_key_file) as client:
        response = await _ask(client, "compiled-post", _bearer(token))
        assert response.json() == ANSWER
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(_claims(), other_key, algorithm="RS256")
        _assert_unauthenticated(
            await _ask(client, "compiled-post", _bearer(forged)),
            "The token's signature does not verify.",
        )


async def test_an_es256_token_verifies_with_the_jwks_fetched_once(
    world: AsyncEngine, ec_key: ec.EllipticCurvePrivateKey, jwks: tuple[str, list[str]]
) -> None:
    url, requested = jwks
    token = jwt.encode(_claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    async with _client(world, jwt_jwks_url=url) as client:
        for path in PATHS:
            response = await _ask(client, path, _bearer(token))
            assert response.json() == ANSWER, path
        unknown_kid = jwt.encode(_claims(), ec_key, algorithm="ES256", headers={"kid": "ec-2"})
        refused = await _ask(client, "compiled-get", _bearer(unknown_kid))
        _assert_unauthenticated(refused, "No key of the JWKS verifies the token")
    # The key set is cached: fetched once for four requests; an unknown key id right after does
    # not refetch it (PyJWKClient's cooldown), so a flood of made-up ids cannot hammer the IdP.
    assert requested == ["/jwks.json"]


async def test_an_unreachable_jwks_is_a_retryable_503_not_a_401(
    world: AsyncEngine, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    with _jwks_server([]) as (url, _):
        pass  # stopped: nothing listens on its port any more
    token = jwt.encode(_claims(), ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    async with _client(world, jwt_jwks_url=url) as client:
        response = await _ask(client, "compiled-post", _bearer(token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}


def _none_token() -> str:
    unsigned = jwt.encode(_claims(), key=None, algorithm="none")
    return unsigned


def _rs_shaped_hs_token(public_key_file: Path) -> str:
    # The classic confusion: the RSA public key used as an HMAC secret, header saying HS256.
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(_claims()).encode())
    signature = hmac.new(
        public_key_file.read_bytes(), f"{header}.{payload}".encode(), hashlib.sha256
    ).digest()
    return f"{header}.{payload}.{b64(signature)}"


BAD_TOKENS: dict[str, tuple[Any, str]] = {
    "expired": (lambda: _hs256(exp=int(time.time()) - 3600), "The token has expired."),
    "not yet valid": (
        lambda: _hs256(nbf=int(time.time()) + 3600),
        "The token is not valid yet",
    ),
    "wrong signature": (
        lambda: _hs256(secret="another-secret-of-more-than-32-bytes"),
        "The token's signature does not verify.",
    ),
    "wrong issuer": (
        lambda: _hs256(iss="https://elsewhere.test/"),
        "The token's issuer (`iss`) is not 'https://issuer.test/'.",
    ),
    "no issuer": (lambda: _hs256(iss=None), "The token has no `iss` claim."),
    "wrong audience": (
        lambda: _hs256(aud="someone-else"),
        "The token's audience (`aud`) does not include 'credence-tests'.",
    ),
    "alg none": (_none_token, "The token's algorithm 'none' is not accepted here"),
    "missing role claim": (
        lambda: _hs256(credence_role=None),
        "The token has no `credence_role` claim",
    ),
    "unknown role": (
        lambda: _hs256(credence_role="superuser"),
        "The token's `credence_role` claim names an unknown role 'superuser'",
    ),
    "no subject": (lambda: _hs256(sub=None), "The token has no `sub` claim."),
    "no expiry": (lambda: _hs256(exp=None), "The token has no `exp` claim."),
    "garbage": (lambda: "not.a.jwt", "The token is malformed"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
@pytest.mark.parametrize("path", PATHS)
async def test_a_bad_token_is_401_with_a_graphql_body_on_every_path(
    world: AsyncEngine, case: str, path: str
) -> None:
    make, reason = BAD_TOKENS[case]
    settings = {"jwt_secret": SECRET, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    async with _client(world, **settings) as client:
        response = await _ask(client, path, _bearer(make()))
    _assert_unauthenticated(response, reason)


async def test_an_hs_token_does_not_pass_where_only_a_public_key_is_configured(
    world: AsyncEngine, public_key_file: Path
) -> None:
    async with _client(world, jwt_public_key_file=public_key_file) as client:
        for token in (_rs_shaped_hs_token(public_key_file), _hs256()):
            response = await _ask(client, "compiled-post", _bearer(token))
            _assert_unauthenticated(
                response, "The token's algorithm 'HS256' is not accepted here (accepted: RS256)."
            )


async def test_a_token_where_no_key_is_configured_is_refused_not_ignored(
    world: AsyncEngine,
) -> None:
    async with _client(world) as client:
        response = await _ask(client, "resolver-get", _bearer(_hs256()))
    _assert_unauthenticated(
        response, "The token's algorithm 'HS256' is not accepted here (accepted: none: no key"
    )


@pytest.mark.parametrize("header", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer   ", ""])
async def test_an_authorization_header_that_is_not_a_bearer_token_is_401(
    world: AsyncEngine, header: str
) -> None:
    async with _client(world, jwt_secret=SECRET) as client:
        response = await _ask(client, "compiled-get", {"authorization": header})
    _assert_unauthenticated(response, "The Authorization header must be `Bearer <token>`.")


@pytest.mark.parametrize("path", PATHS)
async def test_without_a_token_the_caller_reads_as_the_anonymous_reader(
    world: AsyncEngine, path: str
) -> None:
    async with _client(world, jwt_secret=SECRET) as client:
        response = await _ask(client, path, {})
    assert response.status_code == 200
    assert response.json() == ANSWER


@pytest.mark.parametrize("path", PATHS)
async def test_anonymous_reads_can_be_turned_off(world: AsyncEngine, path: str) -> None:
    async with _client(world, jwt_secret=SECRET, anonymous_read=False) as client:
        refused = await _ask(client, path, {})
        served = await _ask(
            client, path, _bearer(_hs256(iss=None, aud=None, credence_role="reader"))
        )
    assert refused.status_code == 401
    assert refused.json() == {
        "errors": [
            {
                "message": "This service requires a bearer token (Authorization: Bearer <JWT>).",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    # RFC 6750: a request that sent no credentials gets the challenge without an error code.
    assert refused.headers["www-authenticate"] == 'Bearer realm="credence"'
    assert served.json() == ANSWER


async def test_the_graphiql_page_needs_no_token(world: AsyncEngine) -> None:
    # A browser opening the page sends no Authorization; the page's own requests carry the
    # token from its headers tab.
    async with _client(world, jwt_secret=SECRET, anonymous_read=False) as client:
        page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "GraphiQL" in page.text


def _persisted(document: str) -> dict[str, Any]:
    import hashlib

    digest = hashlib.sha256(document.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_persisted_queries_are_refused_with_a_bad_token_over_get_and_post(
    world: AsyncEngine,
) -> None:
    expired = _bearer(_hs256(exp=int(time.time()) - 3600, iss=None, aud=None))
    async with _client(world, jwt_secret=SECRET) as client:
        registered = await client.post(
            "/graphql", json={"query": QUERY, "extensions": _persisted(QUERY)}
        )
        assert registered.json() == ANSWER
        by_hash = {"extensions": _persisted(QUERY)}
        post = await client.post("/graphql", json=by_hash, headers=expired)
        get = await client.get(
            "/graphql",
            params={"extensions": json.dumps(_persisted(QUERY))},
            headers=expired,
        )
        served = await client.get(
            "/graphql",
            params={"extensions": json.dumps(_persisted(QUERY))},
            headers=_bearer(_hs256(iss=None, aud=None)),
        )
    for response in (post, get):
        _assert_unauthenticated(response, "The token has expired.")
    assert served.json() == ANSWER


async def test_the_verified_principal_reaches_the_resolvers_context(
    world: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Principal] = []
    original = GraphQLView.get_context

    async def recording(self: GraphQLView, request: Any, response: Any) -> Context:
        context = await original(self, request, response)
        seen.append(context.principal)
        return context

    monkeypatch.setattr(GraphQLView, "get_context", recording)
    async with _client(world, jwt_secret=SECRET, jwt_role_claim="app.roles") as client:
        admin = _hs256(iss=None, aud=None, sub="ada", app={"roles": ["viewer", "admin"]})
        await _ask(client, "resolver-post", _bearer(admin))
        await _ask(client, "resolver-get", {})
    assert seen == [Principal(role=Role.ADMIN, subject="ada", authenticated=True), ANONYMOUS]


async def test_a_frontend_on_a_listed_origin_can_read_why_its_token_was_refused(
    world: AsyncEngine,
) -> None:
    origin = "https://app.example"
    async with _client(world, jwt_secret=SECRET, cors_origins=[origin]) as client:
        response = await client.post(
            "/graphql",
            json={"query": QUERY},
            headers={"origin": origin, **_bearer(_hs256(exp=int(time.time()) - 60, iss=None))},
        )
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == origin
    assert "www-authenticate" in response.headers["access-control-expose-headers"]


async def test_a_token_that_verified_once_is_refused_once_it_expires(world: AsyncEngine) -> None:
    # Verified tokens are remembered (verifying costs more than a small query); never past
    # their `exp`.
    token = _hs256(exp=int(time.time()) + 2, iss=None, aud=None)
    async with _client(world, jwt_secret=SECRET, jwt_leeway=0) as client:
        first = await _ask(client, "compiled-post", _bearer(token))
        again = await _ask(client, "compiled-post", _bearer(token))
        expires = jwt.decode(token, options={"verify_signature": False})["exp"]
        await asyncio.sleep(max(0.0, expires + 0.2 - time.time()))
        expired = await _ask(client, "compiled-post", _bearer(token))
    assert first.json() == again.json() == ANSWER
    _assert_unauthenticated(expired, "The token has expired.")


async def test_a_remembered_token_vouches_for_no_other_signature(world: AsyncEngine) -> None:
    token = _hs256(iss=None, aud=None)
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    async with _client(world, jwt_secret=SECRET) as client:
        assert (await _ask(client, "compiled-get", _bearer(token))).json() == ANSWER
        refused = await _ask(client, "compiled-get", _bearer(tampered))
    _assert_unauthenticated(refused, "The token's signature does not verify.")


def _pem(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"not a key", "holds no PEM public key"),
        (
            _pem(ec.generate_private_key(ec.SECP384R1()).public_key()),
            "only RSA (RS256) and P-256 (ES256) public keys are supported",
        ),
    ],
)
def test_a_key_file_that_cannot_verify_stops_the_start(
    tmp_path: Path, content: bytes, complaint: str
) -> None:
    path = tmp_path / "key.pem"
    path.write_bytes(content)
    settings = Settings(_env_file=None, jwt_public_key_file=path)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match=re.escape(complaint)):
        create_app(settings, database_url="unused")


def test_a_short_secret_is_refused_by_the_settings() -> None:
    with pytest.raises(ValueError, match="CREDENCE_JWT_SECRET must be at least 32 bytes long"):
        Settings(_env_file=None, jwt_secret="short")  # type: ignore[call-arg]
