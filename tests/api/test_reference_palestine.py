"""Reference questions on the recognition of the State of Palestine, answered through GraphQL.

The rows are the cited history in `api/seed/cases/palestine/`. Every expected figure below is read
from a source named next to it (the source keys are those of `palestine.sources.csv`), not
computed from our rows; where sources count differently, the comment says how the figure was
read and why our rows give it.

Counting rule of the sources: "states that recognize Palestine" are UN member states; the Holy
See (an observer state, VAT) is counted apart, and a state that ceased to exist (USSR SUN,
Czechoslovakia CSK, Yugoslavia YUG, South Yemen YMD) counts on the dates it existed.
"""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.database import create_engine
from api.settings import Settings

RECOGNIZERS = """
query ($asOf: Date, $after: String, $where: RecognitionWhere) {
  recognitions(asOf: $asOf, where: $where, first: 100, after: $after) {
    totalCount
    nodes { recognizer { iso3 } from { iso } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
OBSERVER_STATES = {"VAT"}  # the Holy See; Palestine itself is the subject, never a recognizer


@pytest.fixture
async def client(seeded_database: str) -> AsyncIterator[httpx.AsyncClient]:
    engine: AsyncEngine = create_engine(seeded_database)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, database_url=seeded_database, engine=engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c
    await engine.dispose()


async def _recognitions(
    client: httpx.AsyncClient, *, as_of: str | None = None, where: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every recognition of the State of Palestine matching `where`, page by page."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        variables = {
            "asOf": as_of,
            "after": after,
            "where": {"subject": {"eq": "PSE"}, **(where or {})},
        }
        response = await client.post(
            "/graphql", json={"query": RECOGNIZERS, "variables": variables}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        page = body["data"]["recognitions"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]


async def _recognizers_on(client: httpx.AsyncClient, day: str) -> set[str]:
    nodes = await _recognitions(client, as_of=day)
    recognizers = [n["recognizer"]["iso3"] for n in nodes]
    assert len(recognizers) == len(set(recognizers)), "one recognition in force per state"
    return set(recognizers)


async def _un_members_on(client: httpx.AsyncClient, day: str) -> set[str]:
    return await _recognizers_on(client, day) - OBSERVER_STATES


# Al Jazeera's list of the 1988 recognizers, as copied by Asian Diplomacy (PSE-asiandiplomacy-2024):
# "Algeria was the first country to officially recognize Palestine. After Algeria's recognition,
# Palestine was recognized as an independent state in the same year by ..." these names, in
# present-day terms.
AL_JAZEERA_1988 = [
    "Algeria", "Bahrain", "Indonesia", "Iraq", "Kuwait", "Libya", "Malaysia", "Mauritania",
    "Morocco", "Somalia", "Tunisia", "Turkey", "Yemen", "Afghanistan", "Bangladesh", "Cuba",
    "Jordan", "Madagascar", "Malta", "Nicaragua", "Pakistan", "Qatar", "Saudi Arabia",
    "United Arab Emirates", "Serbia", "Zambia", "Albania", "Brunei", "Djibouti", "Mauritius",
    "Sudan", "Cyprus", "Czech Republic", "Slovakia", "Egypt", "Gambia", "India", "Nigeria",
    "Seychelles", "Sri Lanka", "Namibia", "Russia", "Belarus", "Ukraine", "Vietnam", "China",
    "Burkina Faso", "Comoros", "Guinea", "Guinea-Bissau", "Cambodia", "Mali", "Mongolia",
    "Senegal", "Hungary", "Cape Verde", "North Korea", "Niger", "Romania", "Tanzania",
    "Bulgaria", "Maldives", "Ghana", "Togo", "Zimbabwe", "Chad", "Laos", "Sierra Leone",
    "Uganda", "Republic of Congo", "Angola", "Mozambique", "Sao Tome and Principe", "Gabon",
    "Oman", "Poland", "Democratic Republic of Congo", "Botswana", "Nepal", "Burundi",
    "Central African Republic", "Bhutan", "Western Sahara",
]  # fmt: skip


async def test_how_many_states_recognized_palestine_by_1_january_1989(
    client: httpx.AsyncClient,
) -> None:
    """81 states had recognized the State of Palestine by the end of 1988 (on 31 December 1988).

    Read from Al Jazeera's list (PSE-asiandiplomacy-2024): 83 names, less the Western Sahara
    (the SADR, not a UN member state) and Malta (its 1988 letter to the UN recognised the
    Palestinian people's right to a state, not the state: PSE-maltatoday-2025-editorial; Malta
    recognised on 22 September 2025). In the states of 1988, the Czech Republic and Slovakia are
    one recognizer (Czechoslovakia), and South Yemen, which the list folds into "Yemen", is a
    second one (PSE-ips-1988-11-15 names North Yemen and South Yemen). Wikipedia gives the same
    order of size: "by the end of the year ... recognized by over 78 countries"
    (PSE-wp-recognition-2022); the lead of the current article says 78 (PSE-wp-recognition).
    """
    present_day = len(AL_JAZEERA_1988) - len({"Western Sahara", "Malta"})
    in_1988_states = present_day - 1 + 1  # Czech Republic + Slovakia -> CSK; + South Yemen
    recognizers = await _un_members_on(client, "1988-12-31")
    assert len(recognizers) == in_1988_states == 81
    assert len(recognizers) > 78
    assert {"SUN", "CSK", "YUG", "YMD", "DZA", "CHN", "IND"} <= recognizers
    assert not {"RUS", "CZE", "SVK", "SRB", "MLT", "ESH"} & recognizers
    # The first day: Algeria and the states of Wikipedia's 15 November list (PSE-wp-1988).
    assert {"DZA", "BHR", "IDN", "IRQ", "KWT", "LBY", "MYS", "MRT", "MAR", "SOM", "TUN", "TUR",
            "YEM"} <= await _recognizers_on(client, "1988-11-15")  # fmt: skip
    # On 1 January 1989 itself, `asOf` also counts the recognitions the sources date only to the
    # year 1989 (PSE-seasia-2025: "1989 - ... Vanuatu, Philippines"): a year-precise start is in
    # force from its first day. The others of 1989 have their day (PSE-wp-1989: Rwanda 2 January).
    first_day_1989 = await _un_members_on(client, "1989-01-01")
    assert first_day_1989 - recognizers == {"VUT", "PHL"}


async def test_how_many_states_recognized_palestine_on_1_january_2012(
    client: httpx.AsyncClient,
) -> None:
    """130 states recognized the State of Palestine when 2012 began.

    AFP, 20 January 2012 (PSE-afp-2012-thailand): the Palestinian foreign minister "said the
    announcement [Thailand's, the first of 2012, made on 17 January: PSE-mfa-thailand-2012]
    brought to 131 the number of countries that recognize a Palestinian state", so 130 before it.
    AFP after Iceland's recognition of 15 December 2011 (PSE-afp-2011-count) agrees: "Figures
    published by the Palestine Liberation Organization indicate that 130 countries have
    recognized Palestine" (AFP's own count then was "at least 112").
    """
    before_thailand = await _un_members_on(client, "2012-01-01")
    assert len(before_thailand) == 131 - 1
    after_thailand = await _un_members_on(client, "2012-01-31")
    assert after_thailand - before_thailand == {"THA"}
    # The successors count in place of the states that ceased to exist.
    assert {"RUS", "CZE", "SVK", "SRB", "ISL"} <= before_thailand
    assert not {"SUN", "CSK", "YUG", "SCG", "YMD"} & before_thailand


async def test_how_many_states_recognized_palestine_in_2025(client: httpx.AsyncClient) -> None:
    """147 UN member states in March 2025, 157 after 22 September 2025, 158 at the end of 2025.

    - Wikipedia as of March 2025 (PSE-wp-recognition-2025-03): "recognized as a sovereign state by
      147 of the 193 member states of the United Nations".
    - Wikipedia (PSE-wp-recognition): "As of September 2025, ... recognized ... by 157 of the 193
      member states"; Tehelka (PSE-tehelka-2025), after the recognitions of 21 and 22 September
      (Canada, Australia, Portugal, the United Kingdom; France, Luxembourg, Malta, Monaco,
      Andorra, Belgium): "157 of the UN's 193 member states—along with the Holy See".
    - San Marino recognised afterwards, by its government's decision of 23 September
      (PSE-opsintels-2025-sanmarino) declared at the General Assembly on 27 September
      (PSE-dawn-2025-sanmarino): 157 + 1 = 158 at the end of 2025. The wire counts of those days
      differ and do not say how they count: Anadolu (PSE-aa-2025-timeline) says 159, Türkiye
      Today (PSE-turkiyetoday-2025) 157 with San Marino included. We follow Wikipedia's base,
      which does not count Malta's 1988 statement (see the 1989 test).
    """
    assert len(await _un_members_on(client, "2025-03-31")) == 147
    after_22_september = await _un_members_on(client, "2025-09-22")
    assert len(after_22_september) == 157
    assert "VAT" in await _recognizers_on(client, "2025-09-22")  # "along with the Holy See"
    end_of_2025 = await _un_members_on(client, "2025-12-31")
    assert end_of_2025 - after_22_september == {"SMR"}
    assert len(end_of_2025) == 157 + 1
    # Four of the five permanent members of the Security Council (PSE-turkiyetoday-2025 and
    # wire reports): China, Russia, the United Kingdom and France; not the United States.
    assert {"CHN", "RUS", "GBR", "FRA"} <= end_of_2025
    assert "USA" not in end_of_2025


async def test_which_states_recognized_palestine_during_2024(client: httpx.AsyncClient) -> None:
    """Nine: Barbados, Jamaica, Trinidad and Tobago, the Bahamas, Spain, Ireland, Norway, Slovenia
    and Armenia.

    Al Jazeera (PSE-rocketnews-2024): "This year, ... nine countries - Armenia, Slovenia, Ireland,
    Norway, Spain, the Bahamas, Trinidad and Tobago, Jamaica and Barbados - formally recognised
    the State of Palestine". The days are those of the governments' statements or the wire
    reports cited on each row (Barbados 19 April: PSE-gis-barbados-2024; Spain, Norway, Ireland
    28 May: PSE-ap-2024-05-28; Slovenia 4 June: PSE-ap-2024-slovenia; Armenia 21 June:
    PSE-armradio-2024).
    """
    nodes = await _recognitions(client, where={"from": {"gte": "2024-01-01", "lte": "2024-12-31"}})
    started = {n["recognizer"]["iso3"]: n["from"]["iso"] for n in nodes}
    assert started == {
        "BRB": "2024-04-19",
        "JAM": "2024-04-22",
        "TTO": "2024-05-02",
        "BHS": "2024-05-07",
        "ESP": "2024-05-28",
        "IRL": "2024-05-28",
        "NOR": "2024-05-28",
        "SVN": "2024-06-04",
        "ARM": "2024-06-21",
    }
