"""Reading typed values out of one record's cells, collecting every problem instead of stopping.

CSV cells arrive as strings (multi-valued cells `;`-separated); JSON values arrive as JSON types
(multi-valued fields as arrays). Both go through the same checks, so a CSV file and its JSON twin
are accepted or rejected alike. Nothing here touches the database.
"""

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from api.importer.errors import RowError
from api.importer.fuzzy_dates import FuzzyDate, FuzzyDateError, parse_fuzzy

_STATE_OR_GOVERNMENT_HINT = "is neither a state (ISO3) nor a government (ISO3:slug)"
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# Episode numbers as they are usually written, looked up rather than matched and parsed.
_SMALL_NUMBERS = {str(number): number for number in range(1000)}
# Past this many texts a pattern stops remembering more (memory stays flat whatever the file).
_MAX_ACCEPTED = 4096
Citations = tuple[tuple[str, ...], tuple[str | None, ...]]
NO_CITATIONS: Citations = ((), ())
# CSV citation cells already split and found valid (bounded like the patterns' memory).
_CITED: dict[str, Citations] = {}


class TextPattern:
    """The form a text must have: a regular expression, the words naming it in errors and a
    length limit. It remembers the texts it accepted, since codes and keys repeat row after row
    and a set lookup costs a fraction of a regex match."""

    __slots__ = ("accepted", "max_length", "regex", "what")

    def __init__(self, regex: str, what: str, *, max_length: int) -> None:
        self.regex = re.compile(regex)
        self.what = what
        self.max_length = max_length
        self.accepted: set[str] = set()

    def remember(self, text: str) -> None:
        if len(self.accepted) < _MAX_ACCEPTED:
            self.accepted.add(text)


STATE_CODE = TextPattern(
    r"[A-Z]{3}", "a state code (three capital letters, ISO 3166 alpha-3)", max_length=3
)
GOVERNMENT_KEY = TextPattern(
    r"[A-Z]{3}:[a-z0-9]+(?:-[a-z0-9]+)*", "a government key (ISO3:lowercase-slug)", max_length=120
)
PERSON_KEY = TextPattern(
    r"[a-z0-9]+(?:-[a-z0-9]+)*", "a person key (lowercase-words-with-hyphens)", max_length=120
)
AREA_CODE = TextPattern(
    r"[a-z][a-z0-9_]*", "an area code (lowercase_with_underscores)", max_length=60
)


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

    def matching(self, column: str, pattern: TextPattern, *, required: bool = False) -> str | None:
        value = self.fields.get(column)
        # The common case first: a text this pattern accepted before (all checks pass again).
        if value.__class__ is str and value in pattern.accepted:
            return value  # type: ignore[no-any-return]
        text = self.text(column, required=required, max_length=pattern.max_length)
        if text is not None:
            if pattern.regex.fullmatch(text) is None:
                self.error(column, text, f"is not {pattern.what}")
                return None
            pattern.remember(text)
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
        if value.__class__ is str:  # the common case first: "1", "2"...
            small = _SMALL_NUMBERS.get(value)
            if small is not None and small >= minimum:
                return small
        if value is None or value == "":
            return default
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
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
        value = self.fields.get(column)
        members = _MEMBERS[values]
        # The common cases first: a member's value, or an empty cell that takes the default.
        if value.__class__ is str and value in members:
            return value  # type: ignore[no-any-return]
        if (value is None or value == "") and (default is not None or not required):
            return default
        text = self.text(column, required=required and default is None, max_length=100)
        if text is None:
            return default
        if text not in members:
            allowed = ", ".join(v.value for v in values)
            self.error(column, text, f"is not one of: {allowed}")
            return None
        return text

    def fuzzy(self, column: str, *, required: bool = False) -> FuzzyDate | None:
        value = self.fields.get(column)
        if value.__class__ is str:
            if not value:
                if not required:
                    return None
            else:
                # A text that is a date passes the text checks too (it is short, with no NUL);
                # anything else takes the careful path below, which says what is wrong.
                try:
                    return parse_fuzzy(value)
                except FuzzyDateError:
                    pass
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
        return self.matching(column, STATE_CODE, required=required)

    def person(self, column: str, *, required: bool = False) -> str | None:
        return self.matching(column, PERSON_KEY, required=required)

    def state_or_government(
        self, column: str, *, required: bool = False
    ) -> tuple[str | None, str | None]:
        """(state code, government key or None); the state of a government is its key prefix."""
        value = self.fields.get(column)
        if value.__class__ is str:
            # Texts already accepted as a state code or a government key (120 characters at
            # most, the limit here too).
            if value in STATE_CODE.accepted:
                return value, None
            if value in GOVERNMENT_KEY.accepted:
                return value[:3], value
        text = self.text(column, required=required, max_length=120)
        if text is None:
            return None, None
        if STATE_CODE.regex.fullmatch(text):
            STATE_CODE.remember(text)
            return text, None
        if GOVERNMENT_KEY.regex.fullmatch(text):
            GOVERNMENT_KEY.remember(text)
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
        members = _MEMBERS[values]
        for item in items:
            if item not in members:
                allowed = ", ".join(v.value for v in values)
                self.error(column, item, f"is not one of: {allowed}")
                return None
        if len(set(items)) != len(items):
            self.error(column, self.fields.get(column), "lists a value twice")
            return None
        return items

    def citations(self, column: str = "sources") -> Citations | None:
        """Source keys and their quotes, in file order (the order is kept on export).

        Tuples, not lists: staged rows wait in memory for COPY, and the garbage collector stops
        tracking tuples of strings, but walks every list again at each collection.
        """
        value = self.fields.get(column)
        if value is None or value == "":
            return NO_CITATIONS
        # The common cases first, which every check below would let through: a CSV cell or a
        # JSON array of distinct, plain source keys.
        if value.__class__ is str:
            cited = _plain_cell(value)
            if cited is not None:
                return cited
        elif value.__class__ is list and _plain_keys(value):
            return tuple(value), (None,) * len(value)
        return self._checked_citations(column, value)

    def _checked_citations(self, column: str, value: Any) -> Citations | None:
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
        return tuple(keys), tuple(quotes)


class _Members(dict[type[StrEnum], frozenset[str]]):
    """The values of each enumeration, computed on first use (a plain dict lookup after)."""

    def __missing__(self, values: type[StrEnum]) -> frozenset[str]:
        members = self[values] = frozenset(member.value for member in values)
        return members


_MEMBERS = _Members()


def _plain_cell(text: str) -> Citations | None:
    """A CSV citation cell of distinct keys (none too long, no NUL) split; None for any other.

    Remembered: the same few sources are cited row after row."""
    cited = _CITED.get(text)
    if cited is None and "\x00" not in text:
        keys = tuple(filter(None, map(str.strip, text.split(";"))))
        # No key is too long if the whole cell is not.
        if len(set(keys)) == len(keys) and (
            len(text) <= 100 or max(map(len, keys), default=0) <= 100
        ):
            cited = keys, (None,) * len(keys)
            if len(_CITED) < _MAX_ACCEPTED:
                _CITED[text] = cited
    return cited


def _plain_keys(items: list[Any]) -> bool:
    """Whether every item is a distinct, usable source key (text: not empty, NUL or too long)."""
    try:
        joined = "".join(items)  # fails unless every item is text
    except TypeError:
        return False
    return (
        "\x00" not in joined
        and "" not in items
        and len(set(items)) == len(items)
        and max(map(len, items), default=0) <= 100
    )


def _json_text(value: Any) -> str:
    """The value as JSON, to show in an error; rows built in Python may nest lists deeper than
    json.dumps can recurse (or hold what JSON cannot say), and the error must still be told."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return f"(a {type(value).__name__} nested too deeply to show)"
    except (TypeError, ValueError):
        return repr(value)[:200]
