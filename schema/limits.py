"""What one GraphQL request may cost, and what its errors may reveal.

`schema_extensions()` is the list of Strawberry extensions that enforce it, which the schema is
built with (`schema/root.py`). Every entry is a class or a factory, so each request gets fresh
extension instances.
"""

import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, GraphQLSchema, GraphQLSyntaxError
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from api.database_faults import database_fault
from schema.cost import MAX_QUERY_COST, QUERY_TOO_COSTLY_CODE, cost_error
from schema.database_faults import DatabaseFaults
from schema.document_cache import (
    CACHE_SIZE,
    MAX_CACHED_DOCUMENT_CHARS,
    documents_for,
    validate_document,
)
from schema.document_limits import MAX_ALIASES, MAX_FRAGMENT_SPREADS, MAX_QUERY_DEPTH, MAX_TOKENS
from schema.text_values import variable_text_error

logger = logging.getLogger(__name__)

# The limits themselves live with the code that enforces them (each constant is documented
# there) and are gathered here: tokens bound the parser; depth, aliases and fragment spreads
# bound the document (`schema/document_limits.py`); the cost bounds the list entries an answer
# may hold, from the page sizes asked for (`schema/cost.py`); each list has a maximum page size.
__all__ = [
    "BAD_USER_INPUT_CODE",
    "CACHE_SIZE",
    "INTERNAL_ERROR_CODE",
    "INTERNAL_ERROR_MESSAGE",
    "MAX_ALIASES",
    "MAX_CACHED_DOCUMENT_CHARS",
    "MAX_FRAGMENT_SPREADS",
    "MAX_QUERY_COST",
    "MAX_QUERY_DEPTH",
    "MAX_TOKENS",
    "PARSE_FAILED_CODE",
    "QUERY_TOO_COSTLY_CODE",
    "VALIDATION_FAILED_CODE",
    "CachedDocuments",
    "ErrorCodes",
    "RequestChecks",
    "current_request_id",
    "is_internal",
    "log_errors",
    "log_fault",
    "mask",
    "public_error",
    "request_error",
    "request_id_var",
    "schema_extensions",
    "with_code",
]

INTERNAL_ERROR_MESSAGE = "Internal server error"
INTERNAL_ERROR_CODE = "INTERNAL_SERVER_ERROR"
PARSE_FAILED_CODE = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED_CODE = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT_CODE = "BAD_USER_INPUT"

# Set by the HTTP layer for each request, read here so masked errors and their log lines share it.
request_id_var: ContextVar[str | None] = ContextVar("credence_request_id", default=None)


class CachedDocuments(SchemaExtension):
    """Parse and validate through the bounded document cache (`schema/document_cache.py`).

    A cached document was parsed and validated before: both steps are skipped. Otherwise
    Strawberry parses (with the token limit), this validates, and a document that passed is kept.
    The rules are `document_cache.validate_document`'s, whatever the execution context lists: the
    compiled path validates with the same ones, so one verdict serves both.
    """

    def __init__(self) -> None:
        self._cached = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            document = documents_for(context.schema._schema).lookup(context.query)
            if document is not None:
                context.graphql_document = document
                self._cached = True
        context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if self._cached:
            context.pre_execution_errors = []
        elif document is not None:
            schema = context.schema._schema
            errors = validate_document(schema, document)
            context.pre_execution_errors = errors
            if not errors and context.query:
                documents_for(schema).store(context.query, document)
        yield


def request_error(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> GraphQLError | None:
    """Why a valid document may not run with these variables, before anything runs.

    Both read paths ask: the compiled one declines such a request and Strawberry refuses it.
    The compiled path keeps the verdict with its plan; for the resolvers the verdict of a cached
    document (parsed once, so the same object each time) with small variables is kept here,
    since walking the document for its cost takes longer than many a whole request.
    """
    key = _verdict_key(schema, document, operation_name, variables)
    if key is not None and _VERDICTS.get(key) is document:
        _VERDICTS.move_to_end(key)
        return None
    error = variable_text_error(variables) or cost_error(
        schema, document, operation_name, variables
    )
    if key is not None and error is None:
        # Only passes are kept (refusals are worked out again each time, as every client
        # mistake is), each with its document: the document's id is unique only while it lives.
        _VERDICTS[key] = document
        if len(_VERDICTS) > _VERDICTS_SIZE:
            _VERDICTS.popitem(last=False)
    return error


_VERDICTS_SIZE = 512
_MAX_VERDICT_VARIABLES_BYTES = 4096
_VerdictKey = tuple[int, int, str | None, bytes]
# The requests that passed: their documents, by document, operation and variables.
_VERDICTS: "OrderedDict[_VerdictKey, DocumentNode]" = OrderedDict()


def _verdict_key(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> _VerdictKey | None:
    location = document.loc
    if location is None or location.end > MAX_CACHED_DOCUMENT_CHARS:
        return None  # a document too large for the document cache is not kept here either
    try:
        encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    if len(encoded) > _MAX_VERDICT_VARIABLES_BYTES:
        return None
    return (id(schema), id(document), operation_name, encoded)


class RequestChecks(SchemaExtension):
    """Refuse, before execution, variables holding text that cannot be stored and costly queries."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            error = request_error(
                context.schema._schema, document, context.operation_name, context.variables
            )
            if error is not None:
                # A result set before execution is what Strawberry returns instead of executing.
                context.result = ExecutionResult(data=None, errors=[error])
        yield


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

    An exception raised around execution (in an extension's hook, say) escapes the extensions
    that code errors.
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


def log_fault(error: GraphQLError) -> str:
    """Log an unexpected error with its traceback, once however often it is met; its request id.

    Strawberry reports errors before `ErrorCodes` masks them, and the HTTP layer may mask again:
    the id is kept on the exception, so every mention of it shares one log line and one id.
    """
    original = error.original_error
    logged = getattr(original, "_credence_request_id", None)
    if isinstance(logged, str):
        return logged
    request_id = current_request_id()
    logger.error(
        "Internal error in GraphQL request %s at %s",
        request_id,
        ".".join(map(str, error.path or ())) or "(operation)",
        exc_info=original,
    )
    with contextlib.suppress(AttributeError):
        original._credence_request_id = request_id  # type: ignore[union-attr]
    return request_id


# Characters of an error message quoted in the log: messages may quote what a client sent.
_LOGGED_MESSAGE_CHARS = 200
_LOGGED_ERRORS = 3


def log_errors(errors: list[GraphQLError]) -> None:
    """Log a request's errors: faults with a traceback, the client's mistakes in one INFO line.

    Strawberry logs every error at ERROR with a traceback; a client sending bad documents would
    fill the log with its own mistakes. Database faults are left to `DatabaseFaults`.
    """
    refused = []
    for error in errors:
        if error.original_error is not None and database_fault(error.original_error) is not None:
            continue
        if is_internal(error):
            log_fault(error)
        else:
            refused.append(error)
    if not refused:
        return
    quoted = [repr(e.message[:_LOGGED_MESSAGE_CHARS]) for e in refused[:_LOGGED_ERRORS]]
    more = len(refused) - len(quoted)
    logger.info(
        "GraphQL request %s refused: %s%s",
        request_id_var.get() or "-",
        "; ".join(quoted),
        f" (and {more} more)" if more else "",
    )


def mask(error: GraphQLError) -> GraphQLError:
    request_id = log_fault(error)
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
        CachedDocuments,
        RequestChecks,
        ErrorCodes,
        # After ErrorCodes in this list, so its result hook runs first (hooks unwind in reverse):
        # a database fault is coded before ErrorCodes would mask it as an internal error.
        DatabaseFaults,
    ]
