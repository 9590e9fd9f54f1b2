"""A typed `strawberry.field(description=...)`.

Strawberry's overload for a field decorator called with keyword arguments only returns `Any`,
which mypy's strict mode rejects as an untyped decorator; this keeps resolvers typed.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def described(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))
