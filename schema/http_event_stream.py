"""GraphQL subscriptions over Server-Sent Events: graphql-sse, in its distinct connections mode.

One subscription per HTTP request, to the GraphQL endpoint with `Accept: text/event-stream`
(GET with query parameters, or POST with a JSON body): the answer is an event stream of `next`
events (each an execution result) ending with `complete`. For clients behind proxies that refuse
WebSockets. A comment line every `keepalive_seconds` keeps proxies from closing an idle stream;
on shutdown the stream simply ends (no `complete`), so the client reconnects.
"""

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.roles import ANONYMOUS, Principal
from schema.http_auth import request_principal
from schema.http_guard import ClientDisconnected, read_body
from schema.live import Live

EVENT_STREAM = "text/event-stream"


def wants_event_stream(scope: Scope) -> bool:
    accept = Headers(scope=scope).get("accept", "").lower()
    return EVENT_STREAM in accept


def event(name: str, data: dict[str, Any] | None) -> bytes:
    body = orjson.dumps(data).decode() if data is not None else ""
    return f"event: {name}\ndata: {body}\n\n".encode()


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _params(scope: Scope, receive: Receive, max_body_bytes: int) -> dict[str, Any]:
    if scope["method"] == "GET":
        raw = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode("latin-1")).items()}
        params: dict[str, Any] = dict(raw)
        if "variables" in raw:
            try:
                params["variables"] = orjson.loads(raw["variables"])
            except orjson.JSONDecodeError as error:
                raise _Refused(400, f"`variables` is not valid JSON: {error}") from error
        return params
    if scope["method"] != "POST":
        raise _Refused(405, "Subscriptions over Server-Sent Events use GET or POST.")
    body = await read_body(scope, receive, max_body_bytes)
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise _Refused(400, f"The request body is not valid JSON: {error}") from error
    if not isinstance(decoded, dict):
        raise _Refused(400, "The request body must be a JSON object.")
    return decoded


async def _json_error(send: Send, status: int, message: str, headers: list[Any]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), *headers],
        }
    )
    body = orjson.dumps({"errors": [{"message": message}]})
    await send({"type": "http.response.body", "body": body})


async def serve_event_stream(
    live: Live,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    max_body_bytes: int,
    retry_after: int,
) -> None:
    principal: Principal = ANONYMOUS
    if live.authenticator is not None:
        # Refused before the stream opens, as a query would be: 401 with its challenge.
        verified = await request_principal(
            Request(scope), live.authenticator, "application/json", retry_after
        )
        if isinstance(verified, Response):
            await verified(scope, receive, send)
            return
        principal = verified
    try:
        params = await _params(scope, receive, max_body_bytes)
    except ClientDisconnected:
        return
    except _Refused as refused:
        await _json_error(send, refused.status, str(refused), [])
        return
    if not live.admit():
        await _json_error(
            send,
            503,
            "The server is shutting down"
            if live.closing.is_set()
            else f"The server holds its maximum of {live.limits.connections} live connections",
            [(b"retry-after", b"2")],
        )
        return
    try:
        await _stream(live, params, principal, receive, send)
    finally:
        live.release()


async def _stream(
    live: Live, params: dict[str, Any], principal: Principal, receive: Receive, send: Send
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache"),
                # Proxies (nginx) must pass each event on at once, not buffer the stream.
                (b"x-accel-buffering", b"no"),
            ],
        }
    )
    writing = asyncio.Lock()

    async def write(chunk: bytes) -> None:
        async with writing:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def next_(result: str) -> None:
        # Encoded once for every subscription of its operation.
        await write(f"event: next\ndata: {result}\n\n".encode())

    async def refuse(errors: list[dict[str, Any]]) -> None:
        await write(event("next", {"errors": errors}))

    async def run() -> bool:
        await live.stream(params, live.context(principal), next_, refuse)
        await write(event("complete", None))
        return True

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    async def keepalive() -> None:
        while True:
            await asyncio.sleep(live.limits.keepalive_seconds)
            await write(b":\n\n")

    tasks = [
        asyncio.create_task(run()),
        asyncio.create_task(disconnected()),
        asyncio.create_task(live.closing.wait()),
        asyncio.create_task(keepalive()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class WithEventStreams:
    """`app` (the GraphQL endpoint), with requests that accept an event stream served here."""

    def __init__(self, live: Live, app: ASGIApp, *, max_body_bytes: int, retry_after: int) -> None:
        self.live = live
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and wants_event_stream(scope):
            await serve_event_stream(
                self.live,
                scope,
                receive,
                send,
                max_body_bytes=self.max_body_bytes,
                retry_after=self.retry_after,
            )
        else:
            await self.app(scope, receive, send)
