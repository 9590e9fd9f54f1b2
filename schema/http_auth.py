"""Bearer tokens on the GraphQL endpoint: who a request acts as, or its 401.

The view asks `request_principal` before anything else reads the request (persisted queries,
the HTTP cache, either executor), so a refused token is refused the same way on every path.
A request without `Authorization` costs one header lookup: it is the anonymous reader, unless
anonymous reads are off. The principal travels in the ASGI scope to `get_context`; the scope is
copied along when a persisted query is expanded into its document.
"""

import logging
import re

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from api.auth import AuthenticationError, Authenticator, KeySetUnavailable
from api.roles import ANONYMOUS, Principal
from schema.database_faults import SERVICE_UNAVAILABLE_CODE
from schema.limits import current_request_id

logger = logging.getLogger(__name__)

UNAUTHENTICATED_CODE = "UNAUTHENTICATED"
KEYS_UNAVAILABLE_MESSAGE = "The keys that verify tokens could not be fetched; retry shortly."
_SCOPE_KEY = "credence.principal"
_REALM = 'Bearer realm="credence"'
# RFC 6750's error_description allows printable ASCII except `"` and `\`.
_NOT_IN_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
_MAX_DESCRIPTION = 200


async def request_principal(
    request: Request, authenticator: Authenticator, media_type: str, retry_after: int
) -> Principal | Response:
    """The request's principal (also left in its scope for the context), or the response that
    refuses it: 401 for a bad or missing token, 503 when the JWKS is unreachable."""
    authorization = request.headers.get("authorization")
    if authorization is None and authenticator.config.anonymous_read:
        return ANONYMOUS
    try:
        principal = await authenticator.authenticate(authorization)
    except AuthenticationError as error:
        # A caller's mistake: one line, no traceback (and never the token).
        logger.info("Request %s refused (401): %s", current_request_id(), error.reason)
        return unauthenticated(error, media_type)
    except KeySetUnavailable:
        return _error_response(
            KEYS_UNAVAILABLE_MESSAGE,
            SERVICE_UNAVAILABLE_CODE,
            503,
            media_type,
            {"Retry-After": str(retry_after)},
        )
    request.scope[_SCOPE_KEY] = principal
    return principal


def principal_of(scope: Scope) -> Principal:
    principal = scope.get(_SCOPE_KEY, ANONYMOUS)
    assert isinstance(principal, Principal)
    return principal


def unauthenticated(error: AuthenticationError, media_type: str) -> Response:
    """401 with a GraphQL error body and RFC 6750's `WWW-Authenticate` challenge."""
    challenge = _REALM
    if error.token_sent:
        description = _NOT_IN_DESCRIPTION.sub("?", error.reason)[:_MAX_DESCRIPTION]
        challenge += f', error="invalid_token", error_description="{description}"'
    return _error_response(
        error.reason, UNAUTHENTICATED_CODE, 401, media_type, {"WWW-Authenticate": challenge}
    )


def _error_response(
    message: str, code: str, status: int, media_type: str, headers: dict[str, str]
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    # Never stored: the same request with a fresh token (or a reachable JWKS) succeeds.
    headers = {**headers, "Cache-Control": "no-store"}
    return Response(orjson.dumps(body), status_code=status, media_type=media_type, headers=headers)
