"""Reference questions about the recognition of the Sahrawi Arab Democratic Republic (SADR).

Asked through the GraphQL API over the bundled seed (case `api/seed/cases/sadr/`), where the SADR
is the government `ESH:sadr` of Western Sahara, proclaimed on 27 February 1976.

Where the figures come from:
- The 1985 figure is the PBS Wide Angle list "Countries That Recognize the Sahrawi Arab Democratic
  Republic" (19 August 2004, source ESH-pbs-2004): it names 63 states recognizing by 1 October 1985
  (India, the last before Guatemala on 10 April 1986), and none of the sources read dates a
  withdrawal before 1986.
- The later figures are the fates of those same 63 states, each read from its cited withdrawal,
  freeze or suspension (PBS 2004 for 1996-2000, it.wikipedia for 1989-2007, and news or agency
  reports for 2008-2025: Seychelles 2008, Burundi 2010, Zambia and Papua New Guinea 2011, Mauritius
  2014, Suriname and Jamaica 2016, Lesotho 2019, Bolivia and Guyana 2020, Peru 2022, Ecuador and
  Panama 2024, Ghana 2025) and re-recognitions (Burundi 2008, Panama and Mauritius 2015, Peru and
  Bolivia 2021, Colombia 2022).
- Not reconciled: Wikipedia (source ESH-wp-recognition) counts 84 UN members recognizing at some
  time and 46 in November 2024. The rows do not yet hold the 21 or so states that first recognized
  after 1985 (no dated source could be read for them), so the rows give 30 in force on
  1 November 2024 for the 1976-1985 recognizers only; the tests below assert the figures the rows'
  sources support, not Wikipedia's totals.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.settings import Settings

COUNT_IN_FORCE = """
query ($asOf: Date!) {
  government(key: "ESH:sadr") {
    name
    inPower(asOf: $asOf)
    recognizedBy(asOf: $asOf, first: 100) { totalCount nodes { recognizer { iso3 } } }
  }
}
"""

ENDS_BETWEEN = """
query ($from: Date!, $to: Date!, $reason: [RecognitionEndReason!]) {
  recognitions(
    where: {subject: {eq: "ESH:sadr"}, to: {gte: $from, lte: $to}, endReason: {in: $reason}}
    first: 100
  ) { totalCount nodes { recognizer { iso3 } episode to { iso } notes } }
}
"""

STARTS_SINCE = """
query ($since: Date!) {
  recognitions(where: {subject: {eq: "ESH:sadr"}, from: {gte: $since}}, first: 100) { totalCount }
}
"""

EPISODES = """
query ($recognizer: String!) {
  recognitions(where: {subject: {eq: "ESH:sadr"}, recognizer: {eq: $recognizer}}, first: 10) {
    nodes { episode from { iso } to { iso } endReason notes }
  }
}
"""


@pytest.fixture
async def client(seeded_database: str) -> AsyncIterator[httpx.AsyncClient]:
    engine: AsyncEngine = create_engine(seeded_database, application_name="credence-tests")
    app = create_app(Settings(_env_file=None), database_url=seeded_database, engine=engine)  # type: ignore[call-arg]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client
    await engine.dispose()


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def in_force(client: httpx.AsyncClient, day: str) -> set[str]:
    data = await ask(client, COUNT_IN_FORCE, asOf=day)
    recognized_by = data["government"]["recognizedBy"]
    codes = {node["recognizer"]["iso3"] for node in recognized_by["nodes"]}
    assert len(codes) == recognized_by["totalCount"]
    return codes


async def test_how_many_states_recognized_the_sadr_at_the_end_of_1985(
    client: httpx.AsyncClient,
) -> None:
    """63: every state on the PBS (2004) list with a recognition date up to 1 October 1985."""
    codes = await in_force(client, "1985-12-31")
    assert len(codes) == 63
    # First and last of the period in the PBS list:
    # Madagascar (28 February 1976) and India (1 October 1985).
    assert {"MDG", "IND", "YMD", "YUG"} <= codes
    # Guatemala (10 April 1986, PBS) came later and is not in the rows.
    assert "GTM" not in codes


async def test_the_sadr_is_a_government_of_western_sahara_in_power_today(
    client: httpx.AsyncClient,
) -> None:
    data = await ask(client, COUNT_IN_FORCE, asOf="2026-11-30")
    assert data["government"]["name"] == "Sahrawi Arab Democratic Republic"
    assert data["government"]["inPower"] is True


async def test_how_many_of_those_states_recognize_the_sadr_today(
    client: httpx.AsyncClient,
) -> None:
    """27 of the 63 recognize on 2026-11-30, per the cited withdrawals and re-recognitions.

    Of the 63: 39 first episodes ended (36 withdrawn, frozen or suspended; South Yemen
    ceased on 22 May 1990; Tuvalu and Kiribati no later than March 2011, when MAP said no Pacific
    Islands Forum member recognized the SADR), and 3 of those states came back and still recognize:
    Colombia (10 August 2022), Bolivia (16 September 2021), Mauritius (2015).
    """
    codes = await in_force(client, "2026-11-30")
    assert len(codes) == 27
    assert {"COL", "BOL", "MUS", "DZA", "MEX", "VEN"} <= codes
    # Recent suspensions: Ecuador (22 October 2024), Panama (21 November 2024),
    # Ghana (6 January 2025).
    assert not {"ECU", "PAN", "GHA", "PER", "YMD"} & codes


async def test_how_many_withdrawals_freezes_and_suspensions_between_1986_and_today(
    client: httpx.AsyncClient,
) -> None:
    """39 ends recorded as withdrawn (the sources' "withdrawn", "revoked", "frozen", "suspended").

    36 first episodes (Saint Lucia and the Solomon Islands 1989 ... Ghana 2025) plus the second
    episodes of Burundi (2010), Panama (2024) and Peru (2022); not counted as withdrawn: South
    Yemen (the recognizer ceased in 1990) and Tuvalu and Kiribati (no end reason).
    """
    withdrawn = await ask(
        client, ENDS_BETWEEN, **{"from": "1986-01-01", "to": "2026-11-30", "reason": ["WITHDRAWN"]}
    )
    assert withdrawn["recognitions"]["totalCount"] == 39
    every_end = await ask(client, ENDS_BETWEEN, **{"from": "1986-01-01", "to": "2026-11-30"})
    assert every_end["recognitions"]["totalCount"] == 42
    # The rows reconcile: 63 at the end of 1985, 42 ends since, 6 re-recognitions, 27 today.
    again = await ask(client, STARTS_SINCE, since="1986-01-01")
    assert again["recognitions"]["totalCount"] == 6
    today = await in_force(client, "2026-11-30")
    assert 63 - 42 + again["recognitions"]["totalCount"] == len(today)


async def test_recent_suspensions_are_read_as_withdrawals_with_the_sources_word(
    client: httpx.AsyncClient,
) -> None:
    """Ecuador "suspended" its recognition (22 October 2024, Prensa Latina, Perspectives Med)."""
    data = await ask(client, EPISODES, recognizer="ECU")
    [episode] = data["recognitions"]["nodes"]
    assert episode["from"]["iso"] == "1983-11-14"
    assert episode["to"]["iso"] == "2024-10-22"
    assert episode["endReason"] == "WITHDRAWN"
    assert "suspended" in episode["notes"]


async def test_a_re_recognition_is_a_second_episode(client: httpx.AsyncClient) -> None:
    """Peru: 16 August 1984 (PBS) to October 1996 (suspended), September 2021 to 18 August 2022."""
    data = await ask(client, EPISODES, recognizer="PER")
    episodes = [
        (node["episode"], node["from"]["iso"], node["to"]["iso"], node["endReason"])
        for node in data["recognitions"]["nodes"]
    ]
    assert episodes == [
        (1, "1984-08-16", "1996-10", "WITHDRAWN"),
        (2, "2021-09", "2022-08-18", "WITHDRAWN"),
    ]
