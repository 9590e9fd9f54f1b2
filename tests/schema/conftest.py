"""Fixtures for the GraphQL schema tests: a small world of facts, and a way to ask it questions.

`world_url` is one database per test session holding a few rows modelled on the seed story
(the Taliban's Islamic Emirate, its recognizers, Russia's acceptance of its envoy's credentials).
Tests only read it. Tests that write get a fresh `database_url` of their own.
"""

import os
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.database import create_engine
from schema import tables
from schema.context import create_context
from schema.root import schema
from tests.databases import create_database, drop_database
from tests.schema.browser import CHROMIUM


async def execute(
    engine: AsyncEngine, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run an operation the way the HTTP layer does; fail on any error."""
    result = await schema.execute(
        query, variable_values=variables, context_value=create_context(engine=engine)
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def errors_of(
    engine: AsyncEngine, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    result = await schema.execute(
        query, variable_values=variables, context_value=create_context(engine=engine)
    )
    assert result.errors, f"expected errors, got {result.data}"
    return [dict(e.formatted) for e in result.errors]


async def _insert(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    # One executemany needs the same keys in every row; a missing value is NULL.
    columns = {column for row in rows for column in row}
    await connection.execute(insert(table), [dict.fromkeys(columns) | row for row in rows])


async def _ids(connection: AsyncConnection, table: Any, key: str) -> dict[str, int]:
    rows = await connection.execute(select(table.c[key], table.c.id))
    return {row[0]: row[1] for row in rows}


async def build_world(connection: AsyncConnection) -> None:
    """A few rows shaped like the seed: enough to ask every kind of question."""
    await _insert(
        connection,
        tables.state,
        [
            {"iso3": "AFG", "iso2": "AF", "numeric": "004", "name": "Afghanistan"},
            {"iso3": "RUS", "iso2": "RU", "numeric": "643", "name": "Russian Federation"},
            {"iso3": "PAK", "iso2": "PK", "numeric": "586", "name": "Pakistan"},
            {"iso3": "SAU", "iso2": "SA", "numeric": "682", "name": "Saudi Arabia"},
            {"iso3": "ARE", "iso2": "AE", "numeric": "784", "name": "United Arab Emirates"},
            {"iso3": "USA", "iso2": "US", "numeric": "840", "name": "United States"},
            {"iso3": "CHN", "iso2": "CN", "numeric": "156", "name": "China"},
        ],
    )
    state = await _ids(connection, tables.state, "iso3")
    await _insert(
        connection,
        tables.source,
        [
            {
                "key": "S01",
                "title": "Russia recognizes the Islamic Emirate",
                "url": "https://example.org/s01",
                "publisher": "TASS",
                "published_date": date(2025, 7, 3),
                "published_precision": "day",
                "kind": "news_agency",
                "reliability": "high",
            },
            {"key": "S20", "title": "Recognition of the Taliban, 1997", "publisher": "Reuters"},
        ],
    )
    source = await _ids(connection, tables.source, "key")
    await _insert(
        connection,
        tables.cooperation_area,
        [
            {"code": "trade_economy", "label": "Trade and economy"},
            {"code": "energy", "label": "Energy"},
        ],
    )
    area = await _ids(connection, tables.cooperation_area, "code")
    await connection.execute(
        tables.cooperation_area.update()
        .where(tables.cooperation_area.c.code == "energy")
        .values(parent_id=area["trade_economy"])
    )
    await _insert(
        connection,
        tables.person,
        [
            {
                "key": "gul-hassan-hassan",
                "name": "Gul Hassan Hassan",
                "aliases": ["Mawlawi Gul Hassan", "Гуль Хасан"],
                "nationality_id": state["AFG"],
            },
            {
                "key": "andrey-rudenko",
                "name": "Andrey Rudenko",
                "aliases": ["Andrei Rudenko", "Андрей Руденко"],
                "nationality_id": state["RUS"],
            },
        ],
    )
    person = await _ids(connection, tables.person, "key")
    await _insert(
        connection,
        tables.government,
        [
            {
                "key": "AFG:islamic-emirate",
                "state_id": state["AFG"],
                "name": "Islamic Emirate of Afghanistan",
                "native_name": "د افغانستان اسلامي امارت",
                "short_name": "Taliban administration",
                "form": "emirate",
            },
            {
                "key": "AFG:islamic-republic",
                "state_id": state["AFG"],
                "name": "Islamic Republic of Afghanistan",
                "native_name": "جمهوری اسلامی افغانستان",
                "form": "presidential republic",
            },
        ],
    )
    government = await _ids(connection, tables.government, "key")
    emirate, republic = government["AFG:islamic-emirate"], government["AFG:islamic-republic"]
    await _insert(
        connection,
        tables.government_period,
        [
            {
                "government_id": emirate,
                "from_date": date(1996, 9, 27),
                "from_precision": "day",
                "to_date": date(2001, 11, 13),
                "to_precision": "day",
            },
            {
                "government_id": emirate,
                "from_date": date(2021, 8, 15),
                "from_precision": "day",
            },
            {
                "government_id": republic,
                "from_date": date(2004, 1, 26),
                "from_precision": "day",
                "to_date": date(2021, 8, 14),
                "to_precision": "day",
            },
        ],
    )

    def recognition(recognizer: str, start: date, precision: str, **values: Any) -> dict[str, Any]:
        subject = values.pop("subject", "AFG:islamic-emirate")
        row = {
            "recognizer_id": state[recognizer],
            "subject_state_id": state["AFG"],
            "subject_government_id": government.get(subject),
            "key": f"{recognizer}>{subject}#1",
            "from_date": start,
            "from_precision": precision,
            "to_date": None,
            "to_precision": None,
            "end_reason": None,
            "type": "unspecified",
            "mode": "unspecified",
            "act": None,
        }
        return row | values

    await _insert(
        connection,
        tables.recognition,
        [
            recognition(
                "ARE",
                date(1997, 5, 1),
                "month",
                to_date=date(2001, 9, 1),
                to_precision="month",
                end_reason="relations_severed",
                act="establishment_of_relations",
            ),
            recognition(
                "PAK",
                date(1997, 5, 26),
                "day",
                to_date=date(2001, 11, 19),
                to_precision="day",
                end_reason="lapsed",
                type="de_jure",
                mode="express",
                act="official_statement",
            ),
            recognition(
                "SAU",
                date(1997, 5, 1),
                "month",
                to_date=date(2001, 9, 25),
                to_precision="day",
                end_reason="relations_severed",
            ),
            recognition(
                "RUS",
                date(2025, 7, 3),
                "day",
                mode="express",
                act="acceptance_of_credentials_copy",
            ),
            recognition("USA", date(1934, 1, 1), "year", subject="AFG", type="de_jure"),
            recognition("PAK", date(2004, 1, 26), "day", subject="AFG:islamic-republic"),
        ],
    )
    recognitions = await _ids(connection, tables.recognition, "key")
    await _insert(
        connection,
        tables.envoy,
        [
            {
                "key": "gul-hassan-hassan@AFG>RUS#1",
                "person_id": person["gul-hassan-hassan"],
                "sender_state_id": state["AFG"],
                "sender_government_id": emirate,
                "receiver_id": state["RUS"],
                "rank": "ambassador",
                "credentials_copy_date": date(2025, 7, 3),
                "credentials_copy_precision": "day",
                "credentials_copy_received_by_id": person["andrey-rudenko"],
            },
        ],
    )
    envoys = await _ids(connection, tables.envoy, "key")
    await _insert(
        connection,
        tables.sanction,
        [
            {
                "key": "UNSC:1988-taliban",
                "authority": "UNSC",
                "measures": ["asset_freeze", "travel_ban", "arms_embargo"],
                "target_kind": "government",
                "target_state_id": state["AFG"],
                "target_government_id": emirate,
                "from_date": date(2011, 6, 17),
                "from_precision": "day",
                "status": "active",
            },
            {
                "key": "UNSC:1267-taliban",
                "authority": "UNSC",
                "measures": ["asset_freeze", "flight_ban"],
                "target_kind": "government",
                "target_state_id": state["AFG"],
                "target_government_id": emirate,
                "from_date": date(1999, 11, 14),
                "from_precision": "day",
                "to_date": date(2011, 6, 16),
                "to_precision": "day",
                "status": "expired",
            },
            {
                "key": "US:sdgt-haqqani",
                "authority": "US-OFAC",
                "measures": ["terrorist_designation"],
                "target_kind": "organization",
                "target_organization": "Haqqani Network",
                "from_date": date(2012, 9, 1),
                "from_precision": "month",
            },
        ],
    )
    await _insert(
        connection,
        tables.cooperation,
        [
            {
                "key": f"RUS-AFG:{code}#1",
                "party_id": state["RUS"],
                "partner_state_id": state["AFG"],
                "partner_government_id": emirate,
                "area_id": area[code],
                "stance": "prospect_cited",
                "stated_date": date(2025, 7, 3),
                "stated_precision": "day",
            }
            for code in ("trade_economy", "energy")
        ]
        + [
            {
                "key": "CHN-RUS:energy#1",
                "party_id": state["CHN"],
                "partner_state_id": state["RUS"],
                "area_id": area["energy"],
                "stance": "agreement_signed",
                "stated_date": date(2019, 1, 1),
                "stated_precision": "year",
            }
        ],
    )
    await _insert(
        connection,
        tables.citation,
        [
            {
                "source_id": source["S01"],
                "recognition_id": recognitions["RUS>AFG:islamic-emirate#1"],
                "quote": "we have officially recognized",
                "position": 0,
            },
            {
                "source_id": source["S20"],
                "recognition_id": recognitions["PAK>AFG:islamic-emirate#1"],
                "position": 0,
            },
            {
                "source_id": source["S01"],
                "envoy_id": envoys["gul-hassan-hassan@AFG>RUS#1"],
                "position": 0,
            },
        ],
    )


@pytest.fixture(scope="session")
def world_url(postgres_server: str, template_database: str) -> Iterator[str]:
    url = create_database(postgres_server, prefix="credence_world", template=template_database)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
async def world(world_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the small world, built once per session and only read."""
    engine = create_engine(world_url, application_name="credence-tests", pool_size=4)
    async with engine.begin() as connection:
        await build_world(connection)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def seed(seeded_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the bundled seed dataset (read only)."""
    engine = create_engine(seeded_database, application_name="credence-tests", pool_size=4)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium; a missing one skips, or fails under CREDENCE_REQUIRE_BROWSER (CI)."""
    if not CHROMIUM.exists():
        if os.environ.get("CREDENCE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    return CHROMIUM
