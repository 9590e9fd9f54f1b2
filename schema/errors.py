"""Errors a client caused, with the code clients branch on in `extensions.code`.

Anything else a resolver raises is unexpected; the HTTP layer masks it. `UserError` is a
`GraphQLError`, so graphql-core keeps its message and extensions when it locates it.
"""

from typing import Any

from graphql import GraphQLError


class UserError(GraphQLError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class BadUserInput(UserError):
    code = "BAD_USER_INPUT"
