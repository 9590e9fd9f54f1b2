"""Why a mutation wrote nothing, in words and codes a client can act on.

Every refusal carries one or more `Problem`s, each at a `path` naming the argument, the item and
the field (`input[3].from`, `patch.to`, `key`). A caller's mistake found by the importer's checks
keeps the importer's own words for it (`RowError.what`), so a file and a mutation that make the
same mistake read the same.
"""

from dataclasses import dataclass, field

BAD_USER_INPUT = "BAD_USER_INPUT"
CONFLICT = "CONFLICT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
# Another writer (an import, say) held the write lock for longer than a mutation waits.
WRITE_LOCK_TIMEOUT = "WRITE_LOCK_TIMEOUT"


@dataclass(frozen=True, slots=True)
class Problem:
    # Where: the argument (`input`, `patch`, `key`, `date`...), the item of a list argument and
    # the column of the format (the GraphQL layer spells columns its own way).
    argument: str
    what: str
    index: int | None = None
    column: str | None = None
    # The database rule that refused the write, when one did (a constraint's name).
    rule: str | None = None

    @property
    def path(self) -> str:
        item = "" if self.index is None else f"[{self.index}]"
        column = "" if self.column is None else f".{self.column}"
        return f"{self.argument}{item}{column}"

    @property
    def message(self) -> str:
        return f"{self.path}: {self.what}"


@dataclass(slots=True)
class MutationError(Exception):
    """Nothing was written; `problems` says why (at least one)."""

    problems: list[Problem]
    code: str = BAD_USER_INPUT
    # Anything else a client may branch on (the current version of a CONFLICT, say).
    details: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    @property
    def message(self) -> str:
        first = self.problems[0].message
        more = len(self.problems) - 1
        if more:
            return f"{first} (and {more} more {'problem' if more == 1 else 'problems'})"
        return first
