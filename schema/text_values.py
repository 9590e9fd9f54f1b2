"""Text a client sends must be text PostgreSQL can hold.

PostgreSQL's `text` cannot store NUL (U+0000), and a lone surrogate (U+D800-U+DFFF) is no
character at all: it cannot be encoded as UTF-8 for the wire. Either one sent to the database
fails there, after a round trip, as an internal error. They are refused up front instead, as the
client's mistake: in string literals of the document by `TextValuesRule` (a validation rule, so
both read paths share its verdict through the validation cache), and in variable values by
`variable_text_error`, which both read paths call before running anything.
"""

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ASTValidationRule,
    GraphQLError,
    ObjectFieldNode,
    StringValueNode,
    ValidationContext,
    VariableDefinitionNode,
)

from schema.errors import BadUserInput

BAD_USER_INPUT = BadUserInput.code

_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    kind = "a NUL character" if char == "\x00" else "an unpaired surrogate"
    return f"{kind} (U+{ord(char):04X})"


class TextValuesRule(ASTValidationRule):
    """Refuse string literals holding NUL or a lone surrogate, naming the argument they are in."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # The argument, variable and input fields around the current literal, outermost first.
        self._names: list[str] = []

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self._names.append(node.name.value)

    def leave_argument(self, *_args: Any) -> None:
        self._names.pop()

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        self._names.append("$" + node.variable.name.value)

    def leave_variable_definition(self, *_args: Any) -> None:
        self._names.pop()

    def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
        self._names.append(node.name.value)

    def leave_object_field(self, *_args: Any) -> None:
        self._names.pop()

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        problem = forbidden_character(node.value)
        if problem is None:
            return
        where = ".".join(self._names) or "a value"
        self.report_error(
            GraphQLError(
                f"Argument {where} contains {problem}, which text cannot hold.",
                node,
                extensions={"code": BAD_USER_INPUT, "argument": where},
            )
        )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value, with where it is (`$where.subject.eq`, `$ids.2`)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield item, where
        elif isinstance(item, dict):
            # Keys are cut short in the path: it is quoted in the message.
            stack.extend((v, f"{where}.{str(k)[:40]}") for k, v in item.items())
            # A key is text too, and reaches error messages and logs.
            stack.extend((k, where) for k in item if isinstance(k, str))
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{where}.{i}") for i, v in enumerate(item))


def variable_text_error(variables: dict[str, Any] | None) -> GraphQLError | None:
    """A BAD_USER_INPUT error for the first variable holding text that cannot be stored."""
    if not isinstance(variables, dict):
        return None
    for name, value in variables.items():
        for text, where in _strings(value, "$" + str(name)):
            problem = forbidden_character(text)
            if problem is not None:
                return GraphQLError(
                    f"Variable {where} contains {problem}, which text cannot hold.",
                    extensions={"code": BAD_USER_INPUT, "variable": where},
                )
    return None
