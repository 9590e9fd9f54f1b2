"""Who a request acts as: a bearer token (a signed JWT) turned into a `Principal`.

No HTTP here: the GraphQL view, the subscriptions and the CLI ask the same questions of the
same object. A request without a token is the anonymous reader (unless anonymous reads are off);
a request with a token gets exactly what the token proves or an `AuthenticationError`, never a
silent downgrade to anonymous.

Each kind of key verifies only its own algorithm: the shared secret HS256, a public key file
the algorithm of its key type (RS256 for RSA, ES256 for P-256), a JWKS the algorithm bound to
each of its keys. `none` is never accepted, and an HS token cannot pass where only public keys
are configured (the HMAC family is accepted only when a secret is).
"""

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from api.roles import ANONYMOUS, Principal, Role
from api.settings import Settings

logger = logging.getLogger(__name__)

HMAC_ALGORITHM = "HS256"
# What a JWKS key may be bound to; PyJWT then refuses a token whose header names another.
_JWKS_ALGORITHMS = ("RS256", "ES256")
_JWKS_TIMEOUT_SECONDS = 5.0
_BEARER = "bearer "
# Verified tokens remembered (PyJWT takes about 250 us to verify an HS256 token here, half of a
# small query's whole cost): keyed by the whole token, signature included, so only the very
# token that verified ever hits; each kept until its `exp` and at most five minutes, so a key
# withdrawn from a JWKS stops counting soon after.
_VERIFIED_CACHE_SIZE = 1024
_VERIFIED_FOR_AT_MOST = 300.0


class AuthenticationError(Exception):
    """The request's credentials prove nothing: HTTP answers 401, a WebSocket closes 4401.

    `reason` says what is wrong in words safe to show the caller (never the token or a key).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def token_sent(self) -> bool:
        """Whether the caller sent a token that was refused (RFC 6750's `invalid_token`), rather
        than none where one is required."""
        return True


class TokenRequired(AuthenticationError):
    """No token, and this deployment serves no anonymous reads."""

    def __init__(self) -> None:
        super().__init__("This service requires a bearer token (Authorization: Bearer <JWT>).")

    @property
    def token_sent(self) -> bool:
        return False


class KeySetUnavailable(Exception):
    """The JWKS could not be fetched: the token may be fine, the service cannot tell now (503)."""


@dataclass(frozen=True)
class AuthConfig:
    """What verification depends on, from the settings; hashable, so verifiers are shared."""

    secret: str | None = field(default=None, repr=False)
    public_key_file: Path | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    role_claim: str = "credence_role"
    leeway: float = 30.0
    anonymous_read: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> "AuthConfig":
        return cls(
            secret=settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
            public_key_file=settings.jwt_public_key_file,
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            role_claim=settings.jwt_role_claim,
            leeway=settings.jwt_leeway,
            anonymous_read=settings.anonymous_read,
        )


class Authenticator:
    """Verifies bearer tokens against the configured keys; built once per process."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._public_key: Any = None
        self._public_algorithm: str | None = None
        if config.public_key_file is not None:
            self._public_key, self._public_algorithm = _load_public_key(config.public_key_file)
        self._jwks = (
            jwt.PyJWKClient(
                config.jwks_url, cache_jwk_set=True, lifespan=300, timeout=_JWKS_TIMEOUT_SECONDS
            )
            if config.jwks_url
            else None
        )
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._verified_lock = threading.Lock()  # authenticate() may verify in a worker thread
        self._options: dict[str, Any] = {
            "require": ["exp", "sub"]
            + (["iss"] if config.issuer else [])
            + (["aud"] if config.audience else []),
            # Checked when configured; a deployment that names no audience accepts any.
            "verify_aud": config.audience is not None,
        }

    @property
    def accepted_algorithms(self) -> list[str]:
        algorithms = [HMAC_ALGORITHM] if self.config.secret else []
        if self._public_algorithm is not None:
            algorithms.append(self._public_algorithm)
        if self._jwks is not None:
            algorithms += [a for a in _JWKS_ALGORITHMS if a not in algorithms]
        return algorithms

    def principal(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization` header value (None when the request has none).

        Blocking only when a JWKS must be fetched (first use, an unknown key id, every five
        minutes): async callers use `authenticate`.
        """
        if authorization is None:
            if self.config.anonymous_read:
                return ANONYMOUS
            raise TokenRequired()
        return self.verify(_bearer_token(authorization))

    async def authenticate(self, authorization: str | None) -> Principal:
        """`principal` for the event loop: a JWKS fetch runs in a thread, never on the loop."""
        if authorization is None or self._jwks is None:
            return self.principal(authorization)
        return await asyncio.to_thread(self.principal, authorization)

    def verify(self, token: str) -> Principal:
        now = time.time()
        with self._verified_lock:
            cached = self._verified.get(token)
            if cached is not None:
                if now < cached[1]:
                    self._verified.move_to_end(token)
                    return cached[0]
                del self._verified[token]
        principal, expires = self._verify(token)
        with self._verified_lock:
            self._verified[token] = (principal, min(expires, now + _VERIFIED_FOR_AT_MOST))
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """The token's principal and the instant it stops being valid, or AuthenticationError."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as error:
            raise AuthenticationError(f"The token is malformed: {error}.") from None
        algorithm = header.get("alg")
        key, algorithms = self._key_for(token, algorithm)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                issuer=self.config.issuer,
                audience=self.config.audience,
                leeway=self.config.leeway,
                options=self._options,  # type: ignore[arg-type]
            )
        except jwt.PyJWTError as error:
            raise AuthenticationError(_describe(error, self.config)) from None
        principal = Principal(
            role=_role(claims, self.config.role_claim),
            subject=_subject(claims),
            authenticated=True,
        )
        return principal, float(claims["exp"]) + self.config.leeway

    def _key_for(self, token: str, algorithm: object) -> tuple[Any, list[str]]:
        if algorithm == HMAC_ALGORITHM and self.config.secret:
            return self.config.secret, [HMAC_ALGORITHM]
        if self._public_algorithm is not None and algorithm == self._public_algorithm:
            return self._public_key, [self._public_algorithm]
        if self._jwks is not None and algorithm in _JWKS_ALGORITHMS:
            try:
                return self._jwks.get_signing_key_from_jwt(token), list(_JWKS_ALGORITHMS)
            except jwt.PyJWKClientConnectionError as error:
                logger.warning("The JWKS could not be fetched: %s", error)
                raise KeySetUnavailable(str(error)) from None
            except jwt.PyJWTError as error:
                raise AuthenticationError(
                    f"No key of the JWKS verifies the token: {error}"
                ) from None
        accepted = ", ".join(self.accepted_algorithms) or "none: no key is configured"
        raise AuthenticationError(
            f"The token's algorithm {_shown(algorithm)} is not accepted here "
            f"(accepted: {accepted})."
        )


def _shown(value: object) -> str:
    # A value from the caller's token, quoted in an answer: bounded.
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _bearer_token(authorization: str) -> str:
    if authorization[:7].lower() != _BEARER or not authorization[7:].strip():
        raise AuthenticationError("The Authorization header must be `Bearer <token>`.")
    return authorization[7:].strip()


def _load_public_key(path: Path) -> tuple[Any, str]:
    """The key of a PEM file and the one algorithm it verifies; a key of another kind is a
    configuration error, found at start-up."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except ValueError as error:
        raise ValueError(f"{path} holds no PEM public key: {error}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key, "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, "ES256"
    raise ValueError(f"{path}: only RSA (RS256) and P-256 (ES256) public keys are supported")


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    # A claim named with dots (Auth0's `https://example.com/role`) is taken whole first; else
    # the dots walk into nested objects (Keycloak's `realm_access.roles`).
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


_ROLES = {role.value: role for role in Role}


def _role(claims: Mapping[str, Any], claim: str) -> Role:
    value = _claim(claims, claim)
    if value is None:
        raise AuthenticationError(f"The token has no `{claim}` claim (the caller's role).")
    if isinstance(value, str):
        role = _ROLES.get(value)
        if role is None:
            raise AuthenticationError(
                f"The token's `{claim}` claim names an unknown role {_shown(value)} "
                f"(known: {', '.join(_ROLES)})."
            )
        return role
    if isinstance(value, list):
        # A list of roles (an identity provider's groups): the most trusted one Credence knows.
        known = [_ROLES[item] for item in value if isinstance(item, str) and item in _ROLES]
        if not known:
            raise AuthenticationError(
                f"The token's `{claim}` claim names none of the roles {', '.join(_ROLES)}."
            )
        return max(known, key=lambda role: list(Role).index(role))
    raise AuthenticationError(f"The token's `{claim}` claim must be a role name.")


def _subject(claims: Mapping[str, Any]) -> str:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise AuthenticationError("The token's `sub` claim must name the caller.")
    return subject


def _describe(error: jwt.PyJWTError, config: AuthConfig) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "The token has expired."
    if isinstance(error, jwt.ImmatureSignatureError):
        return "The token is not valid yet (its `nbf` or `iat` is in the future)."
    if isinstance(error, jwt.InvalidSignatureError):
        return "The token's signature does not verify."
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"The token has no `{error.claim}` claim."
    if isinstance(error, jwt.InvalidIssuerError):
        return f"The token's issuer (`iss`) is not {config.issuer!r}."
    if isinstance(error, jwt.InvalidAudienceError):
        return f"The token's audience (`aud`) does not include {config.audience!r}."
    if isinstance(error, jwt.InvalidAlgorithmError):
        return f"The token's algorithm is not accepted here: {error}."
    if isinstance(error, jwt.DecodeError):
        return f"The token is malformed: {error}."
    return f"The token is invalid: {error}."


@lru_cache(maxsize=8)
def _authenticator(config: AuthConfig) -> Authenticator:
    return Authenticator(config)


def authenticator_for(settings: Settings) -> Authenticator:
    """The shared authenticator of these settings (its JWKS cache lives as long as it does)."""
    return _authenticator(AuthConfig.from_settings(settings))


def principal_from_authorization(authorization: str | None, settings: Settings) -> Principal:
    """Who an `Authorization` header value (None when absent) acts as, or AuthenticationError.

    May block on a JWKS fetch; from async code prefer
    `await authenticator_for(settings).authenticate(authorization)`.
    """
    return authenticator_for(settings).principal(authorization)


def mint_token(
    config: AuthConfig,
    *,
    role: Role,
    subject: str,
    ttl_seconds: float,
    now: float | None = None,
) -> str:
    """An HS256 token signed with the configured secret (`credence token`)."""
    import time

    if not config.secret:
        raise ValueError("CREDENCE_JWT_SECRET is not set: there is no secret to sign with")
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        config.role_claim: role.value,
        "iat": issued,
        "exp": issued + int(ttl_seconds),
    }
    if config.issuer:
        claims["iss"] = config.issuer
    if config.audience:
        claims["aud"] = config.audience
    return jwt.encode(claims, config.secret, algorithm=HMAC_ALGORITHM)
