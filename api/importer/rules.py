"""What a row of an import means for the stored fact it names: the merge modes, how its
citations combine with the stored ones, and which facts must cite a source.

These are domain rules, not CLI choices: the GraphQL mutations will apply them too.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from api.importer.fields import FIELDS


class MergeMode(StrEnum):
    """How a row meets the stored fact of the same key.

    `replace` (the default): the row states the whole fact; what it leaves out is cleared.
    `columns`: a column the file does not have (a CSV header without it, a JSON record without
    the field) keeps the stored value. `empty-keeps`: so does an empty cell (empty CSV cell,
    JSON null, empty list).
    """

    REPLACE = "replace"
    COLUMNS = "columns"
    EMPTY_KEEPS = "empty-keeps"


# Facts: claims about states and governments, each of which must say where it comes from.
# Governments and persons are the things facts are about (a name, a state, periods in power):
# they may cite sources, but requiring one would refuse a person known only as the envoy of a
# sourced envoy row, and their facts carry the citations that matter.
SOURCED_ENTITIES: Mapping[str, str] = {
    "recognitions": "a recognition",
    "envoys": "an envoy",
    "sanctions": "a sanction",
    "cooperations": "a cooperation",
}


def unsourced_reason(entity: str) -> str:
    return (
        f"{SOURCED_ENTITIES[entity]} must cite at least one source "
        "(or import with --allow-unsourced)"
    )


@dataclass(frozen=True, slots=True)
class Semantics:
    """The import options that decide what rows mean (see `ImportOptions`)."""

    merge: MergeMode = MergeMode.REPLACE
    replace_sources: bool = False
    allow_unsourced: bool = False

    @property
    def keeps(self) -> bool:
        """Whether values the file does not give keep the stored ones."""
        return self.merge is not MergeMode.REPLACE

    @property
    def adds_sources(self) -> bool:
        """Whether listed citations join the stored ones (instead of replacing them)."""
        return self.keeps and not self.replace_sources

    def requires_sources(self, entity: str) -> bool:
        return not self.allow_unsourced and entity in SOURCED_ENTITIES

    def describe(self) -> str:
        """For the batch fingerprint: the same files mean something else under another mode."""
        return f"{self.merge.value}/{self.replace_sources}/{self.allow_unsourced}"


def keepable(entity: str) -> tuple[str, ...]:
    """The columns of `entity` whose stored value a row may keep: every column that is neither
    part of the fact's identity nor required."""
    return tuple(field.name for field in FIELDS[entity] if field.keepable)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def omitted(
    columns: tuple[str, ...],
    fields: Mapping[str, Any],
    *,
    absent: tuple[str, ...] | None,
    empty_keeps: bool,
) -> tuple[str, ...]:
    """The keepable `columns` this record does not give a value for.

    `absent`: those missing from a CSV header (the same for every row of the file); None for
    JSON records, whose fields are looked up one by one. With `empty_keeps`, empty cells count
    as not given too.
    """
    if absent is not None and not empty_keeps:
        return absent
    if not empty_keeps:
        return tuple(c for c in columns if c not in fields)
    return tuple(c for c in columns if c not in fields or _empty(fields[c]))
