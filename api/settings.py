from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    pool_size: int = Field(default=10, ge=1)
    # Query operations run as one SQL statement per root field (schema/compiled), with the
    # resolvers as fallback; CREDENCE_COMPILED_READS=false serves everything through resolvers.
    compiled_reads: bool = True

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
