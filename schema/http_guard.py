"""What the HTTP layer does before and around running one GraphQL request.

The body is read with a limit (413 past it, before it is held whole), the request runs under a
deadline, and a client that hangs up cancels its request, and with it the statement PostgreSQL
is running for it (asyncpg sends a cancel request when its task is cancelled).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cross_web import HTTPException
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope


@dataclass(frozen=True, slots=True)
class RequestLimits:
    max_body_bytes: int = 1_000_000
    request_timeout: float = 15.0
    retry_after: int = 2


class ClientDisconnected(Exception):
    """The client hung up before its answer was ready: nothing is left to send."""


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = Headers(scope=scope).get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            # Chunked bodies declare no length: counted as they arrive, dropped past the limit.
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than the limit of {limit:,} bytes.")


def replay(body: bytes) -> Receive:
    """A `receive` that hands over the body already read, once, and then nothing more.

    The real `receive` belongs to `cancel_on_disconnect` from then on.
    """
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # never: only the disconnect watcher reads the client
        raise AssertionError("unreachable")

    return receive


@asynccontextmanager
async def cancel_on_disconnect(receive: Receive) -> AsyncIterator[None]:
    """Cancel the enclosed work when the client disconnects; raise `ClientDisconnected` then."""
    task = asyncio.current_task()
    assert task is not None
    disconnected = False

    async def watch() -> None:
        nonlocal disconnected
        while (await receive())["type"] != "http.disconnect":
            pass
        disconnected = True
        task.cancel()

    watcher = asyncio.get_running_loop().create_task(watch())
    try:
        yield
    except asyncio.CancelledError:
        if not disconnected:
            raise
        task.uncancel()
        raise ClientDisconnected from None
    finally:
        watcher.cancel()
