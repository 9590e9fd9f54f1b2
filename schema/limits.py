"""What one GraphQL request may cost, and what its errors may reveal.

`schema_extensions()` is the list of Strawberry extensions that enforce it, which the schema is
built with (`schema/root.py`). Every entry is a class or a factory, so each request gets fresh
extension instances.
"""

import logging
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from graphql import ASTValidationRule, ExecutionResult, GraphQLError, GraphQLSyntaxError
from graphql.validation import MaxIntrospectionDepthRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from schema.database_faults import DatabaseFaults

logger = logging.getLogger(__name__)

# Depth stops nesting, aliases stop one field being asked many times, tokens bound the parser's
# work before validation even starts; a maximum page size bounds each list. The depth limit skips
# introspection fields, so graphql-core's (recommended, not default) rule bounds those instead.
MAX_QUERY_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 5000
# Distinct documents kept parsed and validated. Bounded, so unique query texts cannot grow memory.
CACHE_SIZE = 512

INTERNAL_ERROR_MESSAGE = "Internal server error"
INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"
PARSE_FAILED_CODE = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED_CODE = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT_CODE = "BAD_USER_INPUT"

# Set by the HTTP layer for each request, read here so masked errors and their log lines share it.
request_id_var: ContextVar[str | None] = ContextVar("credence_request_id", default=None)

# Strawberry's limiters create a new rule class per instance. The validation cache is keyed on the
# rule classes, so they are created once here: a limiter built per request would never hit it.
_LIMIT_RULES: tuple[type[ASTValidationRule], ...] = (
    *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    MaxIntrospectionDepthRule,
)


class LimitRules(AddValidationRules):
    """The depth, alias and introspection depth limits, as validation rules."""

    def __init__(self) -> None:
        super().__init__(list(_LIMIT_RULES))


class ErrorCodes(SchemaExtension):
    """Give every error a code, and mask the unexpected ones.

    Parse and validation errors get the codes clients know from other servers; request errors
    found while executing (variable values) are `BAD_USER_INPUT`. An exception that is not a
    `GraphQLError` escaped a resolver: its message may hold SQL or data, so the client gets
    "Internal server error" with a request id and the log gets the traceback with the same id.
    """

    def __init__(self) -> None:
        self._validation_errors: set[int] = set()

    def on_validate(self) -> Iterator[None]:
        yield
        self._validation_errors = {id(e) for e in self.execution_context.pre_execution_errors or ()}

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (ExecutionResult, StrawberryExecutionResult)) and result.errors:
            result.errors = [self._coded(error) for error in result.errors]

    def _coded(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error, GraphQLSyntaxError):
            return with_code(error, PARSE_FAILED_CODE)
        if id(error) in self._validation_errors:
            return with_code(error, VALIDATION_FAILED_CODE)
        if is_internal(error):
            return mask(error)
        if error.path is None:
            return with_code(error, BAD_USER_INPUT_CODE)
        return error


def public_error(error: GraphQLError) -> GraphQLError:
    """The last word before an error reaches a client, for errors no extension saw.

    A document that fails to parse inside `ParserCache` (too many tokens, say) escapes the
    extensions' hooks, and so does an exception raised around execution.
    """
    if isinstance(error, GraphQLSyntaxError):
        return with_code(error, PARSE_FAILED_CODE)
    if is_internal(error):
        return mask(error)
    return error


def is_internal(error: GraphQLError) -> bool:
    """An error nobody meant the client to read.

    A resolver's exception comes located at a `path`; one raised around execution (an extension,
    a hook) comes with neither path nor location. Errors in the client's document carry a node.
    """
    original = error.original_error
    unexpected = original is not None and not isinstance(original, GraphQLError)
    coded = "code" in (error.extensions or {})
    return unexpected and not coded and (error.path is not None or not error.nodes)


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    if (error.extensions or {}).get("code"):
        return error
    # A new error, not a mutated one: the validation cache hands the same objects to every request.
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {**(error.extensions or {}), "code": code},
    )


def current_request_id() -> str:
    # Outside an HTTP request (a script calling `schema.execute`) an error still gets an id.
    return request_id_var.get() or uuid.uuid4().hex


def mask(error: GraphQLError) -> GraphQLError:
    request_id = current_request_id()
    logger.error(
        "Internal error in GraphQL request %s at %s",
        request_id,
        ".".join(map(str, error.path or ())) or "(operation)",
        exc_info=error.original_error,
    )
    return GraphQLError(
        INTERNAL_ERROR_MESSAGE,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        extensions={"code": INTERNAL_ERROR_CODE, "requestId": request_id},
    )


def schema_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        LimitRules,
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        ErrorCodes,
        # After ErrorCodes in this list, so its result hook runs first (hooks unwind in reverse):
        # a database fault is coded before ErrorCodes would mask it as an internal error.
        DatabaseFaults,
    ]
