"""What the HTTP layer does before and around running one GraphQL request.

The body is read with a limit (413 past it, before it is held whole), the request runs under a
deadline, and a client that hangs up cancels its request, and with it the statement PostgreSQL
is running for it (asyncpg sends a cancel request when its task is cancelled).
"""

import asyncio
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
    return await read_declared_body(receive, limit, declared)


async def read_declared_body(receive: Receive, limit: int, declared: str | bytes | None) -> bytes:
    """The body, refused with 413 when its declared length (Content-Length) or the bytes that
    arrive pass `limit`."""
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


def replay(body: bytes, then: Receive | None = None) -> Receive:
    """A `receive` that hands over the body already read, once, and then `then`'s messages.

    With no `then`, nothing more: the real `receive` belongs to the request's guard, which
    watches for the client's disconnect. With `then` (the real one), the app it is given to has
    the whole request, disconnect included.
    """
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        await asyncio.Event().wait()  # never: only the disconnect watcher reads the client
        raise AssertionError("unreachable")

    return receive


# A request still running after this long starts watching its client and arms its deadline.
# Most requests finish sooner and never pay for a watcher task: one timer, set and cancelled.
WATCH_AFTER_SECONDS = 0.05


class RequestGuard:
    """Cancel the enclosed work when the client disconnects or the deadline passes.

    Raises `ClientDisconnected` or `TimeoutError` in place of the cancellation. Both are armed
    only once the request has run for `WATCH_AFTER_SECONDS`: a request that needs the database
    for longer than that is the one worth cancelling.
    """

    def __init__(self, receive: Receive, timeout: float) -> None:
        self._receive = receive
        self._timeout = timeout
        self._watcher: asyncio.Task[None] | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._why: type[Exception] | None = None

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._loop = asyncio.get_running_loop()
        self._deadline = self._loop.time() + self._timeout
        self._handle = self._loop.call_later(
            min(WATCH_AFTER_SECONDS, self._timeout), self._running_long
        )

    def _running_long(self) -> None:
        self._watcher = self._loop.create_task(self._watch())
        self._handle = self._loop.call_at(self._deadline, self._stop, TimeoutError)

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._stop(ClientDisconnected)

    def _stop(self, why: type[Exception]) -> None:
        if self._why is None:
            self._why = why
            self._task.cancel()

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self._handle is not None:
            self._handle.cancel()
        if self._watcher is not None:
            self._watcher.cancel()
        if self._why is not None and kind is asyncio.CancelledError:
            self._task.uncancel()
            raise self._why
