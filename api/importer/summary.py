"""The outcome of an import: counts per entity and every rejected row."""

from dataclasses import dataclass, field
from typing import Any

from api.importer.errors import RowError


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

    @property
    def ok(self) -> bool:
        return not self.errors

    def entity(self, name: str) -> EntitySummary:
        if name not in self.entities:
            self.entities[name] = EntitySummary(name)
        return self.entities[name]

    def as_json(self) -> dict[str, Any]:
        return {
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
            "errors": [error.as_json() for error in self.errors],
        }
