"""Reading typed values out of one record's cells, collecting every problem instead of stopping.

CSV cells arrive as strings (multi-valued cells `;`-separated); JSON values arrive as JSON types
(multi-valued fields as arrays). Both go through the same checks, so a CSV file and its JSON twin
are accepted or rejected alike. Nothing here touches the database.
"""

import functools
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from api.importer.errors import RowError
from api.importer.fuzzy_dates import FuzzyDate, FuzzyDateError, parse_fuzzy

ISO3 = re.compile(r"[A-Z]{3}")
GOVERNMENT_KEY = re.compile(r"[A-Z]{3}:[a-z0-9]+(?:-[a-z0-9]+)*")
PERSON_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
AREA_CODE = re.compile(r"[a-z][a-z0-9_]*")

_STATE_OR_GOVERNMENT_HINT = "is neither a state (ISO3) nor a government (ISO3:slug)"


class Cells:
    """One record's fields plus the errors found reading them."""

    __slots__ = ("entity", "errors", "fields", "file", "line")

    def __init__(self, fields: Mapping[str, Any], *, file: str, line: int, entity: str) -> None:
        self.fields = fields
        self.file = file
        self.line = line
        self.entity = entity
        self.errors: list[RowError] = []

    def error(self, column: str | None, value: Any, reason: str) -> None:
        shown = None if value is None else value if isinstance(value, str) else _json_text(value)
        self.errors.append(
            RowError(self.file, self.line, reason, column, shown, entity=self.entity)
        )

    # --- scalars ---------------------------------------------------------------------------

    def text(self, column: str, *, required: bool = False, max_length: int = 300) -> str | None:
        value = self.fields.get(column)
        # The common case first (a clean, non-empty string): this runs ten times per row.
        if value.__class__ is str and value and len(value) <= max_length and "\x00" not in value:
            return value  # type: ignore[no-any-return]
        if value is None or value == "":
            if required:
                self.error(column, None, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.error(column, value, "is not a text value")
            return None
        text = value if isinstance(value, str) else str(value)
        if "\x00" in text:
            self.error(column, text, "contains a NUL character")
            return None
        if len(text) > max_length:
            self.error(column, text, f"is longer than {max_length} characters")
            return None
        return text

    def matching(
        self,
        column: str,
        pattern: re.Pattern[str],
        what: str,
        *,
        required: bool = False,
        max_length: int = 300,
    ) -> str | None:
        text = self.text(column, required=required, max_length=max_length)
        if text is not None and pattern.fullmatch(text) is None:
            self.error(column, text, f"is not {what}")
            return None
        return text

    def key(self, column: str, *, max_length: int) -> str | None:
        """A free-form key: required, and usable inside a `;`-separated list."""
        text = self.text(column, required=True, max_length=max_length)
        if text is not None and (";" in text or text != text.strip() or "\n" in text):
            self.error(column, text, "is not a usable key (no `;`, line breaks or edge spaces)")
            return None
        return text

    def integer(self, column: str, *, default: int, minimum: int = 1) -> int | None:
        value = self.fields.get(column)
        if value is None or value == "":
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
            number = int(value)
        if number is None or number < minimum:
            self.error(column, value, f"is not a whole number >= {minimum}")
            return None
        return number

    def enum(
        self,
        column: str,
        values: type[StrEnum],
        *,
        default: str | None = None,
        required: bool = False,
    ) -> str | None:
        text = self.text(column, required=required and default is None, max_length=100)
        if text is None:
            return default
        if text not in _members(values):
            allowed = ", ".join(v.value for v in values)
            self.error(column, text, f"is not one of: {allowed}")
            return None
        return text

    def fuzzy(self, column: str, *, required: bool = False) -> FuzzyDate | None:
        text = self.text(column, required=required, max_length=10_000)
        if text is None:
            return None
        try:
            return parse_fuzzy(text)
        except FuzzyDateError as problem:
            self.error(column, text, str(problem))
            return None

    # --- references ------------------------------------------------------------------------

    def state(self, column: str, *, required: bool = False) -> str | None:
        return self.matching(
            column,
            ISO3,
            "a state code (three capital letters, ISO 3166 alpha-3)",
            required=required,
            max_length=3,
        )

    def person(self, column: str, *, required: bool = False) -> str | None:
        return self.matching(
            column,
            PERSON_KEY,
            "a person key (lowercase-words-with-hyphens)",
            required=required,
            max_length=120,
        )

    def state_or_government(
        self, column: str, *, required: bool = False
    ) -> tuple[str | None, str | None]:
        """(state code, government key or None); the state of a government is its key prefix."""
        text = self.text(column, required=required, max_length=120)
        if text is None:
            return None, None
        if ISO3.fullmatch(text):
            return text, None
        if GOVERNMENT_KEY.fullmatch(text):
            return text[:3], text
        self.error(column, text, _STATE_OR_GOVERNMENT_HINT)
        return None, None

    # --- lists -----------------------------------------------------------------------------

    def items(self, column: str, *, max_length: int = 300) -> list[str] | None:
        """A multi-valued field: `;`-separated in CSV, an array in JSON; None when invalid."""
        value = self.fields.get(column)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            raw: list[Any] = [part.strip() for part in value.split(";")]
            raw = [part for part in raw if part]
        elif isinstance(value, list):
            raw = value
        else:
            self.error(column, value, "is not a list (`;`-separated text or a JSON array)")
            return None
        items: list[str] = []
        for item in raw:
            if not isinstance(item, str) or not item or "\x00" in item:
                self.error(column, item, "is not a non-empty text item")
                return None
            if len(item) > max_length:
                self.error(column, item, f"is longer than {max_length} characters")
                return None
            items.append(item)
        return items

    def enum_items(self, column: str, values: type[StrEnum]) -> list[str] | None:
        items = self.items(column, max_length=100)
        if items is None:
            return None
        for item in items:
            if item not in _members(values):
                allowed = ", ".join(v.value for v in values)
                self.error(column, item, f"is not one of: {allowed}")
                return None
        if len(set(items)) != len(items):
            self.error(column, self.fields.get(column), "lists a value twice")
            return None
        return items

    def citations(self, column: str = "sources") -> tuple[list[str], list[str | None]] | None:
        """Source keys and their quotes, in file order (the order is kept on export)."""
        value = self.fields.get(column)
        if value is None or value == "":
            return [], []
        keys: list[str] = []
        quotes: list[str | None] = []
        if isinstance(value, str):
            keys = [part.strip() for part in value.split(";") if part.strip()]
            quotes = [None] * len(keys)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str) and item:
                    keys.append(item)
                    quotes.append(None)
                elif (
                    isinstance(item, dict)
                    and isinstance(item.get("source"), str)
                    and item["source"]
                    and set(item) <= {"source", "quote"}
                    and (item.get("quote") is None or isinstance(item.get("quote"), str))
                ):
                    keys.append(item["source"])
                    quotes.append(item.get("quote") or None)
                else:
                    self.error(
                        column, item, 'is not a source key or {"source": KEY, "quote": TEXT}'
                    )
                    return None
        else:
            self.error(column, value, "is not a list of source keys")
            return None
        for key in keys:
            if "\x00" in key or len(key) > 100:
                self.error(column, key, "is not a source key")
                return None
        if any("\x00" in quote for quote in quotes if quote):
            self.error(column, value, "has a quote with a NUL character")
            return None
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                self.error(column, key, "is cited twice")
                return None
            seen.add(key)
        return keys, quotes


@functools.cache
def _members(values: type[StrEnum]) -> frozenset[str]:
    return frozenset(member.value for member in values)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
