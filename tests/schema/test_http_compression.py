"""Large answers travel compressed (gzip or brotli, as the client accepts); small ones as is."""

import gzip
import json
from typing import Any

import brotli
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from schema.http import EXECUTOR_HEADER
from schema.http_compression import negotiate_encoding

# About 9 KB of JSON on the seed: well over the 1 KB threshold.
LARGE = "{ states(first: 100, orderBy: ISO3_ASC) { nodes { iso3 name kind } } }"
SMALL = '{ state(iso3: "RUS") { iso3 } }'


def _client(engine: AsyncEngine, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, debug=True, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _raw(
    client: httpx.AsyncClient, query: str, executor: str, accept_encoding: str
) -> tuple[httpx.Response, bytes]:
    """The response and its body as it travelled (httpx would decode it otherwise)."""
    request = client.build_request(
        "POST",
        "/graphql",
        json={"query": query},
        headers={EXECUTOR_HEADER: executor, "accept-encoding": accept_encoding},
    )
    response = await client.send(request, stream=True)
    raw = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, raw


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("br;q=0.5, gzip;q=0.8", "gzip"),
        ("gzip;q=0.5, br;q=0.5", "br"),
        ("*", "br"),
        ("*;q=0.3, gzip;q=0.2", "br"),
        ("br;q=0, *", "gzip"),
        ("gzip;q=0, br;q=0", None),
        ("identity", None),
        ("deflate", None),
        ("", None),
        ("gzip;q=nonsense", None),
    ],
)
def test_the_encoding_follows_the_quality_values(accept: str, chosen: str | None) -> None:
    assert negotiate_encoding(accept) == chosen


@pytest.mark.parametrize("executor", ["compiled", "resolver"])
async def test_a_large_answer_is_compressed_and_decodes_to_the_same_bytes(
    seed: AsyncEngine, executor: str
) -> None:
    async with _client(seed) as client:
        plain, plain_body = await _raw(client, LARGE, executor, "identity")
        assert plain.headers.get(EXECUTOR_HEADER) == (
            "compiled" if executor == "compiled" else None
        )
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        assert len(plain_body) > 4096

        for coding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
            response, body = await _raw(client, LARGE, executor, coding)
            assert response.headers["content-encoding"] == coding
            assert response.headers["vary"] == "Accept-Encoding"
            assert int(response.headers["content-length"]) == len(body)
            assert len(body) < len(plain_body) / 3
            assert decode(body) == plain_body


async def test_a_small_answer_is_sent_as_it_is(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        response, body = await _raw(client, SMALL, "compiled", "br, gzip")
        assert "content-encoding" not in response.headers
        assert "vary" not in response.headers
        assert json.loads(body) == {"data": {"state": {"iso3": "RUS"}}}


async def test_the_threshold_and_the_switch_are_settings(seed: AsyncEngine) -> None:
    async with _client(seed, compression_min_bytes=10) as client:
        response, body = await _raw(client, SMALL, "compiled", "gzip")
        assert response.headers["content-encoding"] == "gzip"
        assert json.loads(gzip.decompress(body)) == {"data": {"state": {"iso3": "RUS"}}}
    async with _client(seed, compression=False) as client:
        response, _ = await _raw(client, LARGE, "compiled", "br, gzip")
        assert "content-encoding" not in response.headers


async def test_graphiql_assets_are_compressed_too(seed: AsyncEngine) -> None:
    async with _client(seed) as client:
        response = await client.get(
            "/graphql/assets/credence-graphiql.css", headers={"accept-encoding": "gzip"}
        )
        assert response.status_code == 200
        # A small stylesheet: under the threshold, as it is.
        assert "content-encoding" not in response.headers
        page = await client.get(
            "/graphql", headers={"accept": "text/html", "accept-encoding": "br"}
        )
        assert page.headers["content-encoding"] == "br"
        assert "<title>Credence" in page.text
