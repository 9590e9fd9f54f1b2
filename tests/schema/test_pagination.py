"""Relay pagination: keyset cursors, page sizes, per-parent pages."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from schema import tables
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from tests.schema.conftest import errors_of, execute

STATES = """
query ($first: Int, $after: String, $last: Int, $before: String, $order: StateOrder) {
  states(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    totalCount
    edges { cursor node { iso3 } }
    nodes { iso3 }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def _states(engine: AsyncEngine, **variables: Any) -> dict[str, Any]:
    data = await execute(engine, STATES, variables)
    states: dict[str, Any] = data["states"]
    return states


async def test_walk_forward_then_back(world: AsyncEngine) -> None:
    everyone = await _states(world, order="ISO3_ASC")
    codes = [n["iso3"] for n in everyone["nodes"]]
    assert codes == ["AFG", "ARE", "CHN", "PAK", "RUS", "SAU", "USA"]
    assert [e["node"]["iso3"] for e in everyone["edges"]] == codes

    first = await _states(world, order="ISO3_ASC", first=3)
    assert [n["iso3"] for n in first["nodes"]] == codes[:3]
    assert first["totalCount"] == 7
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

    second = await _states(world, order="ISO3_ASC", first=3, after=first["pageInfo"]["endCursor"])
    assert [n["iso3"] for n in second["nodes"]] == codes[3:6]
    assert second["pageInfo"]["hasPreviousPage"] is True

    third = await _states(world, order="ISO3_ASC", first=3, after=second["pageInfo"]["endCursor"])
    assert [n["iso3"] for n in third["nodes"]] == codes[6:]
    assert third["pageInfo"]["hasNextPage"] is False

    back = await _states(world, order="ISO3_ASC", last=2, before=third["pageInfo"]["startCursor"])
    assert [n["iso3"] for n in back["nodes"]] == codes[4:6]
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasNextPage"] is True

    tail = await _states(world, order="ISO3_ASC", last=2)
    assert [n["iso3"] for n in tail["nodes"]] == codes[5:]
    assert tail["pageInfo"]["hasPreviousPage"] is True


async def test_descending_order(world: AsyncEngine) -> None:
    page = await _states(world, order="NAME_DESC", first=2)
    assert [n["iso3"] for n in page["nodes"]] == ["USA", "ARE"]
    rest = await _states(world, order="NAME_DESC", first=2, after=page["pageInfo"]["endCursor"])
    assert [n["iso3"] for n in rest["nodes"]] == ["SAU", "RUS"]


async def test_cursors_are_stable(world: AsyncEngine) -> None:
    once = await _states(world, order="ISO3_ASC")
    again = await _states(world, order="ISO3_ASC")
    assert once["edges"] == again["edges"]


async def test_cursors_survive_inserts_before_them(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(tables.state),
            [{"iso3": iso3, "name": iso3} for iso3 in ("BBB", "DDD", "FFF")],
        )
    page = await _states(engine, order="ISO3_ASC", first=2)
    assert [n["iso3"] for n in page["nodes"]] == ["BBB", "DDD"]
    async with engine.begin() as connection:
        await connection.execute(insert(tables.state), [{"iso3": "AAA", "name": "AAA"}])
    rest = await _states(engine, order="ISO3_ASC", after=page["pageInfo"]["endCursor"])
    assert [n["iso3"] for n in rest["nodes"]] == ["FFF"]


async def test_default_and_maximum_page_size(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(tables.state),
            [{"iso3": f"Q{a}{b}", "name": f"Q{a}{b}"} for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ"]
            + [{"iso3": "ZZZ", "name": "ZZZ"}],
        )
    default = await _states(engine)
    assert len(default["nodes"]) == DEFAULT_PAGE_SIZE
    assert default["totalCount"] == 101
    most = await _states(engine, first=MAX_PAGE_SIZE)
    assert len(most["nodes"]) == MAX_PAGE_SIZE
    assert most["pageInfo"]["hasNextPage"] is True

    (error,) = await errors_of(engine, STATES, {"first": MAX_PAGE_SIZE + 1})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert str(MAX_PAGE_SIZE) in error["message"]


@pytest.mark.parametrize(
    "variables",
    [
        {"first": -1},
        {"first": 1, "last": 1},
        {"after": "not a cursor"},
        {"after": "WyJzdGF0ZS5uYW1lIiwgW1sidiIsIHt9XSwgWyJ2IiwgMV1dXQ=="},  # a dict as a key
        {"after": "WyJzdGF0ZS5uYW1lIiwgW1sidiIsICJBIl1dXQ=="},  # too few keys
        {"first": 2, "before": "x"},
    ],
)
async def test_bad_paging_arguments(world: AsyncEngine, variables: dict[str, Any]) -> None:
    (error,) = await errors_of(world, STATES, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_cursor_of_another_ordering_is_refused(world: AsyncEngine) -> None:
    page = await _states(world, order="ISO3_ASC", first=1)
    (error,) = await errors_of(
        world, STATES, {"order": "NAME_ASC", "after": page["pageInfo"]["endCursor"]}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


NESTED = """
query ($first: Int, $after: String) {
  states(orderBy: ISO3_ASC) {
    nodes {
      iso3
      recognitionsGiven(first: $first, after: $after, orderBy: KEY_ASC) {
        totalCount nodes { key } pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""


async def test_nested_pages_are_cut_per_parent(engine: AsyncEngine) -> None:
    # Three recognizers with 3, 1 and 0 recognitions: a batch-wide LIMIT would starve some.
    async with engine.begin() as connection:
        await connection.execute(
            insert(tables.state),
            [{"iso3": iso3, "name": iso3} for iso3 in ("AAA", "BBB", "CCC", "SSS", "TTT", "UUU")],
        )
        ids = dict((await connection.execute(select(tables.state.c.iso3, tables.state.c.id))).all())
        rows = [("AAA", "SSS"), ("AAA", "TTT"), ("AAA", "UUU"), ("BBB", "SSS")]
        await connection.execute(
            insert(tables.recognition),
            [
                {
                    "key": f"{a}>{b}#1",
                    "recognizer_id": ids[a],
                    "subject_state_id": ids[b],
                    "from_date": date(2000, 1, 1),
                    "from_precision": "day",
                }
                for a, b in rows
            ],
        )
    data = await execute(engine, NESTED, {"first": 2})
    given = {s["iso3"]: s["recognitionsGiven"] for s in data["states"]["nodes"]}
    assert [n["key"] for n in given["AAA"]["nodes"]] == ["AAA>SSS#1", "AAA>TTT#1"]
    assert given["AAA"]["totalCount"] == 3
    assert given["AAA"]["pageInfo"]["hasNextPage"] is True
    assert [n["key"] for n in given["BBB"]["nodes"]] == ["BBB>SSS#1"]
    assert given["BBB"]["pageInfo"]["hasNextPage"] is False
    assert given["CCC"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }

    # A nested cursor continues that parent's list.
    cursor = given["AAA"]["pageInfo"]["endCursor"]
    more = await execute(
        engine,
        """query ($after: String) { state(iso3: "AAA") {
            recognitionsGiven(first: 2, after: $after, orderBy: KEY_ASC) { nodes { key } } } }""",
        {"after": cursor},
    )
    assert more["state"]["recognitionsGiven"]["nodes"] == [{"key": "AAA>UUU#1"}]

    # And the last page of each parent, walking backwards.
    tail = await execute(
        engine,
        """{ states(orderBy: ISO3_ASC, first: 2) { nodes {
             recognitionsGiven(last: 2, orderBy: KEY_ASC) {
               nodes { key } pageInfo { hasPreviousPage } } } } }""",
    )
    assert [s["recognitionsGiven"] for s in tail["states"]["nodes"]] == [
        {
            "nodes": [{"key": "AAA>TTT#1"}, {"key": "AAA>UUU#1"}],
            "pageInfo": {"hasPreviousPage": True},
        },
        {"nodes": [{"key": "BBB>SSS#1"}], "pageInfo": {"hasPreviousPage": False}},
    ]
