"""`SearchHit.score` in SQL: Python's `round(score, 4)` of a `real`, written as orjson writes it.

Scores are `real` (pg_trgm's `similarity`), at least `MIN_SCORE` and at most 1. Every `real` in
[0.25, 1] was checked once (16,777,217 values, none differs); these tests keep a stride of them,
every halfway case (`k/32`: Python rounds it to even, PostgreSQL's numeric `round` away from
zero) and the `real` values next to each.
"""

import struct
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.compiled.sql import python_round


def _real(bits: int) -> float:
    value: float = struct.unpack("<f", struct.pack("<I", bits))[0]
    return value


def _bits(value: float) -> int:
    bits: int = struct.unpack("<I", struct.pack("<f", value))[0]
    return bits


async def _written(engine: AsyncEngine, values: list[float]) -> list[str]:
    sql = (
        f"SELECT array_agg(({python_round('x', 4)})::text ORDER BY o) "
        "FROM unnest($1::real[]) WITH ORDINALITY AS v(x, o)"
    )
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        written: list[str] = await driver.fetchval(sql, values)
    return written


def _python(value: float) -> str:
    return orjson.dumps(round(value, 4)).decode()


async def test_halfway_cases_and_their_neighbours(world: AsyncEngine) -> None:
    halfway = [k / 32 for k in range(1, 33, 2)] + [k / 16 for k in range(1, 17)]
    values = [_real(_bits(x) + d) for x in halfway for d in (-2, -1, 0, 1, 2)] + [1.0, 0.3]
    written = await _written(world, values)
    assert written == [_python(x) for x in values]
    assert written[values.index(13 / 32)] == "0.4062"  # to even; numeric `round` says 0.4063
    assert written[values.index(1.0)] == "1.0"


async def test_a_stride_of_every_score(world: AsyncEngine) -> None:
    values = [_real(bits) for bits in range(_bits(0.25), _bits(1.0) + 1, 241)]
    assert await _written(world, values) == [_python(x) for x in values]
