from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_path
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration read from the environment (and an optional `.env` file).

    `DATABASE_URL` is read without prefix because every PostgreSQL tool knows it by that name;
    everything else is `CREDENCE_*`.
    """

    model_config = SettingsConfigDict(env_prefix="CREDENCE_", env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    # The platform's user data folder (~/.local/share/credence on Linux), so every folder a
    # `credence` command runs from finds the same embedded database.
    data_dir: Path = Field(default_factory=lambda: user_data_path("credence"))
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    log_level: str = "info"
    # Peers whose X-Forwarded-For and X-Forwarded-Proto `credence serve` believes (comma-separated
    # addresses or networks, or "*"): a reverse proxy in front. Empty: none, and no header is
    # read (the client address is then the socket's).
    forwarded_allow_ips: str = ""
    pool_size: int = Field(default=10, ge=1)
    # Query operations run as one SQL statement per root field (schema/compiled), with the
    # resolvers as fallback; CREDENCE_COMPILED_READS=false serves everything through resolvers.
    compiled_reads: bool = True
    # Plain POST queries whose compiled plan is known skip the full request path
    # (schema/http_fast); CREDENCE_FAST_PATH=false sends them through it (benchmarks, tests).
    fast_path: bool = True

    # What one request may take. A body over the limit is refused with 413 before it is read
    # whole; statements run under PostgreSQL's statement_timeout; a request as a whole gets a
    # deadline, after which the caller gets a retryable 503, never a hang.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    statement_timeout: float = Field(default=10.0, gt=0)
    request_timeout: float = Field(default=15.0, gt=0)
    connect_timeout: float = Field(default=5.0, gt=0)
    pool_timeout: float = Field(default=5.0, gt=0)
    # Seconds a client is told to wait (Retry-After) when the database is away.
    retry_after: int = Field(default=2, ge=0)

    # Production switches. Introspection and "Did you mean ...?" suggestions help people writing
    # queries and help attackers mapping the schema; the defaults favour the former.
    introspection: bool = True
    field_suggestions: bool = True
    # Where Prometheus-style metrics are served; empty to serve none.
    metrics_path: str = "/metrics"
    # Debug mode honours `X-Credence-Executor` (forcing the resolver path), which lets a caller
    # choose the slower executor: benchmarks and differential tests only.
    debug: bool = False

    # Cross-origin callers (browsers on other sites). None by default: a page on another origin
    # could otherwise read the API with its visitor's network position (an intranet deployment)
    # or credentials; a deployment opens it to the frontends it names. `*` suits a public
    # read-only API; credentials (cookies, Authorization sent by the browser) need named origins.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_credentials: bool = False
    cors_max_age: int = Field(default=600, ge=0)

    # gzip or brotli, as the client accepts, for responses of at least this many bytes (smaller
    # ones gain little and cost a compressor's setup); CREDENCE_COMPRESSION=false sends all as is.
    compression: bool = True
    compression_min_bytes: int = Field(default=1024, ge=0)

    # Apollo's automatic persisted queries: documents a client registered, kept by their
    # SHA-256 (at most this many, least recently used dropped first; 0 registers none).
    persisted_queries_cache_size: int = Field(default=1000, ge=0)
    # Only the documents of this file (JSON map hash -> document) or folder (.graphql files)
    # may run when persisted_only is on; with it off they are simply known from the start.
    persisted_queries_file: Path | None = None
    persisted_only: bool = False

    # HTTP caching of GET queries: anonymous answers carry an ETag from the data's version and
    # this Cache-Control (`no-cache`: browsers keep the answer and revalidate it, a 304 when the
    # data has not changed; `public, max-age=60` lets a CDN serve it for a minute). The data's
    # version (newest change_log id) is looked up at most once per data_version_ttl seconds.
    cache_control: str = "no-cache"
    data_version_ttl: float = Field(default=1.0, ge=0)

    # Who may do what: `Authorization: Bearer <JWT>` (see api.auth). HS256 tokens verify with the
    # shared secret (at least 32 bytes, as RFC 7518 asks of an HS256 key); RS256/ES256 tokens
    # with a PEM public key file or an identity provider's JWKS URL. The issuer and audience are
    # checked when set. The role is read from role_claim (a dotted path reaches into nested
    # claims); requests without a token read as anonymous readers unless anonymous_read is off.
    jwt_secret: SecretStr | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_role_claim: str = Field(default="credence_role", min_length=1)
    # Seconds of clock difference tolerated on `exp`, `nbf` and `iat`.
    jwt_leeway: float = Field(default=30.0, ge=0)
    anonymous_read: bool = True
    # Live changes (subscriptions over WebSocket and Server-Sent Events). The listening
    # connection needs a direct session on the primary (LISTEN fails through PgBouncer's
    # transaction mode): DATABASE_LISTEN_URL names it when DATABASE_URL does not.
    database_listen_url: str | None = Field(default=None, validation_alias="DATABASE_LISTEN_URL")
    # Results one subscription holds for a slow client, and how long that may stay full before
    # the subscription is closed (SLOW_CONSUMER).
    live_queue_size: int = Field(default=256, ge=1)
    live_slow_consumer_seconds: float = Field(default=10.0, gt=0)
    live_subscriptions_per_connection: int = Field(default=20, ge=1)
    live_connections: int = Field(default=1000, ge=0)
    live_keepalive_seconds: float = Field(default=15.0, gt=0)
    # How often the listener checks for a change whose notification never came.
    live_check_interval: float = Field(default=2.0, gt=0)

    # Streaming replicas that serve queries (comma-separated URLs, read without prefix like
    # DATABASE_URL). Mutations, imports and migrations use DATABASE_URL, the primary, and so
    # does a query sent with `Credence-Consistency: primary`. A replica that does not answer a
    # check within replica_check_timeout seconds, or lags more than max_replica_lag seconds,
    # serves nothing until a later check (every replica_check_interval seconds) finds it well.
    database_read_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("DATABASE_READ_URLS", "database_read_urls"),
    )
    max_replica_lag: float = Field(default=5.0, gt=0)
    replica_check_interval: float = Field(default=1.0, gt=0)
    replica_check_timeout: float = Field(default=1.0, gt=0)
    # Behind a transaction-mode pooler (PgBouncer `pool_mode = transaction`): no prepared
    # statement outlives its transaction and no setting is sent at connection start (a pooler
    # hands each transaction to any server connection), so set statement_timeout on the
    # server side (see docs/scaling.md).
    transaction_pooler: bool = False

    @field_validator("cors_origins", "database_read_urls", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        # `https://a.example,https://b.example` from the environment; a list from code.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator(
        "jwt_secret",
        "jwt_public_key_file",
        "jwt_jwks_url",
        "jwt_issuer",
        "jwt_audience",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # `CREDENCE_JWT_ISSUER=` in a .env file means "not configured", not "the empty issuer".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("CREDENCE_JWT_SECRET must be at least 32 bytes long")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
