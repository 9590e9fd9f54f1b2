"""Corrections to the story's seed dates, asked through the GraphQL API over the seeded database.

Each expected date is read from the cited sources (keys of api/seed/sources.csv), not from our rows:
- S90 (text of Executive Order 13268 of 2 July 2002), S91 (the President's letter to Congress of
  2 July 2002) and S92 (OFAC's final rule of 1 June 2011, 76 FR 31470): EO 13268 revoked EO 13129
  and terminated its national emergency, and added the Taliban to the Annex of EO 13224.
- S95 (TASS), S96 (Interfax), S97 (Kommersant), S102 (RIA Novosti via Moika78): the Russian
  Supreme Court suspended the ban on the Taliban on 17 April 2025 with immediate effect; S08
  (BORNA, citing the FSB register) gives 20 May 2025 as the day the decision came into legal force.
  S97 and S98 (Grani.ru citing RIA Novosti) date the original ban to 14 February 2003.
- S105 (Arms Control Association) and S106 (IRIN): resolution 1333 took effect one month after
  its adoption on 19 December 2000.
- S101 (AP, 22 December 2001): Rabbani handed power to Karzai's interim administration.
- S103 (BBC) and S104 (AFP via Rediff): Pakistan closed the Taliban embassy, announced 22 Nov 2001.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.database import create_engine
from api.settings import Settings

SANCTION_AS_OF = """
query ($key: String!, $asOf: Date!) {
  sanctions(asOf: $asOf, where: {key: {eq: $key}}) {
    totalCount
    nodes { key from { iso } to { iso } status sources { key } }
  }
}
"""

TALIBAN_SANCTIONS_AS_OF = """
query ($asOf: Date!) {
  sanctions(asOf: $asOf, where: {target: {eq: "AFG:islamic-emirate"}}, first: 100) {
    nodes { key }
  }
}
"""


@pytest.fixture
async def graphql(seeded_database: str) -> AsyncIterator[Any]:
    engine = create_engine(seeded_database, application_name="credence-tests")
    app = create_app(Settings(_env_file=None), database_url=seeded_database, engine=engine)  # type: ignore[call-arg]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def run(query: str, **variables: Any) -> dict[str, Any]:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        yield run
    await engine.dispose()


async def _in_force(graphql: Any, key: str, day: str) -> list[dict[str, Any]]:
    return (await graphql(SANCTION_AS_OF, key=key, asOf=day))["sanctions"]["nodes"]


async def test_eo_13129_was_in_force_in_2000_but_not_in_2024(graphql: Any) -> None:
    """EO 13129 (4 July 1999) was revoked by EO 13268 on 2 July 2002 (S90, S91, S92)."""
    (in_2000,) = await _in_force(graphql, "US:EO13129", "2000-01-01")
    assert in_2000["from"] == {"iso": "1999-07-04"}
    assert in_2000["to"] == {"iso": "2002-07-02"}
    assert in_2000["status"] == "EXPIRED"
    assert {"S90", "S92"} <= {s["key"] for s in in_2000["sources"]}
    assert await _in_force(graphql, "US:EO13129", "2024-01-01") == []
    assert await _in_force(graphql, "US:EO13129", "2002-07-03") == []


async def test_the_taliban_moved_from_eo_13129_to_the_eo_13224_annex(graphql: Any) -> None:
    """EO 13268 added the Taliban to EO 13224's Annex the day it ended EO 13129 (S90, S92)."""
    on_the_day = {
        n["key"]
        for n in (await graphql(TALIBAN_SANCTIONS_AS_OF, asOf="2002-07-02"))["sanctions"]["nodes"]
    }
    assert {"US:EO13129", "US:SDGT-taliban"} <= on_the_day
    day_before = {
        n["key"]
        for n in (await graphql(TALIBAN_SANCTIONS_AS_OF, asOf="2002-07-01"))["sanctions"]["nodes"]
    }
    assert "US:EO13129" in day_before and "US:SDGT-taliban" not in day_before
    in_2024 = {
        n["key"]
        for n in (await graphql(TALIBAN_SANCTIONS_AS_OF, asOf="2024-01-01"))["sanctions"]["nodes"]
    }
    assert "US:SDGT-taliban" in in_2024 and "US:EO13129" not in in_2024


async def test_russia_s_ban_ran_from_14_february_2003_to_17_april_2025(graphql: Any) -> None:
    """Banned 14 Feb 2003 (S97, S98); suspended 17 Apr 2025 with immediate effect (S95-S97)."""
    key = "RU:SC-terrorist-ban-taliban"
    assert await _in_force(graphql, key, "2003-02-13") == []
    (first_day,) = await _in_force(graphql, key, "2003-02-14")
    assert first_day["from"] == {"iso": "2003-02-14"}
    (day_before_end,) = await _in_force(graphql, key, "2025-04-16")
    assert day_before_end["to"] == {"iso": "2025-04-17"}
    assert day_before_end["status"] == "SUSPENDED"
    assert {"S95", "S96", "S97", "S08"} <= {s["key"] for s in day_before_end["sources"]}
    assert await _in_force(graphql, key, "2025-04-18") == []
    # 20 May 2025, when the decision came into legal force (S08), is after the end as well.
    assert await _in_force(graphql, key, "2025-05-20") == []


async def test_the_rabbani_government_handed_over_on_22_december_2001(graphql: Any) -> None:
    """Rabbani was the outgoing president when Karzai was sworn in on 22 Dec 2001 (S101)."""
    data = await graphql(
        '{ government(key: "AFG:islamic-state") { periods { from { iso } to { iso } } } }'
    )
    assert data["government"]["periods"] == [{"from": None, "to": {"iso": "2001-12-22"}}]


async def test_the_taliban_embassy_in_pakistan_closed_in_november_2001(graphql: Any) -> None:
    """Pakistan told the Taliban to close their Islamabad embassy on 22 Nov 2001 (S103, S104)."""
    data = await graphql(
        '{ envoy(key: "abdul-salam-zaeef@AFG>PAK#1") { ended { iso } endReason } }'
    )
    assert data["envoy"] == {"ended": {"iso": "2001-11-22"}, "endReason": "MISSION_CLOSED"}


async def test_resolution_1333_took_effect_a_month_after_its_adoption(graphql: Any) -> None:
    """Adopted 19 Dec 2000, in effect one month later, for a year (S105, S106); then 1390 (S33)."""
    assert await _in_force(graphql, "UNSC:1333", "2000-12-20") == []
    (in_2001,) = await _in_force(graphql, "UNSC:1333", "2001-06-01")
    assert in_2001["from"] == {"iso": "2001-01"}
    assert in_2001["to"] == {"iso": "2002-01-16"}
    assert await _in_force(graphql, "UNSC:1333", "2002-01-17") == []
