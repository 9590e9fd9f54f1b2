"""What the live transports (WebSocket, Server-Sent Events) share: limits, one subscription's
bounded outbox, the process's connection count, and shutdown.

A subscription runs as two tasks joined by a bounded queue (its outbox): one executes the
operation and puts each result in the outbox, the other takes results out and writes them to the
client. A client that reads slower than changes come stalls only its writer (the server's send
buffer fills, and the write waits); its outbox then fills, and once it has stayed full for
`slow_consumer_seconds` the subscription is closed with `SLOW_CONSUMER`. Nothing is buffered past
the outbox, and no other subscription waits for this one. The client can resume from the cursor of
the last event it received.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from types import FrameType
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from api.auth import Authenticator
from api.change_listener import ChangeListener
from api.roles import ANONYMOUS, Principal
from schema.context import Context, create_context
from schema.limits import (
    PARSE_FAILED_CODE,
    VALIDATION_FAILED_CODE,
    public_error,
    with_code,
)

logger = logging.getLogger(__name__)

SLOW_CONSUMER_CODE = "SLOW_CONSUMER"
TOO_MANY_SUBSCRIPTIONS_CODE = "TOO_MANY_SUBSCRIPTIONS"


@dataclass(frozen=True, slots=True)
class LiveLimits:
    # Results waiting for one slow client, and how long the outbox may stay full.
    queue_size: int = 256
    slow_consumer_seconds: float = 10.0
    subscriptions_per_connection: int = 20
    connections: int = 1000
    # A ping on every open connection this often: proxies close idle connections.
    keepalive_seconds: float = 15.0
    # A WebSocket client must send connection_init within this time.
    init_timeout_seconds: float = 10.0


class Outcome(Enum):
    COMPLETED = "completed"  # the operation ended (or failed before it started)
    SLOW_CONSUMER = "slow_consumer"


def payload(result: ExecutionResult) -> dict[str, Any]:
    """A result as the client sees it, its unexpected errors masked."""
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [dict(public_error(e).formatted) for e in result.errors]
    return body


def error_payload(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def slow_consumer_error(limits: LiveLimits) -> dict[str, Any]:
    return error_payload(
        f"Subscription closed: the client read too slowly ({limits.queue_size} results "
        f"waited for more than {limits.slow_consumer_seconds:g}s). Subscribe again with `after` "
        "set to the cursor of the last event received to resume.",
        SLOW_CONSUMER_CODE,
    )


def _refusal(error: GraphQLError) -> GraphQLError:
    """An error found before the subscription ran, with the code a query's would have."""
    if (error.extensions or {}).get("code"):
        return public_error(error)
    if isinstance(error, GraphQLSyntaxError):
        return with_code(error, PARSE_FAILED_CODE)
    return with_code(error, VALIDATION_FAILED_CODE)


_END = object()
_SLOW = object()


class Live:
    """The live transports' state in one worker process."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        engine: Callable[[], AsyncEngine],
        listener: Callable[[], ChangeListener],
        limits: LiveLimits,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.schema = schema
        # Verifies the token of a connection (WebSocket) or a request (event stream).
        self.authenticator = authenticator
        self._engine = engine
        self._listener = listener
        self.limits = limits
        self.connections = 0
        self._closing: asyncio.Event | None = None
        self._closed: asyncio.Event | None = None
        self._previous_handler: Any = None

    @property
    def closing(self) -> asyncio.Event:
        # Created on first use, inside the server's event loop.
        if self._closing is None:
            self._closing = asyncio.Event()
        return self._closing

    def admit(self) -> bool:
        """Count a new connection in, unless the process holds its maximum or is closing."""
        if self.connections >= self.limits.connections or self.closing.is_set():
            return False
        self.connections += 1
        return True

    def release(self) -> None:
        self.connections -= 1
        if self.connections == 0 and self._closing is not None and self._closing.is_set():
            self.closed.set()

    @property
    def closed(self) -> asyncio.Event:
        """Set once the process is closing and its last live connection has closed."""
        if self._closed is None:
            self._closed = asyncio.Event()
        return self._closed

    def context(self, principal: Principal = ANONYMOUS) -> Context:
        context = create_context(engine=self._engine(), principal=principal)
        context.changes = self._listener()
        return context

    async def stream(
        self,
        params: dict[str, Any],
        context: Context,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        refuse: Callable[[list[dict[str, Any]]], Awaitable[None]],
    ) -> Outcome:
        """Run one subscription: each result to `send`; errors before it starts, and the reason
        it was closed when the client read too slowly (`SLOW_CONSUMER`), to `refuse`."""
        query = params.get("query")
        variables = params.get("variables")
        operation_name = params.get("operationName")
        if not isinstance(query, str) or not query:
            await refuse(
                [error_payload("The subscription needs a `query` (a string).", "BAD_REQUEST")]
            )
            return Outcome.COMPLETED
        if variables is not None and not isinstance(variables, dict):
            await refuse([error_payload("`variables` must be an object.", "BAD_REQUEST")])
            return Outcome.COMPLETED
        source = await self.schema.subscribe(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name if isinstance(operation_name, str) else None,
        )
        outbox: asyncio.Queue[Any] = asyncio.Queue(self.limits.queue_size)
        first: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        async def produce() -> Outcome:
            try:
                async for result in source:
                    if not first.done():
                        if isinstance(result, PreExecutionError):
                            first.set_result(False)
                            errors = result.errors or []
                            await refuse([dict(_refusal(e).formatted) for e in errors])
                            return Outcome.COMPLETED
                        first.set_result(True)
                    if not await self._put(outbox, payload(result)):
                        return Outcome.SLOW_CONSUMER
                await self._put(outbox, _END)
                return Outcome.COMPLETED
            finally:
                await source.aclose()

        async def deliver() -> None:
            while (item := await outbox.get()) is not _END:
                if item is _SLOW:
                    await refuse([slow_consumer_error(self.limits)])
                    return
                await send(item)

        producer = asyncio.create_task(produce())
        writer = asyncio.create_task(deliver())
        try:
            done, _ = await asyncio.wait({producer, writer}, return_when=asyncio.FIRST_COMPLETED)
            if producer in done:
                outcome = producer.result()
                if outcome is Outcome.SLOW_CONSUMER:
                    # The results not yet written are dropped (the client resumes from the last
                    # cursor it received): the reason is all that waits for the client now.
                    while not outbox.empty():
                        outbox.get_nowait()
                    outbox.put_nowait(_SLOW)
                    await writer
                elif not (first.done() and first.result() is False):
                    await writer  # the results already in the outbox go out first
                return outcome
            writer.result()  # the client went away: raises its error
            return Outcome.COMPLETED
        finally:
            for task in (producer, writer):
                task.cancel()
            for task in (producer, writer):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _put(self, outbox: "asyncio.Queue[Any]", item: Any) -> bool:
        try:
            async with asyncio.timeout(self.limits.slow_consumer_seconds):
                await outbox.put(item)
        except TimeoutError:
            return False
        return True

    def install_signal_handlers(self) -> None:
        """On SIGTERM (and SIGINT), close every open stream first, then let the server stop.

        The server's own handler runs once the streams are closed (or after a short grace): it
        would otherwise close WebSockets with 1012 and wait for never-ending event streams.
        """
        with contextlib.suppress(ValueError):  # not the main thread: the server handles signals
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous = signal.getsignal(sig)
                signal.signal(sig, self._make_handler(previous))
                if sig is signal.SIGTERM:
                    self._previous_handler = previous

    def _make_handler(self, previous: Any) -> Callable[[int, FrameType | None], None]:
        loop = asyncio.get_running_loop()

        def handle(sig: int, frame: FrameType | None) -> None:
            def close() -> None:
                self.closing.set()
                if self.connections == 0:
                    self.closed.set()

            loop.call_soon_threadsafe(close)

            def chain() -> None:
                if callable(previous):
                    previous(sig, frame)

            async def after_streams() -> None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(2.0):
                        await self.closed.wait()
                chain()

            loop.call_soon_threadsafe(lambda: loop.create_task(after_streams()))

        return handle
