"""GraphQL subscriptions over WebSocket, as the graphql-transport-ws protocol has them.

The protocol of the `graphql-ws` client library: `connection_init` (its payload may carry a
token), `connection_ack`, `subscribe` / `next` / `error` / `complete`, `ping` / `pong`. The legacy
`graphql-ws` subprotocol (subscriptions-transport-ws) is not spoken. Close codes are the
protocol's (4400 bad message, 4401 subscribe before ack, 4408 no init in time, 4409 id in use,
4429 second init), plus 1001 when the server shuts down and 1013 when the process holds its
maximum of connections.
"""

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected

from api.auth import AuthenticationError, KeySetUnavailable
from api.roles import ANONYMOUS, Principal
from schema.http_auth import KEYS_UNAVAILABLE_MESSAGE
from schema.live import (
    TOO_MANY_SUBSCRIPTIONS_CODE,
    Live,
    Outcome,
    error_payload,
)

logger = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013


class _Closed(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class _Connection:
    def __init__(self, live: Live, websocket: WebSocket) -> None:
        self.live = live
        self.websocket = websocket
        self.principal: Principal = ANONYMOUS
        self.acknowledged = False
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._sending = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        await self.send_text(orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        # One frame at a time: the tasks of several subscriptions share the socket.
        async with self._sending:
            await self.websocket.send_text(text)

    async def serve(self) -> None:
        limits = self.live.limits
        receiving = asyncio.create_task(self._receive())
        closing = asyncio.create_task(self.live.closing.wait())
        pinging = asyncio.create_task(self._keepalive())
        try:
            deadline = asyncio.get_running_loop().time() + limits.init_timeout_seconds
            while not self.acknowledged and not receiving.done() and not closing.done():
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError
                await asyncio.wait({receiving, closing}, timeout=0.05)
            await asyncio.wait({receiving, closing}, return_when=asyncio.FIRST_COMPLETED)
            if closing.done():
                raise _Closed(GOING_AWAY, "The server is shutting down")
            receiving.result()
        except TimeoutError:
            await self._close(4408, "Connection initialisation timeout")
        except _Closed as closed:
            await self._close(closed.code, closed.reason)
        except WebSocketDisconnect:
            pass
        finally:
            for task in (receiving, closing, pinging, *self.operations.values()):
                task.cancel()
            for task in (receiving, closing, pinging, *self.operations.values()):
                with contextlib.suppress(BaseException):
                    await task

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1.0):
                await self.websocket.close(code, reason)

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(self.live.limits.keepalive_seconds)
            if self.acknowledged:
                await self.send({"type": "ping"})

    async def _receive(self) -> None:
        while True:
            text = await self.websocket.receive_text()
            try:
                message = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise _Closed(4400, "Invalid message: not JSON") from None
            if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                raise _Closed(4400, "Invalid message: an object with a `type` is expected")
            await self._handle(message)

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            if self.acknowledged:
                raise _Closed(4429, "Too many initialisation requests")
            self.principal = await self._authenticate(message.get("payload"))
            self.acknowledged = True
            await self.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.operations.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            raise _Closed(4400, f"Invalid message type {kind!r}")

    async def _authenticate(self, payload: Any) -> Principal:
        """The principal of the token in `connection_init`'s payload (`Authorization` as in
        HTTP, or `token`), else of the handshake's `Authorization` header; refused with 4403."""
        authenticator = self.live.authenticator
        if authenticator is None:
            return ANONYMOUS
        given = payload if isinstance(payload, dict) else {}
        authorization = given.get("Authorization") or given.get("authorization")
        if authorization is None and isinstance(given.get("token"), str):
            authorization = f"Bearer {given['token']}"
        if authorization is None:
            authorization = self.websocket.headers.get("authorization")
        if authorization is not None and not isinstance(authorization, str):
            raise _Closed(4400, "Invalid message: `Authorization` must be a string")
        if authorization is None and authenticator.config.anonymous_read:
            return ANONYMOUS
        try:
            return await authenticator.authenticate(authorization)
        except AuthenticationError as error:
            logger.info("WebSocket connection refused (4403): %s", error.reason)
            # A close reason holds at most 123 bytes.
            reason = f"Forbidden: {error.reason}".encode()[:123].decode(errors="ignore")
            raise _Closed(4403, reason) from None
        except KeySetUnavailable:
            raise _Closed(TRY_AGAIN_LATER, KEYS_UNAVAILABLE_MESSAGE[:123]) from None

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if not self.acknowledged:
            raise _Closed(4401, "Unauthorized")
        id_, params = message.get("id"), message.get("payload")
        if not isinstance(id_, str) or not id_ or not isinstance(params, dict):
            raise _Closed(4400, "Invalid message: subscribe needs an `id` and a `payload`")
        if id_ in self.operations:
            raise _Closed(4409, f"Subscriber for {id_} already exists")
        limit = self.live.limits.subscriptions_per_connection
        if len(self.operations) >= limit:
            await self.send(
                {
                    "type": "error",
                    "id": id_,
                    "payload": [
                        error_payload(
                            f"At most {limit} subscriptions per connection.",
                            TOO_MANY_SUBSCRIPTIONS_CODE,
                        )
                    ],
                }
            )
            return
        self.operations[id_] = asyncio.create_task(self._operation(id_, params))

    async def _operation(self, id_: str, params: dict[str, Any]) -> None:
        refused = False

        # A result comes encoded, the same for every subscription of its operation: only the
        # id is this one's.
        head = '{"id":' + orjson.dumps(id_).decode() + ',"type":"next","payload":'

        async def send(result: str) -> None:
            await self.send_text(head + result + "}")

        async def refuse(errors: list[dict[str, Any]]) -> None:
            nonlocal refused
            refused = True
            await self.send({"type": "error", "id": id_, "payload": errors})

        try:
            context = self.live.context(self.principal)
            outcome = await self.live.stream(params, context, send, refuse)
            if outcome is Outcome.SLOW_CONSUMER:
                logger.info("Subscription %s closed: slow consumer", id_)
            elif not refused:
                await self.send({"type": "complete", "id": id_})
        except (WebSocketDisconnect, WebSocketDisconnected):
            pass  # the client went away (or the connection is closing): nothing to tell it
        except Exception:
            logger.exception("Subscription %s failed", id_)
        finally:
            self.operations.pop(id_, None)


async def websocket_endpoint(live: Live, websocket: WebSocket) -> None:
    if PROTOCOL not in websocket.scope.get("subprotocols", []):
        # Before the handshake completes: the client learns with an HTTP 403.
        await websocket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
        return
    if not live.admit():
        await websocket.accept(subprotocol=PROTOCOL)
        reason = (
            "The server is shutting down"
            if live.closing.is_set()
            else f"The server holds its maximum of {live.limits.connections} live connections"
        )
        await websocket.close(GOING_AWAY if live.closing.is_set() else TRY_AGAIN_LATER, reason)
        return
    try:
        await websocket.accept(subprotocol=PROTOCOL)
        await _Connection(live, websocket).serve()
    finally:
        live.release()
