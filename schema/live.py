"""What the live transports (WebSocket, Server-Sent Events) share: limits, the execution of
subscriptions, one subscription's bounded outbox, the process's connection count, and shutdown.

A subscription (a `_Member`) has an outbox, a bounded queue of results already encoded as JSON,
and a writer that takes them out and writes them to the client. The results come from an
execution (a `_Run`) of its operation. Subscriptions in step share one: the same document,
operation, variables and role, and the same cursor. A `changes` stream that waits for the next
change with everything up to its cursor settled offers itself to the others of its operation
waiting at that cursor, and its subscribers join that execution; a change then costs one
execution and one JSON encoding whatever the number of subscribers, and each transport only
splices its subscription's id around the encoded result. A subscription that is behind (replaying
with `after`) runs alone until it catches up.

A run with one subscriber waits while its outbox is full (the client reads slower than changes
come: the server's send buffer fills, and the write waits); once the outbox has stayed full for
`slow_consumer_seconds` the subscription is closed with `SLOW_CONSUMER`. A shared run never waits
for one subscriber: one whose outbox is full leaves it for a run of its own from the cursor of
the last result it took, which then waits for it as above. Nothing is buffered past the outbox,
and no other subscription waits for this one. The client can resume from the cursor of the last
event it received.
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

import orjson
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


Refuse = Callable[[list[dict[str, Any]]], Awaitable[None]]
# Document, operation name, variables (encoded, keys sorted), role.
_Key = tuple[str, str | None, bytes, str]


@dataclass(frozen=True, slots=True)
class _Final:
    """The last item of an outbox: how the subscription ended."""

    outcome: Outcome
    # Sent to the client as an error (the subscription was refused or closed).
    errors: list[dict[str, Any]] | None = None
    # The execution failed: the writer raises it.
    failure: BaseException | None = None


class _Member:
    """One subscription: its outbox and where it stands."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        # Bounded by `offer` (a final item always fits).
        self.outbox: asyncio.Queue[str | _Final] = asyncio.Queue()
        self.room = asyncio.Event()
        # The id of the change last put in the outbox (or the cursor the member joined a run at).
        self.cursor: int | None = None
        self.run: _Run | None = None

    def full(self) -> bool:
        return self.outbox.qsize() >= self.limit

    def offer(self, item: str) -> bool:
        if self.full():
            return False
        self.outbox.put_nowait(item)
        return True

    async def put(self, item: str, within: float) -> bool:
        """Wait up to `within` seconds for room in the outbox."""
        try:
            async with asyncio.timeout(within):
                while self.full():
                    self.room.clear()
                    await self.room.wait()
        except TimeoutError:
            return False
        self.outbox.put_nowait(item)
        return True

    def finish(self, final: _Final, *, drop: bool = False) -> None:
        if drop:
            # The results not yet written are dropped (the client resumes from the last cursor
            # it received): the reason is all that waits for the client now.
            while not self.outbox.empty():
                self.outbox.get_nowait()
        self.outbox.put_nowait(final)

    async def deliver(self, send: Callable[[str], Awaitable[None]], refuse: Refuse) -> Outcome:
        while True:
            item = await self.outbox.get()
            self.room.set()
            if isinstance(item, _Final):
                if item.failure is not None:
                    raise item.failure
                if item.errors is not None:
                    await refuse(item.errors)
                return item.outcome
            await send(item)


class _Run:
    """One execution of an operation, for the members in step at its cursor."""

    def __init__(
        self, live: "Live", key: _Key, params: dict[str, Any], context: Context, member: _Member
    ) -> None:
        self.live = live
        self.key = key
        self.params = params
        self.context = context
        self.members: list[_Member] = [member]
        member.run = self
        context.stream.on_idle = self._idle
        self.task = asyncio.create_task(self._execute())

    def leave(self, member: _Member) -> None:
        if member in self.members:
            self.members.remove(member)
        member.run = None
        if not self.members:
            self._unlist()
            self.task.cancel()

    def _unlist(self) -> None:
        waiting = self.live._waiting.get(self.key)
        if waiting is not None:
            for cursor, run in list(waiting.items()):
                if run is self:
                    del waiting[cursor]
            if not waiting:
                del self.live._waiting[self.key]

    def _idle(self) -> None:
        """The stream waits at its cursor: join a run of the same operation waiting there, or
        wait there for others to join this one."""
        at = self.context.stream.idle_at
        assert at is not None
        if not self.members:
            return
        for member in self.members:
            member.cursor = at
        self._unlist()
        waiting = self.live._waiting.setdefault(self.key, {})
        other = waiting.get(at)
        if other is None or other.context.stream.idle_at != at or not other.members:
            waiting[at] = self
            return
        for member in self.members:
            member.run, member.cursor = other, at
            other.members.append(member)
        self.members = []
        # Raised where the stream waits: it has yielded nothing past `at`.
        self.task.cancel()

    async def _execute(self) -> None:
        schema, limits = self.live.schema, self.live.limits
        query, variables, operation_name = self.params["query"], None, None
        if isinstance(self.params.get("variables"), dict):
            variables = self.params["variables"]
        if isinstance(self.params.get("operationName"), str):
            operation_name = self.params["operationName"]
        try:
            source = await schema.subscribe(
                query,
                variable_values=variables,
                context_value=self.context,
                operation_name=operation_name,
            )
            first = True
            try:
                async for result in source:
                    if first and isinstance(result, PreExecutionError):
                        errors = [dict(_refusal(e).formatted) for e in result.errors or []]
                        for member in self.members:
                            member.finish(_Final(Outcome.COMPLETED, errors=errors))
                        return
                    first = False
                    # Once for every member: they differ only by their subscription's id.
                    encoded = orjson.dumps(payload(result)).decode()
                    cursor = self.context.stream.last
                    await self._hand_out(encoded, cursor, limits)
                    if not self.members:
                        return  # the last one was closed, or left for a run of its own
                for member in self.members:
                    member.finish(_Final(Outcome.COMPLETED))
            finally:
                await source.aclose()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            for member in self.members:
                member.finish(_Final(Outcome.COMPLETED, failure=error))
        finally:
            self._unlist()

    async def _hand_out(self, encoded: str, cursor: int | None, limits: LiveLimits) -> None:
        if len(self.members) == 1:
            member = self.members[0]
            if not await member.put(encoded, limits.slow_consumer_seconds):
                self.members.remove(member)
                member.run = None
                member.finish(
                    _Final(Outcome.SLOW_CONSUMER, errors=[slow_consumer_error(limits)]),
                    drop=True,
                )
                return
            member.cursor = cursor
            return
        for member in list(self.members):
            if member.offer(encoded):
                member.cursor = cursor
                continue
            # Behind the others: on a run of its own from its cursor, which waits for it.
            self.members.remove(member)
            assert member.cursor is not None  # set when it joined (`_idle`)
            resumed = self.live.context(self.context.principal)
            resumed.stream.resume = member.cursor
            _Run(self.live, self.key, self.params, resumed, member)


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
        # Runs of `changes` waiting for the next change, by operation and cursor: the ones a run
        # that comes to wait at the same cursor joins.
        self._waiting: dict[_Key, dict[int, _Run]] = {}

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
        send: Callable[[str], Awaitable[None]],
        refuse: Refuse,
    ) -> Outcome:
        """Run one subscription: each result (a JSON object, encoded) to `send`; errors before it
        starts, and the reason it was closed when the client read too slowly (`SLOW_CONSUMER`),
        to `refuse`."""
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
        # The role decides what a result shows (`actor` to admins only): never shared across.
        key: _Key = (
            query,
            operation_name if isinstance(operation_name, str) else None,
            orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            context.principal.role.value,
        )
        member = _Member(self.limits.queue_size)
        _Run(self, key, params, context, member)
        try:
            return await member.deliver(send, refuse)
        finally:
            run = member.run
            if run is not None:
                run.leave(member)
                if not run.members:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await run.task

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
