"""What the HTTP layer does before and around running one GraphQL request.

The body is read with a limit (413 past it, before it is held whole), the request runs under a
deadline, and a client that hangs up cancels its request, and with it the statement PostgreSQL
is running for it (asyncpg sends a cancel request when its task is cancelled).
"""

import asyncio
import weakref
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
# Most requests finish sooner and never pay for a watcher task, nor even for a timer: one sweep
# per event loop, every `WATCH_AFTER_SECONDS` while requests run, looks after all of them.
WATCH_AFTER_SECONDS = 0.05


class RequestGuard:
    """Cancel the enclosed work when the client disconnects or the deadline passes.

    Raises `ClientDisconnected` or `TimeoutError` in place of the cancellation. Both are armed
    only once the request has run for `WATCH_AFTER_SECONDS` (a request that needs the database
    for longer than that is the one worth cancelling), by the loop's sweep, so the deadline is
    kept to within one sweep. Entering and leaving costs a set insertion and removal.
    """

    __slots__ = (
        "_deadline",
        "_receive",
        "_started",
        "_sweep_group",
        "_task",
        "_timeout",
        "_watcher",
        "_why",
    )

    def __init__(self, receive: Receive, timeout: float) -> None:
        self._receive = receive
        self._timeout = timeout
        self._watcher: asyncio.Task[None] | None = None
        self._why: type[Exception] | None = None

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None
        self._task = task
        self._started = loop.time()
        self._deadline = self._started + self._timeout
        sweep = self._sweep_group = _sweep_of(loop)
        sweep.running.add(self)
        if not sweep.scheduled:
            sweep.start()

    def _sweep(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        if self._why is not None:
            return
        if now >= self._deadline:
            self._stop(TimeoutError)
        elif self._watcher is None and now - self._started >= WATCH_AFTER_SECONDS:
            self._watcher = loop.create_task(self._watch())

    async def _watch(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass
        self._stop(ClientDisconnected)

    def _stop(self, why: type[Exception]) -> None:
        if self._why is None:
            self._why = why
            self._task.cancel()

    async def __aexit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._sweep_group.running.discard(self)
        if self._watcher is not None:
            self._watcher.cancel()
        if self._why is not None and kind is asyncio.CancelledError:
            self._task.uncancel()
            raise self._why


class _Sweep:
    """The requests of one event loop, looked at every `WATCH_AFTER_SECONDS` while any runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.running: set[RequestGuard] = set()
        self.scheduled = False

    def start(self) -> None:
        self.scheduled = True
        self.loop.call_later(WATCH_AFTER_SECONDS, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for guard in list(self.running):
            guard._sweep(self.loop, now)
        self.scheduled = False
        if self.running:
            self.start()


# The loop a process serves from, remembered so that most requests find its sweep at once.
_current: _Sweep | None = None
_SWEEPS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweep]" = (
    weakref.WeakKeyDictionary()
)


def _sweep_of(loop: asyncio.AbstractEventLoop) -> _Sweep:
    global _current
    if _current is not None and _current.loop is loop:
        return _current
    sweep = _SWEEPS.get(loop)
    if sweep is None:
        sweep = _SWEEPS[loop] = _Sweep(loop)
    _current = sweep
    return sweep
