"""Random valid query operations over the schema, for property-based differential tests.

The generator walks the GraphQL schema itself (graphql-core's types), so every field, argument
and union member the schema has can be drawn; values come from `Pools`, drawn from the data the
test runs on, so filters and lookups find rows as often as not.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
)
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from schema.ids import encode_id
from schema.root import schema

SCHEMA = schema._schema
DATES = ["1934-06-30", "1997-05-01", "2000-01-01", "2001-09-30", "2011-06-17", "2025-07-03"]
# 101 is over the maximum: the resolver path's error, through the fallback.
PAGE_SIZES = [None, None, None, 0, 1, 2, 5, 101]
MAX_DEPTH = 3
# Left to the resolver path by design; drawing them would only exercise the fallback.
SKIPPED_ROOTS: set[str] = {"changes"}
# Node fields the compiled path leaves to the resolvers (history, versions): tested on their own.
SKIPPED_FIELDS: set[str] = {"history", "version"}
# Search texts besides the state names of the data: other scripts, fragments, blanks (refused).
SEARCH_TEXTS = ["Taliban", "Afghan", "emirate", "republic", "xx", "Путин", "اسلامي امارت", "  "]


@dataclass
class Pools:
    """Natural keys present in the database, by what they name."""

    keys: dict[str, list[str]] = field(default_factory=dict)

    def of(self, kind: str) -> list[str]:
        return self.keys.get(kind) or ["XXX"]

    def references(self) -> list[str]:
        return self.of("state") + self.of("government") + self.of("person") + ["XXX"]


async def pools_of(engine: AsyncEngine) -> Pools:
    queries = {
        "state": "SELECT iso3 FROM state ORDER BY iso3",
        "government": "SELECT key FROM government ORDER BY key",
        "person": "SELECT key FROM person ORDER BY key",
        "recognition": "SELECT key FROM recognition ORDER BY key",
        "envoy": "SELECT key FROM envoy ORDER BY key",
        "sanction": "SELECT key FROM sanction ORDER BY key",
        "cooperation": "SELECT key FROM cooperation ORDER BY key",
        "source": "SELECT key FROM source ORDER BY key",
        "area": "SELECT code FROM cooperation_area ORDER BY code",
        "authority": "SELECT DISTINCT authority FROM sanction ORDER BY 1",
        "organization": "SELECT DISTINCT target_organization FROM sanction "
        "WHERE target_organization IS NOT NULL ORDER BY 1",
        "name": "SELECT name FROM state ORDER BY iso3 LIMIT 20",
    }
    pools = Pools()
    async with engine.connect() as connection:
        for kind, sql in queries.items():
            rows = (await connection.execute(text(sql))).scalars().all()
            # A bounded, evenly spread sample keeps the strategies small on big datasets.
            step = max(1, len(rows) // 40)
            pools.keys[kind] = [str(r) for r in rows[::step]]
    return pools


class Enum_(str):
    """An enum value, printed bare."""


def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum_):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"


_STRING_POOLS = {
    "iso3": "state",
    "state": "state",
    "party": "state",
    "receiver": "state",
    "recognizer": "state",
    "subjectState": "state",
    "nationality": "state",
    "person": "person",
    "area": "area",
    "authority": "authority",
    "name": "name",
}


class Builder:
    def __init__(self, draw: Any, pools: Pools) -> None:
        self.draw = draw
        self.pools = pools
        self.fragments: list[str] = []
        self.aliases = 0
        self.uses_flag = False

    # --- Values ----------------------------------------------------------------------------------

    def string_for(self, name: str, owner: str) -> str:
        if name == "key":
            kind = owner.removesuffix("Where").lower()
            return str(self.draw(st.sampled_from([*self.pools.of(kind), "nope"])))
        if name in ("subject", "sender", "partner", "target"):
            pool = self.pools.references() + self.pools.of("organization")
            return str(self.draw(st.sampled_from(pool)))
        pool = self.pools.of(_STRING_POOLS.get(name, "state"))
        return str(self.draw(st.sampled_from([*pool, "other"])))

    def filter_value(self, input_type: GraphQLInputObjectType, name: str, owner: str) -> Any:
        fields = input_type.fields
        op = self.draw(st.sampled_from(sorted(fields)))
        inner = get_named_type(fields[op].type)
        if op == "isNull":
            return {"isNull": self.draw(st.booleans())}
        if isinstance(inner, GraphQLEnumType):
            values = sorted(inner.values)
            if op == "in":
                return {
                    "in": [
                        Enum_(v) for v in self.draw(st.lists(st.sampled_from(values), max_size=3))
                    ]
                }
            return {op: Enum_(self.draw(st.sampled_from(values)))}
        if inner.name == "Date":
            return {op: self.draw(st.sampled_from(DATES))}
        if op == "in":
            return {
                "in": [self.string_for(name, owner) for _ in range(self.draw(st.integers(0, 3)))]
            }
        return {op: self.string_for(name, owner)}

    def where(self, input_type: GraphQLInputObjectType) -> dict[str, Any]:
        names = self.draw(
            st.lists(st.sampled_from(sorted(input_type.fields)), max_size=2, unique=True)
        )
        where = {}
        for name in names:
            filter_type = get_named_type(input_type.fields[name].type)
            assert isinstance(filter_type, GraphQLInputObjectType)
            where[name] = self.filter_value(filter_type, name, input_type.name)
        return where

    def arguments(self, parent: str, name: str, definition: Any) -> str:
        args: dict[str, Any] = {}
        for arg_name, arg in definition.args.items():
            named = get_named_type(arg.type)
            required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
            value: Any = None
            if arg_name in ("first", "last"):
                value = self.draw(st.sampled_from(PAGE_SIZES)) if arg_name == "first" else None
                if arg_name == "last" and args.get("first") is None and self.draw(st.booleans()):
                    value = self.draw(st.sampled_from([1, 2, 3]))
            elif arg_name in ("after", "before"):
                value = None
            elif arg_name == "asOf":
                value = self.draw(st.sampled_from([None, None, *DATES]))
            elif arg_name == "where":
                if self.draw(st.booleans()):
                    assert isinstance(named, GraphQLInputObjectType)
                    value = self.where(named)
            elif arg_name == "orderBy" and isinstance(named, GraphQLEnumType):
                value = Enum_(self.draw(st.sampled_from(sorted(named.values))))
            elif arg_name == "groupBy" and isinstance(named, GraphQLEnumType):
                value = [
                    Enum_(v)
                    for v in self.draw(
                        st.lists(st.sampled_from(sorted(named.values)), unique=True, max_size=3)
                    )
                ]
            elif arg_name == "partner":
                value = self.draw(st.sampled_from([None, *self.pools.references()]))
            elif arg_name == "iso3":
                value = self.draw(st.sampled_from([*self.pools.of("state"), "XXX"]))
            elif arg_name == "key":
                kind = {"cooperationArea": "area"}.get(name, name)
                value = self.draw(st.sampled_from([*self.pools.of(kind), "nope"]))
            elif arg_name == "id":
                value = self.node_id()
            elif arg_name == "text":
                value = self.draw(st.sampled_from([*self.pools.of("name"), *SEARCH_TEXTS]))
            elif required:
                raise AssertionError(f"no value for {parent}.{name}({arg_name})")
            if value is not None:
                args[arg_name] = value
        if not args:
            return ""
        return "(" + ", ".join(f"{k}: {literal(v)}" for k, v in args.items()) + ")"

    def node_id(self) -> str:
        kind, typename = self.draw(
            st.sampled_from(
                [
                    ("state", "State"),
                    ("government", "Government"),
                    ("recognition", "Recognition"),
                    ("envoy", "Envoy"),
                    ("sanction", "Sanction"),
                    ("cooperation", "Cooperation"),
                    ("person", "Person"),
                    ("source", "Source"),
                    ("area", "CooperationArea"),
                    ("state", "Nothing"),
                ]
            )
        )
        return encode_id(typename, self.draw(st.sampled_from(self.pools.of(kind))))

    # --- Selections ------------------------------------------------------------------------------

    def directive(self) -> str:
        choice = self.draw(st.sampled_from(["", "", "", "", "skip", "include", "flag"]))
        if choice == "skip":
            return f" @skip(if: {literal(self.draw(st.booleans()))})"
        if choice == "include":
            return f" @include(if: {literal(self.draw(st.booleans()))})"
        if choice == "flag":
            self.uses_flag = True
            return " @include(if: $flag)"
        return ""

    def alias(self) -> str:
        if self.draw(st.integers(0, 4)) == 0:
            self.aliases += 1
            return f"a{self.aliases}: "
        return ""

    def field(self, parent: GraphQLObjectType, name: str, depth: int) -> str:
        definition = parent.fields[name]
        named = get_named_type(definition.type)
        args = self.arguments(parent.name, name, definition)
        head = f"{self.alias()}{name}{args}{self.directive()}"
        if isinstance(named, GraphQLObjectType | GraphQLUnionType | GraphQLInterfaceType):
            return f"{head} {{ {self.selection(named, depth + 1)} }}"
        return head

    def selection(self, type_: Any, depth: int) -> str:
        if isinstance(type_, GraphQLUnionType | GraphQLInterfaceType):
            members = SCHEMA.get_possible_types(type_)
            parts = ["__typename"] if self.draw(st.booleans()) or not members else []
            if isinstance(type_, GraphQLInterfaceType):
                parts.append("id")
            for member in self.draw(
                st.lists(st.sampled_from(members), max_size=2, unique_by=lambda m: m.name)
            ):
                parts.append(f"... on {member.name} {{ {self.selection(member, depth)} }}")
            return " ".join(parts) or "__typename"
        assert isinstance(type_, GraphQLObjectType)
        names = sorted(n for n in type_.fields if n not in SKIPPED_FIELDS)
        if depth >= MAX_DEPTH:
            leaves = [n for n in names if _is_leaf(type_.fields[n].type)]
            names = leaves or names
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
        if type_.name.endswith("Connection") and depth >= MAX_DEPTH:
            chosen = ["totalCount"]
        parts = [self.field(type_, n, depth) for n in chosen]
        wrap = self.draw(st.sampled_from(["", "", "inline", "named"]))
        if wrap == "inline":
            return f"... on {type_.name} {{ {' '.join(parts)} }}"
        if wrap == "named":
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_.name} {{ {' '.join(parts)} }}")
            return f"...{name}"
        return " ".join(parts)


def _is_leaf(type_: Any) -> bool:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return not isinstance(type_, GraphQLObjectType | GraphQLUnionType | GraphQLInterfaceType)


@st.composite
def operations(draw: Any, pools: Pools) -> tuple[str, dict[str, Any]]:
    builder = Builder(draw, pools)
    query = SCHEMA.query_type
    assert query is not None
    names = [n for n in sorted(query.fields) if n not in SKIPPED_ROOTS]
    roots = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    body = " ".join(builder.field(query, name, 0) for name in roots)
    header = "query ($flag: Boolean!) " if builder.uses_flag else ""
    variables = {"flag": draw(st.booleans())} if builder.uses_flag else {}
    return f"{header}{{ {body} }}\n" + "\n".join(builder.fragments), variables
