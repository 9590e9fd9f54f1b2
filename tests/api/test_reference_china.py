"""The two governments of China, asked through the GraphQL API over the bundled seed.

One state, China (CHN), with two governments that each claimed to represent all of it: the
Republic of China (CHN:republic-of-china, in Taipei since 1949) and the People's Republic of
China (CHN:peoples-republic, from 1 October 1949). A state that switches recognition ends an
episode with one government and starts one with the other. Every expected figure below is read
from the source named next to it, not computed from our own rows.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.graphql_client import ask, graphql_client

ROC = "CHN:republic-of-china"
PRC = "CHN:peoples-republic"

IN_FORCE = """
query InForce($recognizer: String, $subjectState: String!, $asOf: Date!) {
  recognitions(
    where: {recognizer: {eq: $recognizer}, subjectState: {eq: $subjectState}}
    asOf: $asOf
    first: 100
  ) {
    totalCount
    nodes {
      key from { iso } to { iso } endReason
      recognizer { iso3 }
      subject { __typename ... on Government { key name state { iso3 } } }
      citations { quote source { key url publisher } }
    }
  }
}
"""

HISTORY = """
query History($recognizer: String!) {
  recognitions(
    where: {recognizer: {eq: $recognizer}, subjectState: {eq: "CHN"}}
    orderBy: FROM_ASC
    first: 100
  ) {
    nodes {
      key episode from { iso } to { iso } endReason act
      subject { ... on Government { key } }
      citations { source { key } }
    }
  }
}
"""

RECOGNIZERS_OF = """
query RecognizersOf($subject: String!, $asOf: Date!) {
  recognitions(where: {subject: {eq: $subject}}, asOf: $asOf, first: 100) {
    totalCount
    nodes { recognizer { iso3 } citations { source { key } } }
  }
}
"""

GOVERNMENTS = """
{
  state(iso3: "CHN") { iso3 }
  roc: government(key: "CHN:republic-of-china") {
    name state { iso3 } periods { from { iso } to { iso } }
  }
  prc: government(key: "CHN:peoples-republic") {
    name state { iso3 } periods { from { iso } to { iso } }
  }
}
"""


@pytest.fixture
async def client(seeded_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with graphql_client(seeded_database) as client:
        yield client


async def in_force(client: httpx.AsyncClient, recognizer: str, as_of: str) -> list[dict[str, Any]]:
    data = await ask(client, IN_FORCE, recognizer=recognizer, subjectState="CHN", asOf=as_of)
    return data["recognitions"]["nodes"]


async def test_china_is_one_state_with_two_governments(client: httpx.AsyncClient) -> None:
    data = await ask(client, GOVERNMENTS)
    assert data["state"] == {"iso3": "CHN"}
    # Giles, China and the Manchus (1912): the republic's provisional government from
    # 1 January 1912; Wikipedia (Dates of establishment ...): "The PRC was established on
    # 1 October 1949". Both still exist, so both periods are open.
    assert data["roc"]["state"] == data["prc"]["state"] == {"iso3": "CHN"}
    assert data["roc"]["periods"] == [{"from": {"iso": "1912-01-01"}, "to": None}]
    assert data["prc"]["periods"] == [{"from": {"iso": "1949-10-01"}, "to": None}]


async def test_which_china_honduras_recognized_in_2022_and_in_2024(
    client: httpx.AsyncClient,
) -> None:
    # Honduras broke with Taipei on 25 March 2023 (Honduran foreign ministry statement) and signed
    # a joint communique with Beijing on 26 March 2023 (Xinhua, CHN-xinhua-honduras-2023).
    [mid_2022] = await in_force(client, "HND", "2022-06-30")
    assert mid_2022["subject"]["key"] == ROC
    assert mid_2022["subject"]["name"] == "Republic of China"
    assert mid_2022["to"] == {"iso": "2023-03-25"}

    [mid_2024] = await in_force(client, "HND", "2024-06-30")
    assert mid_2024["subject"]["key"] == PRC
    assert mid_2024["from"] == {"iso": "2023-03-26"}
    sources = {c["source"]["key"]: c for c in mid_2024["citations"]}
    xinhua = sources["CHN-xinhua-honduras-2023"]
    assert xinhua["source"]["publisher"] == "Xinhua"
    assert "joint communique in Beijing Sunday" in xinhua["quote"]

    # An episode's end day is its last day in force: on the day of the communique, only the PRC.
    [on_the_day] = await in_force(client, "HND", "2023-03-26")
    assert on_the_day["subject"]["key"] == PRC


async def test_how_many_states_recognized_the_roc_on_30_november_2026(
    client: httpx.AsyncClient,
) -> None:
    # Reuters, 15 January 2024 (CHN-reuters-allies-12-2024): Nauru's break "leaves Taiwan with
    # formal diplomatic relations with only 12 countries", listed as Belize, Guatemala, Paraguay,
    # Haiti, Saint Kitts and Nevis, Saint Lucia, Saint Vincent and the Grenadines, Marshall
    # Islands, Palau, Tuvalu, Eswatini and Vatican City. The Diplomat, June 2025
    # (CHN-diplomat-allies-2025): "Currently, only 12 small states maintain formal diplomatic
    # relations with Taiwan." No later switch was found in the sources read.
    data = await ask(client, RECOGNIZERS_OF, subject=ROC, asOf="2026-11-30")
    recognitions = data["recognitions"]
    assert recognitions["totalCount"] == 12
    assert sorted(n["recognizer"]["iso3"] for n in recognitions["nodes"]) == [
        "BLZ", "GTM", "HTI", "KNA", "LCA", "MHL", "PLW", "PRY", "SWZ", "TUV", "VAT", "VCT",
    ]  # fmt: skip
    for node in recognitions["nodes"]:
        assert node["citations"], node

    # Reuters, 26 March 2023 (CHN-reuters-allies-13-2023): after Honduras, 13 allies (with Nauru).
    in_2023 = await ask(client, RECOGNIZERS_OF, subject=ROC, asOf="2023-06-30")
    assert in_2023["recognitions"]["totalCount"] == 13


async def test_naurus_switches_in_order(client: httpx.AsyncClient) -> None:
    # About.com (2005): Nauru recognized Taiwan "from 1980 through 2002"; People's Daily,
    # 21 July 2002: joint communique with Beijing; RNZ / AFP, May 2005: back to Taipei on
    # 14 May 2005; Reuters, 15 January 2024: break with Taiwan; Xinhua, 24 January 2024:
    # relations with Beijing resumed.
    data = await ask(client, HISTORY, recognizer="NRU")
    steps = [
        (n["subject"]["key"], n["episode"], n["from"]["iso"], n["to"] and n["to"]["iso"])
        for n in data["recognitions"]["nodes"]
    ]
    assert steps == [
        (ROC, 1, "1980", "2002-07-21"),
        (PRC, 1, "2002-07-21", "2005-05"),
        (ROC, 2, "2005-05-14", "2024-01-15"),
        (PRC, 2, "2024-01-24", None),
    ]
    for node in data["recognitions"]["nodes"]:
        assert node["citations"], node["key"]
    assert [n["endReason"] for n in data["recognitions"]["nodes"]] == [
        "RELATIONS_SEVERED",
        "RELATIONS_SEVERED",
        "RELATIONS_SEVERED",
        None,
    ]
