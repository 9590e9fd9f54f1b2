"""Mutations over HTTP: create, patch, cite, end and delete facts by natural key, all or nothing,
with optimistic concurrency."""

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from schema.compiled.executor import CompiledReads
from schema.http import EXECUTOR_HEADER
from schema.root import schema
from tests.schema.mutation_client import (
    ADMIN,
    EDITOR,
    change_log_size,
    mutation_client,
    ok,
    only_error,
    post,
)


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with mutation_client(database_url) as client:
        yield client


VERSION = "Version"
UPSERT = """
mutation($input: [RecognitionInput!]!) {
  upsertRecognitions(input: $input) {
    recognitions { key from { iso } to { iso } endReason recognizer { iso3 }
                   sources { key } citations { quote source { key } } }
    versions
    changeId
  }
}
"""
UPDATE = """
mutation($key: String!, $patch: RecognitionPatch!, $ifVersion: VERSION) {
  updateRecognition(key: $key, patch: $patch, ifVersion: $ifVersion) {
    recognition { key from { iso } to { iso } notes mode sources { key } }
    version
    changeId
  }
}
""".replace("VERSION", VERSION)
END = """
mutation($key: String!, $date: String!, $reason: String, $ifVersion: VERSION) {
  endRecognition(key: $key, date: $date, reason: $reason, ifVersion: $ifVersion) {
    recognition { key to { iso precision } endReason }
    changeId
  }
}
""".replace("VERSION", VERSION)
DELETE = f"""
mutation($key: String!, $ifVersion: {VERSION}) {{
  deleteRecognition(key: $key, ifVersion: $ifVersion) {{ key changeId }}
}}
"""


def read(key: str) -> str:
    # Built, not a constant: the compiled path's differential tests harvest constant queries.
    return f'{{ recognition(key: "{key}") {{ key from {{ iso }} to {{ iso }} notes }} }}'


RUS_EMIRATE = {
    "recognizer": "RUS",
    "subject": "AFG:islamic-emirate",
    "from": "2025-07-03",
    "mode": "express",
    "sources": [{"source": "S1", "quote": "we have officially recognized"}],
}


async def test_an_editor_creates_patches_cites_ends_and_an_admin_deletes(
    client: httpx.AsyncClient, database_url: str
) -> None:
    created = (await ok(client, UPSERT, EDITOR, input=[RUS_EMIRATE]))["upsertRecognitions"]
    [recognition] = created["recognitions"]
    assert recognition["key"] == "RUS>AFG:islamic-emirate#1"
    assert recognition["from"]["iso"] == "2025-07-03"
    assert recognition["recognizer"]["iso3"] == "RUS"
    assert recognition["citations"] == [
        {"quote": "we have officially recognized", "source": {"key": "S1"}}
    ]
    assert int(created["changeId"]) > 0

    # A patch: `from` changes, `notes` is set, everything else (mode, citations) is kept.
    patched = (
        await ok(
            client,
            UPDATE,
            EDITOR,
            key="RUS>AFG:islamic-emirate#1",
            patch={"from": "2025-07", "notes": "date per TASS"},
        )
    )["updateRecognition"]
    assert patched["recognition"] == {
        "key": "RUS>AFG:islamic-emirate#1",
        "from": {"iso": "2025-07"},
        "to": None,
        "notes": "date per TASS",
        "mode": "EXPRESS",
        "sources": [{"key": "S1"}],
    }
    assert int(patched["changeId"]) > int(created["changeId"])

    # A citation added without restating the fact, then one removed; an explicit null clears.
    cited = (
        await ok(
            client,
            UPDATE,
            EDITOR,
            key="RUS>AFG:islamic-emirate#1",
            patch={"addSources": [{"source": "S2"}], "notes": None},
        )
    )["updateRecognition"]["recognition"]
    assert cited["sources"] == [{"key": "S1"}, {"key": "S2"}]
    assert cited["notes"] is None
    uncited = (
        await ok(
            client,
            UPDATE,
            EDITOR,
            key="RUS>AFG:islamic-emirate#1",
            patch={"removeSources": ["S1"]},
        )
    )["updateRecognition"]["recognition"]
    assert uncited["sources"] == [{"key": "S2"}]
    assert uncited["from"] == {"iso": "2025-07"}

    ended = (
        await ok(
            client,
            END,
            EDITOR,
            key="RUS>AFG:islamic-emirate#1",
            date="2026-01",
            reason="withdrawn",
        )
    )["endRecognition"]
    assert ended["recognition"] == {
        "key": "RUS>AFG:islamic-emirate#1",
        "to": {"iso": "2026-01", "precision": "MONTH"},
        "endReason": "WITHDRAWN",
    }
    # A reader sees the ended state.
    seen = await ok(client, read("RUS>AFG:islamic-emirate#1"))
    assert seen["recognition"]["to"] == {"iso": "2026-01"}

    deleted = (await ok(client, DELETE, ADMIN, key="RUS>AFG:islamic-emirate#1"))[
        "deleteRecognition"
    ]
    assert deleted["key"] == "RUS>AFG:islamic-emirate#1"
    assert int(deleted["changeId"]) > int(ended["changeId"])
    assert (await ok(client, read("RUS>AFG:islamic-emirate#1")))["recognition"] is None


async def test_the_history_records_the_subject_and_origin_mutation(
    client: httpx.AsyncClient, database_url: str
) -> None:
    import asyncpg

    from api.database_url import to_asyncpg_dsn

    created = (await ok(client, UPSERT, EDITOR, input=[RUS_EMIRATE]))["upsertRecognitions"]
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT actor, origin, entity FROM change_log WHERE id = $1", int(created["changeId"])
        )
    finally:
        await connection.close()
    assert row is not None
    assert (row["actor"], row["origin"]) == ("erin", "mutation")


async def test_one_bad_item_among_many_writes_nothing(
    client: httpx.AsyncClient, database_url: str
) -> None:
    items = [
        {"recognizer": recognizer, "subject": "AFG", "from": "1990", "sources": [{"source": "S1"}]}
        for recognizer in ("RUS", "PAK", "CHN", "USA")
    ]
    items[2]["from"] = "1997-13"
    before = await change_log_size(database_url)
    error = await only_error(client, UPSERT, EDITOR, input=items)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["path"] == "input[2].from"
    assert error["message"].startswith('input[2].from: "1997-13" is not a date')
    assert await change_log_size(database_url) == before
    found = await ok(client, "{ recognitions { totalCount } }")
    assert found["recognitions"]["totalCount"] == 0


async def test_every_bad_item_is_listed(client: httpx.AsyncClient) -> None:
    items = [
        {"recognizer": "RUS", "subject": "AFG", "from": "199x", "sources": [{"source": "S1"}]},
        {"recognizer": "PAK", "subject": "AFG", "from": "1990", "sources": [{"source": "S9"}]},
    ]
    error = await only_error(client, UPSERT, EDITOR, input=items)
    paths = [problem["path"] for problem in error["extensions"]["problems"]]
    assert paths == ["input[0].from", "input[1].sources"]
    assert error["extensions"]["problems"][1]["message"] == 'input[1].sources: "S9" unknown source'


async def test_more_than_a_thousand_items_are_refused_before_anything_runs(
    client: httpx.AsyncClient, database_url: str
) -> None:
    items = [{"key": f"S{n}x", "title": "t"} for n in range(1001)]
    query = "mutation($input: [SourceInput!]!) { upsertSources(input: $input) { changeId } }"
    before = await change_log_size(database_url)
    error = await only_error(client, query, EDITOR, input=items)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "path": "input"}
    assert error["message"] == "input: holds 1,001 items; a call takes at most 1,000"
    assert await change_log_size(database_url) == before
    # A thousand is fine.
    done = await ok(client, query, EDITOR, input=items[:1000])
    assert done["upsertSources"]["changeId"] is not None


async def test_a_stale_if_version_is_a_conflict_and_writes_nothing(
    client: httpx.AsyncClient, database_url: str
) -> None:
    created = (await ok(client, UPSERT, EDITOR, input=[RUS_EMIRATE]))["upsertRecognitions"]
    [version] = created["versions"]
    key = "RUS>AFG:islamic-emirate#1"
    # Someone else changes it: the version read before is now stale.
    now = (await ok(client, UPDATE, EDITOR, key=key, patch={"notes": "first"}, ifVersion=version))[
        "updateRecognition"
    ]["version"]
    before = await change_log_size(database_url)
    for query, variables, headers in (
        (UPDATE, {"patch": {"notes": "second"}}, EDITOR),
        (END, {"date": "2026"}, EDITOR),
        (DELETE, {}, ADMIN),
    ):
        error = await only_error(client, query, headers, key=key, ifVersion=version, **variables)
        assert error["extensions"]["code"] == "CONFLICT"
        assert error["extensions"]["path"] == "ifVersion"
        assert int(error["extensions"]["currentVersion"]) == int(now)
    assert await change_log_size(database_url) == before
    assert (await ok(client, read(key)))["recognition"]["notes"] == "first"
    # The current version goes through.
    await ok(client, DELETE, ADMIN, key=key, ifVersion=now)


async def test_database_refusals_name_the_rule_and_the_conflicting_key(
    client: httpx.AsyncClient,
) -> None:
    await ok(client, UPSERT, EDITOR, input=[{**RUS_EMIRATE, "from": "2020", "to": "2022"}])
    overlapping = {**RUS_EMIRATE, "episode": 2, "from": "2021"}
    error = await only_error(client, UPSERT, EDITOR, input=[overlapping])
    assert error["extensions"]["path"] == "input[0].from"
    assert error["extensions"]["rule"] == "ex_recognition_overlap"
    assert "overlaps episode RUS>AFG:islamic-emirate#1" in error["message"]

    # A state others refer to cannot be deleted: the rule and a referring fact are named.
    error = await only_error(client, 'mutation { deleteState(iso3: "RUS") { key } }', ADMIN)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["rule"] == "fk_recognition_recognizer_id_state"
    assert "RUS>AFG:islamic-emirate#1" in error["message"]

    # An end before the start.
    error = await only_error(client, END, EDITOR, key="RUS>AFG:islamic-emirate#1", date="2019")
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "path": "date",
        "rule": "ck_recognition_end_not_before_start",
    }
    assert error["message"] == 'date: "2019" is before the start (2020)'


async def test_unknown_keys_and_a_government_without_an_open_period(
    client: httpx.AsyncClient,
) -> None:
    error = await only_error(client, UPDATE, EDITOR, key="RUS>AFG#9", patch={"notes": "x"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "path": "key"}
    end_government = """mutation($key: String!, $date: String!) {
      endGovernment(key: $key, date: $date) { government { key } changeId } }"""
    ended = await ok(client, end_government, EDITOR, key="AFG:islamic-emirate", date="2030")
    assert ended["endGovernment"]["changeId"] is not None
    error = await only_error(client, end_government, EDITOR, key="AFG:islamic-emirate", date="2031")
    assert error["message"] == 'key: "AFG:islamic-emirate" has no open period in power to end'


async def test_without_a_token_or_with_a_reader_role_nothing_is_written(
    client: httpx.AsyncClient, database_url: str
) -> None:
    before = await change_log_size(database_url)
    anonymous = await only_error(client, UPSERT, None, input=[RUS_EMIRATE])
    assert anonymous["extensions"]["code"] == "UNAUTHENTICATED"
    editor_deletes = await only_error(client, DELETE, EDITOR, key="RUS>AFG:islamic-emirate#1")
    assert editor_deletes["extensions"]["code"] == "FORBIDDEN"
    assert await change_log_size(database_url) == before


async def test_a_mutation_is_served_by_the_resolvers_never_the_compiled_reads(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": 'mutation { updateSource(key: "S1", patch: {url: "https://x.test"}) '
            "{ source { key url } } }"
        },
        headers=EDITOR,
    )
    assert response.json() == {
        "data": {"updateSource": {"source": {"key": "S1", "url": "https://x.test"}}}
    }
    assert EXECUTOR_HEADER.lower() not in {name.lower() for name in response.headers}
    # The planner declines any operation that is not a query, before planning anything.
    declined = CompiledReads(schema).plan('mutation { deleteSource(key: "S1") { key } }', {}, None)
    assert declined == "mutation"


async def test_a_mutation_over_get_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": 'mutation { deleteSource(key: "S1") { key } }'}
    )
    assert response.status_code == 405
    body = await post(client, '{ source(key: "S1") { key } }')
    assert body["data"]["source"] == {"key": "S1"}


async def test_a_key_twice_in_one_call_names_the_first_item(client: httpx.AsyncClient) -> None:
    error = await only_error(client, UPSERT, EDITOR, input=[RUS_EMIRATE, RUS_EMIRATE])
    assert error["extensions"]["path"] == "input[1].key"
    assert error["message"] == (
        'input[1].key: "RUS>AFG:islamic-emirate#1" is also the key of input[0]'
    )


async def test_a_callers_mistake_logs_one_line_without_a_traceback(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        error = await only_error(client, UPSERT, EDITOR, input=[{**RUS_EMIRATE, "from": "x"}])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    refused = [record.getMessage() for record in caplog.records if "refused" in record.getMessage()]
    assert len(refused) == 1 and "input[0].from" in refused[0]
