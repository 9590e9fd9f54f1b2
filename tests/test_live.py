"""Subscriptions over a real server and real clients: what a frontend watching changes sees."""

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from api.auth import AuthConfig, mint_token
from api.database_url import to_asyncpg_dsn
from api.history import decode_cursor, encode_cursor
from api.importer import import_files
from api.roles import Role
from api.settings import Settings
from tests.live_clients import CHANGES, SseClient, StalledWsClient, WsClient, serving
from tests.live_server import live_server

STATES = """iso3,iso2,numeric,name,official_name,kind
AFG,AF,004,Afghanistan,,current
PAK,PK,586,Pakistan,,current
RUS,RU,643,Russian Federation,,current
"""


async def _sql(database_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _newest(database_url: str) -> str:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        newest: int = await connection.fetchval("SELECT coalesce(max(id), 0) FROM change_log")
        return encode_cursor(newest)
    finally:
        await connection.close()


async def _import_states(database_url: str, folder: Path) -> None:
    path = folder / "states.csv"
    path.write_text(STATES, encoding="utf-8")
    summary = await import_files([path], database_url=database_url)
    assert not summary.errors


async def test_websocket_and_sse_clients_receive_an_import_and_a_sql_change(
    database_url: str, tmp_path: Path
) -> None:
    async with serving(database_url) as base:
        after = {"after": await _newest(database_url)}
        async with WsClient.open(base) as ws, SseClient.open(base, variables=after) as sse:
            await ws.subscribe("1", variables=after)
            await _import_states(database_url, tmp_path)
            await _sql(database_url, "UPDATE state SET name = 'Islamic Emirate' WHERE iso3 = 'AFG'")
            for got in (await ws.events("1", 4), await sse.events(4)):
                events = [data["changes"] for data in got]
                assert [(e["change"]["action"], e["change"]["key"]) for e in events] == [
                    ("INSERT", "AFG"),
                    ("INSERT", "PAK"),
                    ("INSERT", "RUS"),
                    ("UPDATE", "AFG"),
                ]
                assert events[0]["node"]["iso3"] == "AFG"
                assert events[3]["change"]["changes"] == [
                    {"field": "name", "before": "Afghanistan", "after": "Islamic Emirate"}
                ]
                assert events[3]["node"]["name"] == "Islamic Emirate"
                cursors = [decode_cursor(e["cursor"]) for e in events]
                assert cursors == sorted(cursors)


async def test_without_after_the_stream_starts_at_the_present(
    database_url: str, tmp_path: Path
) -> None:
    await _import_states(database_url, tmp_path)
    async with serving(database_url) as base, WsClient.open(base) as ws:
        await ws.subscribe("now", variables={"entity": "STATE"})
        # The subscription reads its starting point as it starts; a change made before it
        # has must not count, so give it that moment (this is ordering, not a timing check).
        await asyncio.sleep(1.0)
        await _sql(database_url, "UPDATE state SET name = 'Pakistan (new)' WHERE iso3 = 'PAK'")
        [event] = await ws.events("now", 1)
        assert event["changes"]["change"]["key"] == "PAK"
        assert event["changes"]["node"]["name"] == "Pakistan (new)"


async def test_a_client_that_reconnects_with_its_cursor_gets_all_100_missed_changes(
    database_url: str, tmp_path: Path
) -> None:
    await _import_states(database_url, tmp_path)
    async with serving(database_url) as base:
        async with WsClient.open(base) as ws:
            await ws.subscribe("1", variables={"after": encode_cursor(0)})
            seen = await ws.events("1", 3)
        cursor = seen[-1]["changes"]["cursor"]
        # Disconnected: 100 changes in 100 transactions.
        await _sql(
            database_url,
            *(f"UPDATE state SET name = 'Name {n}' WHERE iso3 = 'RUS'" for n in range(100)),
        )
        async with WsClient.open(base) as ws:
            await ws.subscribe("again", variables={"after": cursor})
            events = [d["changes"] for d in await ws.events("again", 100)]
            # Nothing more is queued: the next thing the stream sends is the next change.
            await _sql(database_url, "UPDATE state SET name = 'Last' WHERE iso3 = 'AFG'")
            [last] = await ws.events("again", 1)
    cursors = [decode_cursor(e["cursor"]) for e in events]
    assert cursors == sorted(set(cursors)) and len(cursors) == 100
    assert cursors[0] > decode_cursor(cursor)
    assert [e["node"]["name"] for e in events] == ["Name 99"] * 100  # the node as it is now
    assert (
        last["changes"]["change"]["key"] == "AFG"
        and decode_cursor(last["changes"]["cursor"]) > cursors[-1]
    )


async def test_a_transaction_that_commits_after_a_later_one_is_not_lost(
    database_url: str, tmp_path: Path
) -> None:
    """Transaction A takes the lower change id but commits last: the stream waits for it and
    delivers A then B, each once."""
    await _import_states(database_url, tmp_path)
    start = await _newest(database_url)
    slow = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        async with serving(database_url) as base, WsClient.open(base) as ws:
            await ws.subscribe("1", variables={"after": start})
            transaction = slow.transaction()
            await transaction.start()
            await slow.execute("UPDATE state SET name = 'First id' WHERE iso3 = 'AFG'")
            await _sql(database_url, "UPDATE state SET name = 'Second id' WHERE iso3 = 'PAK'")
            # B is committed, but its id is above A's, which may still come: nothing yet.
            with pytest.raises(TimeoutError):
                await ws.receive(within=1.5)
            await transaction.commit()
            events = [d["changes"] for d in await ws.events("1", 2)]
    finally:
        await slow.close()
    assert [e["change"]["key"] for e in events] == ["AFG", "PAK"]
    assert decode_cursor(events[0]["cursor"]) < decode_cursor(events[1]["cursor"])


async def test_a_rolled_back_change_holds_the_stream_only_until_it_ends(
    database_url: str, tmp_path: Path
) -> None:
    await _import_states(database_url, tmp_path)
    start = await _newest(database_url)
    slow = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        async with (
            serving(database_url, live_check_interval=0.2) as base,
            WsClient.open(base) as ws,
        ):
            await ws.subscribe("1", variables={"after": start})
            transaction = slow.transaction()
            await transaction.start()
            await slow.execute("UPDATE state SET name = 'Never' WHERE iso3 = 'AFG'")
            await _sql(database_url, "UPDATE state SET name = 'Kept' WHERE iso3 = 'PAK'")
            await transaction.rollback()
            [event] = await ws.events("1", 1)
    finally:
        await slow.close()
    assert event["changes"]["change"]["key"] == "PAK"


async def test_recognitions_of_sends_the_list_again_only_when_it_changed(
    database_url: str, tmp_path: Path
) -> None:
    from tests.api.test_import import BASE, RECOGNITIONS, write_files

    await import_files(
        write_files(tmp_path, {**BASE, "recognitions.csv": RECOGNITIONS}), database_url=database_url
    )
    query = 'subscription { recognitionsOf(subject: "AFG:islamic-emirate") { key to { iso } } }'
    async with serving(database_url) as base, WsClient.open(base) as ws:
        await ws.subscribe("w", query)
        [first] = await ws.events("w", 1)
        assert len(first["recognitionsOf"]) == 2
        # A change elsewhere: the list is the same, nothing is sent.
        await _sql(database_url, "UPDATE state SET name = 'Saudi' WHERE iso3 = 'SAU'")
        with pytest.raises(TimeoutError):
            await ws.receive(within=1.5)
        await _sql(
            database_url,
            "UPDATE recognition SET to_date = '2026-01-01', to_precision = 'day' "
            "WHERE to_date IS NULL",
        )
        [second] = await ws.events("w", 1)
    ends = sorted(str(r["to"]["iso"] if r["to"] else None) for r in second["recognitionsOf"])
    assert ends == ["2001-11-19", "2026-01-01"]


async def test_limits_per_connection_per_process_and_of_the_document(database_url: str) -> None:
    async with (
        serving(database_url, live_subscriptions_per_connection=2, live_connections=2) as base,
        WsClient.open(base) as ws,
    ):
        await ws.subscribe("a")
        await ws.subscribe("b")
        await ws.subscribe("c")
        refused = await ws.receive()
        assert refused["type"] == "error" and refused["id"] == "c"
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        # The same depth and alias limits as queries.
        too_deep = (
            'subscription { recognitionsOf(subject: "AFG") { '
            + "recognizer { recognitionsGiven { nodes { " * 4
            + "key"
            + " } } }" * 4
            + " } }"
        )
        aliases = " ".join(f"a{n}: key" for n in range(40))
        too_many_aliases = f'subscription {{ recognitionsOf(subject: "AFG") {{ {aliases} }} }}'
        await ws.send({"type": "complete", "id": "a"})
        for id_, document in (("d", too_deep), ("e", too_many_aliases)):
            await ws.subscribe(id_, document)
            error = await ws.receive()
            assert error["type"] == "error" and error["id"] == id_, error
            assert error["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        async with WsClient.open(base):
            # The process's second connection is its last.
            url = base.replace("http://", "ws://") + "/graphql"
            from websockets.asyncio.client import connect

            async with connect(url, subprotocols=["graphql-transport-ws"]) as third:  # type: ignore[list-item]
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(third.recv(), 10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013


MANY_LARGE_CHANGES = (
    # 100 states, then 20 updates of each with a 290-character value read 12 times in each
    # event: 2,100 changes, ~7 MB of events, more than the socket buffers between a server and
    # a client hold.
    "INSERT INTO state (iso3, name) SELECT chr(65 + i / 676 % 26) || chr(65 + i / 26 % 26) "
    "|| chr(65 + i % 26), 'State ' || i FROM generate_series(0, 99) i",
    "DO $$ BEGIN FOR n IN 1..20 LOOP "
    "UPDATE state SET official_name = repeat(chr(65 + n % 26), 290) || n; END LOOP; END $$",
)


LARGE_EVENTS = (
    "subscription ($after: String) { changes(after: $after) { cursor node { ... on State { "
    + " ".join(f"n{i}: officialName" for i in range(12))
    + " } } } }"
)


async def test_a_consumer_that_never_reads_is_closed_while_another_keeps_up(
    database_url: str,
) -> None:
    settings = {"live_queue_size": 4, "live_slow_consumer_seconds": 1.0}
    async with serving(database_url, **settings) as base, WsClient.open(base) as fast:
        slow = await StalledWsClient.open(base)
        await fast.subscribe("fast", LARGE_EVENTS, {"after": encode_cursor(0)})
        await slow.subscribe("slow", LARGE_EVENTS, {"after": encode_cursor(0)})
        await _sql(database_url, *MANY_LARGE_CHANGES)
        got = [d["changes"] for d in await fast.events("fast", 2100)]
        assert [decode_cursor(e["cursor"]) for e in got] == sorted(
            {decode_cursor(e["cursor"]) for e in got}
        )
        # Now the slow client reads what reached it: part of the stream, then the reason.
        slow.read_freely()
        received: list[dict[str, Any]] = []
        while (message := await slow.receive(within=10))["type"] == "next":
            received.append(message["payload"]["data"]["changes"])
        assert message["type"] == "error" and message["id"] == "slow", message
        assert message["payload"][0]["extensions"]["code"] == "SLOW_CONSUMER"
        assert "after" in message["payload"][0]["message"]
        assert 0 < len(received) < 2100
        # The connection stays open; resuming from the last cursor gives exactly the rest.
        await slow.subscribe("resumed", LARGE_EVENTS, {"after": received[-1]["cursor"]})
        rest = []
        while len(rest) < 2100 - len(received):
            message = await slow.receive()
            assert message["type"] == "next" and message["id"] == "resumed", message
            rest.append(message["payload"]["data"]["changes"])
        slow.close()
    cursors = [decode_cursor(e["cursor"]) for e in received + rest]
    assert cursors == [decode_cursor(e["cursor"]) for e in got]


async def test_subscriptions_in_step_each_get_every_change_and_a_stalled_one_alone_is_closed(
    database_url: str,
) -> None:
    # The same operation from the present, three times: one execution serves them while they
    # keep up; the one that stops reading falls behind on its own and is closed.
    settings = {"live_queue_size": 4, "live_slow_consumer_seconds": 1.0}
    async with serving(database_url, **settings) as base, WsClient.open(base) as fast:
        slow = await StalledWsClient.open(base)
        for id_ in ("a", "b"):
            await fast.subscribe(id_, LARGE_EVENTS, {})
        await slow.subscribe("slow", LARGE_EVENTS, {})
        # Each reads its starting point as it starts (ordering, not a timing check).
        await asyncio.sleep(1.0)
        await _sql(database_url, *MANY_LARGE_CHANGES)
        got: dict[str, list[str]] = {"a": [], "b": []}
        while len(got["a"]) + len(got["b"]) < 2 * 2100:
            message = await fast.receive()
            assert message["type"] == "next" and "errors" not in message["payload"], message
            got[message["id"]].append(message["payload"]["data"]["changes"]["cursor"])
        cursors = [decode_cursor(c) for c in got["a"]]
        assert got["a"] == got["b"]
        assert cursors == sorted(set(cursors)) and len(cursors) == 2100
        slow.read_freely()
        received: list[str] = []
        while (message := await slow.receive(within=10))["type"] == "next":
            received.append(message["payload"]["data"]["changes"]["cursor"])
        assert message["type"] == "error" and message["id"] == "slow", message
        assert message["payload"][0]["extensions"]["code"] == "SLOW_CONSUMER"
        assert 0 < len(received) < 2100
        await slow.subscribe("resumed", LARGE_EVENTS, {"after": received[-1]})
        while len(received) < 2100:
            message = await slow.receive()
            assert message["type"] == "next" and message["id"] == "resumed", message
            received.append(message["payload"]["data"]["changes"]["cursor"])
        slow.close()
    assert received == got["a"]


async def test_sigterm_closes_streams_with_going_away_and_the_process_exits(
    database_url: str,
) -> None:
    with live_server(database_url) as (base, pid):
        async with WsClient.open(base) as ws, SseClient.open(base) as sse:
            await ws.subscribe("1")
            os.kill(pid, signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive(within=20)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1001
            assert closed.value.rcvd.reason == "The server is shutting down"
            assert await sse.event(within=20) is None  # the stream ended (no `complete`)
        assert psutil.Process(pid).wait(timeout=20) is not None


SECRET = "a-test-secret-of-at-least-32-bytes-long"


async def test_an_unauthorized_subscription_is_refused_before_anything_streams(
    database_url: str,
) -> None:
    settings = Settings(_env_file=None, jwt_secret=SECRET, anonymous_read=False)  # type: ignore[call-arg]
    token = mint_token(
        AuthConfig.from_settings(settings), role=Role.ADMIN, subject="ed", ttl_seconds=60
    )
    overrides = {"jwt_secret": SECRET, "anonymous_read": False}
    async with serving(database_url, **overrides) as base:
        url = base.replace("http://", "ws://") + "/graphql"
        for payload in ({}, {"Authorization": "Bearer not-a-token"}):
            async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
                assert closed.value.rcvd.reason.startswith("Forbidden: ")
        async with httpx.AsyncClient(base_url=base) as http:
            refused = await http.post(
                "/graphql",
                json={"query": CHANGES},
                headers={"accept": "text/event-stream"},
            )
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # With a token: the admin's stream shows who made each change.
        start = await _newest(database_url)
        query = "subscription ($after: String) { changes(after: $after) { change { actor } } }"
        async with WsClient.open(base, payload={"Authorization": f"Bearer {token}"}) as ws:
            await ws.subscribe("1", query, {"after": start})
            await _sql(
                database_url,
                "SET credence.actor = 'editor@example.org'",
                "INSERT INTO state (iso3, name) VALUES ('AAA', 'A')",
            )
            [event] = await ws.events("1", 1)
        async with SseClient.open(
            base, query, {"after": start}, headers={"authorization": f"Bearer {token}"}
        ) as sse:
            [streamed] = await sse.events(1)
    assert event["changes"]["change"]["actor"] == "editor@example.org"
    assert streamed == event


async def test_the_same_subscription_in_step_shows_the_actor_to_an_admin_only(
    database_url: str,
) -> None:
    settings = Settings(_env_file=None, jwt_secret=SECRET)  # type: ignore[call-arg]
    config = AuthConfig.from_settings(settings)
    admin = mint_token(config, role=Role.ADMIN, subject="ed", ttl_seconds=60)
    reader = mint_token(config, role=Role.READER, subject="rita", ttl_seconds=60)
    query = "subscription { changes { cursor change { actor } } }"
    async with (
        serving(database_url, jwt_secret=SECRET) as base,
        WsClient.open(base, payload={"Authorization": f"Bearer {admin}"}) as as_admin,
        WsClient.open(base, payload={"Authorization": f"Bearer {reader}"}) as as_reader,
    ):
        await as_admin.subscribe("admin", query)
        await as_reader.subscribe("reader", query)
        # Each reads its starting point as it starts (ordering, not a timing check).
        await asyncio.sleep(1.0)
        await _sql(
            database_url,
            "SET credence.actor = 'editor@example.org'",
            "INSERT INTO state (iso3, name) VALUES ('AAA', 'A')",
        )
        [seen] = await as_admin.events("admin", 1)
        [hidden] = await as_reader.events("reader", 1)
    assert seen["changes"]["cursor"] == hidden["changes"]["cursor"]
    assert seen["changes"]["change"]["actor"] == "editor@example.org"
    assert hidden["changes"]["change"]["actor"] is None
