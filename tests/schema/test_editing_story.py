"""Issue 9's story end to end, over HTTP with signed tokens on a real PostgreSQL: an editor
creates a recognition, patches its date, adds a citation and ends it; a reader sees each state;
an admin sees who did it in the history (a reader does not); and `asRecordedAt` between the
steps answers with each earlier state, on the compiled path and on the resolvers alike."""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.database import create_engine
from api.database_url import to_asyncpg_dsn
from api.settings import Settings
from schema.http import EXECUTOR_HEADER
from tests.schema.mutation_client import (
    ADMIN,
    AUDIENCE,
    BASE,
    EDITOR,
    ISSUER,
    READER,
    SECRET,
    load,
    ok,
)

KEY = "RUS>AFG:islamic-emirate#1"
CREATE = """
mutation($input: [RecognitionInput!]!) {
  upsertRecognitions(input: $input) { recognitions { key } changeId }
}
"""
PATCH = """
mutation($key: String!, $patch: RecognitionPatch!, $ifVersion: Version) {
  updateRecognition(key: $key, patch: $patch, ifVersion: $ifVersion) { version changeId }
}
"""
END = """
mutation($key: String!, $date: String!, $reason: String) {
  endRecognition(key: $key, date: $date, reason: $reason) { recognition { key } changeId }
}
"""
FACT = "key from { iso } to { iso } endReason sources { key }"
READ = f"""
query($key: String!, $at: DateTime) {{
  recognition(key: $key, asRecordedAt: $at) {{ {FACT} }}
}}
"""
HISTORY = """
query($key: String!) {
  recognition(key: $key) {
    history { totalCount nodes { action origin actor changes { field before after } } }
  }
}
"""
VERSION = """
query($key: String!, $at: DateTime) { recognition(key: $key, asRecordedAt: $at) { version } }
"""
RESOLVERS = {EXECUTOR_HEADER: "resolver"}


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    await load(database_url, BASE)
    engine = create_engine(database_url, application_name="credence-tests", read_only=True)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        jwt_secret=SECRET,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        # Debug mode obeys X-Credence-Executor, so both read paths answer the same questions.
        debug=True,
    )
    try:
        app = create_app(settings, database_url=database_url, engine=engine)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        await engine.dispose()


async def _now(database_url: str) -> str:
    """An instant after everything committed so far, from the database's own clock."""
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        instant: datetime = await connection.fetchval("SELECT clock_timestamp()")
    finally:
        await connection.close()
    return instant.isoformat()


async def _read(client: httpx.AsyncClient, headers: dict[str, str], at: str | None = None) -> Any:
    """The recognition as a reader sees it, asked on both paths: they must agree."""
    compiled = await client.post(
        "/graphql", json={"query": READ, "variables": {"key": KEY, "at": at}}, headers=headers
    )
    resolved = await client.post(
        "/graphql",
        json={"query": READ, "variables": {"key": KEY, "at": at}},
        headers={**headers, **RESOLVERS},
    )
    assert compiled.status_code == resolved.status_code == 200, compiled.text
    assert compiled.headers.get(EXECUTOR_HEADER) == "compiled"
    assert compiled.json() == resolved.json()
    assert "errors" not in compiled.json(), compiled.json()
    fact = compiled.json()["data"]["recognition"]
    # `version` is the resolvers' (the compiled path hands such a query over whole).
    versioned = await client.post(
        "/graphql", json={"query": VERSION, "variables": {"key": KEY, "at": at}}, headers=headers
    )
    found = versioned.json()["data"]["recognition"]
    assert (found is None) == (fact is None)
    return fact if fact is None else {**fact, **found}


async def test_an_editors_changes_are_seen_step_by_step_and_as_they_were_recorded(
    client: httpx.AsyncClient, database_url: str
) -> None:
    before_anything = await _now(database_url)
    states: list[tuple[str, Any]] = []

    await ok(
        client,
        CREATE,
        EDITOR,
        input=[
            {
                "recognizer": "RUS",
                "subject": "AFG:islamic-emirate",
                "from": "2025-07-03",
                "sources": [{"source": "S1", "quote": "we have officially recognized"}],
            }
        ],
    )
    created = await _read(client, READER)
    assert created["from"] == {"iso": "2025-07-03"} and created["to"] is None
    assert created["sources"] == [{"key": "S1"}]
    states.append((await _now(database_url), created))

    # The date corrected, with the version the editor read: the fact moves to a new version.
    patched = await ok(
        client, PATCH, EDITOR, key=KEY, patch={"from": "2025-07"}, ifVersion=created["version"]
    )
    after_patch = await _read(client, READER)
    assert after_patch["from"] == {"iso": "2025-07"}
    assert after_patch["version"] == patched["updateRecognition"]["version"]
    assert int(after_patch["version"]) > int(created["version"])
    states.append((await _now(database_url), after_patch))

    await ok(client, PATCH, EDITOR, key=KEY, patch={"addSources": [{"source": "S2"}]})
    cited = await _read(client, READER)
    assert sorted(s["key"] for s in cited["sources"]) == ["S1", "S2"]
    assert cited["from"] == {"iso": "2025-07"}
    states.append((await _now(database_url), cited))

    await ok(client, END, EDITOR, key=KEY, date="2026-03", reason="withdrawn")
    ended = await _read(client, READER)
    assert ended["to"] == {"iso": "2026-03"}
    assert ended["endReason"] == "WITHDRAWN"
    assert sorted(s["key"] for s in ended["sources"]) == ["S1", "S2"]
    states.append((await _now(database_url), ended))

    # Transaction time: each instant between the steps gives back the state it had then, and
    # before the first step there was nothing.
    assert await _read(client, READER, before_anything) is None
    for instant, state in states:
        assert await _read(client, READER, instant) == state

    # The history: the admin sees who did each step, the reader does not.
    seen_by_admin = (await ok(client, HISTORY, ADMIN, key=KEY))["recognition"]["history"]
    seen_by_reader = (await ok(client, HISTORY, READER, key=KEY))["recognition"]["history"]
    assert seen_by_admin["totalCount"] == seen_by_reader["totalCount"] == 4
    entries = seen_by_admin["nodes"]
    assert [e["action"] for e in entries] == ["UPDATE", "UPDATE", "UPDATE", "INSERT"]
    assert {e["actor"] for e in entries} == {"erin"}
    assert {e["origin"] for e in entries} == {"mutation"}
    assert {e["actor"] for e in seen_by_reader["nodes"]} == {None}
    fields = [{change["field"] for change in entry["changes"]} for entry in entries]
    assert "sources" in fields[1]
    assert "from_date" in fields[2] or "from_precision" in fields[2]
