"""The fast path answers exactly as the full path does, header for header, and only when it may.

Two apps on the same database, one with the fast path (the default) and one without
(`CREDENCE_FAST_PATH=false`), are asked the same requests; their answers must agree in status,
body and headers (but the generated request id). Prometheus' `credence_compiled_fast_answers`
says which requests the fast path took.
"""

import gzip
import hashlib
import json
import re
from typing import Any

import brotli
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings

SMALL = '{ state(iso3: "RUS") { iso3 name } }'
# About 9 KB of JSON on the seed: well over the compression threshold.
LARGE = "{ states(first: 100, orderBy: ISO3_ASC) { nodes { iso3 name kind } } }"
WITH_VARIABLES = "query One($iso3: String!) { state(iso3: $iso3) { iso3 name } }"
APP_ORIGIN = "https://app.example"


def _client(engine: AsyncEngine, fast: bool, **overrides: Any) -> httpx.AsyncClient:
    settings = Settings(_env_file=None, fast_path=fast, **overrides)  # type: ignore[call-arg]
    app = create_app(settings, database_url="unused", engine=engine)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _fast_answers(client: httpx.AsyncClient) -> int:
    text = (await client.get("/metrics")).text
    match = re.search(r"^credence_compiled_fast_answers_total (\S+)$", text, re.MULTILINE)
    assert match is not None, "the metric is exported"
    return int(float(match.group(1)))


async def _send(client: httpx.AsyncClient, request: dict[str, Any]) -> tuple[int, dict, bytes]:
    built = client.build_request("POST", "/graphql", **request)
    response = await client.send(built, stream=True)
    raw = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        headers.setdefault(name, []).append(value)
    if "x-request-id" in headers and not request.get("headers", {}).get("x-request-id"):
        # Generated: only its shape can agree.
        assert all(re.fullmatch(r"[0-9a-f]{32}", v) for v in headers["x-request-id"])
        headers["x-request-id"] = ["generated"]
    return response.status_code, headers, _decoded(raw, headers.get("content-encoding"))


def _decoded(raw: bytes, coding: list[str] | None) -> bytes:
    if coding == ["br"]:
        return brotli.decompress(raw)
    if coding == ["gzip"]:
        return gzip.decompress(raw)
    return raw


async def _both(
    engine: AsyncEngine, requests: list[dict[str, Any]], **settings: Any
) -> tuple[list[tuple[int, dict, bytes]], int]:
    """Each request's answer from both apps (asserted equal), and how many the fast path took."""
    async with (
        _client(engine, True, **settings) as fast,
        _client(engine, False, **settings) as full,
    ):
        answers = []
        for request in requests:
            for _ in range(2):  # the first plans; the second finds the plan by its body
                expected = await _send(full, request)
                got = await _send(fast, request)
                assert got == expected, request
            answers.append(got)
        taken = await _fast_answers(fast)
        assert await _fast_answers(full) == 0
    return answers, taken


def _post(query: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    body.update(extra.pop("body", {}))
    return {"json": body, **extra}


async def test_plain_queries_take_the_fast_path_and_answer_as_the_full_path(
    seed: AsyncEngine,
) -> None:
    requests = [
        _post(SMALL),
        _post("{ __typename }"),
        _post(WITH_VARIABLES, body={"variables": {"iso3": "AFG"}, "operationName": "One"}),
        _post(SMALL, headers={"accept": "application/graphql-response+json"}),
        _post(SMALL, headers={"x-request-id": "trace-42"}),
        _post(SMALL, headers={"content-type": "application/json; charset=utf-8"}),
    ]
    answers, taken = await _both(seed, requests)
    assert answers[0][0] == 200 and b'"Russian Federation"' in answers[0][2]
    assert answers[2][2] == b'{"data":{"state":{"iso3" : "AFG", "name" : "Afghanistan"}}}'
    assert answers[3][1]["content-type"] == ["application/graphql-response+json"]
    assert answers[4][1]["x-request-id"] == ["trace-42"]
    assert all(a[1]["x-credence-executor"] == ["compiled"] for a in answers)
    assert all(a[1]["x-content-type-options"] == ["nosniff"] for a in answers)
    assert taken == 2 * len(requests), "every request was answered on the fast path"


@pytest.mark.parametrize("accept_encoding", ["br", "gzip", "identity"])
async def test_large_answers_are_compressed_alike(seed: AsyncEngine, accept_encoding: str) -> None:
    answers, taken = await _both(seed, [_post(LARGE, headers={"accept-encoding": accept_encoding})])
    ((status, headers, body),) = answers
    assert status == 200 and len(body) > 1024
    assert headers["vary"] == ["Accept-Encoding"]
    assert headers.get("content-encoding") == (
        None if accept_encoding == "identity" else [accept_encoding]
    )
    assert taken == 2


@pytest.mark.parametrize(
    ("origins", "credentials"), [([APP_ORIGIN], False), ([APP_ORIGIN], True), (["*"], False)]
)
async def test_cross_origin_answers_carry_the_same_cors_headers(
    seed: AsyncEngine, origins: list[str], credentials: bool
) -> None:
    requests = [
        _post(SMALL, headers={"origin": APP_ORIGIN}),
        _post(SMALL, headers={"origin": "https://elsewhere.example"}),
        _post(SMALL),
        _post(LARGE, headers={"origin": APP_ORIGIN, "accept-encoding": "gzip"}),
    ]
    answers, taken = await _both(seed, requests, cors_origins=origins, cors_credentials=credentials)
    allowed, refused, same_origin, large = (a[1] for a in answers)
    expected = "*" if origins == ["*"] else APP_ORIGIN
    assert allowed["access-control-allow-origin"] == [expected]
    if origins != ["*"]:
        assert "access-control-allow-origin" not in refused
        assert same_origin["vary"] == ["Origin"]
        assert large["vary"] == ["Accept-Encoding, Origin"]
    assert ("access-control-allow-credentials" in allowed) is credentials
    assert taken == 2 * len(requests)


async def test_what_the_fast_path_does_not_serve_reaches_the_full_path(
    seed: AsyncEngine,
) -> None:
    requests = [
        _post("{ states { nodes { nope } } }"),  # a validation error
        _post('{ search(text: "") { score } }'),  # beyond the planner
        _post('mutation { endRecognition(key: "x", date: "2020") { recognition { key } } }'),
        _post(SMALL, body={"extensions": {"persistedQuery": {"version": 1}}}),
        _post(SMALL, headers={"authorization": "Bearer not-a-token"}),
        _post(SMALL, headers={"content-type": "text/plain"}),
        {"content": b'{"query": ', "headers": {"content-type": "application/json"}},
        {"content": b"\xff\xfe", "headers": {"content-type": "application/json"}},
        _post(WITH_VARIABLES, body={"variables": {"iso3": "A\u0000B"}}),
        _post(WITH_VARIABLES, body={"variables": {"iso3": 7}}),
    ]
    answers, taken = await _both(seed, requests)
    statuses = [status for status, _, _ in answers]
    assert statuses[5] == 415 and statuses[6] == 400 and statuses[4] == 401
    assert all(b'"errors"' in body for status, _, body in answers if status != 200)
    assert taken == 0, "none of these was a plain query with a plan"


async def test_a_body_over_the_limit_is_refused_alike(seed: AsyncEngine) -> None:
    padding = "x" * 2_000
    requests = [_post(SMALL, body={"variables": {"padding": padding}})]
    answers, taken = await _both(seed, requests, max_body_bytes=1024)
    assert answers[0][0] == 413
    assert taken == 0


async def test_introspection_off_is_refused_on_both_paths(seed: AsyncEngine) -> None:
    requests = [_post("{ __schema { queryType { name } } }"), _post("{ __typename }")]
    answers, taken = await _both(seed, requests, introspection=False)
    assert b"introspection" in answers[0][2].lower()
    assert answers[1][2] == b'{"data":{"__typename":"Query"}}'
    assert taken == 2, "only `{ __typename }` was fast"


async def test_only_registered_queries_leave_nothing_to_the_fast_path(
    seed: AsyncEngine, tmp_path: Any
) -> None:
    registered = tmp_path / "queries.json"
    document = "{ __typename }"
    registered.write_text(json.dumps({hashlib.sha256(document.encode()).hexdigest(): document}))
    answers, taken = await _both(
        seed,
        [_post(SMALL)],
        persisted_queries_file=registered,
        persisted_only=True,
    )
    assert answers[0][0] in (200, 400) and b"errors" in answers[0][2]
    assert taken == 0
