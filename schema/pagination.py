"""Relay connections over keyset pages, fetched for many parents in one statement.

A page query selects the entity's columns plus `page_parent` (the parent row it belongs to),
the ordering's sort keys `page_k0..` and the primary key `page_pk` as the final tie-breaker.
Nested pages are cut per parent with `row_number() OVER (PARTITION BY page_parent ...)`, so
every parent gets its own `first` rows from one statement; root pages use a plain LIMIT.
Cursors encode the sort keys of a row, so the page after a cursor is `(keys, pk) > (cursor
keys, cursor pk)`: stable under inserts, and served by the same indexes as the ordering.
"""

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, func, literal, tuple_, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from schema.context import Info, loaders_for
from schema.errors import BadUserInput
from schema.fields import described
from schema.loaders import Entity, Statement, among

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
ROOT = 0  # the one "parent" of a root connection

# Argument types of every connection field, documented once.
PageSize = Annotated[
    int | None,
    strawberry.argument(
        description=f"Page size; {DEFAULT_PAGE_SIZE} when neither first nor last is given, "
        f"at most {MAX_PAGE_SIZE}."
    ),
]
Cursor = Annotated[
    str | None, strawberry.argument(description="A cursor from `edges` or `pageInfo`.")
]
AsOf = Annotated[
    date | None,
    strawberry.argument(
        description="Only what was in force on this day, reading fuzzy dates as wide as they "
        "can be (a start of 1997-05 from 1997-05-01, an end of 2001-09 to 2001-09-30)."
    ),
]


@dataclass(frozen=True, slots=True)
class Ordering:
    """Sort keys, all in one direction; the primary key is appended as the tie-breaker.

    Keys must be non-null (wrap nullable columns in coalesce), so that row comparisons are total.
    """

    name: str
    keys: tuple[ColumnElement[Any], ...]
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Branch:
    """One way a row belongs to a parent (a cooperation belongs to both of its parties)."""

    parent: ColumnElement[Any] | None
    where: tuple[ColumnElement[bool], ...] = ()


@dataclass(frozen=True, slots=True)
class PageQuery(Generic[T]):
    entity: Entity[T]
    ordering: Ordering
    where: tuple[ColumnElement[bool], ...] = ()
    branches: tuple[Branch, ...] = (Branch(None),)


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    backward: bool
    cursor: tuple[Any, ...] | None


@dataclass(slots=True)
class Page(Generic[T]):
    nodes: list[T]
    keys: list[tuple[Any, ...]]
    has_next: bool
    has_previous: bool


# --- Cursors -------------------------------------------------------------------------------------


def _encode_value(value: Any) -> list[Any]:
    if isinstance(value, date):
        return ["d", value.isoformat()]
    return ["v", value]


def encode_cursor(ordering: str, keys: tuple[Any, ...]) -> str:
    payload = json.dumps([ordering, [_encode_value(v) for v in keys]], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode("ascii")


def _decode_value(tag: Any, value: Any) -> Any:
    if tag == "d" and isinstance(value, str):
        return date.fromisoformat(value)
    # Sort keys are text, dates and integer ids; anything else was not written by us.
    if tag == "v" and isinstance(value, str | int) and not isinstance(value, bool):
        return value
    raise ValueError(value)


def decode_cursor(cursor: str, ordering: Ordering) -> tuple[Any, ...]:
    try:
        name, values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        keys = tuple(_decode_value(tag, value) for tag, value in values)
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        raise BadUserInput(f"{cursor!r} is not a valid cursor") from None
    if name != ordering.name or len(keys) != len(ordering.keys) + 1:
        raise BadUserInput(f"the cursor {cursor!r} belongs to another ordering")
    return keys


def window(
    ordering: Ordering,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Window:
    if first is not None and last is not None:
        raise BadUserInput("pass either first or last, not both")
    if after is not None and before is not None:
        raise BadUserInput("pass either after or before, not both")
    size = last if last is not None else first
    if size is None:
        size = DEFAULT_PAGE_SIZE
    if size < 0:
        raise BadUserInput("first and last must not be negative")
    if size > MAX_PAGE_SIZE:
        raise BadUserInput(
            f"first and last may be at most {MAX_PAGE_SIZE}", maxPageSize=MAX_PAGE_SIZE
        )
    backward = last is not None or (before is not None and first is None)
    if (after if backward else before) is not None:
        raise BadUserInput("use after with first, and before with last")
    cursor = before if backward else after
    return Window(
        limit=size,
        backward=backward,
        cursor=decode_cursor(cursor, ordering) if cursor is not None else None,
    )


# --- SQL -----------------------------------------------------------------------------------------


def _source(query: PageQuery[Any], parents: Sequence[int] | None) -> Subquery:
    entity = query.entity
    selects = []
    for branch in query.branches:
        parent = branch.parent if branch.parent is not None else literal(ROOT)
        statement = (
            entity.select()
            .add_columns(
                parent.label("page_parent"),
                *(key.label(f"page_k{i}") for i, key in enumerate(query.ordering.keys)),
                entity.pk.label("page_pk"),
            )
            .where(*query.where, *branch.where)
        )
        if parents is not None and branch.parent is not None:
            statement = statement.where(among(branch.parent, parents))
        selects.append(statement)
    if len(selects) == 1:
        return selects[0].subquery("page_source")
    return union_all(*selects).subquery("page_source")


def _sort_columns(source: Subquery, ordering: Ordering) -> list[ColumnElement[Any]]:
    return [source.c[f"page_k{i}"] for i in range(len(ordering.keys))] + [source.c.page_pk]


def page_statement(query: PageQuery[Any], win: Window, parents: Sequence[int] | None) -> Statement:
    source = _source(query, parents)
    columns = _sort_columns(source, query.ordering)
    # Walking backwards flips the direction; the rows are put back in order in Python.
    descending = query.ordering.descending != win.backward
    order = [c.desc() if descending else c.asc() for c in columns]
    statement: Statement = Select(source)
    if win.cursor is not None:
        bound = tuple_(*columns)
        cursor = tuple_(*(literal(v) for v in win.cursor))
        statement = statement.where(bound < cursor if descending else bound > cursor)
    if parents is None:
        return statement.order_by(*order).limit(win.limit + 1)
    ranked = statement.add_columns(
        func.row_number().over(partition_by=source.c.page_parent, order_by=order).label("page_rn")
    ).subquery("ranked")
    return (
        Select(ranked)
        .where(ranked.c.page_rn <= win.limit + 1)
        .order_by(ranked.c.page_parent, ranked.c.page_rn)
    )


def count_statement(query: PageQuery[Any], parents: Sequence[int] | None) -> Statement:
    source = _source(query, parents)
    return Select(source.c.page_parent, func.count()).group_by(source.c.page_parent)


# --- Loading -------------------------------------------------------------------------------------


def _pages(
    query: PageQuery[T], win: Window, rows: Sequence[Any], parents: Sequence[int]
) -> list[Page[T]]:
    grouped: dict[int, list[Any]] = {p: [] for p in parents}
    for row in rows:
        grouped[row.page_parent].append(row)
    width = len(query.ordering.keys)
    pages = []
    for parent in parents:
        chunk = grouped[parent]
        more = len(chunk) > win.limit
        chunk = chunk[: win.limit]
        if win.backward:
            chunk.reverse()
        pages.append(
            Page(
                nodes=[query.entity.from_row(row) for row in chunk],
                keys=[
                    (*(row._mapping[f"page_k{i}"] for i in range(width)), row.page_pk)
                    for row in chunk
                ],
                # Relay lets a server report the far side as false when it cannot tell cheaply;
                # a cursor on that side means there were rows there when it was issued.
                has_next=more if not win.backward else win.cursor is not None,
                has_previous=more if win.backward else win.cursor is not None,
            )
        )
    return pages


async def paginate(
    info: Info,
    *,
    key: Hashable,
    build: Callable[[], PageQuery[T]],
    ordering: Ordering,
    win: Window,
    parent: int | None = None,
) -> "Connection[T]":
    """One parent's page, batched with every other parent resolving the same field and args.

    `build` runs once per batch, not once per parent: compiling filters is not free.
    """
    loaders = loaders_for(info)
    nested = parent is not None

    async def load_pages(parents: list[int]) -> list[Page[T]]:
        query = build()
        rows = await loaders.fetch(page_statement(query, win, parents if nested else None))
        return _pages(query, win, rows, parents)

    async def load_counts(parents: list[int]) -> list[int]:
        rows = await loaders.fetch(count_statement(build(), parents if nested else None))
        counts = {row[0]: row[1] for row in rows}
        return [counts.get(p, 0) for p in parents]

    slot = parent if parent is not None else ROOT
    # The ordering belongs in the key: two aliases of one field that differ only in `orderBy`
    # must not share a page. Counts do not depend on it.
    page = await loaders.loader(("page", key, ordering.name, ordering.descending), load_pages).load(
        slot
    )
    count_loader = loaders.loader(("count", key), load_counts)
    return Connection(
        nodes=page.nodes,
        _page=page,
        _ordering=ordering.name,
        _count=lambda: count_loader.load(slot),
    )


# --- GraphQL types -------------------------------------------------------------------------------


@strawberry.type
class PageInfo:
    __slots__ = ("end_cursor", "has_next_page", "has_previous_page", "start_cursor")
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    __slots__ = ("cursor", "node")
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    __slots__ = ("_count", "_ordering", "_page", "nodes")
    nodes: list[T]
    _page: strawberry.Private[Page[Any]]
    _ordering: strawberry.Private[str]
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        page = self._page
        return [
            Edge(cursor=encode_cursor(self._ordering, keys), node=node)
            for keys, node in zip(page.keys, page.nodes, strict=True)
        ]

    @strawberry.field
    def page_info(self) -> PageInfo:
        page = self._page
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=encode_cursor(self._ordering, page.keys[0]) if page.keys else None,
            end_cursor=encode_cursor(self._ordering, page.keys[-1]) if page.keys else None,
        )

    @described("The number of rows matching, whatever the page.")
    async def total_count(self) -> int:
        return await self._count()


async def connection(
    info: Info,
    *,
    entity: Entity[T],
    ordering: Ordering,
    conditions: Callable[[], Sequence[ColumnElement[bool]]],
    key: Hashable,
    branches: tuple[Branch, ...] = (Branch(None),),
    parent: int | None = None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> "Connection[T]":
    """A connection over `entity`; `key` names the field and every argument besides paging."""
    win = window(ordering, first=first, after=after, last=last, before=before)
    return await paginate(
        info,
        key=(key, win),
        build=lambda: PageQuery(entity, ordering, tuple(conditions()), branches),
        ordering=ordering,
        win=win,
        parent=parent,
    )
