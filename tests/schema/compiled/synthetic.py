"""A small synthetic world, random but deterministic, with the awkward cases the seed lacks.

Names with quotes, backslashes, accents and characters beyond the BMP (cursors over names must
escape them as Python's `json.dumps` does), dates of every precision, open and closed periods,
governments in power more than once, every target kind, citations with repeated sources.
"""

import random
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schema import tables

NAMES = [
    "Åland",
    "Côte d'Ivoire",
    'The "Quoted" Republic',
    "Back\\slash Land",
    "Ελλάδα",
    "日本",
    "Emoji 🏳 State",
    "Zeta",
    "alpha lower",
    "Tab\tState",
    "Del\x7fland",
    "Plain",
]
PRECISIONS = ["year", "month", "day"]


def _fuzzy(rng: random.Random, low: int = 1900, high: int = 2025) -> tuple[date, str]:
    precision = rng.choice(PRECISIONS)
    year = rng.randint(low, high)
    if precision == "year":
        return date(year, 1, 1), precision
    month = rng.randint(1, 12)
    if precision == "month":
        return date(year, month, 1), precision
    return date(year, month, rng.randint(1, 28)), precision


def _end(rng: random.Random, start: date) -> tuple[date | None, str | None]:
    if rng.random() < 0.4:
        return None, None
    day, precision = _fuzzy(rng, start.year + 1, start.year + 15)
    return day, precision


async def _insert(connection: AsyncConnection, table: Any, rows: list[dict[str, Any]]) -> None:
    # One executemany needs the same keys in every row; a missing value is NULL.
    columns = {column for row in rows for column in row}
    await connection.execute(insert(table), [dict.fromkeys(columns) | row for row in rows])


async def _ids(connection: AsyncConnection, table: Any, key: str) -> dict[str, int]:
    rows = await connection.execute(select(table.c[key], table.c.id))
    return {row[0]: row[1] for row in rows}


async def build_synthetic(connection: AsyncConnection, seed: int = 7) -> None:
    rng = random.Random(seed)
    codes = [f"{a}{b}X" for a in "ABCDEFG" for b in "ABC"][:20]
    await _insert(
        connection,
        tables.state,
        [
            {
                "iso3": code,
                "name": NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i}"),
                "official_name": rng.choice([None, f"Republic of {code}"]),
                "kind": rng.choice(["current", "historic", "user_assigned"]),
            }
            for i, code in enumerate(codes)
        ],
    )
    state = await _ids(connection, tables.state, "iso3")
    await _insert(
        connection,
        tables.source,
        [
            {
                "key": f"src-{i}",
                "title": f"Source {i} «{NAMES[i % len(NAMES)]}»",
                "publisher": rng.choice([None, "TASS", "Reuters"]),
                "published_date": (d := _fuzzy(rng))[0] if i % 3 else None,
                "published_precision": d[1] if i % 3 else None,
                "kind": rng.choice([None, "news", "dataset"]),
                "reliability": rng.choice([None, "high", "low"]),
            }
            for i in range(8)
        ],
    )
    source = list((await _ids(connection, tables.source, "key")).values())
    await _insert(
        connection,
        tables.cooperation_area,
        [{"code": c, "label": c.title()} for c in ("trade", "energy", "culture")],
    )
    area = await _ids(connection, tables.cooperation_area, "code")
    await connection.execute(
        tables.cooperation_area.update()
        .where(tables.cooperation_area.c.code == "energy")
        .values(parent_id=area["trade"])
    )
    await _insert(
        connection,
        tables.person,
        [
            {
                "key": f"person-{i}",
                "name": f"{NAMES[(i * 5) % len(NAMES)]} Person",
                "aliases": rng.sample(["Alias", "Псевдоним", "別名", "x"], k=rng.randint(0, 3)),
                "nationality_id": rng.choice([None, state[rng.choice(codes)]]),
            }
            for i in range(10)
        ],
    )
    person = list((await _ids(connection, tables.person, "key")).values())
    governments = []
    for i, code in enumerate(codes[:8]):
        for j in range(1 + i % 2):
            governments.append(
                {
                    "key": f"{code}:gov-{j}",
                    "state_id": state[code],
                    "name": f"Government {j} of {NAMES[i % len(NAMES)]}",
                    "form": rng.choice([None, "republic", "emirate"]),
                }
            )
    await _insert(connection, tables.government, governments)
    government = await _ids(connection, tables.government, "key")
    gov_state = {g["key"]: g["state_id"] for g in governments}
    periods = []
    for _key, gid in government.items():
        start = _fuzzy(rng, 1950, 1990)
        end = _fuzzy(rng, 1995, 2005)
        periods.append(
            {
                "government_id": gid,
                "from_date": start[0],
                "from_precision": start[1],
                "to_date": end[0],
                "to_precision": end[1],
            }
        )
        if rng.random() < 0.6:
            again = _fuzzy(rng, 2010, 2020)
            periods.append(
                {"government_id": gid, "from_date": again[0], "from_precision": again[1]}
            )
    await _insert(connection, tables.government_period, periods)

    facts: dict[str, list[int]] = {}
    recognitions = []
    pairs = set()
    for _ in range(70):
        recognizer = rng.choice(codes)
        subject_key = rng.choice([*codes, *government])
        subject_state = gov_state.get(subject_key, state.get(subject_key))
        if subject_state == state[recognizer] or (recognizer, subject_key) in pairs:
            continue
        pairs.add((recognizer, subject_key))
        start = _fuzzy(rng)
        end = _end(rng, start[0])
        recognitions.append(
            {
                "key": f"{recognizer}>{subject_key}#1",
                "recognizer_id": state[recognizer],
                "subject_state_id": subject_state,
                "subject_government_id": government.get(subject_key),
                "from_date": start[0],
                "from_precision": start[1],
                "to_date": end[0],
                "to_precision": end[1],
                "end_reason": rng.choice([None, "withdrawn"]) if end[0] else None,
                "type": rng.choice(["de_jure", "de_facto", "unspecified"]),
                "mode": rng.choice(["express", "implied", "unspecified"]),
                "act": rng.choice([None, "treaty", "note_verbale"]),
                "confidence": rng.choice([None, "high", "medium"]),
                "notes": rng.choice([None, "a note"]),
            }
        )
    await _insert(connection, tables.recognition, recognitions)
    facts["recognition"] = list((await _ids(connection, tables.recognition, "key")).values())

    envoys = []
    for i in range(25):
        sender_key = rng.choice([*codes, *government])
        sender_state = gov_state.get(sender_key, state.get(sender_key))
        receiver = rng.choice([c for c in codes if state[c] != sender_state])
        appointed = _fuzzy(rng, 1990, 2010)
        copy = _fuzzy(rng, 2011, 2015) if rng.random() < 0.5 else (None, None)
        ended = _fuzzy(rng, 2016, 2024) if rng.random() < 0.4 else (None, None)
        envoys.append(
            {
                "key": f"person-{i % 10}@{sender_key}>{receiver}#{i}",
                "person_id": person[i % 10],
                "sender_state_id": sender_state,
                "sender_government_id": government.get(sender_key),
                "receiver_id": state[receiver],
                "episode": i + 1,
                "rank": rng.choice([None, "ambassador", "special_envoy"]),
                "appointed_date": appointed[0] if rng.random() < 0.7 else None,
                "appointed_precision": None,
                "credentials_copy_date": copy[0],
                "credentials_copy_precision": copy[1],
                "credentials_copy_received_by_id": rng.choice([None, *person]) if copy[0] else None,
                "ended_date": ended[0],
                "ended_precision": ended[1],
                "end_reason": rng.choice([None, "recalled"]) if ended[0] else None,
            }
        )
        row = envoys[-1]
        row["appointed_precision"] = appointed[1] if row["appointed_date"] else None
        if row["appointed_date"]:
            row["appointed_date"] = appointed[0]
    await _insert(connection, tables.envoy, envoys)
    facts["envoy"] = list((await _ids(connection, tables.envoy, "key")).values())

    sanctions = []
    for i in range(20):
        kind = ["state", "government", "person", "organization"][i % 4]
        gov_key = rng.choice(list(government))
        start = _fuzzy(rng, 1990, 2015) if rng.random() < 0.8 else (None, None)
        end = _end(rng, start[0]) if start[0] else (None, None)
        sanctions.append(
            {
                "key": f"AUTH{i % 3}:program-{i}",
                "authority": f"AUTH{i % 3}",
                "measures": rng.sample(["asset_freeze", "travel_ban", "arms_embargo"], k=i % 3),
                "target_kind": kind,
                "target_state_id": (
                    state[rng.choice(codes)]
                    if kind == "state"
                    else gov_state[gov_key]
                    if kind == "government"
                    else None
                ),
                "target_government_id": government[gov_key] if kind == "government" else None,
                "target_person_id": rng.choice(person) if kind == "person" else None,
                "target_organization": NAMES[i % len(NAMES)] if kind == "organization" else None,
                "from_date": start[0],
                "from_precision": start[1],
                "to_date": end[0],
                "to_precision": end[1],
                "status": rng.choice([None, "active", "lifted"]),
            }
        )
    await _insert(connection, tables.sanction, sanctions)
    facts["sanction"] = list((await _ids(connection, tables.sanction, "key")).values())

    cooperations = []
    seen = set()
    for _ in range(30):
        party = rng.choice(codes)
        partner_key = rng.choice([*codes, *government])
        partner_state = gov_state.get(partner_key, state.get(partner_key))
        code = rng.choice(list(area))
        if partner_state == state[party] or (party, partner_key, code) in seen:
            continue
        seen.add((party, partner_key, code))
        stated = _fuzzy(rng, 2000, 2025) if rng.random() < 0.8 else (None, None)
        cooperations.append(
            {
                "key": f"{party}-{partner_key}:{code}#1",
                "party_id": state[party],
                "partner_state_id": partner_state,
                "partner_government_id": government.get(partner_key),
                "area_id": area[code],
                "stance": rng.choice(["prospect_cited", "agreement_signed"]),
                "stated_date": stated[0],
                "stated_precision": stated[1],
            }
        )
    await _insert(connection, tables.cooperation, cooperations)
    facts["cooperation"] = list((await _ids(connection, tables.cooperation, "key")).values())
    facts["government"] = list(government.values())
    facts["person"] = person

    citations = []
    for table, ids in facts.items():
        for fact_id in ids:
            for position, source_id in enumerate(rng.sample(source, k=rng.randint(0, 3))):
                citations.append(
                    {
                        f"{table}_id": fact_id,
                        "source_id": source_id,
                        "position": rng.choice([0, position]),
                        "quote": rng.choice([None, "“quoted”"]),
                    }
                )
    columns = {c for row in citations for c in row}
    await _insert(connection, tables.citation, [dict.fromkeys(columns) | row for row in citations])
