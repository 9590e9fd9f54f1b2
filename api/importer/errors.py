"""What went wrong, where: every problem names the file, the line, the column and the value."""

from dataclasses import dataclass
from typing import Any


class ImportUsageError(Exception):
    """A mistake in how the import was called, or a file that cannot be read (exit status 2)."""


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    reason: str
    column: str | None = None
    value: str | None = None
    entity: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.column is None:
            return f"{where}: {self.reason}"
        return f"{where}: column {self.column}: {self.what}"

    @property
    def what(self) -> str:
        """The problem without its place (the value and the reason): the words a mutation
        shows for the same mistake, after its own place (`input[3].from`)."""
        return self.reason if self.value is None else f"{_quote(self.value)} {self.reason}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "entity": self.entity,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "message": str(self),
        }


def _quote(value: str, limit: int = 80) -> str:
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    escaped = shown.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\x00", "\\0")
    return f'"{escaped}"'
