"""The questions of the story the service started from, asked of the small world."""

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import execute
from tests.schema.queries import EMIRATE, RUSSIA, WHO_RECOGNIZED


async def test_who_recognized_the_emirate_in_2000(world: AsyncEngine) -> None:
    data = await execute(
        world, WHO_RECOGNIZED, {"subject": "AFG:islamic-emirate", "asOf": "2000-01-01"}
    )
    recognitions = data["recognitions"]
    assert recognitions["totalCount"] == 3
    assert sorted(n["recognizer"]["iso3"] for n in recognitions["nodes"]) == ["ARE", "PAK", "SAU"]
    pakistan = next(n for n in recognitions["nodes"] if n["recognizer"]["iso3"] == "PAK")
    assert pakistan == {
        "key": "PAK>AFG:islamic-emirate#1",
        "type": "DE_JURE",
        "mode": "EXPRESS",
        "from": {"iso": "1997-05-26", "precision": "DAY"},
        "to": {"iso": "2001-11-19"},
        "recognizer": {"iso3": "PAK", "name": "Pakistan"},
        "sources": [{"key": "S20", "url": None, "publisher": "Reuters"}],
    }


async def test_who_recognized_the_emirate_at_the_end_of_2025(world: AsyncEngine) -> None:
    data = await execute(
        world, WHO_RECOGNIZED, {"subject": "AFG:islamic-emirate", "asOf": "2025-12-31"}
    )
    (russia,) = data["recognitions"]["nodes"]
    assert russia["recognizer"] == {"iso3": "RUS", "name": "Russian Federation"}
    assert russia["from"] == {"iso": "2025-07-03", "precision": "DAY"}
    assert russia["to"] is None
    assert russia["sources"] == [
        {"key": "S01", "url": "https://example.org/s01", "publisher": "TASS"}
    ]


async def test_a_state_subject_is_the_state_itself_not_its_governments(
    world: AsyncEngine,
) -> None:
    data = await execute(world, WHO_RECOGNIZED, {"subject": "AFG", "asOf": "2000-01-01"})
    assert [n["key"] for n in data["recognitions"]["nodes"]] == ["USA>AFG#1"]


async def test_the_emirate(world: AsyncEngine) -> None:
    government = (await execute(world, EMIRATE))["government"]
    assert government["name"] == "Islamic Emirate of Afghanistan"
    assert government["state"] == {"iso3": "AFG"}
    assert government["periods"] == [
        {"from": {"iso": "1996-09-27"}, "to": {"iso": "2001-11-13"}},
        {"from": {"iso": "2021-08-15"}, "to": None},
    ]
    recognized_by = government["recognizedBy"]
    assert recognized_by["totalCount"] == 3
    assert [n["recognizer"]["iso3"] for n in recognized_by["nodes"]] == ["ARE", "SAU", "PAK"]
    assert government["sanctions"] == {
        "totalCount": 1,
        "nodes": [
            {
                "key": "UNSC:1988-taliban",
                "authority": "UNSC",
                "measures": ["ASSET_FREEZE", "TRAVEL_BAN", "ARMS_EMBARGO"],
            }
        ],
    }


async def test_russia_received_the_emirates_ambassador(world: AsyncEngine) -> None:
    russia = (await execute(world, RUSSIA))["state"]
    assert russia["envoysReceived"]["nodes"] == [
        {
            "key": "gul-hassan-hassan@AFG>RUS#1",
            "rank": "AMBASSADOR",
            "person": {"name": "Gul Hassan Hassan"},
            "sender": {"__typename": "Government", "key": "AFG:islamic-emirate"},
            "credentialsCopy": {"iso": "2025-07-03"},
            "credentialsCopyReceivedBy": {"name": "Andrey Rudenko"},
            "credentials": None,
            "credentialsReceivedBy": None,
        }
    ]
    cooperations = russia["cooperations"]
    assert cooperations["totalCount"] == 2
    assert {n["area"]["code"] for n in cooperations["nodes"]} == {"trade_economy", "energy"}
    assert {n["stance"] for n in cooperations["nodes"]} == {"PROSPECT_CITED"}
    assert {n["date"]["iso"] for n in cooperations["nodes"]} == {"2025-07-03"}
