"""Real clients of the live transports: graphql-transport-ws over `websockets`, graphql-sse over
httpx streaming, and a server on a free port running its lifespan (the change listener)."""

import asyncio
import gc
import json
import socket
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from api.app import create_app
from api.settings import Settings
from tests.live_server import free_port

CHANGES = """
subscription ($after: String, $entity: Entity, $key: String) {
  changes(after: $after, entity: $entity, key: $key) {
    cursor
    change { action entity key changes { field before after } }
    node { id ... on State { iso3 name officialName } }
  }
}
"""


@asynccontextmanager
async def serving(url: str, **overrides: Any) -> AsyncIterator[str]:
    """The app on a free port, in this event loop, with its lifespan; yields its base URL."""
    settings = Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, database_url=url), port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not task.done(), "the server did not start"
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


class WsClient:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    @asynccontextmanager
    async def open(
        cls, base: str, *, payload: dict[str, Any] | None = None, **options: Any
    ) -> AsyncIterator["WsClient"]:
        url = base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"], **options) as connection:  # type: ignore[list-item]
            client = cls(connection)
            await client.send({"type": "connection_init", "payload": payload or {}})
            ack = await client.receive()
            assert ack == {"type": "connection_ack"}, ack
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = 30) -> dict[str, Any]:
        """The next message that is not a keep-alive ping (which is answered)."""
        async with asyncio.timeout(within):
            while True:
                message: dict[str, Any] = json.loads(await self.connection.recv())
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                    continue
                return message

    async def subscribe(
        self, id_: str, query: str = CHANGES, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"type": "subscribe", "id": id_, "payload": payload})

    async def events(self, id_: str, count: int, within: float = 30) -> list[dict[str, Any]]:
        """The data of the next `count` results of subscription `id_`."""
        found: list[dict[str, Any]] = []
        while len(found) < count:
            message = await self.receive(within)
            assert message.get("id") == id_ and message["type"] == "next", message
            assert "errors" not in message["payload"], message
            found.append(message["payload"]["data"])
        return found


class SseClient:
    """One subscription over graphql-sse (distinct connections mode)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        base: str,
        query: str = CHANGES,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator["SseClient"]:
        async with (
            httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=None)) as http,
            http.stream(
                "POST",
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"accept": "text/event-stream", **(headers or {})},
            ) as response,
        ):
            yield cls(response)

    async def event(self, within: float = 30) -> tuple[str, Any] | None:
        """(name, data) of the next event; None when the stream ended."""
        name, data = None, None
        async with asyncio.timeout(within):
            async for line in self._lines:
                if line.startswith(":"):
                    continue
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: "):
                    text = line[len("data: ") :]
                    data = json.loads(text) if text else None
                elif line == "" and name is not None:
                    return name, data
        return None

    async def events(self, count: int, within: float = 30) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            got = await self.event(within)
            assert got is not None and got[0] == "next", got
            assert "errors" not in got[1], got
            found.append(got[1]["data"])
        return found


class StalledWsClient:
    """A graphql-transport-ws client that reads from its socket only when asked, and holds
    little: one that stops reading stalls the server's writes to it at once.

    The `websockets` client reads on its own in the background, which would hide a stall.
    """

    def __init__(self, sock: socket.socket, protocol: ClientProtocol) -> None:
        self.sock = sock
        self.protocol = protocol
        self._events: list[Any] = []

    @classmethod
    async def open(cls, base: str) -> "StalledWsClient":
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = base.removeprefix("http://").split(":")
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        uri = parse_uri(base.replace("http://", "ws://") + "/graphql")
        protocol = ClientProtocol(uri, subprotocols=[Subprotocol("graphql-transport-ws")])
        client = cls(sock, protocol)
        protocol.send_request(protocol.connect())
        await client._flush()
        await client._fill()  # the handshake's response
        client._events.clear()
        await client.send({"type": "connection_init", "payload": {}})
        assert await client.receive() == {"type": "connection_ack"}
        return client

    def read_freely(self) -> None:
        """From now on the socket may hold as much as the system allows."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)

    async def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                await asyncio.get_running_loop().sock_sendall(self.sock, data)

    async def _fill(self) -> None:
        data = await asyncio.get_running_loop().sock_recv(self.sock, 1 << 16)
        if not data:
            self.protocol.receive_eof()
        else:
            self.protocol.receive_data(data)
        self._events += self.protocol.events_received()
        await self._flush()  # pongs and close frames the protocol answers itself

    async def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        await self._flush()

    async def subscribe(self, id_: str, query: str, variables: dict[str, Any]) -> None:
        payload = {"query": query, "variables": variables}
        await self.send({"type": "subscribe", "id": id_, "payload": payload})

    async def receive(self, within: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                while not self._events:
                    await self._fill()
                frame = self._events.pop(0)
                if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                    message: dict[str, Any] = json.loads(frame.data)
                    if message["type"] == "ping":
                        await self.send({"type": "pong"})
                        continue
                    return message

    def close(self) -> None:
        self.sock.close()
