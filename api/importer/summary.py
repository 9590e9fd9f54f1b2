"""The outcome of an import: counts per entity, every rejected row, warnings about values a
file would clear, and (when asked for) what changes, fact by fact."""

from dataclasses import dataclass, field
from typing import Any

from api.importer.errors import RowError

# Shown for a field without a value on either side of `before → after`.
NO_VALUE = "(empty)"


@dataclass(slots=True)
class EntitySummary:
    entity: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected


@dataclass(frozen=True, slots=True)
class ImportWarning:
    """A file leaves out a column, and importing it replaces whole rows: `rows` stored facts
    lose (or get the default for) the value of `column`."""

    file: str
    entity: str
    column: str
    rows: int

    def __str__(self) -> str:
        lose = "row would lose its value" if self.rows == 1 else "rows would lose their value"
        return (
            f"{self.file}: column {self.column} is not in the file: {self.rows} {lose} "
            "(use --merge to keep it)"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "entity": self.entity,
            "column": self.column,
            "rows": self.rows,
            "message": str(self),
        }


@dataclass(frozen=True, slots=True)
class FactChange:
    """One fact the import inserts or updates: each changed field as (before, after), in the
    format's words (None: no value), and the source keys its citations gain and lose."""

    entity: str
    key: str
    action: str  # "insert" or "update"
    fields: dict[str, tuple[str | None, str | None]]
    sources_added: tuple[str, ...] = ()
    sources_removed: tuple[str, ...] = ()
    # The row that brings the change.
    file: str = ""
    line: int = 0

    def lines(self) -> list[str]:
        """The change as text: a heading, then one indented line per field and citation."""
        shown = [f"{self.action} {self.entity} {self.key}"]
        for name, (before, after) in self.fields.items():
            shown.append(f"    {name}: {_shown(before)} → {_shown(after)}")
        shown += [f"    + source {key}" for key in self.sources_added]
        shown += [f"    - source {key}" for key in self.sources_removed]
        return shown

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "key": self.key,
            "action": self.action,
            "fields": {name: [before, after] for name, (before, after) in self.fields.items()},
            "sources_added": list(self.sources_added),
            "sources_removed": list(self.sources_removed),
            "file": self.file,
            "line": self.line,
        }


def _shown(value: str | None) -> str:
    if value is None:
        return NO_VALUE
    # One line per field: a note's line breaks are shown escaped.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


@dataclass(slots=True)
class ImportSummary:
    entities: dict[str, EntitySummary] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    # False when errors made the whole batch roll back (strict mode), or on a dry run.
    committed: bool = False
    # The files are those of an earlier import and nothing has changed since: their rows were
    # counted as unchanged without being read (see api.importer.fingerprint).
    matched_fingerprint: bool = False
    # Values a file would clear without mentioning them (whole-row replace only).
    warnings: list[ImportWarning] = field(default_factory=list)
    # The inserted or updated facts, when `ImportOptions.diff` asks for them (else empty): the
    # first `ImportOptions.diff_limit`, and how many there are in all.
    changes: list[FactChange] = field(default_factory=list)
    changes_total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def entity(self, name: str) -> EntitySummary:
        if name not in self.entities:
            self.entities[name] = EntitySummary(name)
        return self.entities[name]

    def as_json(self, *, changes: bool = False) -> dict[str, Any]:
        """The summary as JSON; `changes` adds the diff (it may be long: the report file
        carries it, the one-line `--json` summary does not)."""
        shown: dict[str, Any] = {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "matched_fingerprint": self.matched_fingerprint,
            "entities": {
                name: {
                    "inserted": s.inserted,
                    "updated": s.updated,
                    "unchanged": s.unchanged,
                    "rejected": s.rejected,
                }
                for name, s in self.entities.items()
            },
            "warnings": [warning.as_json() for warning in self.warnings],
            "changes_total": self.changes_total,
            "errors": [error.as_json() for error in self.errors],
        }
        if changes:
            shown["changes"] = [change.as_json() for change in self.changes]
        return shown
