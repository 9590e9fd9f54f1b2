"""Who may do what, over HTTP with real signed tokens: every mutation of the schema times
{no token, reader, editor, admin, expired, wrong signature, wrong audience}.

Editors upsert, update and end; admins also delete; a reader or an anonymous caller gets a
coded error and a bad token a 401, and nothing is written in any refused case.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api.importer import ENTITIES
from api.mutations import ENDS
from schema.root import schema
from tests.schema.mutation_client import (
    ADMIN,
    EDITOR,
    READER,
    as_role,
    change_log_size,
    load,
    mutation_client,
)

# Facts every entity's mutations can work on (beside the client's base rows); `*-gone` rows
# are referred to by nothing, so they can be deleted.
EXTRA: dict[str, list[dict[str, Any]]] = {
    "sources": [{"key": "S-gone", "title": "Cited by nothing"}],
    "states": [{"iso3": "ATA", "name": "Antarctica"}],
    "cooperation_areas": [
        {"code": "energy", "label": "Energy"},
        {"code": "culture", "label": "Culture"},
    ],
    "persons": [
        {"key": "gul-hassan-hassan", "name": "Gul Hassan Hassan"},
        {"key": "person-gone", "name": "Nobody"},
    ],
    "governments": [{"key": "PAK:gone", "state": "PAK", "name": "Gone", "periods": ["1990/"]}],
    "recognitions": [{"recognizer": "PAK", "subject": "AFG", "from": "1997", "sources": ["S1"]}],
    "envoys": [
        {
            "person": "gul-hassan-hassan",
            "sender": "AFG",
            "receiver": "RUS",
            "appointed": "2025",
            "sources": ["S1"],
        }
    ],
    "sanctions": [
        {
            "key": "UNSC:1988",
            "authority": "UNSC",
            "target_kind": "state",
            "target": "AFG",
            "from": "2011",
            "sources": ["S1"],
        }
    ],
    "cooperations": [
        {"party": "RUS", "partner": "AFG", "area": "energy", "date": "2025", "sources": ["S1"]}
    ],
}


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: dict[str, Any]
    # Who may call it: "editor" or "admin".
    needs: str


def _names(entity: str) -> tuple[str, str]:
    singular = {
        "sources": "Source",
        "states": "State",
        "cooperation_areas": "CooperationArea",
        "persons": "Person",
        "governments": "Government",
        "recognitions": "Recognition",
        "envoys": "Envoy",
        "sanctions": "Sanction",
        "cooperations": "Cooperation",
    }[entity]
    plural = "".join(part.capitalize() for part in entity.split("_"))
    return singular, plural


# Per entity: (a new item, the key of a stored fact, a patch of it, an end date and reason,
# the key of a fact to delete).
WORK: dict[str, tuple[dict[str, Any], str, dict[str, Any], tuple[str, str | None], str]] = {
    "sources": ({"key": "S-new", "title": "New"}, "S2", {"publisher": "P"}, ("", None), "S-gone"),
    "states": (
        {"iso3": "ATF", "name": "French Southern Territories"},
        "USA",
        {"officialName": "United States of America"},
        ("", None),
        "ATA",
    ),
    "cooperation_areas": (
        {"code": "trade", "label": "Trade"},
        "energy",
        {"label": "Energy and power"},
        ("", None),
        "culture",
    ),
    "persons": (
        {"key": "andrey-rudenko", "name": "Andrey Rudenko"},
        "gul-hassan-hassan",
        {"aliases": ["Mawlawi Gul Hassan"]},
        ("", None),
        "person-gone",
    ),
    "governments": (
        {"key": "AFG:republic", "state": "AFG", "name": "Islamic Republic"},
        "AFG:islamic-emirate",
        {"shortName": "Taliban administration"},
        ("2030", None),
        "PAK:gone",
    ),
    "recognitions": (
        {"recognizer": "CHN", "subject": "AFG", "from": "2024", "sources": [{"source": "S1"}]},
        "PAK>AFG#1",
        {"addSources": [{"source": "S2"}]},
        ("2001-11", "lapsed"),
        "PAK>AFG#1",
    ),
    "envoys": (
        {
            "person": "gul-hassan-hassan",
            "sender": "AFG",
            "receiver": "CHN",
            "sources": [{"source": "S1"}],
        },
        "gul-hassan-hassan@AFG>RUS#1",
        {"rank": "ambassador"},
        ("2026", "recalled"),
        "gul-hassan-hassan@AFG>RUS#1",
    ),
    "sanctions": (
        {
            "key": "US:new",
            "authority": "US",
            "targetKind": "organization",
            "target": "Someone",
            "sources": [{"source": "S1"}],
        },
        "UNSC:1988",
        {"program": "1988"},
        ("2020", "lifted"),
        "UNSC:1988",
    ),
    "cooperations": (
        {"party": "CHN", "partner": "AFG", "area": "energy", "sources": [{"source": "S1"}]},
        "RUS-AFG:energy#1",
        {"stance": "agreement_signed"},
        ("", None),
        "RUS-AFG:energy#1",
    ),
}


def _cases() -> list[Case]:
    cases = []
    for spec in ENTITIES.values():
        singular, plural = _names(spec.name)
        key = {"iso3": "iso3", "code": "code"}.get(spec.key_column, "key")
        item, stored, patch, (date, reason), gone = WORK[spec.name]
        cases.append(
            Case(
                f"upsert{plural}",
                f"mutation($input: [{singular}Input!]!) "
                f"{{ upsert{plural}(input: $input) {{ changeId }} }}",
                {"input": [item]},
                "editor",
            )
        )
        cases.append(
            Case(
                f"update{singular}",
                f"mutation($key: String!, $patch: {singular}Patch!) "
                f"{{ update{singular}({key}: $key, patch: $patch) {{ changeId }} }}",
                {"key": stored, "patch": patch},
                "editor",
            )
        )
        if spec.name in ENDS:
            with_reason = ENDS[spec.name].reason is not None
            cases.append(
                Case(
                    f"end{singular}",
                    f"mutation($key: String!, $date: String!"
                    f"{', $reason: String' if with_reason else ''}) "
                    f"{{ end{singular}({key}: $key, date: $date"
                    f"{', reason: $reason' if with_reason else ''}) {{ changeId }} }}",
                    {"key": stored, "date": date, **({"reason": reason} if with_reason else {})},
                    "editor",
                )
            )
        cases.append(
            Case(
                f"delete{singular}",
                f"mutation($key: String!) {{ delete{singular}({key}: $key) {{ key changeId }} }}",
                {"key": gone},
                "admin",
            )
        )
    return cases


CASES = _cases()


def test_the_matrix_covers_every_mutation_of_the_schema() -> None:
    mutation_type = schema._schema.mutation_type
    assert mutation_type is not None
    declared = set(mutation_type.fields)
    assert declared == {case.name for case in CASES}
    assert len(declared) == 31


HOUR = 3600
# The callers refused whatever the mutation: (name, headers, HTTP status, code).
REFUSED: list[tuple[str, Callable[[], dict[str, str]], int, str]] = [
    ("no token", dict, 200, "UNAUTHENTICATED"),
    ("reader", lambda: READER, 200, "FORBIDDEN"),
    ("expired", lambda: as_role("admin", exp=int(time.time()) - HOUR), 401, "UNAUTHENTICATED"),
    (
        "wrong signature",
        lambda: as_role("admin", secret="another-secret-of-32-bytes-or-more!!"),
        401,
        "UNAUTHENTICATED",
    ),
    ("wrong audience", lambda: as_role("admin", aud="someone-else"), 401, "UNAUTHENTICATED"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_who_may_call_each_mutation(database_url: str, case: Case) -> None:
    async with mutation_client(database_url) as client:
        await load(database_url, EXTRA)
        before = await change_log_size(database_url)

        async def call(headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            response = await client.post(
                "/graphql",
                json={"query": case.query, "variables": case.variables},
                headers=headers,
            )
            body: dict[str, Any] = response.json()
            return response.status_code, body

        for caller, headers, status, code in REFUSED:
            got_status, body = await call(headers())
            assert got_status == status, (caller, body)
            [error] = body["errors"]
            assert error["extensions"]["code"] == code, (caller, error)
            assert body.get("data") is None, caller
        assert await change_log_size(database_url) == before

        status, body = await call(EDITOR)
        if case.needs == "admin":
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert await change_log_size(database_url) == before
        else:
            assert "errors" not in body, body
            assert body["data"][case.name]["changeId"] is not None
        status, body = await call(ADMIN)
        assert status == 200
        assert "errors" not in body, body
        assert body["data"][case.name] is not None
        assert await change_log_size(database_url) > before
