"""The same mistake through a mutation and through an import file reads the same: one
parametrized test over the importer's classes of errors (values, references, rules between
fields, rules only the database checks)."""

import json
from pathlib import Path
from typing import Any

import pytest
from strawberry.utils.str_converters import to_camel_case

from api.importer import import_files
from tests.schema.mutation_client import EDITOR, load, mutation_client, post

SOURCED = {"sources": ["S1"]}
RECOGNITION = {"recognizer": "PAK", "subject": "AFG", "from": "1997-05-26", **SOURCED}
STORED = {
    "recognitions": [
        {"recognizer": "RUS", "subject": "AFG:islamic-emirate", "from": "2020", "to": "2022"}
        | SOURCED
    ]
}

# (case, entity, the record, the column the error is on)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("not a date", "recognitions", {**RECOGNITION, "from": "1997-13"}, "from"),
    ("no such day", "recognitions", {**RECOGNITION, "from": "1997-02-30"}, "from"),
    ("not an enumeration value", "recognitions", {**RECOGNITION, "type": "sovereign"}, "type"),
    ("not a state code", "recognitions", {**RECOGNITION, "recognizer": "pk"}, "recognizer"),
    ("unknown state", "recognitions", {**RECOGNITION, "recognizer": "XYZ"}, "recognizer"),
    ("neither state nor government", "recognitions", {**RECOGNITION, "subject": "afg"}, "subject"),
    (
        "unknown government",
        "recognitions",
        {**RECOGNITION, "subject": "AFG:nobody"},
        "subject",
    ),
    ("recognizes itself", "recognitions", {**RECOGNITION, "subject": "PAK"}, "subject"),
    ("end before start", "recognitions", {**RECOGNITION, "to": "1990"}, "to"),
    ("reason without end", "recognitions", {**RECOGNITION, "end_reason": "lapsed"}, "end_reason"),
    ("unknown source", "recognitions", {**RECOGNITION, "sources": ["S404"]}, "sources"),
    ("cited twice", "recognitions", {**RECOGNITION, "sources": ["S1", "S1"]}, "sources"),
    ("cites no source", "recognitions", {**RECOGNITION, "sources": []}, "sources"),
    ("episode below one", "recognitions", {**RECOGNITION, "episode": 0}, "episode"),
    ("key not derived", "recognitions", {**RECOGNITION, "key": "PAK>AFG#2"}, "key"),
    (
        "overlaps a stored episode",
        "recognitions",
        {"recognizer": "RUS", "subject": "AFG:islamic-emirate", "episode": 2, "from": "2021"}
        | SOURCED,
        "from",
    ),
    ("required but empty", "states", {"iso3": "ATA", "name": ""}, "name"),
    ("text too long", "sources", {"key": "S9", "title": "x" * 1001}, "title"),
    # (A NUL character never reaches the importer from GraphQL: the HTTP layer refuses any
    # variable holding one, see schema/text_values.py.)
    ("not a usable key", "sources", {"key": "S 9 ", "title": "t"}, "key"),
    ("not a person key", "persons", {"key": "Gul Hassan", "name": "Gul Hassan"}, "key"),
    (
        "government key of another state",
        "governments",
        {"key": "AFG:x", "state": "PAK", "name": "X"},
        "state",
    ),
    (
        "overlapping periods",
        "governments",
        {"key": "AFG:x", "state": "AFG", "name": "X", "periods": ["1990/2000", "1995/"]},
        "periods",
    ),
    (
        "a measure listed twice",
        "sanctions",
        {
            "key": "UN:x",
            "authority": "UN",
            "target_kind": "state",
            "target": "AFG",
            "measures": ["travel_ban", "travel_ban"],
        }
        | SOURCED,
        "measures",
    ),
    (
        "unknown cooperation area",
        "cooperations",
        {"party": "RUS", "partner": "AFG", "area": "space"} | SOURCED,
        "area",
    ),
]


def _plural(entity: str) -> str:
    camel = to_camel_case(entity)
    return camel[0].upper() + camel[1:]


def _singular_input(entity: str) -> str:
    names = {
        "recognitions": "Recognition",
        "states": "State",
        "sources": "Source",
        "persons": "Person",
        "governments": "Government",
        "sanctions": "Sanction",
        "cooperations": "Cooperation",
    }
    return f"{names[entity]}Input"


def _graphql_item(record: dict[str, Any]) -> dict[str, Any]:
    item = {to_camel_case(column): value for column, value in record.items()}
    if "sources" in item:
        item["sources"] = [{"source": key} for key in item["sources"]]
    return item


@pytest.mark.parametrize(
    ("entity", "record", "column"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
async def test_a_mistake_reads_the_same_in_a_mutation_and_in_an_import_file(
    database_url: str, tmp_path: Path, entity: str, record: dict[str, Any], column: str
) -> None:
    async with mutation_client(database_url) as client:
        await load(database_url, STORED)
        query = (
            f"mutation($input: [{_singular_input(entity)}!]!) "
            f"{{ upsert{_plural(entity)}(input: $input) {{ changeId }} }}"
        )
        body = await post(client, query, EDITOR, input=[_graphql_item(record)])

    path = tmp_path / f"{entity}.ndjson"
    path.write_text(json.dumps(record) + "\n")
    summary = await import_files([path], database_url=database_url)
    assert not summary.committed
    [imported] = [str(error) for error in summary.errors]
    file_place = f"{path}:1: column {column}: "
    assert imported.startswith(file_place), imported

    [error] = body["errors"]
    place = f"input[0].{to_camel_case(column)}"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["path"] == place
    assert error["message"] == f"{place}: {imported.removeprefix(file_place)}"
