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
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
)
# Response headers a page may read besides the safelisted ones (ETag, so a client can
# revalidate; our ids, so a frontend can quote them in a bug report; a 401's challenge, which
# says why a token was refused).
EXPOSED_HEADERS = ("etag", "x-request-id", "x-credence-executor", "www-authenticate")


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


class CorsMiddleware:
    def __init__(self, app: ASGIApp, policy: CorsPolicy) -> None:
        self.app = app
        self.policy = policy
        credentials = [(b"access-control-allow-credentials", b"true")] if policy.credentials else []
        self._preflight_headers = {
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(policy.max_age),
        }
        self._response_headers = [
            *credentials,
            (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            # Same-origin navigation, curl, servers: nothing to do but say the answer may vary.
            await self.app(scope, receive, self._vary(send))
            return
        allowed = self.policy.allows(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, allowed)(scope, receive, send)
            return
        await self.app(
            scope, receive, self._with_cors(send, origin) if allowed else self._vary(send)
        )

    def _preflight(self, origin: str, allowed: bool) -> Response:
        if not allowed:
            # No CORS header: the browser fails the preflight and never sends the request.
            return Response(status_code=403, headers={"Vary": "Origin"})
        headers = {**self._preflight_headers, **self._origin_headers(origin)}
        if self.policy.credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        return Response(status_code=204, headers=headers)

    def _origin_headers(self, origin: str) -> dict[str, str]:
        if self.policy.any_origin:
            return {"Access-Control-Allow-Origin": "*"}
        # The answer names one origin, so caches must keep one copy per origin.
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _with_cors(self, send: Send, origin: str) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._origin_headers(origin).items():
                    if name == "Vary":
                        headers.add_vary_header("Origin")
                    else:
                        headers[name] = value
                headers.raw.extend(self._response_headers)
            await send(message)

        return send_with_cors

    def _vary(self, send: Send) -> Send:
        if self.policy.any_origin:
            return send  # the same answer for every origin

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)

        return send_with_vary
