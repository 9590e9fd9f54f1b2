"""Sources and the citations that link them to facts."""

import strawberry
from sqlalchemy import asc
from strawberry.dataloader import DataLoader

from schema import tables
from schema.context import Info
from schema.dates import FuzzyDate
from schema.ids import encode_id
from schema.inputs.source import SOURCE_ORDERINGS, SourceOrder, SourceWhere, source_conditions
from schema.loaders import AnyRow, Entity
from schema.pagination import Connection, connection
from schema.types.enums import Confidence, SourceKind
from schema.types.history import Recorded
from schema.types.node import Node

_s = tables.source.c
_c = tables.citation.c


@strawberry.type(description="A document facts are taken from.")
class Source(Node, Recorded):
    __slots__ = (
        "_pk",
        "key",
        "kind",
        "language",
        "published",
        "publisher",
        "reliability",
        "title",
        "url",
    )
    _pk: strawberry.Private[int]
    key: str
    title: str
    url: str | None
    publisher: str | None
    published: FuzzyDate | None
    language: str | None
    kind: SourceKind | None
    reliability: Confidence | None

    @classmethod
    def from_row(cls, row: AnyRow, prefix: str = "") -> "Source":
        m = row._mapping
        kind, reliability = m[prefix + "kind"], m[prefix + "reliability"]
        return cls(
            id=strawberry.ID(encode_id("Source", m[prefix + "key"])),
            _pk=m[prefix + "id"],
            key=m[prefix + "key"],
            title=m[prefix + "title"],
            url=m[prefix + "url"],
            publisher=m[prefix + "publisher"],
            published=FuzzyDate.of(m[prefix + "published_date"], m[prefix + "published_precision"]),
            language=m[prefix + "language"],
            kind=SourceKind(kind) if kind is not None else None,
            reliability=Confidence(reliability) if reliability is not None else None,
        )


_SOURCE_COLUMNS = (
    _s.id,
    _s.key,
    _s.title,
    _s.url,
    _s.publisher,
    _s.published_date,
    _s.published_precision,
    _s.language,
    _s.kind,
    _s.reliability,
)

SOURCE = Entity(
    name="Source",
    from_=tables.source,
    columns=_SOURCE_COLUMNS,
    from_row=Source.from_row,
    key=_s.key,
    pk=_s.id,
)


@strawberry.type(description="One source cited for one fact, with the passage quoted.")
class Citation(Node):
    __slots__ = ("position", "quote", "source")
    source: Source
    quote: str | None
    position: int

    @classmethod
    def from_row(cls, row: AnyRow) -> "Citation":
        return cls(
            id=strawberry.ID(encode_id("Citation", row.citation_id)),
            source=Source.from_row(row, "source_"),
            quote=row.quote,
            position=row.position,
        )


# The source is joined in: a citation is never shown without it.
_CITATION_COLUMNS = (
    _c.id.label("citation_id"),
    _c.quote,
    _c.position,
    *(column.label(f"source_{column.key}") for column in _SOURCE_COLUMNS),
)


CITATION = Entity(
    name="Citation",
    from_=tables.citation.join(tables.source, _c.source_id == _s.id),
    columns=_CITATION_COLUMNS,
    from_row=Citation.from_row,
    key=_c.id,
    pk=_c.id,
)


def citations_of(info: Info, fact_table: str) -> DataLoader[int, list[Citation]]:
    """Citations of many facts of one table, in one statement."""
    return info.context.loaders.children(
        ("citations", fact_table),
        CITATION,
        _c[f"{fact_table}_id"],
        order_by=(asc(_c.position), asc(_c.id)),
    )


async def cited(info: Info, fact_table: str, pk: int) -> list[Citation]:
    return await citations_of(info, fact_table).load(pk)


async def sources_cited(info: Info, fact_table: str, pk: int) -> list[Source]:
    seen: dict[int, Source] = {}
    for c in await citations_of(info, fact_table).load(pk):
        seen.setdefault(c.source._pk, c.source)
    return list(seen.values())


# --- Root connection -----------------------------------------------------------------------------


async def source_connection(
    info: Info,
    *,
    where: SourceWhere | None,
    order_by: SourceOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Source]:
    return await connection(
        info,
        entity=SOURCE,
        ordering=SOURCE_ORDERINGS[order_by],
        conditions=lambda: source_conditions(where),
        key=("sources", repr(where)),
        first=first,
        after=after,
        last=last,
        before=before,
    )
