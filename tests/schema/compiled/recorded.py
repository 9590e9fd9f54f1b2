"""Operations rewritten to read a recorded instant: `asRecordedAt: $recordedAt` on every root
field (those in fragments and inline fragments on Query included)."""

from typing import Any, TypeVar

from graphql import (
    ArgumentNode,
    DefinitionNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    Node,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    parse,
    print_ast,
)

VARIABLE = "recordedAt"
NodeT = TypeVar("NodeT", bound=Node)


def _with(node: NodeT, **changes: Any) -> NodeT:
    """A copy of an AST node (they are frozen) with some fields changed."""
    fields = {key: getattr(node, key) for key in node.keys if key != "loc"}
    return type(node)(**(fields | changes))


def _on_roots(selection_set: SelectionSetNode) -> SelectionSetNode:
    selections = []
    for selection in selection_set.selections:
        asks = isinstance(selection, FieldNode) and not selection.name.value.startswith("__")
        if asks and any(a.name.value == "asRecordedAt" for a in selection.arguments or ()):
            asks = False  # it names its own instant
        if isinstance(selection, FieldNode) and asks:
            argument = ArgumentNode(
                name=NameNode(value="asRecordedAt"),
                value=VariableNode(name=NameNode(value=VARIABLE)),
            )
            selection = _with(selection, arguments=(*(selection.arguments or ()), argument))
        elif isinstance(selection, InlineFragmentNode):
            selection = _with(selection, selection_set=_on_roots(selection.selection_set))
        selections.append(selection)
    return _with(selection_set, selections=tuple(selections))


def as_recorded(query: str) -> str | None:
    """`query` reading the instant `$recordedAt`; None when it has no root field to ask it of."""
    rewritten = print_ast(_rewritten(query))
    if f"${VARIABLE}" not in rewritten.split("{", 1)[1]:
        return None
    return rewritten


def _rewritten(query: str) -> DocumentNode:
    definitions: list[DefinitionNode] = []
    for definition in parse(query).definitions:
        if isinstance(definition, OperationDefinitionNode):
            variable = VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=VARIABLE)),
                type=NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="DateTime"))),
                directives=(),
            )
            definition = _with(
                definition,
                variable_definitions=(*(definition.variable_definitions or ()), variable),
                selection_set=_on_roots(definition.selection_set),
            )
        elif (
            isinstance(definition, FragmentDefinitionNode)
            and definition.type_condition.name.value == "Query"
        ):
            definition = _with(definition, selection_set=_on_roots(definition.selection_set))
        definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))
