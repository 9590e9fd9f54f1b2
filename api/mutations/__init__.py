"""Writes by natural key for the GraphQL mutations, through the importer's rules (no GraphQL
here): see api.mutations.operations."""

from api.mutations.ends import ENDS, EndColumns
from api.mutations.errors import (
    BAD_USER_INPUT,
    CONFLICT,
    FORBIDDEN,
    UNAUTHENTICATED,
    WRITE_LOCK_TIMEOUT,
    MutationError,
    Problem,
)
from api.mutations.operations import (
    MAX_ITEMS,
    Deleted,
    Patch,
    Read,
    Written,
    delete,
    end,
    update,
    upsert,
)

__all__ = [
    "BAD_USER_INPUT",
    "CONFLICT",
    "ENDS",
    "FORBIDDEN",
    "MAX_ITEMS",
    "UNAUTHENTICATED",
    "WRITE_LOCK_TIMEOUT",
    "Deleted",
    "EndColumns",
    "MutationError",
    "Patch",
    "Problem",
    "Read",
    "Written",
    "delete",
    "end",
    "update",
    "upsert",
]
