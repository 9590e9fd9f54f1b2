"""Approximate name search in any script the names are stored in."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import errors_of, execute

SEARCH = """
query ($text: String!, $first: Int) {
  search(text: $text, first: $first) {
    score matched
    node { __typename ... on State { iso3 } ... on Government { key } ... on Person { key } }
  }
}
"""

# Aliases, a named fragment on the union and `__typename` at each level (the differential tests
# ask this of both executors with many texts).
NAMED = """
query ($text: String!) {
  hits: search(text: $text, first: 7) {
    __typename
    s: score
    node { ...Named ... on Government { state { iso3 } } }
    name: matched
  }
}
fragment Named on SearchResult {
  __typename
  ... on State { name kind }
  ... on Government { name shortName }
  ... on Person { name aliases nationality { iso3 } }
}
"""


async def _search(engine: AsyncEngine, text: str, first: int = 20) -> list[dict[str, Any]]:
    hits: list[dict[str, Any]] = (await execute(engine, SEARCH, {"text": text, "first": first}))[
        "search"
    ]
    return hits


@pytest.mark.parametrize(
    ("text", "typename", "key", "matched"),
    [
        ("Rudenko", "Person", "andrey-rudenko", "Andrey Rudenko"),
        ("Руденко", "Person", "andrey-rudenko", "Андрей Руденко"),
        ("Gul Hasan", "Person", "gul-hassan-hassan", "Gul Hassan Hassan"),
        ("Mawlawi", "Person", "gul-hassan-hassan", "Mawlawi Gul Hassan"),
        ("Taliban", "Government", "AFG:islamic-emirate", "Taliban administration"),
        ("اسلامي امارت", "Government", "AFG:islamic-emirate", "د افغانستان اسلامي امارت"),
        ("Afganistan", "State", "AFG", "Afghanistan"),
        ("russian federaton", "State", "RUS", "Russian Federation"),
        ("RUS", "State", "RUS", "RUS"),
    ],
)
async def test_finds_by_approximate_name(
    world: AsyncEngine, text: str, typename: str, key: str, matched: str
) -> None:
    best = (await _search(world, text))[0]
    assert best["node"]["__typename"] == typename
    assert key in best["node"].values()
    assert best["matched"] == matched
    assert 0 < best["score"] <= 1


async def test_best_first_and_bounded(world: AsyncEngine) -> None:
    hits = await _search(world, "Islamic")
    assert [h["node"]["key"] for h in hits[:2]] == ["AFG:islamic-emirate", "AFG:islamic-republic"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert len(await _search(world, "Islamic", first=1)) == 1


async def test_nothing_resembles_gibberish(world: AsyncEngine) -> None:
    assert await _search(world, "qqxzzv") == []


@pytest.mark.parametrize(("text", "first"), [("  ", 5), ("Russia", 101), ("Russia", -1)])
async def test_bad_search_arguments(world: AsyncEngine, text: str, first: int) -> None:
    (error,) = await errors_of(world, SEARCH, {"text": text, "first": first})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_hit_names_its_node(world: AsyncEngine) -> None:
    hits = (await execute(world, NAMED, {"text": "Afghan"}))["hits"]
    assert hits, "the small world holds Afghanistan"
    for hit in hits:
        assert hit["__typename"] == "SearchHit"
        assert hit["node"]["name"]
        assert 0.3 <= hit["s"] <= 1
