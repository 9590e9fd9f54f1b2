"""The recorded history of facts, read from `change_log`: one domain layer for the mutations
(optimistic concurrency), the history served on nodes and the change feeds.

A node's `version` is the id of the last change that touched it.
"""

from collections.abc import Sequence

import asyncpg


async def versions(
    connection: asyncpg.Connection, table: str, ids: Sequence[int]
) -> dict[int, int]:
    """The version of each row of `table` among `ids` (rows with no recorded change are absent)."""
    rows = await connection.fetch(
        "SELECT row_id, max(id) AS version FROM change_log "
        "WHERE entity = $1 AND row_id = any($2::bigint[]) GROUP BY row_id",
        table,
        list(ids),
    )
    return {row["row_id"]: row["version"] for row in rows}
