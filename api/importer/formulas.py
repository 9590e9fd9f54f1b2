"""Keep spreadsheets from running CSV cells as formulas (OWASP "CSV injection"), losslessly.

A spreadsheet opening a CSV file runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(tab and CR can hide such a start); `=cmd|' /C calc'!A0` in a note would start a program on
the reader's machine. On export such a cell is written with a leading `'`, which spreadsheets
show as text and hide. On import that `'` is removed again, so the round trip stays exact.

To keep that unambiguous, a value that itself starts with `'` followed by one of those
characters or by another `'` gets one more `'` on export (and loses one on import):

    value              CSV cell
    =1+1               '=1+1
    '=1+1              ''=1+1
    ''x                '''x
    'Tis the season    'Tis the season       (a `'` before anything else stays as it is)

So the importer reads a leading `'` followed by = + - @ tab CR or `'` as an escape; every
other text, hand-written CSV included, reads as before.

Which cells: every free-text cell (names, titles, notes, URLs, keys, lists of keys and aliases),
since each of them may start with any character. Date, period and number cells are left alone:
the importer only accepts digits there (YYYY-MM-DD, 1, 004), so they never start with one of
these characters, and marking a date or a number as text would stop a spreadsheet from sorting
or computing with it. JSON and NDJSON are never escaped: spreadsheets do not open them.
"""

# What a spreadsheet reads as the start of a formula (tab and CR: the OWASP list, since some
# spreadsheets skip them before looking at the cell).
FORMULA_STARTS = frozenset("=+-@\t\r")
_QUOTE = "'"
# After a leading quote, the characters that make it an escape.
_ESCAPED = FORMULA_STARTS | {_QUOTE}


def escape_cell(text: str, *, formulas: bool = True) -> str:
    """The CSV cell for a text value. With `formulas` False only the quote escape is kept, so
    that raw exports read back exactly too."""
    if not text:
        return text
    first = text[0]
    if formulas and first in FORMULA_STARTS:
        return _QUOTE + text
    if first == _QUOTE and len(text) > 1 and text[1] in _ESCAPED:
        return _QUOTE + text
    return text


def unescape_cell(text: str) -> str:
    """The value a CSV cell holds: `escape_cell` undone (any other text is returned as is)."""
    if len(text) > 1 and text[0] == _QUOTE and text[1] in _ESCAPED:
        return text[1:]
    return text


# Joins a row's cells to find, in one search, whether any starts with a quote. A NUL never
# occurs in a decoded cell (the reader marks NUL bytes with a lone surrogate).
_SEPARATOR = "\x00"
_QUOTED_START = _SEPARATOR + _QUOTE


def unescape_row(row: list[str]) -> list[str]:
    """The cells of a CSV record with `escape_cell` undone; the same list when no cell starts
    with a quote (the common case, checked with one join and one search)."""
    if _QUOTED_START not in _SEPARATOR + _SEPARATOR.join(row):
        return row
    return [unescape_cell(cell) for cell in row]
