from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration read from the environment (and an optional `.env` file).

    `DATABASE_URL` is read without prefix because every PostgreSQL tool knows it by that name;
    everything else is `CREDENCE_*`.
    """

    model_config = SettingsConfigDict(env_prefix="CREDENCE_", env_file=".env", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Path(".credence")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    log_level: str = "info"
    pool_size: int = Field(default=10, ge=1)
    # Query operations run as one SQL statement per root field (schema/compiled), with the
    # resolvers as fallback; CREDENCE_COMPILED_READS=false serves everything through resolvers.
    compiled_reads: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
