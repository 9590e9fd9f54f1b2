"""The brief's operations, exactly as written, against the bundled seed dataset."""

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import execute
from tests.schema.queries import EMIRATE, RUSSIA, WHO_RECOGNIZED


async def _recognizers(engine: AsyncEngine, as_of: str) -> list[str]:
    data = await execute(engine, WHO_RECOGNIZED, {"subject": "AFG:islamic-emirate", "asOf": as_of})
    recognitions = data["recognitions"]
    assert recognitions["totalCount"] == len(recognitions["nodes"])
    for node in recognitions["nodes"]:
        assert node["sources"], f"{node['key']} cites no source"
    return sorted(n["recognizer"]["iso3"] for n in recognitions["nodes"])


async def test_the_emirates_recognizers_in_2000(seed: AsyncEngine) -> None:
    assert await _recognizers(seed, "2000-01-01") == ["ARE", "PAK", "SAU"]


async def test_the_emirates_recognizers_at_the_end_of_2025(seed: AsyncEngine) -> None:
    assert await _recognizers(seed, "2025-12-31") == ["RUS"]


async def test_the_emirate(seed: AsyncEngine) -> None:
    government = (await execute(seed, EMIRATE))["government"]
    assert government["state"] == {"iso3": "AFG"}
    assert [p["from"]["iso"] for p in government["periods"]] == ["1996-09-27", "2021-08-15"]
    assert government["periods"][-1]["to"] is None
    recognized_by = government["recognizedBy"]
    assert recognized_by["totalCount"] == 3
    assert sorted(n["recognizer"]["iso3"] for n in recognized_by["nodes"]) == ["ARE", "PAK", "SAU"]
    sanctions = government["sanctions"]
    assert sanctions["totalCount"] == len(sanctions["nodes"]) > 0
    assert "UNSC:1988-taliban" in {n["key"] for n in sanctions["nodes"]}


async def test_gul_hassan_hassans_credentials(seed: AsyncEngine) -> None:
    russia = (await execute(seed, RUSSIA))["state"]
    envoy = next(
        n for n in russia["envoysReceived"]["nodes"] if n["key"] == "gul-hassan-hassan@AFG>RUS#1"
    )
    assert envoy["person"] == {"name": "Gul Hassan Hassan"}
    assert envoy["sender"] == {"__typename": "Government", "key": "AFG:islamic-emirate"}
    assert envoy["credentialsCopy"] == {"iso": "2025-07-03"}
    assert envoy["credentialsCopyReceivedBy"] == {"name": "Andrey Rudenko"}
    cooperations = russia["cooperations"]
    assert cooperations["totalCount"] > 0
    assert "energy" in {n["area"]["code"] for n in cooperations["nodes"]}
