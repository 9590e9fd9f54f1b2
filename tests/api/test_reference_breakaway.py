"""Breakaway states, asked through the GraphQL API over the bundled seed.

Abkhazia (XAB), South Ossetia (XSO), Northern Cyprus (XNC) and Somaliland (XSL) are claimed
states that ISO does not code, so the seed gives them user-assigned codes. Every expected figure
below is read from the source named next to it, not computed from our own rows.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.api.graphql_client import ask, graphql_client

WHO_RECOGNIZED = """
query WhoRecognized($subject: String!, $asOf: Date!) {
  recognitions(where: {subject: {eq: $subject}}, asOf: $asOf, first: 100) {
    totalCount
    nodes {
      key from { iso precision } to { iso } endReason confidence
      recognizer { iso3 }
      subject { __typename ... on State { iso3 name officialName kind } }
      citations { quote source { key url } }
    }
  }
}
"""

WITHDRAWN = """
query Withdrawn($recognizers: [String!]!) {
  recognitions(
    where: {subjectState: {in: ["XAB", "XSO"]}, recognizer: {in: $recognizers},
            endReason: {eq: WITHDRAWN}}
    first: 100
  ) {
    nodes { key from { iso } to { iso } endReason recognizer { iso3 }
            subject { ... on State { iso3 } } }
  }
}
"""


@pytest.fixture
async def client(seeded_database: str) -> AsyncIterator[httpx.AsyncClient]:
    async with graphql_client(seeded_database) as client:
        yield client


async def recognizers(client: httpx.AsyncClient, subject: str, as_of: str) -> dict[str, Any]:
    data = await ask(client, WHO_RECOGNIZED, subject=subject, asOf=as_of)
    return {node["recognizer"]["iso3"]: node for node in data["recognitions"]["nodes"]}


async def test_who_recognized_abkhazia_on_1_january_2012(client: httpx.AsyncClient) -> None:
    # The St. Petersburg Times, 28 September 2011 (ABK-sptimes-tuvalu-2011): "Tuvalu became the
    # sixth state to recognize Abkhazia". The six: Russia, Nicaragua, Venezuela, Nauru, Vanuatu
    # (May 2011, contested) and Tuvalu (18 September 2011).
    found = await recognizers(client, "XAB", "2012-01-01")
    assert sorted(found) == ["NIC", "NRU", "RUS", "TUV", "VEN", "VUT"]
    abkhazia = found["RUS"]["subject"]
    assert abkhazia == {
        "__typename": "State",
        "iso3": "XAB",
        "name": "Abkhazia",
        "officialName": "Republic of Abkhazia",
        "kind": "USER_ASSIGNED",
    }
    assert found["RUS"]["from"] == {"iso": "2008-08-26", "precision": "DAY"}
    assert found["TUV"]["from"] == {"iso": "2011-09-18", "precision": "DAY"}
    # Each recognition carries its sources with the passage quoted.
    tuvalu_sources = {c["source"]["key"]: c for c in found["TUV"]["citations"]}
    assert "sixth state to recognize Abkhazia" in tuvalu_sources["ABK-sptimes-tuvalu-2011"]["quote"]
    assert tuvalu_sources["ABK-kavkaz-tuvalu-2011"]["source"]["url"] == (
        "http://www.eng.kavkaz-uzel.eu/articles/18457/"
    )
    for node in found.values():
        assert node["citations"], node["key"]
        assert all(c["quote"] and c["source"]["url"] for c in node["citations"]), node["key"]
    # Vanuatu's recognition was annulled and reaffirmed in 2011: kept, at low confidence.
    assert found["VUT"]["confidence"] == "LOW"


async def test_who_recognizes_abkhazia_on_30_november_2026(client: httpx.AsyncClient) -> None:
    # OC Media, January 2026 (ABK-ocmedia-venezuela-2026): Venezuela "has since remained one of
    # only five UN member states — alongside Russia, Nicaragua, Syria, and Nauru — to have
    # recognised Abkhazia and South Ossetia". Tuvalu and Vanuatu withdrew.
    found = await recognizers(client, "XAB", "2026-11-30")
    assert sorted(found) == ["NIC", "NRU", "RUS", "SYR", "VEN"]
    assert all(node["to"] is None for node in found.values())
    assert found["SYR"]["from"]["iso"] == "2018-05-29"
    assert "ABK-ocmedia-venezuela-2026" in {c["source"]["key"] for c in found["VEN"]["citations"]}


async def test_who_recognizes_south_ossetia_today(client: httpx.AsyncClient) -> None:
    # Same OC Media report: the same five UN members recognise South Ossetia.
    found = await recognizers(client, "XSO", "2026-11-30")
    assert sorted(found) == ["NIC", "NRU", "RUS", "SYR", "VEN"]
    assert found["NRU"]["from"]["iso"] == "2009-12-16"  # Civil Georgia; Kommersant
    assert found["RUS"]["subject"]["officialName"] == (
        "Republic of South Ossetia \u2013 the State of Alania"  # an en dash, as the source
    )


async def test_who_recognizes_northern_cyprus_today(client: httpx.AsyncClient) -> None:
    # The Diplomatic Insight, 2024 (NCY-diplomaticinsight-2024): "The TRNC, declared in 1983, is
    # only recognized by Turkey"; UrduPoint/Sputnik 2021: declared "On November 15, 1983, ...
    # recognized solely by Turkey".
    found = await recognizers(client, "XNC", "2026-11-30")
    assert list(found) == ["TUR"]
    assert found["TUR"]["from"] == {"iso": "1983-11-15", "precision": "DAY"}
    assert found["TUR"]["subject"]["officialName"] == "Turkish Republic of Northern Cyprus"


async def test_who_recognizes_somaliland_today(client: httpx.AsyncClient) -> None:
    # The Times of Israel via VFI News (SML-vfinews-2025): Israel "formally recognized
    # Somaliland" on Friday, December 26 [2025], "the first country to do so".
    found = await recognizers(client, "XSL", "2026-11-30")
    assert list(found) == ["ISR"]
    assert found["ISR"]["from"] == {"iso": "2025-12-26", "precision": "DAY"}
    before = await recognizers(client, "XSL", "2025-12-25")
    assert before == {}


async def test_tuvalu_and_vanuatu_withdrew(client: httpx.AsyncClient) -> None:
    # Tuvalu: RFE/RL, 31 March 2014 (ABK-rferl-tuvalu-2014) - it "retracted its 2011 recognition
    # of ... Abkhazia and South Ossetia" by an agreement signed "on March 31".
    # Vanuatu: protocol with Georgia signed at the UN "on July 12, 2013" (Pacific Islands Report,
    # ABK-pireport-vanuatu-2013); it never recognized South Ossetia (RFE/RL, 21 May 2013).
    data = await ask(client, WITHDRAWN, recognizers=["TUV", "VUT"])
    ended = {
        (n["recognizer"]["iso3"], n["subject"]["iso3"]): (n["to"]["iso"], n["endReason"])
        for n in data["recognitions"]["nodes"]
    }
    assert ended == {
        ("TUV", "XAB"): ("2014-03-31", "WITHDRAWN"),
        ("TUV", "XSO"): ("2014-03-31", "WITHDRAWN"),
        ("VUT", "XAB"): ("2013-07-12", "WITHDRAWN"),
    }
