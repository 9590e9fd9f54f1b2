"""GraphQL over HTTP, as the GraphQL-over-HTTP specification has it, on Strawberry's ASGI view.

What Strawberry does differently, and this layer fixes: a mutation over GET is 405 with
`Allow: POST` (not 400); a body that is not `application/json` is 415 (not 400); a client that
accepts `application/graphql-response+json` gets it, with 4xx for request errors (a document that
does not parse or validate); HTTP errors are GraphQL-shaped JSON, not plain text; and GraphiQL is
our own page with its assets served from the package (no CDN).

Each further concern has a module of its own: who the request acts as, from its bearer token
(`http_auth`), which origins may call from a browser (`http_cors`), compression of large answers
(`http_compression`), persisted queries resolved to plain requests before anything else reads
them (`persisted_queries`), ETags and Cache-Control of GET queries (`http_cache`), and the
Prometheus metrics this view feeds (`metrics`).
"""

import html
import logging
import re
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, validate
from graphql.utilities import get_operation_ast
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema import BaseSchema, Schema
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api.auth import AuthConfig, Authenticator
from api.database_faults import DatabaseFault, database_fault
from api.replicas import ReadRouting, ReadTarget, Replica
from schema.compiled.executor import CompiledReads
from schema.context import Context, create_context
from schema.database_faults import SERVICE_UNAVAILABLE_CODE, fault_error
from schema.document_cache import documents_for, parse_document
from schema.http_auth import principal_of, request_principal
from schema.http_cache import PRIVATE, HttpCache, carries_credentials, etag, matches
from schema.http_guard import (
    ClientDisconnected,
    RequestGuard,
    RequestLimits,
    read_body,
    replay,
)
from schema.http_headers import (
    COMPILED_FAILED,
    GRAPHQL_RESPONSE_JSON,
    JSON,
    STANDARD_HEADERS,
    negotiate_media_type,
    new_request_id,
    valid_request_id,
)
from schema.http_params import GraphQLParams, read_params
from schema.limits import (
    INTERNAL_ERROR_CODE,
    INTERNAL_ERROR_MESSAGE,
    VALIDATION_FAILED_CODE,
    current_request_id,
    public_error,
    request_id_var,
)
from schema.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from schema.metrics import Metrics
from schema.persisted_queries import PersistedQueries, PersistedQueryError

logger = logging.getLogger(__name__)

GRAPHIQL_DIR = Path(__file__).resolve().parent / "graphiql"
REQUEST_ID_HEADER = "X-Request-ID"
# `X-Credence-Executor: resolver` on a request skips the compiled reads, and `full` skips only
# the fast path (benchmarks and differential tests compare the paths on one server); responses
# say which executor served them. Obeyed in debug mode only.
EXECUTOR_HEADER = "X-Credence-Executor"

# The page's scripts and styles come from this service only; GraphiQL sets inline styles.
_GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class RequestIdMiddleware:
    """One id per request: the client's `X-Request-ID` if it sent a sane one, else a new one.

    Echoed in the response header and readable through `request_id_var` while the request runs,
    so a masked error, its log line and the response all carry the same id. Every response also
    gets the standard protective headers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and valid_request_id(incoming) else new_request_id()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers.raw.extend(STANDARD_HEADERS)
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


def _is_request_error(result: ExecutionResult) -> bool:
    # Execution never started (the document did not parse or validate, or a variable was
    # wrong): no data at all, and no error is located at a field.
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        schema: BaseSchema,
        *,
        engine: Callable[[], AsyncEngine],
        compiled_reads: bool = True,
        limits: RequestLimits | None = None,
        executor_header: bool = False,
        introspection: bool = True,
        field_suggestions: bool = True,
        metrics: Metrics | None = None,
        persisted_queries: PersistedQueries | None = None,
        cache: HttpCache | None = None,
        authenticator: Authenticator | None = None,
        routing: Callable[[], ReadRouting] | None = None,
    ) -> None:
        # No subscriptions: the schema has none, and nothing here speaks WebSocket.
        super().__init__(schema, graphql_ide="graphiql", subscription_protocols=())
        self._engine = engine
        # Where queries run (a healthy replica, else the primary); None: always the primary.
        self._routing = routing
        # Query operations run as one SQL statement per root field when the planner covers them
        # (schema/compiled); everything else, and every error, goes through Strawberry.
        self.compiled = (
            CompiledReads(schema) if compiled_reads and isinstance(schema, Schema) else None
        )
        self.limits = limits or RequestLimits()
        # Whether `X-Credence-Executor: resolver` is obeyed (debug deployments, benchmarks).
        self.executor_header = executor_header
        self.introspection = introspection
        self.field_suggestions = field_suggestions
        self._graphql_schema = schema._schema if isinstance(schema, Schema) else None
        self._documents = (
            documents_for(self._graphql_schema) if self._graphql_schema is not None else None
        )
        self.metrics = metrics
        # Apollo's automatic persisted queries, and the allow-list when only those may run.
        self.persisted = persisted_queries
        # ETags and Cache-Control for GET queries (see schema.http_cache).
        self.cache = cache
        # Bearer tokens (see schema.http_auth); with no keys configured, any token is refused.
        self.authenticator = authenticator or Authenticator(AuthConfig())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        headers = Headers(scope=scope)
        media_type = negotiate_media_type(headers.get("accept"))
        served = _Served()
        try:
            _check_method_and_media_type(scope["method"], headers)
            body = await read_body(scope, receive, self.limits.max_body_bytes)
            async with RequestGuard(receive, self.limits.request_timeout):
                response = await self._respond_routed(scope, body, media_type, served)
        except ClientDisconnected:
            # Nobody is left to answer; the statements the request ran were cancelled with it.
            logger.info("Client disconnected; request %s cancelled", current_request_id())
            return
        except HTTPException as error:
            response = self.http_error(scope["method"], error, media_type)
        except TimeoutError:
            logger.warning(
                "Request %s did not finish within %gs",
                current_request_id(),
                self.limits.request_timeout,
            )
            response = self.fault_response(DatabaseFault.UNAVAILABLE, media_type)
        except Exception as error:
            fault = database_fault(error)
            if fault is not None:
                logger.warning("Request %s met a database fault: %s", current_request_id(), fault)
                response = self.fault_response(fault, media_type)
            else:
                response = self.internal_error(media_type)
        await response(scope, receive, send)
        if self.metrics is not None:
            self.metrics.observe(served.operation, served.executor, time.perf_counter() - started)

    async def _respond_routed(
        self, scope: Scope, body: bytes, media_type: str, served: "_Served"
    ) -> Response:
        """`_respond`, once more on the primary when the replica it used turned out dead.

        The replica leaves the rotation at once, so the requests after this one do not meet it
        either: a replica that stops answers no 5xx burst, only a slower request or two.
        """
        try:
            response = await self._respond(Request(scope, replay(body)), media_type, served)
        except Exception as error:
            replica = _replica_used(scope)
            if replica is None or database_fault(error) is not DatabaseFault.UNAVAILABLE:
                raise
            problem = f"a query failed on it ({type(error).__name__})"
        else:
            replica = _replica_used(scope)
            if replica is None or response.status_code != 503:
                return self._with_read_from(scope, response)
            problem = "a query found it unavailable"
        self.replica_failed(scope, replica, problem)
        response = await self._respond(Request(scope, replay(body)), media_type, served)
        return self._with_read_from(scope, response)

    def replica_failed(self, scope: Scope, replica: Replica, problem: str) -> None:
        """Take a replica that failed a query out of the rotation, and send the rest of this
        request to the primary."""
        assert self._routing is not None  # a replica was chosen, so routing is on
        self._routing().mark_down(replica, problem)
        scope[_PRIMARY_ONLY] = True

    def primary_engine(self) -> AsyncEngine:
        return self._engine()

    def read_target(self, scope: Scope, consistency: bytes | None) -> ReadTarget | None:
        """Where a query's reads run: a healthy replica, or the primary when the request asks
        for it (`Credence-Consistency: primary`); None without replicas (the primary)."""
        if self._routing is None:
            return None
        routing = self._routing()
        if not routing.replicas:
            # Everything reads the primary: no question to ask of the request.
            return None
        if scope.get(_PRIMARY_ONLY) or (
            consistency is not None and consistency.strip().lower() == b"primary"
        ):
            target = routing.primary
        else:
            target = routing.reader()
        scope[_READ_TARGET] = target
        return target

    def _with_read_from(self, scope: Scope, response: Response) -> Response:
        # Debug deployments say which database answered (tests, and operators checking routing).
        target = scope.get(_READ_TARGET)
        if self.executor_header and target is not None:
            response.headers[READ_FROM_HEADER] = target.name
        return response

    def _route(self, request: Request, params: GraphQLParams | None) -> ReadTarget | None:
        """Where this request's queries run, remembered on the scope for the context."""
        scope = request.scope
        if self._routing is None or not self._routing().replicas:
            # Everything reads the primary: no question to ask of the request (the usual
            # deployment, so the document is not scanned on every request for nothing).
            return None
        if params is not None and _may_write(params):
            scope[_PRIMARY_ONLY] = True  # a mutation, and every read of its answer
        consistency = request.headers.get(CONSISTENCY_HEADER)
        return self.read_target(scope, consistency.encode() if consistency is not None else None)

    async def _respond(self, request: Request, media_type: str, served: "_Served") -> Response:
        if wants_graphiql(request.method, request.headers.get("accept")):
            return await self.render_graphql_ide(request)
        # Before anything reads the request: a refused token is refused on every path.
        principal = await request_principal(
            request, self.authenticator, media_type, self.limits.retry_after
        )
        if isinstance(principal, Response):
            return principal
        query_string: bytes = request.scope["query_string"]
        params = await read_params(request)
        if params is not None and self.persisted is not None:
            resolved = self.persisted.resolve(params)
            if isinstance(resolved, PersistedQueryError):
                return self._persisted_query_error(resolved, media_type)
            if resolved is not params:
                # Strawberry reads the request itself: hand it the document, not the hash.
                params, request = resolved, _with_params(request, resolved)
        self._route(request, params)
        refusal = self.introspection_refusal(params)
        if refusal is not None:
            return Response(
                self.encode_json(refusal),
                status_code=400 if media_type == GRAPHQL_RESPONSE_JSON else 200,
                media_type=media_type,
            )
        tag, cache_control = None, None
        if self.cache is not None and params is not None and request.method == "GET":
            if carries_credentials(request.headers):
                cache_control = PRIVATE  # one user's answer: never stored anywhere
            else:
                version = await self.cache.version.current()
                tag, cache_control = (
                    etag(version, query_string, media_type),
                    self.cache.cache_control,
                )
                if matches(request.headers.get("if-none-match"), tag):
                    served.operation = "query"
                    return Response(
                        status_code=304, headers={"ETag": tag, "Cache-Control": cache_control}
                    )
        response = await self._compiled_response(request, params, media_type)
        if response is not None:
            served.operation, served.executor = "query", "compiled"
        else:
            response = await self.run(request)
            served.executor = "resolver"
            if params is not None:
                served.operation = self._operation_type(params)
        if cache_control is not None:
            _add_cache_headers(response, tag, cache_control)
        return response

    def _operation_type(self, params: GraphQLParams) -> str:
        """`query` or `mutation` of a request the resolvers served, from the shared document
        cache (which holds every document that parsed and validated); else `unknown`."""
        query, name = params.query, params.operation_name
        if self._documents is None or not isinstance(query, str):
            return "unknown"
        document = self._documents.lookup(query)
        operation = (
            get_operation_ast(document, name if isinstance(name, str) else None)
            if document is not None
            else None
        )
        return operation.operation.value if operation is not None else "unknown"

    def internal_error(self, media_type: str) -> Response:
        # Anything that escaped Strawberry (building the context, say): the same masked answer
        # as a resolver's exception, never Starlette's plain-text traceback page.
        request_id = current_request_id()
        logger.exception("Internal error in GraphQL request %s", request_id)
        body = {
            "errors": [
                {
                    "message": INTERNAL_ERROR_MESSAGE,
                    "extensions": {"code": INTERNAL_ERROR_CODE, "requestId": request_id},
                }
            ]
        }
        return Response(self.encode_json(body), status_code=500, media_type=media_type)

    def fault_response(self, fault: DatabaseFault, media_type: str) -> Response:
        error = fault_error(fault).formatted
        if fault is DatabaseFault.UNAVAILABLE:
            return Response(
                self.encode_json({"errors": [error]}),
                status_code=503,
                media_type=media_type,
                headers={"Retry-After": str(self.limits.retry_after)},
            )
        # A statement the server cancelled: the operation ran, and its result is no data.
        return Response(self.encode_json({"data": None, "errors": [error]}), media_type=media_type)

    def _persisted_query_error(self, error: PersistedQueryError, media_type: str) -> Response:
        status = 400 if error.request_error and media_type == GRAPHQL_RESPONSE_JSON else 200
        # Never kept by a cache: the same hash is found once the client has sent its document.
        return Response(
            self.encode_json(error.body()),
            status_code=status,
            media_type=media_type,
            headers={"Cache-Control": "private, no-store"},
        )

    def introspection_refusal(self, params: GraphQLParams | None) -> dict[str, Any] | None:
        """With introspection turned off, a document asking for `__schema` or `__type` is refused.

        The substring test keeps the common case free; only a document that mentions either name
        is parsed (with the same token limit as every document) and checked with graphql-core's
        own rule.
        """
        if self.introspection or self._graphql_schema is None:
            return None
        query = params.query if params is not None else None  # unreadable: Strawberry answers
        if not isinstance(query, str) or ("__schema" not in query and "__type" not in query):
            return None
        try:
            document = parse_document(query)
        except GraphQLError:
            return None  # Strawberry reports the syntax error
        errors = validate(self._graphql_schema, document, [NoSchemaIntrospectionCustomRule])
        if not errors:
            return None
        return {
            "errors": [
                {**e.formatted, "extensions": {"code": VALIDATION_FAILED_CODE}} for e in errors
            ]
        }

    async def _compiled_response(
        self, request: Request, params: GraphQLParams | None, media_type: str
    ) -> Response | None:
        """The compiled read path's answer, or None to let Strawberry serve the request.

        Tried before Strawberry's view reads the request: only a plain request (one operation,
        a JSON body or query parameters, no extensions, no streaming) is compiled; anything else,
        and every operation the compiled path declines, goes through the view unchanged (the
        body Starlette read stays cached on the request). Parsing and validation use the same
        bounded caches as Strawberry's extensions (see `schema.compiled.executor`).
        """
        compiled = self.compiled
        if (
            compiled is None
            or request.scope.get(COMPILED_FAILED)
            or (
                self.executor_header
                and request.headers.get(EXECUTOR_HEADER, "").lower() == "resolver"
            )
        ):
            return None
        plain = params.plain() if params is not None else None
        if plain is None:
            compiled.stats.fallback("request")
            return None
        body = await compiled.execute(_read_engine(request.scope, self._engine()), *plain)
        if body is None:
            return None
        # PostgreSQL's JSON text, spliced: never decoded and encoded again.
        return Response(body, media_type=media_type, headers={EXECUTOR_HEADER: "compiled"})

    def http_error(self, method: str, error: HTTPException, media_type: str) -> Response:
        status, reason, headers = error.status_code, error.reason, {}
        cause = error.__cause__
        if (
            isinstance(cause, InvalidOperationTypeError)
            and cause.operation_type == OperationType.MUTATION
            and method == "GET"
        ):
            status, reason = 405, "Mutations are only allowed over POST."
            headers["Allow"] = "POST"
        elif status == 405:
            headers["Allow"] = "GET, POST"
        body = {"errors": [{"message": reason}]}
        return Response(
            self.encode_json(body), status_code=status, media_type=media_type, headers=headers
        )

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than the standard library on large answers.
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        # orjson refuses invalid UTF-8 and lone surrogates, which the standard library lets
        # through to fail later (deep inside the driver) as an internal error. Either way the
        # caller learns what is wrong and where.
        try:
            decoded = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, f"The request body is not valid JSON: {error}") from error
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        # Only HTTP reaches this view (the route matches no WebSocket), so this is a Request.
        assert isinstance(request, Request)
        engine = self._engine()
        return create_context(
            engine=engine,
            read_engine=_read_engine(request.scope, engine),
            request=request,
            principal=principal_of(request.scope),
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Carried to `create_response`, which builds the response but never sees the request.
        sub_response.media_type = negotiate_media_type(request.headers.get("accept"))
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = [public_error(e) for e in result.errors]
            if not self.field_suggestions:
                result.errors = [_without_suggestions(e) for e in result.errors]
        response = await super().process_result(request, result)
        if _is_request_error(result):
            # The specification: a request error has no `data` entry at all (not `null`).
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = sub_response.media_type or JSON
        status = 200
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and isinstance(response_data, dict)
            and "data" not in response_data
        ):
            status = 400
        headers = {}
        if _has_code(response_data, SERVICE_UNAVAILABLE_CODE):
            # The database went away while the operation ran: a retryable answer, not a fault.
            status = 503
            headers["Retry-After"] = str(self.limits.retry_after)
        response = _GraphQLResponse(
            self.encode_json(response_data),
            status_code=sub_response.status_code or status,
            headers=headers,
        )
        answers = response_data if isinstance(response_data, list) else [response_data]
        response.has_errors = any(answer.get("errors") for answer in answers)
        response.headers.raw.extend(
            (name, value) for name, value in sub_response.headers.raw if name != b"content-type"
        )
        response.headers["content-type"] = media_type
        response.background = sub_response.background
        return response

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        return wants_graphiql(request.method, request.headers.get("accept"))

    async def render_graphql_ide(self, request: Request) -> Response:
        base = request.scope.get("root_path", "") + "/graphql"
        return HTMLResponse(graphiql_page(base), headers={"Content-Security-Policy": _GRAPHIQL_CSP})


# graphql-core's hint at names the schema holds, as in "Did you mean 'states'?".
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?$")


# `Credence-Consistency: primary` sends a query to the primary (a client that must read what it
# just wrote); any other value, or none, lets it go to a replica.
CONSISTENCY_HEADER = "credence-consistency"
# In debug mode, which database answered: `primary` or the replica's name.
READ_FROM_HEADER = "credence-read-from"
_READ_TARGET = "credence.read_target"
_PRIMARY_ONLY = "credence.primary_only"
_WRITING_OPERATION = re.compile(r"\b(mutation|subscription)\b")


def _read_engine(scope: Scope, primary: AsyncEngine) -> AsyncEngine:
    target = scope.get(_READ_TARGET)
    return primary if target is None else target.engine


def _replica_used(scope: Scope) -> Replica | None:
    target = scope.get(_READ_TARGET)
    return None if target is None else target.replica


def _may_write(params: GraphQLParams) -> bool:
    """Whether the document may hold a mutation (or subscription): those run on the primary,
    and so does every read of their answer. A word match, cheap and on the safe side: a query
    that merely mentions the word also goes to the primary, which answers it just as well."""
    query = params.query
    return isinstance(query, str) and _WRITING_OPERATION.search(query) is not None


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


def _has_code(response: GraphQLHTTPResponse | list[GraphQLHTTPResponse], code: str) -> bool:
    answers = response if isinstance(response, list) else [response]
    for answer in answers:
        for error in answer.get("errors") or ():
            extensions = error.get("extensions") if isinstance(error, dict) else None
            if isinstance(extensions, dict) and extensions.get("code") == code:
                return True
    return False


def wants_graphiql(method: str, accept: str | None) -> bool:
    """A browser asking for a page: GET with `text/html` and no JSON media type in Accept.

    `curl` (Accept: */*) without a query gets the specification's 400, not HTML; a browser
    opening `/graphql?query=...` gets GraphiQL with the query filled in (the page reads it from
    its URL), while GraphiQL's own requests and programs, which accept JSON, get answers.
    """
    accept = (accept or "").lower()
    return method == "GET" and "text/html" in accept and "json" not in accept


def _add_cache_headers(response: Response, tag: str | None, cache_control: str) -> None:
    if tag is None or (response.status_code == 200 and not _has_errors(response)):
        if tag is not None:
            response.headers["ETag"] = tag
        response.headers["Cache-Control"] = cache_control
    else:
        # An error may be the database's passing trouble: never kept, never revalidated.
        response.headers["Cache-Control"] = "no-store"


def _has_errors(response: Response) -> bool:
    return isinstance(response, _GraphQLResponse) and response.has_errors


class _GraphQLResponse(Response):
    """Strawberry's answer, knowing whether it holds errors (an answer with errors is not
    cached). The compiled path's answers never hold errors."""

    has_errors = False


def _with_params(request: Request, params: GraphQLParams) -> Request:
    """The same request carrying `params` (a persisted query's document in place of its hash)."""
    if request.method == "GET":
        scope = {**request.scope, "query_string": params.as_query_string()}
        return Request(scope, replay(b""))
    return Request(request.scope, replay(params.as_body()))


class _Served:
    """What served one request, for its metrics: set as the request goes."""

    __slots__ = ("executor", "operation")

    def __init__(self) -> None:
        self.operation = "unknown"
        self.executor = "none"


def metrics_route(view: GraphQLView, path: str = "/metrics.json") -> Route:
    """`GET /metrics.json`: what the compiled read path served and why the rest fell back.

    The same counters as the Prometheus page, as one JSON document (tests, quick looks).
    """

    async def metrics(request: Request) -> JSONResponse:
        stats = view.compiled.stats.as_dict() if view.compiled is not None else None
        return JSONResponse({"compiledReads": stats})

    return Route(path, metrics, methods=["GET"])


def prometheus_route(metrics: Metrics, path: str = "/metrics") -> Route:
    """`GET /metrics` in Prometheus' text format."""

    async def scrape(request: Request) -> Response:
        return Response(metrics.render(), headers={"content-type": METRICS_CONTENT_TYPE})

    return Route(path, scrape, methods=["GET"])


def _check_method_and_media_type(method: str, headers: Headers) -> None:
    if method not in ("GET", "POST"):
        raise HTTPException(405, "GraphQL is served over GET (queries) and POST.")
    if method == "POST":
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON:
            raise HTTPException(415, "Send the GraphQL request as application/json.")


@cache
def _graphiql_template() -> str:
    return (GRAPHIQL_DIR / "index.html").read_text(encoding="utf-8")


def graphiql_page(base: str) -> str:
    """Our GraphiQL page, loading its assets from `{base}/assets` and querying `{base}`."""
    return _graphiql_template().replace("__BASE__", html.escape(base, quote=True))


class _GraphiQLAssets(StaticFiles):
    """GraphiQL's scripts and styles; never the page template, which is served only by the view
    (filled in, with its Content-Security-Policy)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if Path(path).name == "index.html":
            raise StarletteHTTPException(404)
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = _GRAPHIQL_CSP
        return response


def graphiql_assets() -> StaticFiles:
    return _GraphiQLAssets(directory=GRAPHIQL_DIR)


__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "GraphQLView",
    "RequestIdMiddleware",
    "graphiql_assets",
    "metrics_route",
    "negotiate_media_type",
    "prometheus_route",
]
