"""What authentication costs one request, in process (no network, no database).

    .venv/bin/python -m bench.auth [--rounds 20000]

Times `schema.http_auth.request_principal` (what the GraphQL view runs on every request) for a
request without a token (the common case), a token seen before (remembered), and tokens seen
for the first time (verified by PyJWT: HS256, RS256, ES256), against the baseline of building
the request and reading its headers, which every request does anyway. Prints microseconds per
request above the baseline.
"""

import argparse
import asyncio
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.requests import Request

from api.auth import AuthConfig, Authenticator, mint_token
from api.roles import Role
from schema.http_auth import request_principal

SECRET = "a-benchmark-secret-of-more-than-32-bytes"


def _request(authorization: str | None) -> Request:
    headers = [(b"host", b"test"), (b"accept", b"*/*"), (b"content-type", b"application/json")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    scope = {"type": "http", "method": "POST", "headers": headers, "query_string": b"", "path": "/"}
    return Request(scope)


def _tokens(count: int, sign: tuple[str, Any]) -> list[str]:
    import jwt

    now = int(time.time())
    claims = {"credence_role": "editor", "iat": now, "exp": now + 3600}
    algorithm, key = sign
    return [
        jwt.encode({**claims, "sub": f"user-{i}"}, key, algorithm=algorithm) for i in range(count)
    ]


async def _per_request(authenticator: Authenticator, headers: list[str | None]) -> float:
    started = time.perf_counter()
    for header in headers:
        await request_principal(_request(header), authenticator, "application/json", 2)
    return (time.perf_counter() - started) / len(headers) * 1e6


def _baseline(headers: list[str | None]) -> float:
    started = time.perf_counter()
    for header in headers:
        _request(header).headers.get("authorization")
    return (time.perf_counter() - started) / len(headers) * 1e6


async def main(rounds: int) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    hs = Authenticator(AuthConfig(secret=SECRET))
    remembered = mint_token(hs.config, role=Role.EDITOR, subject="bench", ttl_seconds=3600)
    fresh = max(200, rounds // 50)  # each verified once: PyJWT's full cost
    cases: list[tuple[str, Authenticator, list[str | None]]] = [
        ("no token", hs, [None] * rounds),
        ("token seen before", hs, [f"Bearer {remembered}"] * rounds),
        ("new HS256 token", hs, [f"Bearer {t}" for t in _tokens(fresh, ("HS256", SECRET))]),
    ]
    for name, algorithm, key in (("RS256", "RS256", rsa_key), ("ES256", "ES256", ec_key)):
        authenticator = Authenticator(AuthConfig())
        authenticator._public_key, authenticator._public_algorithm = key.public_key(), algorithm
        tokens = _tokens(fresh, (algorithm, key))
        cases.append((f"new {name} token", authenticator, [f"Bearer {t}" for t in tokens]))
    print(f"{'request':<20} {'us above baseline':>18} {'baseline us':>12}")
    for name, authenticator, headers in cases:
        await _per_request(authenticator, headers[:50])  # warm up (and remember, for "seen")
        if name.startswith("new"):
            authenticator._verified.clear()
        cost = await _per_request(authenticator, headers)
        base = _baseline(headers)
        print(f"{name:<20} {cost - base:>18.1f} {base:>12.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20000)
    asyncio.run(main(parser.parse_args().rounds))
