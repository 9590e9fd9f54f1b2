"""Each integrity rule holds in the database itself, whoever writes the row."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

BASE_ROWS = """
INSERT INTO state (iso3, name) VALUES
    ('AFG', 'Afghanistan'), ('RUS', 'Russian Federation'), ('PAK', 'Pakistan');
INSERT INTO government (key, state_id, name) VALUES
    ('AFG:islamic-emirate', 1, 'Islamic Emirate of Afghanistan');
INSERT INTO person (key, name) VALUES ('gul-hassan-hassan', 'Gul Hassan Hassan');
INSERT INTO source (key, title) VALUES ('S01', 'A source');
INSERT INTO cooperation_area (code, label) VALUES ('energy', 'Energy');
INSERT INTO recognition (key, recognizer_id, subject_state_id, subject_government_id,
                         from_date, from_precision, to_date, to_precision)
VALUES ('PAK>AFG:islamic-emirate#1', 3, 1, 1, '1997-05-26', 'day', '2001-11-19', 'day');
"""
# A fresh database numbers these rows from 1, in this order: AFG 1, RUS 2, PAK 3.


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        for statement in BASE_ROWS.strip().split(";\n"):
            await connection.execute(text(statement))
        yield connection
        await connection.rollback()


async def _rejects(db: AsyncConnection, sql: str, constraint: str) -> None:
    """The statement fails, and the error names `constraint`."""
    savepoint = await db.begin_nested()
    with pytest.raises((IntegrityError, DBAPIError)) as failure:
        await db.execute(text(sql))
    await savepoint.rollback()
    assert constraint in str(failure.value)


async def _accepts(db: AsyncConnection, sql: str) -> None:
    savepoint = await db.begin_nested()
    await db.execute(text(sql))
    await savepoint.rollback()


def _recognition(
    recognizer: int,
    state: int,
    government: str,
    episode: int,
    start: str,
    precision: str,
    end: str = "NULL",
    end_precision: str = "NULL",
) -> str:
    return (
        "INSERT INTO recognition (key, recognizer_id, subject_state_id, subject_government_id,"
        " episode, from_date, from_precision, to_date, to_precision) VALUES "
        f"('k{episode}', {recognizer}, {state}, {government}, {episode}, '{start}', '{precision}',"
        f" {end}, {end_precision})"
    )


async def test_a_state_cannot_recognize_itself(db: AsyncConnection) -> None:
    await _rejects(
        db, _recognition(1, 1, "NULL", 1, "2000-01-01", "day"), "ck_recognition_not_self"
    )


async def test_a_state_cannot_recognize_its_own_government(db: AsyncConnection) -> None:
    await _rejects(db, _recognition(1, 1, "1", 1, "2000-01-01", "day"), "ck_recognition_not_self")


async def test_end_before_start_is_rejected(db: AsyncConnection) -> None:
    sql = _recognition(2, 1, "1", 2, "2025-07-03", "day", "'2025-07-02'", "'day'")
    await _rejects(db, sql, "ck_recognition_end_not_before_start")


async def test_end_in_the_same_month_as_a_day_start_is_accepted(db: AsyncConnection) -> None:
    # An end of "2025-07" may mean 2025-07-31, so it does not come before 2025-07-03.
    await _accepts(db, _recognition(2, 1, "1", 2, "2025-07-03", "day", "'2025-07-01'", "'month'"))


async def test_overlapping_episodes_of_one_pair_are_rejected(db: AsyncConnection) -> None:
    # Pakistan's first episode runs to 2001-11-19; a second one may not start inside it.
    await _rejects(db, _recognition(3, 1, "1", 2, "2001-11-01", "month"), "ex_recognition_overlap")


async def test_a_later_episode_of_one_pair_is_accepted(db: AsyncConnection) -> None:
    await _accepts(db, _recognition(3, 1, "1", 2, "2001-11-20", "day"))


async def test_a_government_key_must_start_with_its_state(db: AsyncConnection) -> None:
    sql = "INSERT INTO government (key, state_id, name) VALUES ('RUS:islamic-emirate', 1, 'x')"
    await _rejects(db, sql, "does not start with the ISO code of its state")


async def test_a_government_key_must_have_the_iso3_slug_form(db: AsyncConnection) -> None:
    sql = "INSERT INTO government (key, state_id, name) VALUES ('AFG:Emirate', 1, 'x')"
    await _rejects(db, sql, "ck_government_key_format")


async def test_a_subject_government_must_belong_to_the_subject_state(db: AsyncConnection) -> None:
    # Government 1 is Afghan; naming Pakistan (3) as its state breaks the composite key.
    await _rejects(
        db,
        _recognition(2, 3, "1", 1, "2000-01-01", "day"),
        "fk_recognition_subject_government_state",
    )


async def test_enumerations_are_checked(db: AsyncConnection) -> None:
    sql = (
        _recognition(2, 1, "1", 1, "2025-07-03", "day")
        .replace("episode,", "episode, type,")
        .replace("VALUES ('k1', 2, 1, 1, 1,", "VALUES ('k1', 2, 1, 1, 1, 'de_iure',")
    )
    await _rejects(db, sql, "ck_recognition_type")


async def test_sanction_measures_are_checked(db: AsyncConnection) -> None:
    sql = (
        "INSERT INTO sanction (key, authority, target_kind, target_organization, measures) "
        "VALUES ('X:1', 'UNSC', 'organization', 'Taliban', ARRAY['asset_freeze', 'embargo'])"
    )
    await _rejects(db, sql, "ck_sanction_measures_values")


async def test_a_sanction_target_must_match_its_kind(db: AsyncConnection) -> None:
    sql = (
        "INSERT INTO sanction (key, authority, target_kind, target_person_id) "
        "VALUES ('X:1', 'UNSC', 'government', 1)"
    )
    await _rejects(db, sql, "ck_sanction_target_matches_kind")


async def test_a_fuzzy_date_must_be_the_first_day_of_its_precision(db: AsyncConnection) -> None:
    await _rejects(
        db, _recognition(2, 1, "1", 1, "2025-07-03", "month"), "ck_recognition_from_date_aligned"
    )


async def test_a_fuzzy_date_needs_its_precision(db: AsyncConnection) -> None:
    sql = _recognition(2, 1, "1", 1, "2025-07-03", "day", "'2025-08-01'", "NULL")
    await _rejects(db, sql, "ck_recognition_to_precision_given")


async def test_natural_keys_are_unique(db: AsyncConnection) -> None:
    await _rejects(db, "INSERT INTO state (iso3, name) VALUES ('AFG', 'Again')", "uq_state_iso3")


async def test_references_must_exist(db: AsyncConnection) -> None:
    await _rejects(
        db, _recognition(99, 1, "1", 1, "2025-07-03", "day"), "fk_recognition_recognizer_id_state"
    )


async def test_a_citation_points_at_exactly_one_fact(db: AsyncConnection) -> None:
    await _rejects(
        db, "INSERT INTO citation (source_id) VALUES (1)", "ck_citation_exactly_one_fact"
    )
    await _rejects(
        db,
        "INSERT INTO citation (source_id, person_id, government_id) VALUES (1, 1, 1)",
        "ck_citation_exactly_one_fact",
    )


async def test_a_cooperation_needs_two_different_parties(db: AsyncConnection) -> None:
    sql = (
        "INSERT INTO cooperation (key, party_id, partner_state_id, area_id) "
        "VALUES ('AFG-AFG:energy#1', 1, 1, 1)"
    )
    await _rejects(db, sql, "ck_cooperation_not_self")


async def test_an_envoy_is_sent_to_another_state(db: AsyncConnection) -> None:
    sql = (
        "INSERT INTO envoy (key, person_id, sender_state_id, receiver_id) "
        "VALUES ('gul-hassan-hassan@AFG>AFG#1', 1, 1, 1)"
    )
    await _rejects(db, sql, "ck_envoy_not_self")


async def test_changes_are_recorded_with_their_actor(db: AsyncConnection) -> None:
    await db.execute(text("SELECT set_config('credence.actor', 'maintainer', true)"))
    await db.execute(text("UPDATE state SET name = 'Islamic Republic' WHERE iso3 = 'AFG'"))
    await db.execute(text("UPDATE state SET name = name WHERE iso3 = 'RUS'"))  # no change
    rows = (
        await db.execute(
            text(
                "SELECT natural_key, actor, before->>'name', after->>'name' FROM change_log "
                "WHERE action = 'update'"
            )
        )
    ).all()
    assert [tuple(row) for row in rows] == [
        ("AFG", "maintainer", "Afghanistan", "Islamic Republic")
    ]
