"""Run a query operation as one SQL statement per root field, or say it cannot.

`CompiledReads.execute` parses and validates through the same bounded document cache as
Strawberry's extension (so a document is parsed and validated once whichever path serves it),
declines requests Strawberry would refuse before running (variables holding text that cannot be
stored, a cost above the maximum: Strawberry then answers with the error), plans the
operation, runs each root field's statement on one pooled connection (a root field that asks for
`asRecordedAt` in its own read-only transaction set to read that instant, see
schema/recorded.py; the others as before, alone), and splices the JSON texts
PostgreSQL returned into `{"data":{...}}` without decoding them. It returns None whenever the
resolver path must serve the operation instead (and counts why).
"""

import hashlib
import logging
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
import orjson
from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    OperationType,
)
from graphql.execution.values import get_variable_values
from graphql.utilities import get_operation_ast
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.schema import Schema

from api.database_faults import database_fault
from api.driver_pool import driver_pool
from schema.compiled.planner import Planner, RootField, Statement, Unsupported
from schema.document_cache import (
    MAX_CACHED_DOCUMENT_CHARS,
    documents_for,
    parse_document,
    validate_document,
)
from schema.limits import request_error
from schema.recorded import ENTER_PAST

logger = logging.getLogger(__name__)

PLAN_CACHE_SIZE = 512
# A plan is kept only for a request whose variables, as JSON, are at most this long: a plan holds
# the variables' values as statement parameters, and large values are not typical traffic.
MAX_CACHED_VARIABLES_BYTES = 4096
# Outcomes worked out again each time: the client's mistakes (a failure is never kept) and a
# planner failure. A plan, or the reason an operation is beyond the planner, is kept.
_NOT_KEPT = frozenset({"parse", "validation", "operation", "variables", "refused", "internal"})


@dataclass
class CompiledStats:
    """What the compiled path served, and why the rest fell back (readable by tests, /metrics)."""

    compiled: int = 0
    # Of those, answered on the fast path (schema/http_fast), before any other layer ran
    # (Prometheus' credence_compiled_fast_answers).
    fast: int = 0
    statements: int = 0
    fallbacks: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def fallback(self, reason: str) -> None:
        self.fallbacks += 1
        # Reasons are grouped by their first words, so ids and values do not grow the counter.
        self.reasons[reason.split(":")[0]] += 1
        logger.debug("compiled reads: falling back (%s)", reason)

    def as_dict(self) -> dict[str, Any]:
        return {
            "compiled": self.compiled,
            "statements": self.statements,
            "fallbacks": self.fallbacks,
            "fallbackReasons": dict(self.reasons),
        }


_Plan = list[RootField] | str  # the root fields, or why the operation falls back


def lasting(plan: _Plan) -> bool:
    """Whether a plan (or a reason to fall back) holds for every later identical request: not
    the client's passing mistake nor a planner failure, which are worked out again each time."""
    return not (isinstance(plan, str) and plan.split(":")[0] in _NOT_KEPT)


def constant_answer(roots: list[RootField]) -> bytes | None:
    """The whole answer of a plan that asks the database nothing (`{ __typename }`), else None."""
    if any(root.statement is not None for root in roots):
        return None
    parts = [orjson.dumps(root.key) + b":" + root.literal.encode() for root in roots]
    return b'{"data":{' + b",".join(parts) + b"}}"


class CompiledReads:
    def __init__(self, schema: Schema, *, plan_cache_size: int = PLAN_CACHE_SIZE) -> None:
        self._schema = schema._schema
        self._documents = documents_for(self._schema)
        self._plans: OrderedDict[_PlanKey, _Plan] = OrderedDict()
        self._plan_cache_size = plan_cache_size
        self.stats = CompiledStats()
        # Behind a transaction-mode pooler the statements run inside one transaction, which
        # keeps the server connection (and asyncpg's unnamed statement) for the whole request.
        self.in_transaction = False

    async def execute(
        self,
        engine: AsyncEngine,
        query: str | None,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> bytes | None:
        plan = self.plan(query, variables, operation_name)
        if isinstance(plan, str):
            self.stats.fallback(plan)
            return None
        return await self.run(engine, plan)

    async def run(self, engine: AsyncEngine, roots: list[RootField]) -> bytes | None:
        """The answer of a planned operation, or None when the resolver path must serve it."""
        try:
            return await self._run(engine, roots)
        except Exception as error:
            if database_fault(error) is not None:
                # The server is away or cancelled the statement: the resolver path would only
                # wait for the same answer again. The HTTP layer says which (503, or a timeout).
                raise
            # The server refused a statement: the resolver path meets the same problem and
            # reports it in its own words (masked, with a request id).
            logger.warning("compiled reads: falling back after %s: %s", type(error).__name__, error)
            self.stats.fallback("database")
            return None

    def plan(
        self, query: str | None, variables: dict[str, Any] | None, operation_name: str | None
    ) -> _Plan:
        if not query:
            return "no query"
        if variables is not None and not isinstance(variables, dict):
            return "variables"
        try:
            variables_json = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            return "variables"
        key = _plan_key(query, operation_name, variables_json)
        plan = self._plans.get(key) if key is not None else None
        if plan is not None:
            self._plans.move_to_end(key)  # type: ignore[arg-type]
            return plan
        try:
            plan = self._plan(query, variables or {}, operation_name)
        except Exception:
            # A planner bug must cost speed, never an answer: the resolver path serves it.
            logger.exception("compiled reads: planning failed")
            plan = "internal: planning failed"
        if key is not None and lasting(plan):
            self._plans[key] = plan
            if len(self._plans) > self._plan_cache_size:
                self._plans.popitem(last=False)
        return plan

    def _plan(self, query: str, variables: dict[str, Any], operation_name: str | None) -> _Plan:
        document = self._documents.lookup(query)
        if document is None:
            try:
                document = parse_document(query)
            except GraphQLError:
                return "parse"
            if validate_document(self._schema, document):
                return "validation"
            self._documents.store(query, document)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return "operation"
        if operation.operation is not OperationType.QUERY:
            return f"{operation.operation.value}"
        if request_error(self._schema, document, operation_name, variables) is not None:
            return "refused"
        coerced = get_variable_values(self._schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return "variables"
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        planner = Planner(self._schema, fragments, coerced, date.today())
        try:
            return planner.plan(operation)
        except Unsupported as error:
            return str(error) or "unsupported"

    async def _run(self, engine: AsyncEngine, roots: list[RootField]) -> bytes:
        constant = constant_answer(roots)
        if constant is not None:
            # Nothing to ask the database (`{ __typename }`): no pooled connection is taken.
            self.stats.compiled += 1
            return constant
        parts: list[bytes] = []
        pool = driver_pool(engine)
        if pool is None:
            # An engine made elsewhere (a tool's, a test's): a connection from its own pool.
            async with engine.connect() as connection:
                raw = await connection.get_raw_connection()
                driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
                await self._statements(driver, roots, parts)
        else:
            driver = await pool.acquire()
            try:
                await self._statements(driver, roots, parts)
            except asyncpg.PostgresError:
                # The server refused or cancelled a statement: the connection is as it was.
                pool.release(driver)
                raise
            except BaseException:
                # Cancelled mid-statement (a client gone, a deadline) or a broken connection:
                # in an unknown state, so never handed to another request.
                pool.discard(driver)
                raise
            pool.release(driver)
        self.stats.compiled += 1
        return b'{"data":{' + b",".join(parts) + b"}}"

    async def _statements(
        self, driver: asyncpg.Connection, roots: list[RootField], parts: list[bytes]
    ) -> None:
        # asyncpg itself: no result processing, no ORM; the answer comes back as the bytes of
        # the text PostgreSQL wrote.
        if self.in_transaction:
            async with driver.transaction(readonly=True):
                await self._fetch(driver, roots, parts)
        else:
            await self._fetch(driver, roots, parts)

    async def _fetch(
        self, driver: asyncpg.Connection, roots: list[RootField], parts: list[bytes]
    ) -> None:
        for root in roots:
            if root.statement is None:
                text = root.literal.encode()
            else:
                value = await _fetch(driver, root.statement, root.recorded_at)
                text = b"null" if value is None else value
                self.stats.statements += 1
            parts.append(orjson.dumps(root.key) + b":" + text)


async def _fetch(driver: asyncpg.Connection, statement: Statement, recorded_at: str | None) -> Any:
    if recorded_at is None:
        return await driver.fetchval(statement.sql, *statement.params)
    # Rolled back rather than committed: it only reads, and when it runs inside the request's
    # own transaction (behind a transaction pooler) it is a savepoint, whose rollback also
    # takes its settings back, so the roots after it read the present again.
    transaction = driver.transaction()
    await transaction.start()
    try:
        await driver.execute(ENTER_PAST, recorded_at)
        return await driver.fetchval(statement.sql, *statement.params)
    finally:
        await transaction.rollback()


# Requests up to this size are keyed by their own text (hashing a short str is cheaper than a
# digest, and 512 keys of this size hold about 2 MB); larger ones by a digest of it.
_PLAIN_KEY_BYTES = 2048
_PlanKey = tuple[str | bytes | None, ...]


def _plan_key(query: str, operation_name: str | None, variables_json: bytes) -> _PlanKey | None:
    """The plan cache's key of a request, or None when it is too large to keep a plan for."""
    if len(query) > MAX_CACHED_DOCUMENT_CHARS or len(variables_json) > MAX_CACHED_VARIABLES_BYTES:
        return None
    # Today's date is part of the key: `inPower` and `currentGovernment` default to it.
    today = date.today().isoformat()
    if len(query) + len(variables_json) <= _PLAIN_KEY_BYTES:
        return (query, operation_name, variables_json, today)
    digest = hashlib.blake2b(digest_size=32)
    for part in (query, operation_name or ""):
        encoded = part.encode("utf-8", "surrogatepass")
        # Lengths first, so no two different requests join into the same bytes.
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    digest.update(b"\x01" if operation_name is not None else b"\x00")
    digest.update(variables_json)
    return (digest.digest(), today)
