"""Facts with a period, and how ending one reads as a change to its record of the format.

A recognition, an envoy's posting and a sanction end on a date (its precision is the length of
the ISO prefix) for a reason; a government's open period in power ends on a date.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EndColumns:
    # The format's column holding the end date (`periods`: a government's open period).
    date: str
    # The column the reason goes into (None: the entity has none).
    reason: str | None


ENDS: dict[str, EndColumns] = {
    "recognitions": EndColumns("to", "end_reason"),
    "envoys": EndColumns("ended", "end_reason"),
    # A sanction's reason is its status (lifted, expired, suspended).
    "sanctions": EndColumns("to", "status"),
    "governments": EndColumns("periods", None),
}

NO_OPEN_PERIOD = "has no open period in power to end"


def ended(entity: str, record: dict[str, Any], date: str, reason: str | None) -> dict[str, Any]:
    """The record with its end set; ValueError(NO_OPEN_PERIOD) for a government without one."""
    columns = ENDS[entity]
    changed = dict(record)
    if columns.date == "periods":
        periods = list(record.get("periods") or [])
        open_ones = [n for n, period in enumerate(periods) if period.endswith("/")]
        if not open_ones:
            # Ended on this date already (a retried call): nothing to change.
            if periods and periods[-1].endswith(f"/{date}"):
                return changed
            raise ValueError(NO_OPEN_PERIOD)
        last = open_ones[-1]
        periods[last] = f"{periods[last]}{date}"
        changed["periods"] = periods
    else:
        changed[columns.date] = date
    if columns.reason is not None:
        changed[columns.reason] = reason
    return changed
