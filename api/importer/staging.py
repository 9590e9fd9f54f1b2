"""Validated rows go into one TEMP staging table per entity through COPY, in batches.

Each staged row keeps its file number and line, so that problems found later in SQL (unknown
references, duplicate keys) still point at the line they come from, and the columns it gives no
value for (which a merge keeps).
"""

from typing import Any

import asyncpg

from api.importer.entities import EntitySpec

BATCH_ROWS = 5000


def staging_table(spec: EntitySpec) -> str:
    return f"_stg_{spec.name}"


class Stager:
    """Buffers staging tuples per entity and copies them in batches (memory stays flat)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self._buffers: dict[str, list[tuple[Any, ...]]] = {}
        self._specs: dict[str, EntitySpec] = {}

    @property
    def entities(self) -> set[str]:
        return set(self._specs)

    async def add(self, spec: EntitySpec, row: tuple[Any, ...]) -> None:
        # Called for every row: one lookup in the common case (the table exists already).
        buffer = self._buffers.get(spec.name)
        if buffer is None:
            await self._create(spec)
            buffer = self._buffers[spec.name]
        buffer.append(row)
        if len(buffer) >= BATCH_ROWS:
            await self._flush(spec)

    async def finish(self) -> None:
        for spec in self._specs.values():
            await self._flush(spec)
            # Temporary tables get no statistics by themselves; the joins that follow need them.
            await self._connection.execute(f"ANALYZE {staging_table(spec)}")

    async def _create(self, spec: EntitySpec) -> None:
        columns = ", ".join(f'"{name}" {kind}' for name, kind in spec.staging)
        await self._connection.execute(
            f"CREATE TEMP TABLE {staging_table(spec)} "
            f"(file_no int NOT NULL, line int NOT NULL, key text NOT NULL, {columns}, "
            # The columns the row gives no value for (see api.importer.rules.omitted).
            "omitted text[] NOT NULL) "
            "ON COMMIT DROP"
        )
        self._specs[spec.name] = spec
        self._buffers[spec.name] = []

    async def _flush(self, spec: EntitySpec) -> None:
        buffer = self._buffers[spec.name]
        if not buffer:
            return
        await self._connection.copy_records_to_table(
            staging_table(spec),
            records=buffer,
            columns=["file_no", "line", "key", *(name for name, _ in spec.staging), "omitted"],
        )
        buffer.clear()
