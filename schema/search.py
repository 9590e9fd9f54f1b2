"""Approximate name search over states, governments and persons (pg_trgm).

Every name a row is known by (a state's ISO code and official name, a government's native and
short names, a person's aliases in any script) is scored on its own, as the better of
`similarity` (the whole name) and `word_similarity` (the text within a longer name); a row keeps
its best-scoring name, which the hit reports as `matched`.

The score is computed for every name rather than filtered with the `%` operators, so the
trigram indexes on the name columns are not used: states and governments are few, and persons'
aliases (an array) have no index yet.
"""

import asyncio
from typing import Annotated, Any

import strawberry
from sqlalchemy import String, cast, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql.elements import ColumnElement

from schema import tables
from schema.context import Info, loaders_for
from schema.errors import BadUserInput
from schema.loaders import Entity, Statement
from schema.pagination import MAX_PAGE_SIZE
from schema.types.government import GOVERNMENT, Government
from schema.types.person import PERSON, Person
from schema.types.state import STATE, State

# Scores run from 0 to 1; below this a hit is mostly noise.
MIN_SCORE = 0.3
# Characters of search text: names are short, and scoring every stored name against a long text
# costs the database time in proportion (a 300 KB text took 22 s).
MAX_SEARCH_TEXT = 200

SearchResult = Annotated[State | Government | Person, strawberry.union("SearchResult")]

_ENTITIES: dict[str, Entity[Any]] = {"State": STATE, "Government": GOVERNMENT, "Person": PERSON}


@strawberry.type(description="A search result; `matched` is the name or alias that matched best.")
class SearchHit:
    __slots__ = ("matched", "node", "score")
    node: SearchResult
    matched: str
    score: float


def _names(
    kind: str,
    pk: ColumnElement[int],
    name: ColumnElement[Any],
    *,
    primary: bool = False,
    nullable: bool = True,
) -> Statement:
    statement = select(
        literal(kind, String).label("kind"),
        pk.label("pk"),
        cast(name, String).label("name"),
        # On equal scores a row is reported under its own name rather than an alias.
        literal(0 if primary else 1).label("rank"),
    )
    # A set-returning name (the unnested aliases) may not appear in WHERE, and is never null.
    return statement.where(name.is_not(None)) if nullable else statement


def search_statement(text: str, limit: int, *, numbered: bool = False) -> Statement:
    """The best `limit` hits for `text`: columns `kind`, `pk`, `name` (the best name), `rank` and
    `score`, best first. `numbered` adds `position` (1, 2, ...: the same order, for a statement
    that joins the hits to other rows and must keep their order).
    """
    s, g, p = tables.state.c, tables.government.c, tables.person.c
    names = union_all(
        _names("State", s.id, s.name, primary=True),
        _names("State", s.id, s.official_name),
        _names("State", s.id, s.iso3, nullable=False),
        _names("Government", g.id, g.name, primary=True),
        _names("Government", g.id, g.native_name),
        _names("Government", g.id, g.short_name),
        _names("Person", p.id, p.name, primary=True),
        _names("Person", p.id, func.unnest(p.aliases), nullable=False),
    ).subquery("names")
    query = literal(text, String)
    score = func.greatest(
        func.similarity(names.c.name, query), func.word_similarity(query, names.c.name)
    ).label("score")
    scored = select(names.c.kind, names.c.pk, names.c.name, names.c.rank, score).subquery("scored")
    best = (
        select(scored)
        .where(scored.c.score >= MIN_SCORE)
        .ext(distinct_on(scored.c.kind, scored.c.pk))
        .order_by(scored.c.kind, scored.c.pk, scored.c.score.desc(), scored.c.rank, scored.c.name)
        .subquery("best")
    )
    order = (best.c.score.desc(), best.c.name, best.c.kind, best.c.pk)
    columns: list[Any] = [best]
    if numbered:
        columns.append(func.row_number().over(order_by=order).label("position"))
    return select(*columns).order_by(*order).limit(limit)


def search_text(text: str, first: int) -> str:
    """The text to score (without surrounding blanks), or BadUserInput for arguments refused."""
    if len(text) > MAX_SEARCH_TEXT:
        raise BadUserInput(
            f"text may be at most {MAX_SEARCH_TEXT} characters long (got {len(text)})",
            argument="text",
            maxLength=MAX_SEARCH_TEXT,
        )
    if not text.strip():
        raise BadUserInput("search text must not be empty")
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}")
    return text.strip()


async def search(info: Info, text: str, first: int) -> list[SearchHit]:
    loaders = loaders_for(info)
    rows = await loaders.fetch(search_statement(search_text(text, first), first))
    # Ask for every node before awaiting any, so each kind is loaded in one batch.
    nodes = await asyncio.gather(*(loaders.by_pk(_ENTITIES[r.kind]).load(r.pk) for r in rows))
    return [
        SearchHit(node=node, matched=row.name, score=round(row.score, 4))
        for row, node in zip(rows, nodes, strict=True)
        if node is not None
    ]
