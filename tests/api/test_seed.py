"""The bundled seed answers the questions of the story it was built for, with sources."""

import asyncio

from api.importer.fuzzy_dates import parse_periods
from api.seed import load_seed, seed_files, seed_if_empty
from api.seed.quality import read_rows
from tests.api.test_import import count, fetch


def _rows_in_files(entity: str) -> int:
    return sum(1 for path in seed_files() for row in read_rows(path) if row.entity == entity)


def _periods_in_files() -> int:
    return sum(
        len(parse_periods(row.values.get("periods", "")))
        for path in seed_files()
        for row in read_rows(path)
        if row.entity == "governments"
    )


async def test_seed_holds_every_row_of_its_files(seeded_database: str) -> None:
    expected = {
        "source": _rows_in_files("sources"),
        "government": _rows_in_files("governments"),
        "person": _rows_in_files("persons"),
        "recognition": _rows_in_files("recognitions"),
        "envoy": _rows_in_files("envoys"),
        "sanction": _rows_in_files("sanctions"),
        "cooperation_area": _rows_in_files("cooperation_areas"),
        "cooperation": _rows_in_files("cooperations"),
        "government_period": _periods_in_files(),
    }
    found = {table: await count(seeded_database, table) for table in expected}
    assert found == expected
    # The story's own facts (api/seed/*.csv), whatever the cases add.
    assert expected["recognition"] >= 4 and expected["envoy"] == 6 and expected["sanction"] == 11
    assert await count(seeded_database, "state") >= 249
    assert await count(seeded_database, "citation") > 100


async def test_who_recognized_the_emirate_as_of_a_day(seeded_database: str) -> None:
    query = (
        "SELECT s.iso3 FROM recognition r JOIN state s ON s.id = r.recognizer_id "
        "JOIN government g ON g.id = r.subject_government_id "
        "WHERE g.key = 'AFG:islamic-emirate' AND r.valid @> $1::date ORDER BY 1"
    )
    import datetime

    in_2000 = await fetch(seeded_database, query, datetime.date(2000, 1, 1))
    end_2025 = await fetch(seeded_database, query, datetime.date(2025, 12, 31))
    assert [r[0] for r in in_2000] == ["ARE", "PAK", "SAU"]
    assert [r[0] for r in end_2025] == ["RUS"]


async def test_the_emirate_has_two_periods_in_power(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database,
        "SELECT p.from_date::text, p.to_date::text FROM government_period p "
        "JOIN government g ON g.id = p.government_id WHERE g.key = 'AFG:islamic-emirate' "
        "ORDER BY p.from_date",
    )
    assert [tuple(r) for r in rows] == [("1996-09-27", "2001-11-13"), ("2021-08-15", None)]


async def test_the_ambassador_s_credentials_and_who_received_them(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database,
        "SELECT e.credentials_copy_date::text, c.key, e.credentials_date::text, h.key, "
        "g.key, r.iso3 FROM envoy e "
        "JOIN person c ON c.id = e.credentials_copy_received_by_id "
        "JOIN person h ON h.id = e.credentials_received_by_id "
        "JOIN government g ON g.id = e.sender_government_id "
        "JOIN state r ON r.id = e.receiver_id WHERE e.key = 'gul-hassan-hassan@AFG>RUS#1'",
    )
    assert [tuple(r) for r in rows] == [
        (
            "2025-07-03",
            "andrey-rudenko",
            "2026-01-15",
            "vladimir-putin",
            "AFG:islamic-emirate",
            "RUS",
        )
    ]


async def test_sanctions_on_the_emirate_in_force_in_2024(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database,
        "SELECT s.key FROM sanction s JOIN government g ON g.id = s.target_government_id "
        "WHERE g.key = 'AFG:islamic-emirate' AND s.valid @> DATE '2024-01-01' ORDER BY 1",
    )
    keys = [r[0] for r in rows]
    assert {"UNSC:1988-taliban", "US:SDGT-taliban", "EU:753-2011"} <= set(keys)
    assert "RU:SC-terrorist-ban-taliban" in keys  # suspended only in April 2025


async def test_russia_cited_twelve_areas_of_cooperation(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database,
        "SELECT a.code, p.code, c.stance, c.stated_date::text, "
        "(SELECT count(*) FROM citation WHERE cooperation_id = c.id) "
        "FROM cooperation c JOIN cooperation_area a ON a.id = c.area_id "
        "LEFT JOIN cooperation_area p ON p.id = a.parent_id "
        "JOIN state y ON y.id = c.party_id JOIN government g ON g.id = c.partner_government_id "
        "WHERE y.iso3 = 'RUS' AND g.key = 'AFG:islamic-emirate' ORDER BY a.code",
    )
    assert len(rows) == 12
    assert {(r[2], r[3]) for r in rows} == {("prospect_cited", "2025-07-03")}
    assert all(r[4] > 0 for r in rows)
    assert ("energy", "trade_economy") in {(r[0], r[1]) for r in rows}


async def test_the_news_item_is_a_real_source(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database,
        "SELECT count(*) FROM citation c JOIN source s ON s.id = c.source_id WHERE s.key = 'NEWS'",
    )
    assert rows[0][0] >= 2


async def test_seeding_again_changes_nothing(database_url: str) -> None:
    first = await load_seed(database_url)
    log = await count(database_url, "change_log")
    second = await load_seed(database_url)

    assert sum(s.inserted for s in first.entities.values()) > 400
    assert all(s.inserted == s.updated == s.rejected == 0 for s in second.entities.values())
    assert await count(database_url, "change_log") == log
    origins = await fetch(database_url, "SELECT DISTINCT origin FROM change_log")
    assert [r[0] for r in origins] == ["seed"]


async def test_seed_if_empty_loads_only_an_empty_database(database_url: str) -> None:
    # seed_if_empty runs its own event loop, as `credence serve` calls it before starting one.
    assert await asyncio.to_thread(seed_if_empty, database_url) is True
    assert await asyncio.to_thread(seed_if_empty, database_url) is False
    assert await count(database_url, "recognition") == _rows_in_files("recognitions")
