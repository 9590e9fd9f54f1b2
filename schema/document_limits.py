"""Depth, aliases and fragment spreads of a document, measured in one pass over its text.

Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter` walk a fragment again at every spread
of it, so a fragment that spreads the next one twice, forty levels deep, costs 2**40 steps (and a
long chain of fragments overflows the interpreter's stack). Here each fragment definition is
walked once, with an explicit stack, and summarised: its depth, the aliased fields and the
fragment spreads it expands to. A spread then adds the summary of its fragment, so the work is
linear in the size of the document whatever the fan-out.

What is counted, and why:

- depth: as `QueryDepthLimiter` counts it (root fields at 0; a field's sub-selection one deeper;
  introspection fields are not entered, `MaxIntrospectionDepthRule` bounds those).
- aliases: aliased fields as the operation expands them, so a fragment spread twice counts its
  aliases twice: that is how one alias is multiplied into many.
- fragment spreads: as expanded too. Every walk over the selection the executor sees (field
  collection, the merge check, the planner) pays for each expanded spread, so their number is
  bounded, for each operation and for each fragment definition (an unused fragment is still
  walked by the other rules).

Only what the limits need is checked here; everything else about the document is left to
graphql-core's rules, which run after these pass (`schema/document_cache.py`).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)

# Tokens the parser reads before giving up: bounds its work before anything else runs.
MAX_TOKENS = 5000
# Deepest field of an operation (root fields are at depth 0).
MAX_QUERY_DEPTH = 10
# Aliased fields of a document, counted through fragment spreads.
MAX_ALIASES = 30
# Fragment spreads of one operation or fragment, counted as the executor expands them (a
# fragment spread twice counts twice, with the spreads inside it). GraphiQL's introspection
# query expands to ten.
MAX_FRAGMENT_SPREADS = 100


@dataclass(slots=True)
class Summary:
    """What a selection set expands to."""

    depth: int = 0
    aliases: int = 0
    spreads: int = 0


@dataclass(slots=True)
class _Local:
    """One definition's own selections, with its spreads not yet resolved."""

    summary: Summary = field(default_factory=Summary)
    # (fragment name, depth at which its selections sit, None below introspection)
    spreads: list[tuple[str, int | None]] = field(default_factory=list)


def _walk(selection_set: SelectionSetNode) -> _Local:
    local = _Local()
    summary = local.summary
    # Each selection set with the depth of its fields; None below an introspection field, whose
    # depth is not counted (MaxIntrospectionDepthRule bounds it) but whose aliases and spreads are.
    stack: list[tuple[SelectionSetNode, int | None]] = [(selection_set, 0)]
    while stack:
        selections, depth = stack.pop()
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    summary.aliases += 1
                inner = selection.selection_set
                if depth is None or selection.name.value.startswith("__"):
                    if depth is not None:
                        summary.depth = max(summary.depth, depth)
                    if inner is not None:
                        stack.append((inner, None))
                elif inner is not None:
                    summary.depth = max(summary.depth, depth + 1)
                    stack.append((inner, depth + 1))
                else:
                    summary.depth = max(summary.depth, depth)
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth))
            elif isinstance(selection, FragmentSpreadNode):
                local.spreads.append((selection.name.value, depth))
    return local


def _resolve(local: _Local, fragments: dict[str, Summary]) -> Summary:
    summary = Summary(local.summary.depth, local.summary.aliases, local.summary.spreads)
    for name, depth in local.spreads:
        # An unknown fragment, or one closing a cycle, adds only its spread: both are reported
        # by graphql-core's rules (KnownFragmentNames, NoFragmentCycles).
        inner = fragments.get(name, Summary())
        if depth is not None:
            summary.depth = max(summary.depth, depth + inner.depth)
        summary.aliases += inner.aliases
        summary.spreads += 1 + inner.spreads
    return summary


def summarise(
    document: DocumentNode,
) -> tuple[dict[str, Summary], list[tuple[OperationDefinitionNode, Summary]]]:
    """Each fragment's summary by name, and each operation with its summary."""
    definitions = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    locals_ = {name: _walk(d.selection_set) for name, d in definitions.items()}
    done: dict[str, Summary] = {}
    # Fragments in dependency order, depth first without recursion: a fragment is summarised
    # once every fragment it spreads is (a spread back onto the path is a cycle, left out).
    for root in locals_:
        if root in done:
            continue
        path: list[tuple[str, Iterator[tuple[str, int | None]]]] = [
            (root, iter(locals_[root].spreads))
        ]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread, _depth in spreads:
                if spread in locals_ and spread not in done and spread not in on_path:
                    path.append((spread, iter(locals_[spread].spreads)))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                done[name] = _resolve(locals_[name], done)
    operations = [
        (d, _resolve(_walk(d.selection_set), done))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    return done, operations


def limit_errors(document: DocumentNode) -> list[GraphQLError]:
    """The limits `document` exceeds, each reported once."""
    fragments, operations = summarise(document)
    errors = []
    for operation, summary in operations:
        name = operation.name.value if operation.name else "anonymous"
        if summary.depth > MAX_QUERY_DEPTH:
            errors.append(
                GraphQLError(
                    f"'{name}' exceeds maximum operation depth of {MAX_QUERY_DEPTH}", operation
                )
            )
        if summary.spreads > MAX_FRAGMENT_SPREADS:
            errors.append(
                GraphQLError(
                    f"'{name}' expands to {summary.spreads} fragment spreads. "
                    f"Allowed: {MAX_FRAGMENT_SPREADS}",
                    operation,
                )
            )
    aliases = sum(summary.aliases for _, summary in operations)
    if aliases > MAX_ALIASES:
        errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {MAX_ALIASES}"))
    if not errors:
        errors.extend(_fragment_errors(document, fragments)[:1])
    return errors


def _fragment_errors(document: DocumentNode, fragments: dict[str, Summary]) -> list[GraphQLError]:
    # Fragments' spreads are bounded too, since the other rules walk every definition, used or
    # not. (Not their depth: a fragment used under `__schema` is as deep as introspection needs,
    # and graphql-core bounds nesting itself.) One error is enough: in a chain every fragment
    # above the culprit exceeds the limit as well.
    errors = []
    for definition in document.definitions:
        if not isinstance(definition, FragmentDefinitionNode):
            continue
        name = definition.name.value
        summary = fragments[name]
        if summary.spreads > MAX_FRAGMENT_SPREADS:
            errors.append(
                GraphQLError(
                    f"Fragment '{name}' expands to {summary.spreads} fragment spreads. "
                    f"Allowed: {MAX_FRAGMENT_SPREADS}",
                    definition,
                )
            )
    return errors


class DocumentLimitsRule(ASTValidationRule):
    """`limit_errors` as a validation rule, for callers of graphql-core's `validate`.

    `document_cache.validate_document` calls `limit_errors` on its own instead, before the other
    rules, so that they never see a document beyond the limits.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        for error in limit_errors(context.document):
            context.report_error(error)
