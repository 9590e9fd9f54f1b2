"""Object types, unions, citations and global ids."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.ids import encode_id
from tests.schema.conftest import errors_of, execute


async def test_unknown_keys_are_null(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ state(iso3: "XXX") { iso3 } government(key: "AFG:nobody") { key }
             recognition(key: "nope") { key } envoy(key: "nope") { key }
             sanction(key: "nope") { key } person(key: "nope") { key }
             source(key: "nope") { key } cooperation(key: "nope") { key } }""",
    )
    assert set(data.values()) == {None}


async def test_sanction_targets(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ sanctions(orderBy: KEY_DESC) { nodes { key targetKind status from { iso } to { iso }
            target { __typename ... on Government { key } ... on Organization { name }
                     ... on State { iso3 } ... on Person { key } } } } }""",
    )
    assert data["sanctions"]["nodes"] == [
        {
            "key": "US:sdgt-haqqani",
            "targetKind": "ORGANIZATION",
            "status": None,
            "from": {"iso": "2012-09"},
            "to": None,
            "target": {"__typename": "Organization", "name": "Haqqani Network"},
        },
        {
            "key": "UNSC:1988-taliban",
            "targetKind": "GOVERNMENT",
            "status": "ACTIVE",
            "from": {"iso": "2011-06-17"},
            "to": None,
            "target": {"__typename": "Government", "key": "AFG:islamic-emirate"},
        },
        {
            "key": "UNSC:1267-taliban",
            "targetKind": "GOVERNMENT",
            "status": "EXPIRED",
            "from": {"iso": "1999-11-14"},
            "to": {"iso": "2011-06-16"},
            "target": {"__typename": "Government", "key": "AFG:islamic-emirate"},
        },
    ]


async def test_recognition_subjects_and_citations(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ emirate: recognition(key: "RUS>AFG:islamic-emirate#1") {
               act subject { __typename ... on Government { key state { iso3 } } }
               subjectState { iso3 }
               citations { quote position
                 source { key title published { iso precision } kind reliability } }
             }
             state: recognition(key: "USA>AFG#1") {
               subject { __typename ... on State { iso3 } } } }""",
    )
    emirate = data["emirate"]
    assert emirate["act"] == "ACCEPTANCE_OF_CREDENTIALS_COPY"
    assert emirate["subject"] == {
        "__typename": "Government",
        "key": "AFG:islamic-emirate",
        "state": {"iso3": "AFG"},
    }
    assert emirate["subjectState"] == {"iso3": "AFG"}
    assert emirate["citations"] == [
        {
            "quote": "we have officially recognized",
            "position": 0,
            "source": {
                "key": "S01",
                "title": "Russia recognizes the Islamic Emirate",
                "published": {"iso": "2025-07-03", "precision": "DAY"},
                "kind": "NEWS_AGENCY",
                "reliability": "HIGH",
            },
        }
    ]
    assert data["state"]["subject"] == {"__typename": "State", "iso3": "AFG"}


async def test_relations_in_both_directions(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """{ person(key: "gul-hassan-hassan") { name aliases nationality { iso3 }
               postings { nodes { key receiver { iso3 } senderState { iso3 } sources { key } } } }
             government(key: "AFG:islamic-emirate") {
               envoysSent { nodes { key } } cooperations { totalCount } }
             state(iso3: "AFG") { envoysSent { totalCount } sanctions { totalCount }
               recognitionsReceived { totalCount } governments { totalCount } }
             cooperationAreas { code label parent { code } } }""",
    )
    person = data["person"]
    assert person["aliases"] == ["Mawlawi Gul Hassan", "Гуль Хасан"]
    assert person["nationality"] == {"iso3": "AFG"}
    assert person["postings"]["nodes"] == [
        {
            "key": "gul-hassan-hassan@AFG>RUS#1",
            "receiver": {"iso3": "RUS"},
            "senderState": {"iso3": "AFG"},
            "sources": [{"key": "S01"}],
        }
    ]
    assert data["government"]["envoysSent"]["nodes"] == [{"key": "gul-hassan-hassan@AFG>RUS#1"}]
    assert data["government"]["cooperations"]["totalCount"] == 2
    assert data["state"] == {
        "envoysSent": {"totalCount": 1},
        "sanctions": {"totalCount": 2},
        "recognitionsReceived": {"totalCount": 6},
        "governments": {"totalCount": 2},
    }
    assert data["cooperationAreas"] == [
        {"code": "energy", "label": "Energy", "parent": {"code": "trade_economy"}},
        {"code": "trade_economy", "label": "Trade and economy", "parent": None},
    ]


ROUND_TRIP = """
query ($id: ID!) { node(id: $id) { __typename id } }
"""


@pytest.mark.parametrize(
    "query",
    [
        '{ state(iso3: "AFG") { id } }',
        '{ government(key: "AFG:islamic-emirate") { id } }',
        '{ government(key: "AFG:islamic-emirate") { periods { id } } }',
        '{ person(key: "andrey-rudenko") { id } }',
        '{ recognition(key: "USA>AFG#1") { id } }',
        '{ recognition(key: "PAK>AFG:islamic-emirate#1") { citations { id } } }',
        '{ envoy(key: "gul-hassan-hassan@AFG>RUS#1") { id } }',
        '{ sanction(key: "UNSC:1988-taliban") { id } }',
        '{ cooperation(key: "RUS-AFG:energy#1") { id area { id } } }',
        '{ source(key: "S01") { id } }',
    ],
)
async def test_node_round_trips(world: AsyncEngine, query: str) -> None:
    data = await execute(world, query)
    ids = []

    def collect(value: object) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                ids.append(v) if k == "id" else collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(data)
    assert ids
    for global_id in ids:
        node = (await execute(world, ROUND_TRIP, {"id": global_id}))["node"]
        assert node["id"] == global_id


async def test_node_fields_through_fragments(world: AsyncEngine) -> None:
    data = await execute(
        world,
        """query ($id: ID!) { node(id: $id) { ... on State { iso3 name } } }""",
        {"id": encode_id("State", "RUS")},
    )
    assert data["node"] == {"iso3": "RUS", "name": "Russian Federation"}


async def test_node_of_nothing_is_null(world: AsyncEngine) -> None:
    for global_id in (
        encode_id("State", "XXX"),
        encode_id("Nothing", "1"),
        encode_id("Citation", "x"),
    ):
        assert (await execute(world, ROUND_TRIP, {"id": global_id}))["node"] is None


async def test_a_malformed_id_is_a_user_error(world: AsyncEngine) -> None:
    (error,) = await errors_of(world, ROUND_TRIP, {"id": "%%%"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
