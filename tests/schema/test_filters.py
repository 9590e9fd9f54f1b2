"""Typed `where` inputs and `orderBy`."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import execute

RECOGNITIONS = """
query ($where: RecognitionWhere, $order: RecognitionOrder) {
  recognitions(where: $where, orderBy: $order) { totalCount nodes { key } }
}
"""


async def _keys(engine: AsyncEngine, where: dict[str, Any], order: str = "KEY_ASC") -> list[str]:
    data = await execute(engine, RECOGNITIONS, {"where": where, "order": order})
    assert data["recognitions"]["totalCount"] == len(data["recognitions"]["nodes"])
    return [n["key"] for n in data["recognitions"]["nodes"]]


@pytest.mark.parametrize(
    ("where", "keys"),
    [
        ({"subject": {"eq": "AFG:islamic-republic"}}, ["PAK>AFG:islamic-republic#1"]),
        ({"subject": {"eq": "AFG"}}, ["USA>AFG#1"]),
        (
            {"subject": {"in": ["AFG", "AFG:islamic-republic"]}},
            ["PAK>AFG:islamic-republic#1", "USA>AFG#1"],
        ),
        ({"subject": {"eq": "XXX:nobody"}}, []),
        (
            {"subjectState": {"eq": "AFG"}, "recognizer": {"eq": "PAK"}},
            [
                "PAK>AFG:islamic-emirate#1",
                "PAK>AFG:islamic-republic#1",
            ],
        ),
        ({"recognizer": {"in": ["RUS", "USA"]}}, ["RUS>AFG:islamic-emirate#1", "USA>AFG#1"]),
        ({"type": {"eq": "DE_JURE"}}, ["PAK>AFG:islamic-emirate#1", "USA>AFG#1"]),
        ({"mode": {"in": ["EXPRESS"]}}, ["PAK>AFG:islamic-emirate#1", "RUS>AFG:islamic-emirate#1"]),
        (
            {"act": {"isNull": False}, "endReason": {"eq": "RELATIONS_SEVERED"}},
            [
                "ARE>AFG:islamic-emirate#1",
            ],
        ),
        (
            {"from": {"gte": "1997-05-01", "lte": "1997-05-31"}},
            [
                "ARE>AFG:islamic-emirate#1",
                "PAK>AFG:islamic-emirate#1",
                "SAU>AFG:islamic-emirate#1",
            ],
        ),
        (
            {"to": {"isNull": True}, "subjectState": {"eq": "AFG"}},
            [
                "PAK>AFG:islamic-republic#1",
                "RUS>AFG:islamic-emirate#1",
                "USA>AFG#1",
            ],
        ),
        ({"key": {"eq": "USA>AFG#1"}}, ["USA>AFG#1"]),
    ],
)
async def test_recognition_filters(
    world: AsyncEngine, where: dict[str, Any], keys: list[str]
) -> None:
    assert await _keys(world, where) == keys


async def test_order_by_start(world: AsyncEngine) -> None:
    keys = await _keys(world, {"subjectState": {"eq": "AFG"}}, order="FROM_DESC")
    assert keys[:2] == ["RUS>AFG:islamic-emirate#1", "PAK>AFG:islamic-republic#1"]
    assert keys[-1] == "USA>AFG#1"


async def test_nested_connections_take_the_same_arguments(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ state(iso3: "AFG") {
            recognitionsReceived(
              asOf: "2000-01-01", where: {type: {eq: DE_JURE}}, orderBy: KEY_DESC
            ) { nodes { key } } } }""",
    )
    assert data["state"]["recognitionsReceived"]["nodes"] == [
        {"key": "USA>AFG#1"},
        {"key": "PAK>AFG:islamic-emirate#1"},
    ]


async def test_other_filters(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{
          states(where: {iso3: {in: ["RUS", "AFG"]}}) { nodes { iso3 } }
          governments(where: {state: {eq: "AFG"}, form: {eq: "emirate"}}) { nodes { key } }
          persons(where: {nationality: {eq: "RUS"}}) { nodes { key } }
          sources(where: {publisher: {eq: "TASS"}}) { nodes { key } }
          envoys(where: {sender: {eq: "AFG"}, receiver: {eq: "RUS"}, rank: {eq: AMBASSADOR}}) {
            nodes { key } }
          byGovernment: envoys(where: {sender: {eq: "AFG:islamic-republic"}}) { totalCount }
          sanctions(where: {measures: {eq: TRAVEL_BAN}}) { nodes { key } }
          anyMeasure: sanctions(where: {measures: {in: [FLIGHT_BAN, TERRORIST_DESIGNATION]}}) {
            nodes { key } }
          organizations: sanctions(where: {target: {eq: "Haqqani Network"}}) { nodes { key } }
          byState: sanctions(where: {target: {eq: "AFG"}, status: {eq: ACTIVE}}) { nodes { key } }
          cooperations(where: {area: {eq: "energy"}, partner: {eq: "AFG"}}) { nodes { key } }
        }""",
    )
    assert data["states"]["nodes"] == [{"iso3": "AFG"}, {"iso3": "RUS"}]
    assert data["governments"]["nodes"] == [{"key": "AFG:islamic-emirate"}]
    assert data["persons"]["nodes"] == [{"key": "andrey-rudenko"}]
    assert data["sources"]["nodes"] == [{"key": "S01"}]
    assert data["envoys"]["nodes"] == [{"key": "gul-hassan-hassan@AFG>RUS#1"}]
    assert data["byGovernment"]["totalCount"] == 0
    assert data["sanctions"]["nodes"] == [{"key": "UNSC:1988-taliban"}]
    assert data["anyMeasure"]["nodes"] == [{"key": "UNSC:1267-taliban"}, {"key": "US:sdgt-haqqani"}]
    assert data["organizations"]["nodes"] == [{"key": "US:sdgt-haqqani"}]
    assert data["byState"]["nodes"] == [{"key": "UNSC:1988-taliban"}]
    assert data["cooperations"]["nodes"] == [{"key": "RUS-AFG:energy#1"}]


async def test_state_cooperations_from_either_side(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ russia: state(iso3: "RUS") {
               cooperations(orderBy: KEY_ASC) { nodes { key } }
               withChina: cooperations(partner: "CHN") { nodes { key } }
               withAfghanistan: cooperations(partner: "AFG") { totalCount } }
             china: state(iso3: "CHN") { cooperations(partner: "RUS") {
               nodes { key party { iso3 } partner { ... on State { iso3 } } } } } }""",
    )
    assert data["russia"]["cooperations"]["nodes"] == [
        {"key": "CHN-RUS:energy#1"},
        {"key": "RUS-AFG:energy#1"},
        {"key": "RUS-AFG:trade_economy#1"},
    ]
    assert data["russia"]["withChina"]["nodes"] == [{"key": "CHN-RUS:energy#1"}]
    assert data["russia"]["withAfghanistan"]["totalCount"] == 2
    assert data["china"]["cooperations"]["nodes"] == [
        {"key": "CHN-RUS:energy#1", "party": {"iso3": "CHN"}, "partner": {"iso3": "RUS"}}
    ]
