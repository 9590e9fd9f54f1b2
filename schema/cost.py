"""What an operation may cost, from its document and variables, before anything runs.

The cost is the number of list entries the answer may hold at worst:

- a connection (a field with `first`/`last` returning a `...Connection`) counts its page size
  (`first` or `last`, else 20, at most 100), once for its `nodes` and `edges` together;
- another list counts its `first` argument where it has one (`search`, `recognitionStats`), else
  `UNBOUNDED_LIST_SIZE` (citations, sources, periods, cooperation areas: short lists, 10);
- each entry's own selection is counted once per entry, so sizes multiply along the nesting;
- root fields, aliases and fragment spreads add up (a fragment spread twice counts twice).

So `states(first: 50) { nodes { recognitionsGiven(first: 100) { nodes { key } } } }` costs
50 + 50 * 100 = 5,050. Each fragment is summed once and then multiplied (the cost of a selection
is linear in the entries above it), so the work is linear in the document.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql.utilities import get_operation_ast

from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from schema.stats import MAX_STATS_GROUPS

# The most list entries one operation may ask for: ten full pages nested in full pages (100 x 100),
# or one page nested two deep (100 x 100 x 100) refused. The benchmarks' heaviest shape (50 states
# x 100 recognitions) costs 5,050; the deepest query of the tests about 75,000.
MAX_QUERY_COST = 100_000
# A list without a size argument (a fact's citations and sources, a government's periods, the
# cooperation areas) is short: it is counted as this many entries.
UNBOUNDED_LIST_SIZE = 10
QUERY_TOO_COSTLY_CODE = "QUERY_TOO_COSTLY"


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._memo: dict[str, int] = {}
        self._open: set[str] = set()

    def _int(self, node: Any) -> int | None:
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, VariableNode):
            value = self._variables.get(node.name.value)
            # JSON `100.0` is a valid Int too, and must not count as the default page.
            if isinstance(value, float) and value.is_integer():
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None

    def _argument(self, node: FieldNode, definition: GraphQLField, name: str) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._int(argument.value)
        default = definition.args[name].default_value if name in definition.args else None
        return default if isinstance(default, int) else None

    def _size(self, node: FieldNode, definition: GraphQLField, cap: int) -> int:
        if "first" in definition.args or "last" in definition.args:
            first = self._argument(node, definition, "first")
            last = self._argument(node, definition, "last")
            size = last if last is not None else first
            # Sizes out of range are refused by the field itself, with a better message.
            return max(0, min(size if size is not None else DEFAULT_PAGE_SIZE, cap))
        return UNBOUNDED_LIST_SIZE

    def selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        """The cost of one entry of `parent` with this selection."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                total += self.selection(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> int:
        if name in self._memo:
            return self._memo[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._open:
            return 0  # unknown or cyclic: validation reports both
        self._open.add(name)
        cost = self.selection(
            fragment.selection_set, self._schema.get_type(fragment.type_condition.name.value)
        )
        self._open.discard(name)
        self._memo[name] = cost
        return cost

    def _field(self, node: FieldNode, parent: Any) -> int:
        fields = getattr(parent, "fields", None)
        if not isinstance(fields, dict) or node.name.value not in fields:
            return 0  # __typename, introspection, or unknown (validation reports it)
        definition: GraphQLField = fields[node.name.value]
        output: GraphQLOutputType = definition.type
        if isinstance(output, GraphQLNonNull):
            output = output.of_type
        named = get_named_type(output)
        if not is_composite_type(named):
            return 0
        if _is_connection(named):
            entries = self._size(node, definition, MAX_PAGE_SIZE)
        elif isinstance(output, GraphQLList):
            if _is_connection(parent) and node.name.value in ("nodes", "edges"):
                # The entries of the page, counted by the connection field once for both.
                return self.selection(node.selection_set, named)
            entries = self._size(node, definition, LIST_CAPS.get(node.name.value, MAX_PAGE_SIZE))
        else:
            return self.selection(node.selection_set, named)
        return entries + entries * self.selection(node.selection_set, named)


# The maximum `first` of the lists that take one and are not connections, by field name.
LIST_CAPS: dict[str, int] = {"search": MAX_PAGE_SIZE, "recognitionStats": MAX_STATS_GROUPS}


def _is_connection(type_: Any) -> bool:
    return (
        isinstance(type_, GraphQLObjectType)
        and type_.name.endswith("Connection")
        and "pageInfo" in type_.fields
    )


def _variables(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    # Defaults of the operation's variables apply where the request leaves them out.
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if variables is not None and name in variables:
            values[name] = variables[name]
        elif isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
    return values


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation that would run (0 when there is none to run)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    cost = _Cost(schema, fragments, _variables(operation, variables))
    return cost.selection(operation.selection_set, root)


def cost_error(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> GraphQLError | None:
    """A QUERY_TOO_COSTLY error when the operation may cost more than `MAX_QUERY_COST`."""
    cost = operation_cost(schema, document, operation_name, variables)
    if cost <= MAX_QUERY_COST:
        return None
    return GraphQLError(
        f"The query may return {cost} list entries; at most {MAX_QUERY_COST} are allowed. "
        "Ask for smaller pages (first/last) or fewer nested lists.",
        extensions={"code": QUERY_TOO_COSTLY_CODE, "cost": cost, "maxCost": MAX_QUERY_COST},
    )
