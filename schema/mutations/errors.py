"""A refused mutation as a GraphQL error: the domain's problems placed on the GraphQL arguments.

`extensions.code` is the domain's (BAD_USER_INPUT, CONFLICT, UNAUTHENTICATED, FORBIDDEN,
WRITE_LOCK_TIMEOUT); `extensions.path` names the argument, item and field of the first problem
(`input[3].from`), `extensions.rule` the database rule that refused it, and `extensions.problems`
lists every problem when there are several. The message keeps the importer's words.
"""

from typing import Any

from graphql import GraphQLError

from api.mutations import MutationError, Problem
from schema.mutations.inputs import graphql_name

# Problems about the whole call, not one argument (who may call it, the write lock).
_OPERATION = "operation"


def path_of(problem: Problem) -> str | None:
    if problem.argument == _OPERATION:
        return None
    item = "" if problem.index is None else f"[{problem.index}]"
    column = "" if problem.column is None else f".{graphql_name(problem.column)}"
    return f"{graphql_name(problem.argument)}{item}{column}"


def message_of(problem: Problem) -> str:
    path = path_of(problem)
    return problem.what if path is None else f"{path}: {problem.what}"


def graphql_error(error: MutationError) -> GraphQLError:
    first = error.problems[0]
    extensions: dict[str, Any] = {"code": error.code}
    path = path_of(first)
    if path is not None:
        extensions["path"] = path
    if first.rule is not None:
        extensions["rule"] = first.rule
    message = message_of(first)
    more = len(error.problems) - 1
    if more:
        message += f" (and {more} more {'problem' if more == 1 else 'problems'})"
        extensions["problems"] = [
            {
                "path": path_of(problem),
                "message": message_of(problem),
                **({"rule": problem.rule} if problem.rule else {}),
            }
            for problem in error.problems
        ]
    extensions.update(error.details)
    return GraphQLError(message, extensions=extensions)
