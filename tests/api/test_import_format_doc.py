"""docs/import-format.md says what the importer does: its entity table (columns, in export order,
and required columns) and its enumeration table are compared with the importer's definitions."""

import inspect
import re
from enum import StrEnum
from pathlib import Path

import pytest

from api import models
from api.importer import ENTITIES
from api.importer.fields import FIELDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"
# Which enumeration each documented field takes its values from (the entity validators call
# `Cells.enum(column, <enum>)`). Every StrEnum of api.models except Precision (written as the
# length of a fuzzy date, never as a value) must be named here, so a new one needs a doc row.
ENUM_OF_FIELD: dict[str, type[StrEnum]] = {
    "states.kind": models.StateKind,
    "sources.kind": models.SourceKind,
    "sources.reliability": models.Confidence,
    "recognitions.type": models.RecognitionType,
    "recognitions.mode": models.RecognitionMode,
    "recognitions.act": models.RecognitionAct,
    "recognitions.end_reason": models.RecognitionEndReason,
    "recognitions.confidence": models.Confidence,
    "envoys.rank": models.EnvoyRank,
    "envoys.end_reason": models.EnvoyEndReason,
    "sanctions.measures": models.SanctionMeasure,
    "sanctions.target_kind": models.TargetKind,
    "sanctions.status": models.SanctionStatus,
    "cooperations.stance": models.CooperationStance,
}


def table(heading: str) -> dict[str, str]:
    """The two-column table of the section `## heading`, first cell -> second cell."""
    text = DOC.read_text(encoding="utf-8")
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section is not None, f"{DOC.name} has no section '## {heading}'"
    rows: dict[str, str] = {}
    for line in section.group(1).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 2 or set(cells[1]) <= {"-"}:
            continue
        if cells[0] in ("entity", "field"):
            continue  # the header row
        rows[cells[0].strip("`")] = cells[1]
    assert rows, f"{DOC.name}: the section '## {heading}' has no table"
    return rows


def columns(cell: str) -> list[tuple[str, bool]]:
    """`key*, state* (state), name` -> [(key, True), (state, True), (name, False)]."""
    bare = re.sub(r"\([^)]*\)", "", cell)
    names = [name.strip() for name in bare.split(",")]
    return [(name.rstrip("*").strip(), name.endswith("*")) for name in names if name]


def test_the_entity_table_lists_every_entity_with_its_columns_in_order() -> None:
    documented = table("Entities and columns")

    assert list(documented) == list(ENTITIES), (
        f"{DOC.name}: the entity table lists {list(documented)}, "
        f"the importer has {list(ENTITIES)} (in this order)"
    )
    for name, spec in ENTITIES.items():
        listed = columns(documented[name])
        assert [column for column, _ in listed] == list(spec.columns), (
            f"{DOC.name}: {name} lists the columns {[c for c, _ in listed]}, "
            f"the importer reads {list(spec.columns)}"
        )
        required = {column for column, star in listed if star}
        assert required == set(spec.required), (
            f"{DOC.name}: {name} marks {sorted(required)} required (*), "
            f"the importer requires {sorted(spec.required)}"
        )


def test_the_enumeration_table_gives_every_value() -> None:
    documented = table("Enumerations")

    assert sorted(documented) == sorted(ENUM_OF_FIELD), (
        f"{DOC.name}: the enumeration table has rows {sorted(set(documented) - set(ENUM_OF_FIELD))}"
        f" the importer does not know, and lacks {sorted(set(ENUM_OF_FIELD) - set(documented))}"
    )
    for field, values in ENUM_OF_FIELD.items():
        listed = [value.strip() for value in documented[field].split(",")]
        expected = [member.value for member in values]
        assert listed == expected, (
            f"{DOC.name}: {field} lists {listed}, {values.__name__} in api/models.py has {expected}"
        )


def test_every_enumeration_of_the_models_is_documented() -> None:
    enums = {
        value
        for _, value in inspect.getmembers(models, inspect.isclass)
        if issubclass(value, StrEnum) and value.__module__ == models.__name__
    }
    named = set(ENUM_OF_FIELD.values()) | {models.Precision}

    assert enums == named, (
        f"enumerations of api/models.py missing from {DOC.name}'s table (and from ENUM_OF_FIELD "
        f"in this test): {sorted(e.__name__ for e in enums - named)}"
    )


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_documented_fields_are_columns_and_required_ones_are_never_kept(entity: str) -> None:
    # The merge rules (api.importer.fields) speak of the same columns as the format.
    spec = ENTITIES[entity]
    for field in FIELDS[entity]:
        assert field.name in spec.columns, f"{entity}: {field.name} is not a column"
        assert field.keepable is (field.name not in spec.required), (
            f"{entity}.{field.name}: a required column is always given, any other may be kept"
        )
