"""Every GraphQL operation the schema tests ask, found in their source, with variable values.

The operations are harvested from the string constants of `tests/schema/*.py` (and GraphiQL's
example query), so a new test query joins the differential tests without anyone listing it.
Variables get values by name and type from `SAMPLES`; a test fails when one has none.
"""

import ast
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse, print_ast, validate

from schema.http import GRAPHIQL_DIR
from schema.ids import encode_id
from schema.root import schema

TESTS = Path(__file__).resolve().parent.parent

# (variable name, its type as written) -> values to try; the first is the one used with the
# other variables' alternatives.
SAMPLES: dict[tuple[str, str], list[Any]] = {
    ("first", "Int"): [None, 2, 0],
    ("first", "Int!"): [1, 3],
    ("after", "String"): [None],
    ("last", "Int"): [None, 2],
    ("before", "String"): [None],
    ("order", "StateOrder"): [None, "ISO3_DESC", "NAME_ASC"],
    ("order", "RecognitionOrder"): [None, "KEY_DESC", "FROM_DESC"],
    ("where", "RecognitionWhere"): [
        None,
        {"subject": {"eq": "AFG:islamic-emirate"}},
        {"subjectState": {"eq": "AFG"}, "type": {"in": ["DE_JURE", "DE_FACTO"]}},
        {"from": {"gte": "1997-01-01", "lte": "2001-12-31"}, "to": {"isNull": False}},
        {"recognizer": {"in": ["PAK", "RUS", "XXX"]}, "act": {"isNull": True}},
    ],
    ("subject", "String!"): ["AFG:islamic-emirate", "AFG", "AFG:islamic-republic"],
    ("asOf", "Date!"): ["2000-01-01", "2025-12-31", "1997-05-01", "2001-09-30"],
    # asRecordedAt: after anything the tests write (the present), and before it (nothing).
    ("t", "DateTime!"): ["2999-01-01T00:00:00+00:00", "2001-01-01T00:00:00"],
    ("at", "DateTime"): [None, "2999-01-01T00:00:00+00:00", "2001-01-01T00:00:00"],
    ("id", "ID!"): [
        encode_id("State", "RUS"),
        encode_id("Government", "AFG:islamic-emirate"),
        encode_id("Recognition", "RUS>AFG:islamic-emirate#1"),
        encode_id("Sanction", "UNSC:1988-taliban"),
        encode_id("Nothing", "1"),
        encode_id("State", "XXX"),
        encode_id("Citation", "1"),
        "%%%",
    ],
    ("iso3", "String!"): ["RUS", "AFG", "XXX"],
    ("recognizer", "String!"): ["RUS", "PAK", "XXX"],
    # Search texts: names in three scripts, near misses, a fragment, blanks around, nothing.
    ("text", "String!"): [
        "Russia",
        "Taliban",
        "Afghan",
        "emirate",
        "Islamic",
        "xx",
        "  russian federaton ",
        "Руденко",
        "Путин",
        "اسلامي امارت",
        "qqxzzv",
        "  ",
    ],
    ("skip", "Boolean!"): [True, False],
    # History and the change feed (left to the resolvers).
    ("key", "String!"): ["RUS>AFG:islamic-emirate#1", "XXX"],
    ("key", "String"): [None],
    ("entity", "Entity"): [None, "RECOGNITION"],
}


def _operations_in(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value
        if "{" not in text:
            continue
        try:
            document = parse(text)
        except GraphQLError:
            continue
        if validate(schema._schema, document):
            continue
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) == 1 and operations[0].operation.value == "query":
            found.append(text)
    return found


def _graphiql_example() -> str:
    page = (GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8")
    match = re.search(
        r'<script type="application/graphql" id="example-query">(.*?)</script>', page, re.S
    )
    return match.group(1) if match else "{ __typename }"


@cache
def harvested() -> tuple[str, ...]:
    queries: dict[str, None] = {}
    for path in sorted(TESTS.glob("*.py")):
        for text in _operations_in(path.read_text(encoding="utf-8")):
            queries.setdefault(text)
    queries.setdefault(_graphiql_example())
    return tuple(queries)


def variables_of(query: str) -> list[tuple[str, str]]:
    (operation,) = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    return [
        (v.variable.name.value, print_ast(v.type)) for v in operation.variable_definitions or ()
    ]


def cases() -> list[tuple[str, dict[str, Any]]]:
    """Each harvested operation with the first sample of every variable, then each alternative."""
    result = []
    for query in harvested():
        names = variables_of(query)
        samples = [SAMPLES.get(n, [None]) for n in names]
        base = [s[0] for s in samples]
        combos = [base] + [
            [*base[:i], alt, *base[i + 1 :]] for i, s in enumerate(samples) for alt in s[1:]
        ]
        for combo in combos:
            values = {name: value for (name, _), value in zip(names, combo, strict=True)}
            result.append((query, {k: v for k, v in values.items() if v is not None}))
    return _unique(result)


def _freeze(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True)


def _unique(items: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for query, values in items:
        key = (query, _freeze(values))
        if key not in seen:
            seen.add(key)
            unique.append((query, values))
    return unique


def missing_samples() -> list[tuple[str, str]]:
    return sorted({v for q in harvested() for v in variables_of(q) if v not in SAMPLES})
