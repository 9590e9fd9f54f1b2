"""The explorer's reads stay fast: each of its queries is served by the compiled path, with one
SQL statement per root field, and answers as the resolvers do."""

from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.compiled.executor import CompiledReads
from schema.context import create_context
from schema.root import schema
from tests.schema.test_explore_page import _queries


async def _compiled(
    compiled: CompiledReads, engine: AsyncEngine, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    body = await compiled.execute(engine, query, variables, None)
    assert body is not None, compiled.stats.as_dict()
    answer: dict[str, Any] = orjson.loads(body)
    assert "errors" not in answer, answer
    return answer


async def _resolved(engine: AsyncEngine, query: str, variables: dict[str, Any]) -> Any:
    result = await schema.execute(
        query, variable_values=variables, context_value=create_context(engine=engine)
    )
    assert result.errors is None, result.errors
    return result.data


@pytest.mark.parametrize(
    ("name", "subject"),
    [("EXPLORE_STATE_QUERY", "PSE"), ("EXPLORE_GOVERNMENT_QUERY", "CHN:republic-of-china")],
)
async def test_the_first_view_is_one_compiled_statement_per_root_field(
    seed: AsyncEngine, name: str, subject: str
) -> None:
    query = _queries()[name]
    compiled = CompiledReads(schema)
    answer = await _compiled(compiled, seed, query, {"subject": subject})
    # Two root fields (the subject and its recognitions): two statements, no fallback.
    assert compiled.stats.as_dict() == {
        "compiled": 1,
        "statements": 2,
        "fallbacks": 0,
        "fallbackReasons": {},
    }
    assert answer["data"] == await _resolved(seed, query, {"subject": subject})
    assert answer["data"]["recognitions"]["nodes"], "the seed holds recognitions of it"


async def test_the_next_pages_are_one_compiled_statement_each(seed: AsyncEngine) -> None:
    queries = _queries()
    compiled = CompiledReads(schema)
    first = await _compiled(compiled, seed, queries["EXPLORE_STATE_QUERY"], {"subject": "PSE"})
    connection = first["data"]["recognitions"]
    seen = len(connection["nodes"])
    pages = 0
    while connection["pageInfo"]["hasNextPage"]:
        variables = {"subject": "PSE", "after": connection["pageInfo"]["endCursor"]}
        more = await _compiled(compiled, seed, queries["EXPLORE_MORE_QUERY"], variables)
        assert more["data"] == await _resolved(seed, queries["EXPLORE_MORE_QUERY"], variables)
        connection = more["data"]["recognitions"]
        seen += len(connection["nodes"])
        pages += 1
    assert pages >= 1, "Palestine's recognitions fill more than one page"
    assert seen == first["data"]["recognitions"]["totalCount"]
    assert compiled.stats.statements == 2 + pages
    assert compiled.stats.fallbacks == 0


@pytest.mark.parametrize(
    "text", ["china", "Taliban", "Afghan", "emirate", "Islamic Republic", "Путин", "xx"]
)
async def test_search_is_one_compiled_statement(seed: AsyncEngine, text: str) -> None:
    query = _queries()["EXPLORE_SEARCH_QUERY"]
    compiled = CompiledReads(schema)
    answer = await _compiled(compiled, seed, query, {"text": text})
    assert compiled.stats.as_dict() == {
        "compiled": 1,
        "statements": 1,
        "fallbacks": 0,
        "fallbackReasons": {},
    }
    assert answer["data"] == await _resolved(seed, query, {"text": text})


def test_refused_search_arguments_are_left_to_the_resolvers() -> None:
    # The resolver answers them with its BAD_USER_INPUT errors.
    compiled = CompiledReads(schema)
    query = _queries()["EXPLORE_SEARCH_QUERY"]
    for text in ("", "   ", "x" * 201):
        plan = compiled.plan(query, {"text": text}, None)
        assert isinstance(plan, str) and plan.startswith("search:"), plan
