"""Transaction-time reads: the answer the database would have given at a recorded instant.

Migration 0006 gives every audited table a view of the same name and columns in schema
`credence_past`, reconstructing the table at `credence.recorded_at` from `change_log`. A read
for an instant runs in its own read-only transaction that first puts `credence_past` ahead of
`public` on the search path and sets the instant; the statement itself is the one the present
reads use, on both read paths (the compiled executor and the resolvers' loaders), so the two
cannot disagree about what the past was. Present-time reads are untouched: no setting, no extra
round trip.

An instant after the last recorded change reads the present state; one before the first reads
only rows that predate the change log (none on a database built by migrations and imports).
A change belongs to the instant its transaction started (`change_log.at` is `now()`): a write
still running at T is read as done at T if it started before T and committed later.

The statements' text is the same at every instant, so one prepared statement serves them all:
PostgreSQL plans it again when the search path differs from the one it was planned with (a few
milliseconds when a connection alternates, nothing while it does not). The views replay the
log's changes after T for each table a statement reads: near the present that is a few rows,
far back it is the log since (bench/README.md, "recorded.py").
"""

from datetime import UTC, datetime
from typing import Annotated

import strawberry

AsRecordedAt = Annotated[
    datetime | None,
    strawberry.argument(
        description="Answer as the database would have at this instant (transaction time; "
        "UTC when no offset is given), nested fields included. Combines with `asOf`."
    ),
]

# One statement, so an `asRecordedAt` read costs one round trip more than a present one.
# Read only, like the search path and the instant, for this transaction alone.
ENTER_PAST = (
    "SELECT set_config('transaction_read_only', 'on', true), "
    "set_config('search_path', 'credence_past, public', true), "
    "set_config('credence.recorded_at', $1, true)"
)


def instant(value: datetime) -> str:
    """The setting's text for `value`; an instant without an offset is read as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()
