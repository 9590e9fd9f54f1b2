"""Cross-origin requests (CORS) from the origins a deployment lists, and from no other.

Starlette's CORSMiddleware is close, but not what we want: it answers a preflight from an origin
it refuses with the allowed methods, headers and max-age anyway (and `Allow-Credentials` on any
response when credentials are on). Here an origin not listed gets no CORS header at all, on a
preflight or on a request, so nothing about the policy leaks to it and the browser blocks it.

Without any origin configured this middleware is not installed: the API is same-origin only,
and OPTIONS stays a 405 like any method GraphQL over HTTP does not use.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "POST")
# What browsers let a page send without listing it are the safelisted headers; these are the
# ones our clients add: JSON bodies, bearer tokens, request ids, conditional GETs (ETag), and what
# Apollo Client sends (its CSRF-prevention header, operation name and client identification).
ALLOWED_HEADERS = (
    "content-type",
    "authorization",
    "x-request-id",
    "if-none-match",
    "credence-consistency",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
)
# Response headers a page may read besides the safelisted ones (ETag, so a client can
# revalidate; our ids, so a frontend can quote them in a bug report; a 401's challenge, which
# says why a token was refused).
EXPOSED_HEADERS = ("etag", "x-request-id", "x-credence-executor", "www-authenticate")
_EXPOSED = ", ".join(EXPOSED_HEADERS).encode()


class CorsConfigurationError(ValueError):
    """A CORS setting that would be unsafe or meaningless; raised when the app is built."""


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: frozenset[str]
    credentials: bool = False
    max_age: int = 600

    @classmethod
    def from_settings(cls, origins: Sequence[str], credentials: bool, max_age: int) -> "CorsPolicy":
        cleaned = frozenset(origin.strip().rstrip("/") for origin in origins if origin.strip())
        if credentials and "*" in cleaned:
            # Browsers refuse `*` with credentials; echoing every origin instead would hand
            # every site on the web the user's cookies for this API.
            raise CorsConfigurationError(
                "CREDENCE_CORS_CREDENTIALS=true cannot be combined with CREDENCE_CORS_ORIGINS=*: "
                "list the origins that may send credentials."
            )
        if credentials and not cleaned:
            raise CorsConfigurationError(
                "CREDENCE_CORS_CREDENTIALS=true needs CREDENCE_CORS_ORIGINS (the origins that "
                "may send credentials)."
            )
        return cls(cleaned, credentials, max_age)

    @property
    def any_origin(self) -> bool:
        return "*" in self.origins

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    def response_headers(self, origin: str | None) -> tuple[list[tuple[bytes, bytes]], bool]:
        """The CORS headers of an answer (not a preflight) to a request from `origin`, and
        whether the answer varies by Origin (so caches keep one copy per origin)."""
        if origin is None or not self.allows(origin):
            # No CORS header: the browser withholds the answer from a page it does not allow.
            return [], not self.any_origin
        allowed = b"*" if self.any_origin else origin.encode("latin-1")
        headers = [(b"access-control-allow-origin", allowed)]
        if self.credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        headers.append((b"access-control-expose-headers", _EXPOSED))
        return headers, not self.any_origin


class CorsMiddleware:
    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy
        self._preflight_headers = {
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(policy.max_age),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if (
            origin is not None
            and scope["method"] == "OPTIONS"
            and "access-control-request-method" in headers
        ):
            await self._preflight(origin, self.policy.allows(origin))(scope, receive, send)
            return
        # Same-origin navigation, curl and servers send no Origin: their answers only say that
        # the answer may vary by it.
        added, vary = self.policy.response_headers(origin)
        if not added and not vary:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if vary:
                    headers.add_vary_header("Origin")
                headers.raw.extend(added)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str, allowed: bool) -> Response:
        if not allowed:
            # No CORS header: the browser fails the preflight and never sends the request.
            return Response(status_code=403, headers={"Vary": "Origin"})
        headers = dict(self._preflight_headers)
        if self.policy.any_origin:
            headers["Access-Control-Allow-Origin"] = "*"
        else:
            # The answer names one origin, so caches must keep one copy per origin.
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
        if self.policy.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return Response(status_code=204, headers=headers)
