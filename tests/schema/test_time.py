"""`asOf` at the edges of fuzzy dates: a month starts on its first day and ends on its last."""

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.schema.conftest import execute

RECOGNIZERS = """
query ($asOf: Date!) {
  government(key: "AFG:islamic-emirate") {
    recognizedBy(asOf: $asOf) { nodes { recognizer { iso3 } } }
  }
}
"""


async def _recognizers(engine: AsyncEngine, as_of: str) -> set[str]:
    data = await execute(engine, RECOGNIZERS, {"asOf": as_of})
    return {n["recognizer"]["iso3"] for n in data["government"]["recognizedBy"]["nodes"]}


@pytest.mark.parametrize(
    ("as_of", "in_force"),
    [
        ("1997-04-30", False),  # the UAE's start is "1997-05": not yet
        ("1997-05-01", True),  # the earliest day of "1997-05"
        ("2001-09-30", True),  # its end is "2001-09": in force to the month's last day
        ("2001-10-01", False),
    ],
)
async def test_a_month_precise_period(world: AsyncEngine, as_of: str, in_force: bool) -> None:
    assert ("ARE" in await _recognizers(world, as_of)) is in_force


async def test_a_day_precise_end_is_the_last_day(world: AsyncEngine) -> None:
    assert "SAU" in await _recognizers(world, "2001-09-25")
    assert "SAU" not in await _recognizers(world, "2001-09-26")


async def test_a_year_precise_start(world: AsyncEngine) -> None:
    query = """query ($asOf: Date!) { recognitions(asOf: $asOf, where: {subject: {eq: "AFG"}}) {
        nodes { key from { iso precision earliest latest } } } }"""
    before = await execute(world, query, {"asOf": "1933-12-31"})
    assert before["recognitions"]["nodes"] == []
    after = await execute(world, query, {"asOf": "1934-01-01"})
    assert after["recognitions"]["nodes"] == [
        {
            "key": "USA>AFG#1",
            "from": {
                "iso": "1934",
                "precision": "YEAR",
                "earliest": "1934-01-01",
                "latest": "1934-12-31",
            },
        }
    ]


async def test_governments_in_power(world: AsyncEngine) -> None:
    query = """query ($asOf: Date!) {
      state(iso3: "AFG") {
        currentGovernment(asOf: $asOf) { key }
        governments(asOf: $asOf) { nodes { key inPower(asOf: $asOf) } }
      }
    }"""
    for as_of, key in [
        ("2000-06-01", "AFG:islamic-emirate"),
        ("2010-06-01", "AFG:islamic-republic"),
        ("2021-08-15", "AFG:islamic-emirate"),
        ("2003-01-01", None),
    ]:
        state = (await execute(world, query, {"asOf": as_of}))["state"]
        assert (state["currentGovernment"] or {}).get("key") == key, as_of
        expected = [{"key": key, "inPower": True}] if key else []
        assert state["governments"]["nodes"] == expected


async def test_in_power_defaults_to_today(world: AsyncEngine) -> None:
    query = """{ government(key: "AFG:islamic-republic") { inPower }
                 state(iso3: "AFG") { currentGovernment { key } } }"""
    data = await execute(world, query)
    assert data["government"]["inPower"] is False
    assert data["state"]["currentGovernment"] == {"key": "AFG:islamic-emirate"}


async def test_sanctions_as_of(world: AsyncEngine) -> None:
    query = """query ($asOf: Date!) { sanctions(asOf: $asOf) { nodes { key } } }"""
    keys = {
        as_of: [
            n["key"] for n in (await execute(world, query, {"asOf": as_of}))["sanctions"]["nodes"]
        ]
        for as_of in ("2005-01-01", "2011-06-16", "2011-06-17", "2012-08-31", "2012-09-01")
    }
    assert keys == {
        "2005-01-01": ["UNSC:1267-taliban"],
        "2011-06-16": ["UNSC:1267-taliban"],
        "2011-06-17": ["UNSC:1988-taliban"],
        "2012-08-31": ["UNSC:1988-taliban"],
        "2012-09-01": ["UNSC:1988-taliban", "US:sdgt-haqqani"],
    }


async def test_cooperation_as_of_is_stated_by_then(world: AsyncEngine) -> None:
    query = """query ($asOf: Date!) { cooperations(asOf: $asOf) { nodes { key } } }"""
    early = await execute(world, query, {"asOf": "2025-07-02"})
    assert [n["key"] for n in early["cooperations"]["nodes"]] == ["CHN-RUS:energy#1"]
    late = await execute(world, query, {"asOf": "2025-07-03"})
    assert len(late["cooperations"]["nodes"]) == 3


async def test_envoys_as_of(world: AsyncEngine) -> None:
    query = """query ($asOf: Date!) { envoys(asOf: $asOf) { totalCount } }"""
    assert (await execute(world, query, {"asOf": "2025-07-02"}))["envoys"]["totalCount"] == 0
    assert (await execute(world, query, {"asOf": "2025-07-03"}))["envoys"]["totalCount"] == 1
