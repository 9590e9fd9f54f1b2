"""Database faults met while resolving, as coded errors a client can act on.

A resolver that could not reach the database raised a driver exception, which would be masked
as an internal error. This extension runs before `ErrorCodes` and turns it into
`SERVICE_UNAVAILABLE` (retry later; the HTTP layer answers 503 with `Retry-After`) or
`STATEMENT_TIMEOUT` (the question took longer than the statement timeout; ask for less).
"""

import logging
from collections.abc import Iterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from api.database_faults import DatabaseFault, database_fault

logger = logging.getLogger(__name__)

SERVICE_UNAVAILABLE_CODE = "SERVICE_UNAVAILABLE"
STATEMENT_TIMEOUT_CODE = "STATEMENT_TIMEOUT"
UNAVAILABLE_MESSAGE = "The database is unavailable at the moment; retry shortly."
TIMEOUT_MESSAGE = (
    "The query took longer than the statement timeout and was cancelled; ask for less "
    "(smaller pages, fewer nested levels) or narrow it with filters."
)

_MESSAGES = {
    DatabaseFault.UNAVAILABLE: (SERVICE_UNAVAILABLE_CODE, UNAVAILABLE_MESSAGE),
    DatabaseFault.STATEMENT_TIMEOUT: (STATEMENT_TIMEOUT_CODE, TIMEOUT_MESSAGE),
}


def fault_error(fault: DatabaseFault, error: GraphQLError | None = None) -> GraphQLError:
    code, message = _MESSAGES[fault]
    if error is None:
        return GraphQLError(message, extensions={"code": code})
    # The driver's message (hosts, SQL) stays out of the answer: a new error without it.
    return GraphQLError(
        message, error.nodes, error.source, error.positions, error.path, extensions={"code": code}
    )


class DatabaseFaults(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not isinstance(result, (ExecutionResult, StrawberryExecutionResult)):
            return
        if not result.errors:
            return
        seen: set[DatabaseFault] = set()
        errors = []
        for error in result.errors:
            fault = database_fault(error.original_error) if error.original_error else None
            if fault is None:
                errors.append(error)
                continue
            if fault not in seen:
                # One line per request and kind, however many loaders failed the same way.
                logger.warning("GraphQL request met a database fault: %s", fault.value)
                seen.add(fault)
            errors.append(fault_error(fault, error))
        result.errors = errors
