"""States come from ISO 3166 (pycountry), never typed by hand; user-assigned codes from a file."""

import pycountry

from tests.api.test_import import fetch


async def test_every_current_iso_country_is_a_state(seeded_database: str) -> None:
    rows = await fetch(seeded_database, "SELECT iso3 FROM state WHERE kind = 'current'")
    assert {r[0] for r in rows} == {c.alpha_3 for c in pycountry.countries}
    assert len(rows) >= 249


async def test_historic_codes_not_reused_are_historic_states(seeded_database: str) -> None:
    rows = await fetch(
        seeded_database, "SELECT iso3, name FROM state WHERE kind = 'historic' ORDER BY iso3"
    )
    codes = {r[0] for r in rows}
    assert {"SUN", "YUG", "DDR", "CSK"} <= codes
    assert not codes & {c.alpha_3 for c in pycountry.countries}


async def test_kosovo_is_user_assigned(seeded_database: str) -> None:
    rows = await fetch(seeded_database, "SELECT name, iso2, kind FROM state WHERE iso3 = 'XKX'")
    assert [tuple(r) for r in rows] == [("Kosovo", "XK", "user_assigned")]


async def test_iso_data_says_nothing_about_who_governs(seeded_database: str) -> None:
    # The ISO official name of Afghanistan is still the Republic's; the governments live apart.
    rows = await fetch(
        seeded_database,
        "SELECT s.numeric, count(g.id) FROM state s LEFT JOIN government g ON g.state_id = s.id "
        "WHERE s.iso3 = 'AFG' GROUP BY s.numeric",
    )
    assert [tuple(r) for r in rows] == [("004", 3)]
