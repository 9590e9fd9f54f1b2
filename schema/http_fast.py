"""The lean path for the most common request: a plain POST query whose compiled plan is known.

Most frontend traffic repeats a few small queries. For those, the full path costs more than the
database does: Starlette's request object, the router, three middlewares each wrapping `send`,
the view's parameter reading and the plan cache's key. `FastReads` sits in front of all of that
and answers such a request from ASGI receive to ASGI send itself:

- the raw body is the plan's key (no JSON parsing, no re-serialization of variables) once the
  first identical request has been planned through the shared plan cache;
- the plan runs through the compiled path's own `run` (the statements it prepares are reused by
  asyncpg's statement cache), and PostgreSQL's JSON is spliced as bytes; a plan that asks the
  database nothing (`{ __typename }`) is kept as its whole answer;
- the answer carries what the full path's middlewares add: the request id, the protective
  headers, CORS, compression and the executor header.

It keeps every guarantee of the full path: the body limit, the request deadline and the cancel on
disconnect (the same `RequestGuard`), database faults answered as retryable 503s, masked internal
errors, read routing to replicas, and metrics. Anything else goes to the full path untouched,
with the body it has read replayed: GET (HTTP caching), tokens, persisted queries, streaming,
the debug executor header, documents the compiled path declines, and every error a client made
(the full path words those). `tests/schema/test_http_fast.py` checks that both paths give the
same answer, header for header.
"""

import logging
import time
from collections import OrderedDict
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import orjson
from cross_web import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.database_faults import DatabaseFault, database_fault
from schema.compiled.executor import CompiledReads, constant_answer, lasting
from schema.compiled.planner import RootField
from schema.http_compression import compress
from schema.http_cors import CorsPolicy
from schema.http_guard import ClientDisconnected, RequestGuard, read_declared_body, replay
from schema.http_headers import (
    COMPILED_FAILED,
    STANDARD_HEADERS,
    STREAMING_MEDIA_TYPES,
    negotiate_media_type,
    new_request_id,
    valid_request_id,
)
from schema.http_params import GraphQLParams
from schema.limits import request_id_var

if TYPE_CHECKING:
    from schema.http import GraphQLView

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Bodies up to this size key the plans they map to; a larger one is planned through the plan
# cache each time (its own key, a digest), which is still far cheaper than the full path.
MAX_KEY_BYTES = 4096
PLAN_CACHE_SIZE = 512
_JSON = b"application/json"
# Streaming answers are the full path's (two names rather than a loop: checked per request).
_MULTIPART, _EVENT_STREAM = (kind.encode() for kind in STREAMING_MEDIA_TYPES)
_NOT_FAST = (b"resolver", b"full")
_MEDIA_TYPES_SIZE = 256


class FastReads:
    def __init__(
        self,
        app: ASGIApp,
        *,
        view: "GraphQLView",
        path: str = "/graphql",
        cors: CorsPolicy | None = None,
        compression_min_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.view = view
        self.path = path
        self.cors = cors if cors is not None and cors.origins else None
        self.compression_min_bytes = compression_min_bytes
        compiled = view.compiled
        persisted = view.persisted
        # With only registered persisted queries allowed, no plain document may run: the full
        # path refuses them, so nothing is fast.
        self.compiled: CompiledReads | None = (
            None if persisted is not None and persisted.only else compiled
        )
        self._plans: OrderedDict[bytes, _Plan] = OrderedDict()
        # Body bytes whose operation the compiled path declines for good (a mutation, say):
        # straight to the full path, without parsing them again.
        self._declined: OrderedDict[bytes, None] = OrderedDict()
        self._day_ends = _next_midnight()
        self._media_types: dict[bytes | None, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.compiled is None
            or scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not self._plain_post(headers):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(headers.get(b"x-request-id"))
        token = request_id_var.set(request_id)
        try:
            await self._serve(scope, receive, send, headers, request_id, started)
        finally:
            request_id_var.reset(token)

    def _plain_post(self, headers: dict[bytes, bytes]) -> bool:
        """Whether the request may be fast, from its headers alone."""
        content_type = headers.get(b"content-type", b"")
        if content_type != _JSON and content_type.split(b";")[0].strip().lower() != _JSON:
            return False  # the full path answers 415
        if b"authorization" in headers or not self.view.authenticator.config.anonymous_read:
            return False  # a token to check, or none and anonymous reads are off
        accept = headers.get(b"accept", b"")
        if _MULTIPART in accept or _EVENT_STREAM in accept:
            return False
        # In debug mode `X-Credence-Executor: resolver` asks for the resolvers, and `full` for
        # the compiled path behind the full request path (benchmarks compare the two).
        return not (
            self.view.executor_header
            and headers.get(b"x-credence-executor", b"").lower() in _NOT_FAST
        )

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, bytes],
        request_id: str,
        started: float,
    ) -> None:
        view = self.view
        media_type = self._media_type(headers.get(b"accept"))
        try:
            body = await read_declared_body(
                receive, view.limits.max_body_bytes, headers.get(b"content-length")
            )
        except ClientDisconnected:
            logger.info("Client disconnected; request %s cancelled", request_id)
            return
        except HTTPException as error:
            await self._answer(
                send, headers, request_id, view.http_error("POST", error, media_type)
            )
            return
        plan = self._plan(body)
        if plan is None:
            await self.app(scope, replay(body, receive), send)
            return
        compiled = self.compiled
        assert compiled is not None
        answer: bytes | Response | None
        declined = False
        target = None
        try:
            target = view.read_target(scope, headers.get(b"credence-consistency"))
            if isinstance(plan, bytes):
                # Nothing to ask the database (`{ __typename }`): the plan is the answer.
                answer = plan
                compiled.stats.compiled += 1
            else:
                engine = target.engine if target is not None else view.primary_engine()
                async with RequestGuard(receive, view.limits.request_timeout):
                    answer = await compiled.run(engine, plan)
                declined = answer is None
        except ClientDisconnected:
            logger.info("Client disconnected; request %s cancelled", request_id)
            return
        except TimeoutError:
            logger.warning(
                "Request %s did not finish within %gs", request_id, view.limits.request_timeout
            )
            answer = view.fault_response(DatabaseFault.UNAVAILABLE, media_type)
        except Exception as error:
            fault = database_fault(error)
            if fault is DatabaseFault.UNAVAILABLE and target is not None and target.replica:
                # A dead replica: out of the rotation at once, and this request on the primary.
                view.replica_failed(
                    scope, target.replica, f"a query failed on it ({type(error).__name__})"
                )
                answer = None
            elif fault is not None:
                logger.warning("Request %s met a database fault: %s", request_id, fault)
                answer = view.fault_response(fault, media_type)
            else:
                answer = view.internal_error(media_type)
        if answer is None:
            if declined:
                # The compiled path declined at the last moment (a statement the server
                # refused): the full path serves it with the resolvers, and words any error.
                scope[COMPILED_FAILED] = True
            await self.app(scope, replay(body, receive), send)
            return
        if isinstance(answer, Response):
            await self._answer(send, headers, request_id, answer)
        else:
            extra = [(b"x-credence-executor", b"compiled")]
            if view.executor_header and target is not None:
                extra.append((b"credence-read-from", target.name.encode()))
            await self._send(send, headers, request_id, 200, media_type.encode(), answer, extra)
            compiled.stats.fast += 1
        if view.metrics is not None:
            view.metrics.observe("query", "compiled", time.perf_counter() - started)

    def _plan(self, body: bytes) -> "_Plan | None":
        """The plan of a request's body, or None when the full path must serve it."""
        if time.time() >= self._day_ends:
            # `inPower` and `currentGovernment` default to today: yesterday's plans are stale.
            self._plans.clear()
            self._day_ends = _next_midnight()
        keyed = len(body) <= MAX_KEY_BYTES
        if keyed:
            roots = self._plans.get(body)
            if roots is not None:
                self._plans.move_to_end(body)
                return roots
            if body in self._declined:
                return None
        plan = self._plan_request(body)
        if isinstance(plan, str):
            if keyed and lasting(plan):
                _keep(self._declined, body, None)
            return None
        if keyed:
            _keep(self._plans, body, plan)
        return plan

    def _plan_request(self, body: bytes) -> "_Plan | str":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return "parse"  # the full path says what is wrong with the body
        if not isinstance(data, dict):
            return "parse"
        params = GraphQLParams.from_data(data)
        plain = params.plain()
        if plain is None:
            return "request"  # persisted queries and other extensions: the full path's
        if self.view.introspection_refusal(params) is not None:
            return "refused"
        assert self.compiled is not None
        plan = self.compiled.plan(*plain)
        if isinstance(plan, str):
            return plan
        constant = constant_answer(plan)
        return plan if constant is None else constant

    def _media_type(self, accept: bytes | None) -> str:
        try:
            return self._media_types[accept]
        except KeyError:
            media_type = negotiate_media_type(accept.decode("latin-1") if accept else None)
            if len(self._media_types) < _MEDIA_TYPES_SIZE:
                self._media_types[accept] = media_type
            return media_type

    async def _answer(
        self, send: Send, headers: dict[bytes, bytes], request_id: str, response: Response
    ) -> None:
        """A response the view built (an error), with what the middlewares add."""
        raw = [
            (k, v) for k, v in response.raw_headers if k not in (b"content-length", b"content-type")
        ]
        content_type = response.headers.get("content-type", "application/json").encode()
        await self._send(
            send, headers, request_id, response.status_code, content_type, bytes(response.body), raw
        )

    async def _send(
        self,
        send: Send,
        headers: dict[bytes, bytes],
        request_id: str,
        status: int,
        content_type: bytes,
        body: bytes,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        # What the full path's middlewares add, in the same words: compression (for answers
        # over the threshold), then CORS, then the request id and the protective headers.
        vary: list[bytes] = []
        coding = None
        minimum = self.compression_min_bytes
        if minimum is not None and len(body) >= minimum:
            vary.append(b"Accept-Encoding")
            body, coding = await compress(body, headers.get(b"accept-encoding"))
        raw = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
        raw += extra
        if coding is not None:
            raw.append((b"content-encoding", coding.encode()))
        if self.cors is not None:
            origin = headers.get(b"origin")
            added, vary_origin = self.cors.response_headers(
                origin.decode("latin-1") if origin is not None else None
            )
            if vary_origin:
                vary.append(b"Origin")
            raw += added
        if vary:
            raw.append((b"vary", b", ".join(vary)))
        raw += [(b"x-request-id", request_id.encode()), *STANDARD_HEADERS]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})


# A compiled plan's root fields, or the whole answer when none of them asks the database.
_Plan = list[RootField] | bytes


def _next_midnight() -> float:
    """When the local day ends, as a `time.time()` value (cheaper to compare than dates)."""
    tomorrow = datetime.combine(date.today() + timedelta(days=1), datetime.min.time())
    return tomorrow.timestamp()


def _keep(cache: "OrderedDict[bytes, T]", key: bytes, value: T) -> None:
    cache[key] = value
    if len(cache) > PLAN_CACHE_SIZE:
        cache.popitem(last=False)


def _request_id(incoming: bytes | None) -> str:
    if incoming is not None:
        text = incoming.decode("latin-1")
        if valid_request_id(text):
            return text
    return new_request_id()
