"""Load big batches the way pg_restore does: without secondary indexes and constraints, which
are rebuilt once the rows are in.

A row inserted into a table with indexes pays for each index, exclusion constraint and foreign
key on its own (a GiST probe, a B-tree descent, a lookup per reference). When a batch brings at
least as many rows as a table holds, it is cheaper to drop those structures, insert, and build
them again in one sorted pass each; a foreign key added back is checked by one join.

Nothing is weakened: every constraint is re-created inside the same transaction, with the
definition read from the catalog, and validated against every row. If a re-created constraint
refuses the data, the caller rolls back to its savepoint (which restores the structures as they
were) and merges row by row, so the refused rows are still named on their lines.

The price is locking: dropping a constraint takes an ACCESS EXCLUSIVE lock on its table (and,
for a foreign key, on the table it references) until the import commits, so readers of those
tables wait. `ImportOptions.online` turns this off.
"""

from dataclasses import dataclass

import asyncpg

# Below this many incoming rows, rebuilding costs more than it saves.
MIN_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class _Structure:
    table: str
    name: str
    # `ALTER TABLE ... ADD CONSTRAINT name <definition>` for constraints, else a CREATE INDEX.
    definition: str
    is_constraint: bool

    def drop_sql(self) -> str:
        if self.is_constraint:
            return f'ALTER TABLE {self.table} DROP CONSTRAINT "{self.name}"'
        return f'DROP INDEX "{self.name}"'

    def create_sql(self) -> str:
        if self.is_constraint:
            return f'ALTER TABLE {self.table} ADD CONSTRAINT "{self.name}" {self.definition}'
        return self.definition


# The structures a merge may go without: unique, exclusion and foreign-key constraints, and
# plain indexes. The primary key stays (other tables' foreign keys point at it), and so does
# a unique constraint on the natural key alone (INSERT ... ON CONFLICT needs it).
_STRUCTURES_SQL = """
SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition, true AS is_constraint,
       c.contype = 'f' AS is_foreign_key
FROM pg_constraint c
WHERE c.conrelid = $1::regclass AND c.contype IN ('u', 'x', 'f')
  AND NOT (c.contype = 'u' AND c.conkey = ARRAY[(
      SELECT attnum FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2)])
UNION ALL
SELECT ic.relname, pg_get_indexdef(i.indexrelid), false, false
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


async def worth_deferring(connection: asyncpg.Connection, table: str, incoming: int) -> bool:
    """True when `incoming` rows are many and at least as many as `table` holds, and this
    session may drop and re-create the table's constraints (it acts as the table's owner: an
    import role with plain write grants loads row by row instead)."""
    if incoming < MIN_ROWS:
        return False
    may_alter = await connection.fetchval(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
        "WHERE oid = $1::regclass",
        table,
    )
    if not may_alter:
        return False
    # Counting stops past `incoming`: a big table is never scanned to the end.
    held = await connection.fetchval(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT $1) t", incoming + 1
    )
    return int(held) <= incoming


class DeferredIndexes:
    """Drops the secondary indexes and constraints of some tables, and builds them again.

    Use `drop` before the merge and `rebuild` after it, in one transaction; on an error
    between the two, roll back to a savepoint taken before `drop`.
    """

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self._dropped: list[_Structure] = []

    async def drop(self, table: str, key_column: str | None = None) -> None:
        rows = await self._connection.fetch(_STRUCTURES_SQL, table, key_column or "")
        # Foreign keys last when re-created: their check is a join that needs no index here.
        ordered = sorted(rows, key=lambda row: bool(row["is_foreign_key"]))
        for row in ordered:
            structure = _Structure(table, row["name"], row["definition"], row["is_constraint"])
            await self._connection.execute(structure.drop_sql())
            self._dropped.append(structure)

    async def rebuild(self) -> None:
        for structure in self._dropped:
            await self._connection.execute(structure.create_sql())
        self._dropped.clear()
