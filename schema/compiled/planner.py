"""Plan one query operation into one SQL statement per root field.

Each statement returns the root field's value as PostgreSQL `json` text. Objects are
`json_build_object` in selection order; to-one relations are LEFT JOINs on the row that holds the
foreign key; lists and connections are correlated subqueries aggregated with `json_agg`, cut per
parent with the same keyset ordering and `first + 1` probe as `schema/pagination.py`.

Anything the planner does not cover, and anything the resolver path would answer with an error,
raises `Unsupported`: the whole operation then runs through Strawberry.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values

from schema.compiled import filters
from schema.compiled.mapping import (
    ENTITIES,
    NESTED,
    NODE_BY_KEY,
    ORDER_KEYS,
    ROOT_BY_KEY,
    ROOT_CONNECTIONS,
    UNIONS,
    Entity,
)
from schema.compiled.sql import (
    EMPTY_ARRAY,
    Aliases,
    Params,
    TooWide,
    base64_id,
    bound_statement,
    cursor,
    fuzzy_parts,
    json_object,
    literal,
    python_round,
)
from schema.errors import BadUserInput
from schema.filters import is_government_key
from schema.ids import decode_id
from schema.pagination import window
from schema.recorded import instant
from schema.search import search_statement, search_text
from schema.stats import MAX_STATS_GROUPS, RecognitionGroupBy


class Unsupported(Exception):
    """The operation runs through the resolver path instead; the message says why."""


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class RootField:
    key: str
    statement: Statement | None  # None: `literal` is the value (`__typename`)
    literal: str = "null"
    # The instant the statement reads (`asRecordedAt`, as schema.recorded.instant writes it);
    # None for the present. The same SQL serves both: the executor sets the instant.
    recorded_at: str | None = None


Fields = dict[str, list[FieldNode]]
Branch = Callable[[str], list[str]]


class Planner:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
        today: date,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._today = today
        self._params = Params()
        self._aliases = Aliases()
        self._grouped: set[str] = set()

    # --- Selections ------------------------------------------------------------------------------

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self._variables)
        if skip is not None and skip["if"] is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self._variables)
        return not (include is not None and include["if"] is False)

    def _applies(self, condition: str | None, typename: str) -> bool:
        if condition is None or condition == typename:
            return True
        abstract = self._schema.get_type(condition)
        runtime = self._schema.get_type(typename)
        if isinstance(abstract, GraphQLObjectType) or not isinstance(runtime, GraphQLObjectType):
            return False
        return self._schema.is_sub_type(abstract, runtime)  # type: ignore[arg-type]

    def collect(self, nodes: Iterable[FieldNode], typename: str) -> Fields:
        """The sub-selections of `nodes` on `typename`, merged by response key, in order."""
        fields: Fields = {}
        for node in nodes:
            if node.selection_set is not None:
                self._collect(node.selection_set, typename, fields, set())
        return fields

    def _collect(
        self, selection_set: SelectionSetNode, typename: str, fields: Fields, seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if self._applies(condition.name.value if condition else None, typename):
                    self._collect(selection.selection_set, typename, fields, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if name in seen or fragment is None:
                    continue
                seen.add(name)
                if self._applies(fragment.type_condition.name.value, typename):
                    self._collect(fragment.selection_set, typename, fields, seen)

    def _args(self, typename: str, nodes: list[FieldNode]) -> dict[str, Any]:
        parent = self._schema.get_type(typename)
        assert isinstance(parent, GraphQLObjectType)
        definition = parent.fields[nodes[0].name.value]
        try:
            return get_argument_values(definition, nodes[0], self._variables)
        except Exception as error:  # a bad literal or variable: the resolver path reports it
            raise Unsupported(f"arguments: {error}") from None

    def _key(self, response_key: str) -> str:
        return self._params.add(response_key, "text")

    def _object(self, pairs: list[tuple[str, str]]) -> str:
        try:
            return json_object(pairs)
        except TooWide:
            raise Unsupported("more than 50 fields in one object") from None

    # --- Root ------------------------------------------------------------------------------------

    def plan(self, operation: OperationDefinitionNode) -> list[RootField]:
        roots = []
        for key, nodes in self._root_fields(operation).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append(RootField(key, None, '"Query"'))
                continue
            self._params = Params()
            self._aliases = Aliases()
            # As the bytes of its text (bytea, which asyncpg hands over as `bytes`): the answer
            # is spliced into the response as it came, never decoded nor encoded again.
            # (SQLAlchemy's pool gives connections a json codec that would decode json.)
            sql = f"SELECT convert_to(({self._root(name, nodes)})::text, 'UTF8')"
            if any(f"${i}::" not in sql for i in range(1, len(self._params.values) + 1)):
                # A parameter no expression mentions has no type the server could infer.
                raise Unsupported("internal: an unused parameter")
            recorded_at = self._args("Query", nodes).get("asRecordedAt")
            roots.append(
                RootField(
                    key,
                    Statement(sql, tuple(self._params.values)),
                    recorded_at=None if recorded_at is None else instant(recorded_at),
                )
            )
        return roots

    def _root_fields(self, operation: OperationDefinitionNode) -> Fields:
        fields: Fields = {}
        self._collect(operation.selection_set, "Query", fields, set())
        return fields

    def _root(self, name: str, nodes: list[FieldNode]) -> str:
        if name.startswith("__"):
            raise Unsupported("introspection")
        args = self._args("Query", nodes)
        if name in ROOT_CONNECTIONS:
            return self._connection(ENTITIES[ROOT_CONNECTIONS[name]], args, nodes, [_no_parent])
        if name in ROOT_BY_KEY:
            typename, column = ROOT_BY_KEY[name]
            return self._by_key(ENTITIES[typename], column, args[column], nodes)
        if name == "node":
            return self._node(args["id"], nodes)
        if name == "cooperationAreas":
            return self._list(ENTITIES["CooperationArea"], nodes, "", "{t}.code")
        if name == "recognitionStats":
            return self._stats(args, nodes)
        if name == "search":
            return self._search(args["text"], args["first"], nodes)
        raise Unsupported(f"Query.{name}")

    def _by_key(self, entity: Entity, column: str, value: str, nodes: list[FieldNode]) -> str:
        t = self._aliases.next()
        joins: list[str] = []
        body = self._object_json(entity.typename, t, nodes, joins)
        return (
            f"(SELECT {body} FROM {entity.table} {t} {' '.join(joins)} "
            f"WHERE {t}.{column} = {self._params.add(value, 'text')})"
        )

    def _node(self, global_id: str, nodes: list[FieldNode]) -> str:
        try:
            typename, key = decode_id(global_id)
        except BadUserInput:
            raise Unsupported("a malformed id") from None
        if typename in NODE_BY_KEY:
            entity = ENTITIES[typename]
            return self._by_key(entity, entity.key, key, nodes)
        if typename in ("Citation", "GovernmentPeriod") and key.isdigit():
            raise Unsupported("node of a type found by surrogate id")
        return "NULL::json"

    # --- Objects ---------------------------------------------------------------------------------

    def _object_json(self, typename: str, t: str, nodes: list[FieldNode], joins: list[str]) -> str:
        """One row of `typename` at alias `t`; to-one relations append their joins to `joins`."""
        pairs = []
        for key, field_nodes in self.collect(nodes, typename).items():
            value = self._field(typename, t, field_nodes, joins)
            pairs.append((self._key(key), value))
        return self._object(pairs)

    def _field(self, typename: str, t: str, nodes: list[FieldNode], joins: list[str]) -> str:
        name = nodes[0].name.value
        if name == "__typename":
            return literal(typename)
        if typename == "Organization" and name == "name":
            return f"coalesce({t}.target_organization, '')"
        if typename == "RecognitionGroup":
            return self._group_field(t, name, nodes, joins)
        if typename == "SearchHit":
            return self._hit_field(t, name, nodes, joins)
        entity = ENTITIES.get(typename)
        if entity is None:
            raise Unsupported(f"type {typename}")
        if name == "id":
            return base64_id(typename, f"{t}.{entity.key}")
        if name in entity.scalars:
            return entity.scalars[name].format(t=t)
        if name in entity.fuzzy:
            date_column, precision_column = entity.fuzzy[name]
            return self._fuzzy(f"{t}.{date_column}", f"{t}.{precision_column}", nodes)
        if name in entity.to_one:
            relation = entity.to_one[name]
            return self._to_one(relation.target, t, relation.fk, relation.nullable, nodes, joins)
        if (typename, name) in UNIONS:
            return self._union(t, UNIONS[typename, name], nodes, joins)
        if (typename, name) in NESTED:
            nested = NESTED[typename, name]
            column = nested.parent_column
            return self._connection(
                ENTITIES[nested.entity],
                self._args(typename, nodes),
                nodes,
                [lambda b: [f"{b}.{column} = {t}.id"]],
            )
        if name in ("citations", "sources") and entity.fact is not None:
            cited = self._citations if name == "citations" else self._sources
            return cited(entity.fact, t, nodes)
        return self._special(typename, name, t, nodes, joins)

    def _special(
        self, typename: str, name: str, t: str, nodes: list[FieldNode], joins: list[str]
    ) -> str:
        if typename == "Government" and name == "periods":
            return self._list(
                ENTITIES["GovernmentPeriod"],
                nodes,
                f"WHERE {{t}}.government_id = {t}.id",
                "{t}.from_date ASC NULLS FIRST, {t}.id",
            )
        if typename == "Government" and name == "inPower":
            day = self._args(typename, nodes)["asOf"] or self._today
            return self._in_power(t, day)
        if typename == "State" and name == "currentGovernment":
            day = self._args(typename, nodes)["asOf"] or self._today
            return self._current_government(t, day, nodes, joins)
        if typename == "State" and name == "cooperations":
            return self._state_cooperations(t, nodes)
        raise Unsupported(f"{typename}.{name}")

    def _fuzzy(self, date_sql: str, precision_sql: str, nodes: list[FieldNode]) -> str:
        parts = fuzzy_parts(date_sql, precision_sql)
        pairs = []
        for key, field_nodes in self.collect(nodes, "FuzzyDate").items():
            name = field_nodes[0].name.value
            value = literal("FuzzyDate") if name == "__typename" else parts[name]
            pairs.append((self._key(key), value))
        return (
            f"CASE WHEN {date_sql} IS NULL OR {precision_sql} IS NULL THEN NULL "
            f"ELSE {self._object(pairs)} END"
        )

    def _to_one(
        self,
        target: str,
        t: str,
        fk: str,
        nullable: bool,
        nodes: list[FieldNode],
        joins: list[str],
    ) -> str:
        entity = ENTITIES[target]
        j = self._aliases.next()
        joins.append(f"LEFT JOIN {entity.table} {j} ON {j}.id = {t}.{fk}")
        body = self._object_json(target, j, nodes, joins)
        return f"CASE WHEN {j}.id IS NULL THEN NULL ELSE {body} END" if nullable else body

    def _union(
        self, t: str, members: tuple[tuple[str, str], ...], nodes: list[FieldNode], joins: list[str]
    ) -> str:
        cases = []
        for typename, column in members:
            value = self._to_one(typename, t, column, False, nodes, joins)
            cases.append(f"WHEN {t}.{column} IS NOT NULL THEN {value}")
        otherwise = "NULL"
        if members[0][1] == "target_government_id":  # a sanction's target: else an organization
            otherwise = self._object_json("Organization", t, nodes, joins)
        return f"CASE {' '.join(cases)} ELSE {otherwise} END"

    def _list(self, entity: Entity, nodes: list[FieldNode], where: str, order: str) -> str:
        t = self._aliases.next()
        joins: list[str] = []
        body = self._object_json(entity.typename, t, nodes, joins)
        return (
            f"coalesce((SELECT json_agg({body} ORDER BY {order.format(t=t)}) "
            f"FROM {entity.table} {t} {' '.join(joins)} {where.format(t=t)}), {EMPTY_ARRAY})"
        )

    def _citations(self, fact: str, t: str, nodes: list[FieldNode]) -> str:
        return self._list(
            ENTITIES["Citation"], nodes, f"WHERE {{t}}.{fact}_id = {t}.id", "{t}.position, {t}.id"
        )

    def _sources(self, fact: str, t: str, nodes: list[FieldNode]) -> str:
        # Each source once, in the order of its first citation (as `sources_cited`).
        c, s = self._aliases.next(), self._aliases.next()
        joins: list[str] = []
        body = self._object_json("Source", s, nodes, joins)
        first = (
            f"SELECT DISTINCT ON ({c}.source_id) {c}.source_id, {c}.position, {c}.id "
            f"FROM citation {c} WHERE {c}.{fact}_id = {t}.id "
            f"ORDER BY {c}.source_id, {c}.position, {c}.id"
        )
        return (
            f"coalesce((SELECT json_agg({body} ORDER BY {c}.position, {c}.id) "
            f"FROM ({first}) {c} JOIN source {s} ON {s}.id = {c}.source_id "
            f"{' '.join(joins)}), {EMPTY_ARRAY})"
        )

    def _in_power(self, t: str, day: date) -> str:
        # As `GovernmentPeriod.contains`, from the dates rather than the `valid` range.
        d = self._params.add(day, "date")
        p = self._aliases.next()
        latest = fuzzy_latest(f"{p}.to_date", f"{p}.to_precision")
        return (
            f"EXISTS (SELECT 1 FROM government_period {p} WHERE {p}.government_id = {t}.id "
            f"AND ({p}.from_date IS NULL OR {p}.from_precision IS NULL OR {p}.from_date <= {d}) "
            f"AND ({p}.to_date IS NULL OR {p}.to_precision IS NULL OR {d} <= {latest}))"
        )

    def _current_government(
        self, t: str, day: date, nodes: list[FieldNode], joins: list[str]
    ) -> str:
        g, p, cg = self._aliases.next(), self._aliases.next(), self._aliases.next()
        d = self._params.add(day, "date")
        latest_start = (
            f"(SELECT {p}.from_date FROM government_period {p} WHERE {p}.government_id = {g}.id "
            f"AND {p}.valid @> {d} ORDER BY {p}.from_date DESC NULLS LAST LIMIT 1)"
        )
        joins.append(
            f"LEFT JOIN LATERAL (SELECT {g}.* FROM government {g} WHERE {g}.state_id = {t}.id "
            f"AND {filters.in_power(g, day, self._params)} "
            f"ORDER BY {latest_start} DESC NULLS LAST, {g}.id LIMIT 1) {cg} ON true"
        )
        body = self._object_json("Government", cg, nodes, joins)
        return f"CASE WHEN {cg}.id IS NULL THEN NULL ELSE {body} END"

    def _state_cooperations(self, t: str, nodes: list[FieldNode]) -> str:
        args = self._args("State", nodes)
        partner = args.get("partner")
        params = self._params

        def as_party(b: str) -> list[str]:
            conditions = [f"{b}.party_id = {t}.id"]
            if partner is not None:
                conditions += filters.reference(
                    f"{b}.partner_state_id",
                    f"{b}.partner_government_id",
                    {"eq": partner},
                    params,
                    exact=False,
                )
            return conditions

        def as_partner(b: str) -> list[str]:
            conditions = [f"{b}.partner_state_id = {t}.id"]
            if partner is not None:
                # Only states declare cooperation, so a government key never matches this side.
                conditions.append(
                    "false"
                    if is_government_key(partner)
                    else f"{b}.party_id IN {filters.state_ids([partner], params)}"
                )
            return conditions

        return self._connection(ENTITIES["Cooperation"], args, nodes, [as_party, as_partner])

    # --- Connections -----------------------------------------------------------------------------

    def _connection(
        self, entity: Entity, args: dict[str, Any], nodes: list[FieldNode], branches: list[Branch]
    ) -> str:
        ordering = entity.orderings[args["orderBy"]]
        try:
            win = window(
                ordering,
                first=args.get("first"),
                after=args.get("after"),
                last=args.get("last"),
                before=args.get("before"),
            )
        except BadUserInput as error:
            raise Unsupported(f"paging: {error.message}") from None
        params = self._params
        conditions = entity.conditions
        assert conditions is not None
        where, as_of = args.get("where"), args.get("asOf")

        def matching(b: str, branch: Branch) -> list[str]:
            return conditions(b, where, as_of, params) + branch(b)

        key_template, key_type = ORDER_KEYS[ordering.name]
        descending = ordering.descending != win.backward
        direction = "DESC" if descending else "ASC"
        fields = self.collect(nodes, f"{entity.typename}Connection")
        paged = any(f[0].name.value in ("nodes", "edges", "pageInfo") for f in fields.values())
        # Bound only if some selected field uses it (the server cannot type a parameter no
        # expression mentions): a marker now, the parameter once the body is known.
        limit = "<LIMIT>"

        p = self._aliases.next()
        joins: list[str] = []
        keep = f"{p}._rn <= {limit}"
        order = f"{p}._rn DESC" if win.backward else f"{p}._rn"
        reverse = f"{p}._rn" if win.backward else f"{p}._rn DESC"
        row_cursor = cursor(ordering.name, f"{p}._k0", key_type, f"{p}._pk")
        more = f"(count(*) > {limit})"
        had_cursor = "true" if win.cursor is not None else "false"

        pairs = []
        for key, field_nodes in fields.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                value = literal(f"{entity.typename}Connection")
            elif name == "totalCount":
                value = self._count(entity, [_bind(matching, br) for br in branches])
            elif name == "nodes":
                body = self._object_json(entity.typename, p, field_nodes, joins)
                value = _aggregate(body, order, keep)
            elif name == "edges":
                edge_pairs = []
                for edge_key, edge_nodes in self.collect(
                    field_nodes, f"{entity.typename}Edge"
                ).items():
                    edge_field = edge_nodes[0].name.value
                    if edge_field == "cursor":
                        edge_value = row_cursor
                    elif edge_field == "node":
                        edge_value = self._object_json(entity.typename, p, edge_nodes, joins)
                    else:
                        edge_value = literal(f"{entity.typename}Edge")
                    edge_pairs.append((self._key(edge_key), edge_value))
                value = _aggregate(self._object(edge_pairs), order, keep)
            else:  # pageInfo
                info = {
                    "hasNextPage": had_cursor if win.backward else more,
                    "hasPreviousPage": more if win.backward else had_cursor,
                    "startCursor": f"(array_agg({row_cursor} ORDER BY {order}) "
                    f"FILTER (WHERE {keep}))[1]",
                    "endCursor": f"(array_agg({row_cursor} ORDER BY {reverse}) "
                    f"FILTER (WHERE {keep}))[1]",
                    "__typename": literal("PageInfo"),
                }
                value = self._object(
                    [
                        (self._key(k), info[n[0].name.value])
                        for k, n in self.collect(field_nodes, "PageInfo").items()
                    ]
                )
            pairs.append((self._key(key), value))
        body = self._object(pairs)
        if limit in body:
            body = body.replace(limit, params.add(win.limit, "bigint"))
        if not paged:
            return body
        rows = self._page(entity, branches, matching, win, key_template, key_type, direction)
        # One row whatever the page holds, even when every aggregate was skipped (@skip).
        return f"(SELECT {body} FROM ({rows}) {p} {' '.join(joins)} GROUP BY ())"

    def _page(
        self,
        entity: Entity,
        branches: list[Branch],
        matching: Callable[[str, Branch], list[str]],
        win: Any,
        key_template: str,
        key_type: str,
        direction: str,
    ) -> str:
        params = self._params
        parts = []
        for branch in branches:
            b = self._aliases.next()
            conditions = matching(b, branch)
            key = key_template.format(t=b)
            if win.cursor is not None:
                conditions.append(self._after(key, f"{b}.id", win.cursor, key_type, direction))
            parts.append(
                f"SELECT {b}.*, {key} AS _k0, {b}.id AS _pk FROM {entity.table} {b}"
                + _where(conditions)
            )
        u = self._aliases.next()
        order = f"{u}._k0 {direction}, {u}._pk {direction}"
        return (
            f"SELECT {u}.*, row_number() OVER (ORDER BY {order}) AS _rn "
            f"FROM ({' UNION ALL '.join(parts)}) {u} "
            f"ORDER BY {order} LIMIT {params.add(win.limit + 1, 'bigint')}"
        )

    def _after(
        self, key: str, pk: str, values: tuple[Any, ...], key_type: str, direction: str
    ) -> str:
        value, pk_value = values
        expected = date if key_type == "date" else str
        # A forged cursor with a value of another type: the resolver path's error, not ours.
        if type(value) is not expected or type(pk_value) is not int:
            raise Unsupported("a cursor value of the wrong type")
        sql_type = "date" if key_type == "date" else "text"
        op = "<" if direction == "DESC" else ">"
        return (
            f"({key}, {pk}) {op} "
            f"({self._params.add(value, sql_type)}, {self._params.add(pk_value, 'bigint')})"
        )

    def _count(self, entity: Entity, branches: list[Callable[[str], list[str]]]) -> str:
        parts = []
        for branch in branches:
            c = self._aliases.next()
            parts.append(f"SELECT 1 FROM {entity.table} {c}" + _where(branch(c)))
        return f"(SELECT count(*) FROM ({' UNION ALL '.join(parts)}) {self._aliases.next()})"

    # --- recognitionStats ------------------------------------------------------------------------

    def _stats(self, args: dict[str, Any], nodes: list[FieldNode]) -> str:
        group_by: list[RecognitionGroupBy] = args["groupBy"]
        if len(set(group_by)) != len(group_by):
            raise Unsupported("groupBy lists a key twice")
        r, g = self._aliases.next(), self._aliases.next()
        keys: dict[str, str] = {}
        for item in group_by:
            if item is RecognitionGroupBy.YEAR:
                keys["year"] = f"CAST(EXTRACT(year FROM {r}.from_date) AS INTEGER)"
            elif item is RecognitionGroupBy.RECOGNIZER:
                keys["recognizer_id"] = f"{r}.recognizer_id"
            elif item is RecognitionGroupBy.SUBJECT:
                keys["subject_state_id"] = f"{r}.subject_state_id"
                keys["subject_government_id"] = f"{r}.subject_government_id"
            else:
                keys["type"] = f"{r}.type"
        conditions = filters.recognition(r, args.get("where"), args.get("asOf"), self._params)
        columns = [f"{sql} AS {name}" for name, sql in keys.items()]
        first = args["first"]
        if not 0 <= first <= MAX_STATS_GROUPS:
            raise Unsupported("recognitionStats: first out of range")
        # The first groups in key order, as the resolver cuts them (ascending, nulls last).
        grouped = (
            f"SELECT {', '.join([*columns, 'count(*) AS count'])} FROM recognition {r}"
            + _where(conditions)
            + (f" GROUP BY {', '.join(keys.values())}" if keys else "")
            + (f" ORDER BY {', '.join(keys.values())}" if keys else "")
            + f" LIMIT {self._params.add(first, 'bigint')}"
        )
        self._grouped = set(keys)
        joins: list[str] = []
        body = self._object_json("RecognitionGroup", g, nodes, joins)
        order = f" ORDER BY {', '.join(f'{g}.{name}' for name in keys)}" if keys else ""
        return (
            f"coalesce((SELECT json_agg({body}{order}) FROM ({grouped}) {g} "
            f"{' '.join(joins)}), {EMPTY_ARRAY})"
        )

    def _group_field(self, g: str, name: str, nodes: list[FieldNode], joins: list[str]) -> str:
        grouped = self._grouped
        if name == "count":
            return f"{g}.count"
        if name == "year":
            return f"{g}.year" if "year" in grouped else "NULL"
        if name == "type":
            return f"upper({g}.type)" if "type" in grouped else "NULL"
        if name == "recognizer":
            if "recognizer_id" not in grouped:
                return "NULL"
            return self._to_one("State", g, "recognizer_id", True, nodes, joins)
        if name == "subject":
            if "subject_state_id" not in grouped:
                return "NULL"
            return self._union(g, UNIONS["Recognition", "subject"], nodes, joins)
        raise Unsupported(f"RecognitionGroup.{name}")

    # --- search ----------------------------------------------------------------------------------

    def _search(self, text: str, first: int, nodes: list[FieldNode]) -> str:
        try:
            text = search_text(text, first)
        except BadUserInput as error:
            raise Unsupported(f"search: {error.message}") from None
        # The resolver path's own statement (the scoring rule lives in `schema/search.py` only),
        # its hits numbered in its order; each hit's row is joined by the column of its kind.
        try:
            hits = bound_statement(search_statement(text, first, numbered=True), self._params)
        except ValueError as error:
            raise Unsupported(f"internal: {error}") from None
        s, h = self._aliases.next(), self._aliases.next()
        kinds = ", ".join(
            f"CASE WHEN {s}.kind = {literal(typename)} THEN {s}.pk END AS {column}"
            for typename, column in UNIONS["SearchHit", "node"]
        )
        joins: list[str] = []
        body = self._object_json("SearchHit", h, nodes, joins)
        return (
            f"coalesce((SELECT json_agg({body} ORDER BY {h}.position) "
            f"FROM (SELECT {s}.*, {kinds} FROM ({hits}) {s}) {h} {' '.join(joins)}), "
            f"{EMPTY_ARRAY})"
        )

    def _hit_field(self, h: str, name: str, nodes: list[FieldNode], joins: list[str]) -> str:
        if name == "matched":
            return f"{h}.name"
        if name == "score":
            # The resolver's `round(row.score, 4)`, written as orjson writes that float.
            return python_round(f"{h}.score", 4)
        if name == "node":
            return self._union(h, UNIONS["SearchHit", "node"], nodes, joins)
        raise Unsupported(f"SearchHit.{name}")


def _bind(matching: Callable[[str, Branch], list[str]], branch: Branch) -> Branch:
    return lambda b: matching(b, branch)


def _no_parent(b: str) -> list[str]:
    return []


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _aggregate(body: str, order: str, keep: str) -> str:
    return f"coalesce(json_agg({body} ORDER BY {order}) FILTER (WHERE {keep}), {EMPTY_ARRAY})"


def fuzzy_latest(date_sql: str, precision_sql: str) -> str:
    return (
        f"CASE {precision_sql} WHEN 'year' THEN make_date(extract(year FROM {date_sql})::int, "
        f"12, 31) WHEN 'month' THEN (date_trunc('month', {date_sql}) + interval '1 month - 1 day')"
        f"::date ELSE {date_sql} END"
    )
