"""Stream records out of CSV, NDJSON and JSON files, one at a time, with their line numbers.

Nothing here loads a whole file: CSV and NDJSON go line by line, JSON documents are decoded one
element at a time from a sliding buffer. Damaged input (invalid UTF-8, NUL bytes, a truncated last
record, malformed JSON) becomes a `RowError` with the line it was found on, never an exception.
So does hostile input: a record bigger than `max_record_bytes`, JSON nested deeper than Python's
decoder can recurse, a number with more digits than Python converts. Such a record is skipped
without being decoded, and the records after it are read as usual.
"""

import codecs
import csv
import dataclasses
import io
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from api.importer.errors import ImportUsageError, RowError
from api.importer.formulas import unescape_row

FORMATS = ("csv", "ndjson", "json")
_EXTENSIONS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}
_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 16
# A record (an NDJSON line, a JSON array element) larger than this is reported and skipped
# rather than buffered: the default of `ImportOptions.max_record_bytes`.
MAX_RECORD_BYTES = 64 << 20


@dataclass(frozen=True, slots=True)
class Header:
    """A CSV header row: the pipeline checks its columns once for the whole file."""

    entity: str
    file: str
    line: int
    columns: tuple[str, ...]


@dataclass(slots=True)
class Record:
    entity: str
    file: str
    line: int
    fields: Mapping[str, Any]
    # Problems found while reading (bad bytes, wrong field count): the record is rejected.
    problems: list[RowError] = field(default_factory=list)


ReadEvent = Header | Record | RowError


@dataclass(frozen=True, slots=True)
class FileInput:
    """One file of a batch; `path` None reads standard input."""

    label: str
    path: Path | None
    format: str
    entity: str | None
    max_record_bytes: int = MAX_RECORD_BYTES

    def events(self) -> Iterator[ReadEvent]:
        if self.path is None:
            yield from _read(sys.stdin.buffer, self)
            return
        try:
            stream = self.path.open("rb")
        except OSError as problem:
            raise ImportUsageError(f"{self.label}: cannot read: {problem.strerror}") from None
        with stream:
            yield from _read(stream, self)


@dataclass(frozen=True, slots=True)
class RowsInput:
    """Rows built in memory (the seed's states from pycountry) fed through the same pipeline."""

    label: str
    entity: str
    rows: Iterable[Mapping[str, Any]]

    def events(self) -> Iterator[ReadEvent]:
        for number, row in enumerate(self.rows, start=1):
            yield Record(self.entity, self.label, number, row)


Input = FileInput | RowsInput


def entity_from_name(path: Path) -> str:
    """`recognitions.csv` and `2025-07.recognitions.csv` both name `recognitions`."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return stem.rsplit(".", 1)[-1]


def file_input(
    path_text: str,
    *,
    entity: str | None,
    format: str | None,
    known: Iterable[str],
    max_record_bytes: int = MAX_RECORD_BYTES,
) -> FileInput:
    """Check one command-line path and say how to read it (ImportUsageError when we cannot)."""
    known_entities = set(known)
    if max_record_bytes < 1:
        raise ImportUsageError(f"the record size limit must be positive, not {max_record_bytes}")
    if format == "jsonl":
        format = "ndjson"
    if format is not None and format not in FORMATS:
        raise ImportUsageError(f"unknown format {format!r} (use csv, ndjson, jsonl or json)")
    if entity is not None and entity not in known_entities:
        raise ImportUsageError(
            f"unknown entity {entity!r} (one of: {', '.join(sorted(known_entities))})"
        )
    if path_text == "-":
        if entity is None or format is None:
            raise ImportUsageError("reading standard input (-) needs --entity and --format")
        return FileInput("<stdin>", None, format, entity, max_record_bytes)
    path = Path(path_text)
    if not path.is_file():
        raise ImportUsageError(f"{path_text}: no such file")
    chosen = format or _EXTENSIONS.get(path.suffix.lower())
    if chosen is None:
        raise ImportUsageError(f"{path_text}: cannot tell the format from the name; use --format")
    name: str | None = entity or entity_from_name(path)
    if chosen == "json" and name not in known_entities:
        # A JSON object names its entities itself; an array then needs --entity.
        name = None
    elif name not in known_entities:
        raise ImportUsageError(
            f"{path_text}: cannot tell the entity from the name ({name!r} is not one of: "
            f"{', '.join(sorted(known_entities))}); use --entity"
        )
    # Errors name the file as the user wrote it.
    return FileInput(path_text, path, chosen, name, max_record_bytes)


def _read(stream: BinaryIO, source: FileInput) -> Iterator[ReadEvent]:
    if source.format == "csv":
        yield from _read_csv(stream, source)
    elif source.format == "ndjson":
        yield from _read_ndjson(stream, source)
    else:
        yield from _read_json(stream, source)


# --- CSV -----------------------------------------------------------------------------------------


# Undecodable bytes and NUL bytes are kept as lone surrogates (which valid UTF-8 never yields),
# so that once the line is split into cells the error can name the column they sit in.
_NUL_MARK = "\udc00"
_MARKS = re.compile("[\udc00-\udcff]")
# What csv.reader makes of a line holding nothing: it is skipped.
_BLANK = [""]


def _decoded_lines(stream: BinaryIO, label: str, bad: dict[int, RowError]) -> Iterator[str]:
    """Physical lines as text; undecodable or NUL-bearing lines are noted in `bad` (by number)."""
    return itertools.chain.from_iterable(_decoded_blocks(stream, label, bad))


def _decoded_blocks(
    stream: BinaryIO, label: str, bad: dict[int, RowError]
) -> Iterator[Iterable[str]]:
    """The lines a block at a time: a clean block is decoded at once and split in C, so no Python
    code runs per line; a block with bad bytes or NULs is redone line by line to say where."""
    before = 0  # lines in the blocks already read
    while lines := stream.readlines(_CHUNK):
        if before == 0 and lines[0].startswith(_BOM):
            lines[0] = lines[0][len(_BOM) :]
        try:
            text: str | None = b"".join(lines).decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            # Splits on "\n" only, as the bytes were: a lone "\r" stays inside its line.
            yield io.StringIO(text)
        else:
            yield [
                _decoded_line(raw, before + offset, label, bad)
                for offset, raw in enumerate(lines, start=1)
            ]
        before += len(lines)


def _decoded_line(raw: bytes, number: int, label: str, bad: dict[int, RowError]) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as problem:
        bad[number] = RowError(
            label,
            number,
            f"is not valid UTF-8 (byte 0x{raw[problem.start]:02x} "
            f"at position {problem.start + 1} of the line)",
        )
        text = raw.decode("utf-8", "surrogateescape")
    if "\x00" in text:
        bad.setdefault(
            number,
            RowError(label, number, f"contains a NUL byte (position {text.index(chr(0)) + 1})"),
        )
        text = text.replace("\x00", _NUL_MARK)
    return text


def _shown(cell: str) -> str:
    """A cell with bad bytes, printable: NUL as itself (errors escape it), others as U+FFFD."""
    return _MARKS.sub(lambda m: "\x00" if m.group() == _NUL_MARK else "\ufffd", cell)


def _locate(problem: RowError, header: tuple[str, ...] | None, row: list[str]) -> RowError:
    """Name the column (and show the value) holding the bad bytes a line problem is about."""
    if header is None:
        return problem
    for index, cell in enumerate(row):
        if _MARKS.search(cell) is not None:
            column = header[index] if index < len(header) else f"#{index + 1} (beyond the header)"
            return dataclasses.replace(problem, column=column, value=_shown(cell))
    return problem


def _read_csv(stream: BinaryIO, source: FileInput) -> Iterator[ReadEvent]:
    entity, label = source.entity, source.label
    assert entity is not None
    bad: dict[int, RowError] = {}
    reader = csv.reader(_decoded_lines(stream, label, bad), strict=True)
    header: tuple[str, ...] | None = None
    last_line = 0
    while True:
        start = last_line + 1
        try:
            row = next(reader)
        except StopIteration:
            if header is None:
                yield RowError(label, 1, "is empty: a CSV file starts with a header row")
            return
        except csv.Error as problem:
            line_error = RowError(label, start, _csv_reason(str(problem)), entity=entity)
            last_line = reader.line_num
            yield line_error
            continue
        last_line = reader.line_num
        problems = _line_problems(bad, start, last_line, header, row) if bad else []
        if not row or row == _BLANK:
            yield from problems
            continue
        if header is None:
            yield from problems
            header = tuple(name.strip() for name in row)
            yield Header(entity, label, start, header)
            continue
        if len(row) != len(header):
            problems.append(
                RowError(label, start, f"has {len(row)} fields, the header has {len(header)}")
            )
        # A cell exported as '=... (kept from running as a formula) holds =... (see formulas).
        row = unescape_row(row)
        # zip stops at the shorter (strict=False, its default: spelled out, the keyword alone
        # costs a tenth of a microsecond per record).
        fields = dict(zip(header, row))  # noqa: B905
        yield Record(entity, label, start, fields, problems)


def _line_problems(
    bad: dict[int, RowError],
    first: int,
    last: int,
    header: tuple[str, ...] | None,
    row: list[str],
) -> list[RowError]:
    """The problems noted on the physical lines first..last (one record), taken out of `bad`."""
    return [_locate(bad.pop(n), header, row) for n in range(first, last + 1) if n in bad]


def _csv_reason(message: str) -> str:
    if "unexpected end of data" in message:
        return "a quoted field is never closed (is the file truncated?)"
    return f"is not valid CSV ({message})"


# --- NDJSON --------------------------------------------------------------------------------------


def _ndjson_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """The lines of the stream, None for one longer than `limit` bytes (never held whole: the
    rest of it is read and dropped a chunk at a time)."""
    readline = stream.readline
    while raw := readline(limit + 1):
        if len(raw) <= limit or raw.endswith(b"\n"):
            yield raw
            continue
        while (rest := readline(_CHUNK)) and not rest.endswith(b"\n"):
            pass
        yield None


def _read_ndjson(stream: BinaryIO, source: FileInput) -> Iterator[ReadEvent]:
    entity, label = source.entity, source.label
    assert entity is not None
    for number, raw in enumerate(_ndjson_lines(stream, source.max_record_bytes), start=1):
        if raw is None:
            yield RowError(label, number, _too_big(source.max_record_bytes), entity=entity)
            continue
        chunk = raw[len(_BOM) :] if number == 1 and raw.startswith(_BOM) else raw
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as problem:
            yield RowError(
                label,
                number,
                f"is not valid UTF-8 (byte 0x"
                f"{chunk[problem.start]:02x} at position {problem.start + 1})",
                entity=entity,
            )
            continue
        if not text or text.isspace():  # not text.strip(), without the copy
            continue
        try:
            value = _json_line(text)
        except json.JSONDecodeError as problem:
            # A last line cut short is the usual sign of a truncated file.
            hint = "" if raw.endswith(b"\n") else " (is the file truncated?)"
            at = " " if problem.msg.endswith(" at") else " at "
            yield RowError(
                label,
                number,
                f"is not valid JSON: {problem.msg}{at}column {problem.colno}{hint}",
                entity=entity,
            )
            continue
        except (RecursionError, ValueError) as problem:
            yield RowError(label, number, _undecodable(problem), entity=entity)
            continue
        if not isinstance(value, dict):
            yield RowError(label, number, "is not a JSON object", entity=entity)
            continue
        yield Record(entity, label, number, value)


def _too_big(limit: int) -> str:
    mebibytes = limit >= 1 << 20 and limit % (1 << 20) == 0
    shown = f"{limit >> 20} MiB" if mebibytes else f"{limit:,} bytes"
    return f"is larger than {shown}, the limit for one record: skipped without reading it"


def _undecodable(problem: RecursionError | ValueError) -> str:
    """Why Python's JSON decoder gave up on well-formed JSON (it raised something other than a
    JSONDecodeError): nesting deeper than it can recurse, or a number too long to convert."""
    if isinstance(problem, RecursionError):
        return (
            "nests arrays and objects too deeply to read (hundreds of levels; "
            "a record needs three at most)"
        )
    if "integer string conversion" in str(problem):
        return (
            f"holds a number too long to read (more than {sys.get_int_max_str_digits():,} digits)"
        )
    return f"holds a value that cannot be read ({problem})"


_DECODER = json.JSONDecoder()


def _json_line(text: str) -> Any:
    """json.loads(text), with the usual line (an object, then its line break) decoded by the
    scanner directly: json.loads wraps it in two more layers of Python."""
    if text.startswith("{"):
        try:
            value, end = _DECODER.raw_decode(text)
        except json.JSONDecodeError:
            pass  # json.loads below raises the same error
        else:
            if end == len(text) or (end == len(text) - 1 and text[end] == "\n"):
                return value
    return json.loads(text)


# --- JSON ----------------------------------------------------------------------------------------


_JSON_BLANKS = " \t\r\n"
_NOT_BLANK = re.compile(r"[^ \t\r\n]")


class _JsonError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _BadElement(_JsonError):
    """A well-formed element that cannot be decoded (too big, too deep): it can be skipped."""


_SKIP_OUTSIDE = re.compile(r'[\[\]{}"]')
_SKIP_IN_STRING = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]} \t\r\n]")


class _JsonStream:
    """A JSON document read element by element from a buffer that never holds much more."""

    def __init__(self, stream: BinaryIO, max_element: int = MAX_RECORD_BYTES) -> None:
        self._stream = stream
        self._max_element = max_element
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self._chunk = _CHUNK
        self.line = 1
        self._first = True

    def _fill(self) -> bool:
        """Read more text; False at the end of the file (positions stay valid then)."""
        if self._eof:
            return False
        raw = self._stream.read(self._chunk)
        if self._first and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        self._first = False
        try:
            text = self._decoder.decode(raw, final=not raw)
        except UnicodeDecodeError:
            raise _JsonError(self._error_line(), "is not valid UTF-8") from None
        if not raw:
            self._eof = True
            self._buffer += text
            return bool(text)
        # Drop what was consumed, so the buffer holds about one element at a time.
        self._buffer = self._buffer[self._pos :] + text
        self._pos = 0
        return True

    def _error_line(self) -> int:
        # Undecodable bytes sit in the chunk just read; the buffer holds the text before it.
        return self.line + self._buffer.count("\n", self._pos)

    def _advance(self, to: int) -> None:
        self.line += self._buffer.count("\n", self._pos, to)
        self._pos = to

    def peek(self) -> str | None:
        """The next non-blank character, or None at the end of the document."""
        while True:
            buffer, pos = self._buffer, self._pos
            if pos < len(buffer) and buffer[pos] not in _JSON_BLANKS:
                return buffer[pos]
            # Blanks are skipped by one regex search, not a Python step per character.
            found = _NOT_BLANK.search(buffer, pos)
            end = len(buffer) if found is None else found.start()
            self.line += buffer.count("\n", pos, end)
            self._pos = end
            if found is not None:
                return buffer[end]
            if not self._fill():
                return None

    def expect(self, characters: str, what: str) -> str:
        found = self.peek()
        if found is None or found not in characters:
            shown = "the end of the file" if found is None else repr(found)
            raise _JsonError(self.line, f"is not valid JSON: expected {what}, found {shown}")
        self._pos += 1
        return found

    def value(self) -> tuple[int, Any]:
        """(line where it starts, value) of the next JSON value.

        Raises `_BadElement` for a value too big or too deep to decode, leaving the position at
        its start (see `skip_value`)."""
        self.peek()
        start_line = self.line
        while True:
            try:
                value, end = self._json.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as problem:
                if len(self._buffer) - self._pos > self._max_element:
                    raise _BadElement(start_line, _too_big(self._max_element)) from None
                if not self._fill():
                    line = start_line + self._buffer.count("\n", self._pos, problem.pos)
                    hint = " (is the file truncated?)" if self._eof else ""
                    raise _JsonError(line, f"is not valid JSON: {problem.msg}{hint}") from None
                self._chunk = min(self._chunk * 2, max(self._max_element, _CHUNK))
                continue
            except (RecursionError, ValueError) as problem:
                raise _BadElement(start_line, _undecodable(problem)) from None
            # A value that ends exactly at the buffer's end may continue in the next chunk.
            if end == len(self._buffer) and not self._eof and self._fill():
                continue
            if end - self._pos > self._max_element:
                raise _BadElement(start_line, _too_big(self._max_element))
            self._advance(end)
            return start_line, value

    def skip_value(self) -> None:
        """Move past the next value without decoding it: brackets are counted and strings
        stepped over a regex match at a time, and what was passed is dropped from the buffer,
        so neither the value's depth nor its size matters."""
        self._chunk = _CHUNK
        first = self.peek()
        if first is None:
            return
        if first not in '[{"':
            self._skip_scalar()
            return
        depth, in_string = 0, False
        while True:
            pattern = _SKIP_IN_STRING if in_string else _SKIP_OUTSIDE
            found = pattern.search(self._buffer, self._pos)
            if found is None:
                self._advance(len(self._buffer))
                if not self._fill():
                    raise _JsonError(self.line, "is not valid JSON: the file ends inside a value")
                continue
            self._advance(found.end())
            character = found.group()
            if character == "\\":
                # The escaped character (never a line break in valid JSON) may be in the next
                # chunk.
                if self._pos >= len(self._buffer) and not self._fill():
                    raise _JsonError(self.line, "is not valid JSON: the file ends inside a string")
                self._pos += 1
            elif character == '"':
                in_string = not in_string
                if not in_string and depth == 0:
                    return
            elif character in "[{":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return

    def _skip_scalar(self) -> None:
        while True:
            found = _SCALAR_END.search(self._buffer, self._pos)
            if found is not None:
                self._advance(found.start())
                return
            self._advance(len(self._buffer))
            if not self._fill():
                return


def _read_json(stream: BinaryIO, source: FileInput) -> Iterator[ReadEvent]:
    document = _JsonStream(stream, source.max_record_bytes)
    try:
        first = document.expect("[{", "an array of objects or an object of entities")
        if first == "[":
            if source.entity is None:
                raise _JsonError(1, "is an array, but the entity is unknown (use --entity)")
            yield from _json_array(document, source, source.entity)
        else:
            yield from _json_entities(document, source)
        if document.peek() is not None:
            raise _JsonError(document.line, "is not valid JSON: extra data after the document")
    except _JsonError as problem:
        yield RowError(source.label, problem.line, problem.reason)


def _json_array(document: _JsonStream, source: FileInput, entity: str) -> Iterator[ReadEvent]:
    if document.peek() == "]":
        document.expect("]", "]")
        return
    while True:
        try:
            line, value = document.value()
        except _BadElement as problem:
            yield RowError(source.label, problem.line, problem.reason, entity=entity)
            document.skip_value()
        else:
            if isinstance(value, dict):
                yield Record(entity, source.label, line, value)
            else:
                yield RowError(source.label, line, "is not a JSON object", entity=entity)
        if document.expect(",]", "`,` or `]`") == "]":
            return


def _json_entities(document: _JsonStream, source: FileInput) -> Iterator[ReadEvent]:
    from api.importer.entities import ENTITIES

    if document.peek() == "}":
        document.expect("}", "}")
        return
    while True:
        line, name = document.value()
        if not isinstance(name, str):
            raise _JsonError(line, "is not valid JSON: expected an entity name")
        document.expect(":", "`:`")
        if name not in ENTITIES:
            raise _JsonError(line, f"names an unknown entity {name!r}")
        document.expect("[", f"an array of {name}")
        yield from _json_array(document, source, name)
        if document.expect(",}", "`,` or `}`") == "}":
            return
