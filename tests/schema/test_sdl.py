"""The exported schema file, and what the GraphQL package may import.

The rules between packages are in tests/test_import_rules.py; this adds the schema's own.
"""

import ast
from pathlib import Path

from graphql import GraphQLObjectType, build_schema

from schema.export import SDL_PATH, export_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_schema_file_matches_the_schema() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == export_sdl(), (
        "schema/schema.graphql is stale: run "
        "`python -c 'from schema.export import write_sdl; write_sdl()'`"
    )


def test_the_schema_names_the_promised_root_fields() -> None:
    query = build_schema(export_sdl()).query_type
    assert query is not None
    for name, arguments, returns in (
        ("state", ["iso3"], "State"),
        ("government", ["key"], "Government"),
        ("node", ["id"], "Node"),
        ("search", ["text", "first"], "[SearchHit!]!"),
        ("recognitionStats", ["groupBy", "where", "asOf", "first"], "[RecognitionGroup!]!"),
        ("cooperationAreas", [], "[CooperationArea!]!"),
    ):
        field = query.fields[name]
        # Every root field also reads the past: `asRecordedAt` comes last.
        assert list(field.args) == [*arguments, "asRecordedAt"]
        assert str(field.args["asRecordedAt"].type) == "DateTime"
        assert str(field.type) == returns


def test_every_root_field_takes_as_recorded_at_and_no_nested_field_does() -> None:
    schema = build_schema(export_sdl())
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            expected = type_ is schema.query_type
            assert ("asRecordedAt" in field.args) is expected, f"{type_.name}.{name}"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_schema_uses_starlette_only_to_type_the_request() -> None:
    for path in (ROOT / "schema").rglob("*.py"):
        if path.name.startswith("http") or "graphiql" in path.parts:
            continue  # the HTTP layer (http.py, http_guard.py) is starlette's by nature
        starlette = {m for m in _imports(path) if m.split(".")[0] == "starlette"}
        expected = {"starlette.requests"} if path.name == "context.py" else set()
        assert starlette == expected, path
