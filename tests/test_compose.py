"""docker-compose.yml's wiring, checked without a Docker engine (none runs here): every URL names
a service that exists and listens there, every long-running service has a health check, start-up
order waits on health, and the scale profile routes as docs/scaling.md says.

This reads the file; it needs no database (the one exception to "every test talks to
PostgreSQL": there is nothing of PostgreSQL's in a compose file's wiring).
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from api.settings import Settings

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
URL_VARIABLES = ("DATABASE_URL", "DATABASE_READ_URLS", "DATABASE_LISTEN_URL")
POSTGRES_PORT = 5432
API_PORT = 8000


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _services(compose: dict[str, Any], profile: str | None) -> dict[str, dict[str, Any]]:
    """The services `docker compose [--profile P] up` starts."""
    return {
        name: service
        for name, service in compose["services"].items()
        if not service.get("profiles") or (profile is not None and profile in service["profiles"])
    }


def _urls(service: dict[str, Any]) -> list[tuple[str, str]]:
    environment = service.get("environment") or {}
    found = []
    for variable in URL_VARIABLES:
        for url in str(environment.get(variable, "")).split(","):
            if url.strip():
                found.append((variable, url.strip()))
    return found


def _listens_on_postgres_port(service: dict[str, Any]) -> bool:
    image = str(service.get("image", ""))
    environment = service.get("environment") or {}
    if image.startswith("postgres:"):
        return True
    # PgBouncer images listen where LISTEN_PORT says.
    return "pgbouncer" in image and str(environment.get("LISTEN_PORT")) == str(POSTGRES_PORT)


@pytest.mark.parametrize("profile", [None, "scale"])
def test_every_database_url_names_a_service_that_listens_there(
    compose: dict[str, Any], profile: str | None
) -> None:
    services = _services(compose, profile)
    checked = 0
    for name, service in services.items():
        for variable, url in _urls(service):
            parts = urlsplit(url)
            assert parts.hostname in services, f"{name}: {variable} names {parts.hostname}"
            target = services[parts.hostname]
            assert _listens_on_postgres_port(target), f"{name}: {parts.hostname} is no database"
            assert (parts.port or POSTGRES_PORT) == POSTGRES_PORT
            # The credentials are the ones the database was created with.
            assert parts.username == "credence" and parts.path == "/credence", url
            checked += 1
    assert checked >= (1 if profile is None else 6)


@pytest.mark.parametrize("profile", [None, "scale"])
def test_long_running_services_have_health_checks_and_wait_for_health(
    compose: dict[str, Any], profile: str | None
) -> None:
    services = _services(compose, profile)
    for name, service in services.items():
        if service.get("restart") == "no":
            continue  # a one-shot job: it finishes, it has no health
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on missing {dependency}"
            wanted = (
                "service_completed_successfully"
                if services[dependency].get("restart") == "no"
                else "service_healthy"
            )
            assert condition["condition"] == wanted, f"{name} -> {dependency}"


def test_the_scale_profile_routes_reads_writes_and_listening(compose: dict[str, Any]) -> None:
    services = _services(compose, "scale")
    apis = {n: s for n, s in services.items() if "--no-migrate" in s.get("command", [])}
    assert len(apis) >= 2, "the scale profile runs at least two API workers"
    for name, api in apis.items():
        env = api["environment"]
        writer = urlsplit(env["DATABASE_URL"]).hostname
        assert "pgbouncer" in services[writer]["image"], f"{name} writes through the pooler"
        assert services[writer]["environment"]["POOL_MODE"] == "transaction"
        # Behind a transaction pooler the service must know it (see api/database.py).
        pooler = env["CREDENCE_TRANSACTION_POOLER"]
        assert Settings(_env_file=None, transaction_pooler=pooler).transaction_pooler is True
        reader = urlsplit(env["DATABASE_READ_URLS"]).hostname
        assert "pg_basebackup" in "".join(services[reader]["command"]), "a streaming replica"
        # LISTEN passes no transaction pooler and fails on a standby: straight to the primary.
        listener = urlsplit(env["DATABASE_LISTEN_URL"]).hostname
        primary = services[listener]
        assert "wal_level=replica" in primary["command"]
        assert "pgbouncer" not in primary["image"]
        assert "replication" in compose["configs"]["primary-replication"]["content"]
    # Migrations and the seed take a direct connection, once, before the workers start.
    migrate = services["migrate"]
    assert urlsplit(migrate["environment"]["DATABASE_URL"]).hostname == listener
    for api in apis.values():
        assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_balancer_checks_and_spreads_over_every_api_worker(compose: dict[str, Any]) -> None:
    services = _services(compose, "scale")
    balancer = services["balancer"]
    config_name = balancer["configs"][0]["source"]
    config = compose["configs"][config_name]["content"]
    servers = re.findall(r"^\s*server\s+\S+\s+([\w-]+):(\d+)\s+check", config, re.MULTILINE)
    apis = {n for n, s in services.items() if "--no-migrate" in s.get("command", [])}
    assert {host for host, _ in servers} == apis
    assert {int(port) for _, port in servers} == {API_PORT}
    assert "httpchk GET /readyz" in config
    for api in apis:
        assert str(API_PORT) in services[api]["command"]
        assert balancer["depends_on"][api]["condition"] == "service_healthy"
