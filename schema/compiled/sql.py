"""SQL text building blocks for the compiled read path.

Everything here returns SQL text. Identifiers and literals written into that text come only from
this package's own mapping of the schema (table, column and type names); every value that comes
from a request (arguments, variables, aliases, cursors) goes through `Params.add` as a `$n`
bind parameter.
"""

import re
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

# Output is `json`, never `jsonb`: json_build_object keeps its arguments' order, which is the
# order of the selection, and jsonb would sort the keys.
EMPTY_ARRAY = "'[]'::json"


class Params:
    """The bind parameters of one statement, numbered in the order they are first used."""

    __slots__ = ("_index", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._index: dict[tuple[type, Any, str], str] = {}

    def add(self, value: Any, sql_type: str) -> str:
        # The same value of the same type is bound once (aliases repeat in long lists).
        key = (type(value), value, sql_type) if _hashable(value) else None
        if key is not None and key in self._index:
            return self._index[key]
        self.values.append(value)
        placeholder = f"${len(self.values)}::{sql_type}"
        if key is not None:
            self._index[key] = placeholder
        return placeholder


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | bool) or value is None


class Aliases:
    """Fresh table aliases (`t1`, `t2`, ...) for one statement, so no scope shadows another."""

    __slots__ = ("_n",)

    def __init__(self) -> None:
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return f"t{self._n}"


def literal(text: str) -> str:
    """A string constant of our own (a type name, an ordering name) as a SQL literal."""
    assert "'" not in text and "\\" not in text, text
    return f"'{text}'"


def json_object(pairs: list[tuple[str, str]]) -> str:
    """`json_build_object(k1, v1, ...)`; keys are already SQL (bind parameters)."""
    if len(pairs) > 50:
        # PostgreSQL functions take at most 100 arguments.
        raise TooWide
    return "json_build_object(" + ", ".join(f"{k}, {v}" for k, v in pairs) + ")"


class TooWide(Exception):
    pass


def base64_id(type_name: str, key_sql: str) -> str:
    """`schema.ids.encode_id` in SQL: standard base64 of `Type:key`, without line breaks."""
    return (
        f"translate(encode(convert_to({literal(type_name + ':')} || ({key_sql})::text, 'UTF8'), "
        "'base64'), E'\\n', '')"
    )


def iso_day(date_sql: str) -> str:
    return f"to_char({date_sql}, 'YYYY-MM-DD')"


def fuzzy_parts(date_sql: str, precision_sql: str) -> dict[str, str]:
    """The fields of `schema.dates.FuzzyDate`, computed as its Python code does."""
    d, p = date_sql, precision_sql
    return {
        "iso": (
            f"CASE {p} WHEN 'year' THEN to_char({d}, 'YYYY') "
            f"WHEN 'month' THEN to_char({d}, 'YYYY-MM') ELSE to_char({d}, 'YYYY-MM-DD') END"
        ),
        "precision": f"upper({p})",
        "earliest": iso_day(d),
        "latest": iso_day(
            f"CASE {p} WHEN 'year' THEN make_date(extract(year FROM {d})::int, 12, 31) "
            f"WHEN 'month' THEN (date_trunc('month', {d}) + interval '1 month - 1 day')::date "
            f"ELSE {d} END"
        ),
    }


def python_json_string(text_sql: str) -> str:
    """`json.dumps(text)` with its default `ensure_ascii=True`, byte for byte.

    PostgreSQL's `to_json` escapes the same characters as Python within printable ASCII, so it
    serves the common case; anything else is escaped one character at a time as Python does
    (`\\uXXXX`, lower-case hex, surrogate pairs above the BMP).
    """
    t = text_sql
    return (
        f"CASE WHEN {t} ~ '^[ -~]*$' THEN to_json({t})::text ELSE "
        "(SELECT '\"' || string_agg(CASE"
        " WHEN c = '\"' THEN '\\\"' WHEN c = '\\' THEN '\\\\'"
        " WHEN c = E'\\n' THEN '\\n' WHEN c = E'\\r' THEN '\\r' WHEN c = E'\\t' THEN '\\t'"
        " WHEN c = E'\\b' THEN '\\b' WHEN c = E'\\f' THEN '\\f'"
        " WHEN ascii(c) BETWEEN 32 AND 126 THEN c"
        " WHEN ascii(c) < 65536 THEN '\\u' || lpad(to_hex(ascii(c)), 4, '0')"
        " ELSE '\\u' || to_hex(55296 + ((ascii(c) - 65536) >> 10))"
        " || '\\u' || to_hex(56320 + ((ascii(c) - 65536) & 1023)) END, '' ORDER BY o) || '\"'"
        f" FROM regexp_split_to_table({t}, '') WITH ORDINALITY AS chars(c, o)) END"
    )


def cursor(ordering: str, key_sql: str, key_type: str, pk_sql: str) -> str:
    """`schema.pagination.encode_cursor` in SQL: url-safe base64 of compact JSON."""
    if key_type == "date":
        # `-infinity` is how `date.min` travels (see mapping._EARLIEST); Python writes 0001-01-01.
        day = f"CASE WHEN {key_sql} = '-infinity' THEN '0001-01-01' ELSE {iso_day(key_sql)} END"
        value = f"'[\"d\",\"' || {day} || '\"]'"
    else:
        value = f"'[\"v\",' || {python_json_string(key_sql)} || ']'"
    payload = f"'[\"{ordering}\",[' || {value} || ',[\"v\",' || ({pk_sql})::text || ']]]'"
    return f"translate(encode(convert_to({payload}, 'UTF8'), 'base64'), E'+/\\n', '-_')"


# The dialect the resolver path's engine compiles with: the same SQL text and parameter casts.
_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
_BIND = re.compile(r"\$(\d+)::(\w+)")


def bound_statement(statement: ClauseElement, params: Params) -> str:
    """A SQLAlchemy statement of the resolver path, as the SQL it sends, with its bind parameters
    (`$1::VARCHAR`, ...) numbered anew in `params`, so the text can sit inside a larger statement.
    """
    compiled = statement.compile(dialect=_DIALECT)
    assert isinstance(compiled, SQLCompiler)
    values = [compiled.params[name] for name in compiled.positiontup or ()]
    found = _BIND.findall(compiled.string)
    if len(found) != compiled.string.count("$") or {int(n) for n, _ in found} != set(
        range(1, len(values) + 1)
    ):
        raise ValueError("a statement with parameters other than `$n::type`")
    return _BIND.sub(lambda m: params.add(values[int(m.group(1)) - 1], m.group(2)), compiled.string)


def python_round(real_sql: str, digits: int) -> str:
    """`round(x, digits)` of Python on a `real`, as the JSON number orjson writes for the result.

    Python rounds the float's exact binary value, halfway cases to even; PostgreSQL's numeric
    `round` takes halfway cases away from zero, so the halfway case is decided here. The `real`
    widens to `double precision` exactly and becomes numeric through 15 significant digits: a
    `real` is either exactly halfway (then those digits are exact) or at least 1/(5**digits *
    2**24) of its own value away from it (9.5e-11 for 4 digits), far more than 15 digits blur.
    The result is written as Python writes the float: without trailing zeros, `1.0` for a whole
    number (`repr` of a float of at most 4 decimals in [1e-4, 1e16) is that decimal).
    """
    assert 0 < digits <= 4, digits
    scale = 10**digits
    scaled = f"(({real_sql})::float8::numeric * {scale})"
    down = f"floor{scaled}"
    units = (
        f"(CASE WHEN {scaled} - {down} > 0.5 OR ({scaled} - {down} = 0.5 AND mod({down}, 2) = 1)"
        f" THEN {down} + 1 ELSE {down} END)"
    )
    return (
        f"(SELECT CASE WHEN mod(u, {scale}) = 0 THEN round(u / {scale}, 1) "
        f"ELSE trim_scale(u / {scale}) END FROM (SELECT {units} AS u) AS rounded)"
    )
