"""What `credence serve` asks of uvicorn: no server banner, forwarded headers believed only from
the peers named in CREDENCE_FORWARDED_ALLOW_IPS, and an access log exactly where the log level
shows it. Served for real: the app on uvicorn on a loopback port, with the options `credence
serve` passes, asked a query over the seeded database; the access log says which client
uvicorn saw."""

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from api.app import create_app
from api.cli.serve import uvicorn_options
from api.settings import Settings
from tests.schema.threaded_server import serve_in_thread

QUERY = {"query": '{ state(iso3: "FRA") { iso3 } }'}
FORWARDED = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}


@contextmanager
def _served(database_url: str, **values: str) -> Iterator[str]:
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    app = create_app(settings, database_url=database_url)
    with serve_in_thread(app, **uvicorn_options(settings)) as url:
        yield url + "/graphql"


def _ask(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    response = httpx.post(url, json=QUERY, headers=headers)
    assert response.json() == {"data": {"state": {"iso3": "FRA"}}}
    return response


def _logged(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_no_server_banner_and_forwarded_headers_ignored_by_default(
    seeded_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _served(seeded_database, log_level="info") as url:
        response = _ask(url, FORWARDED)
    assert "server" not in response.headers
    log = _logged(capsys)
    assert "127.0.0.1:" in log and '"POST /graphql HTTP/1.1" 200' in log
    assert "203.0.113.7" not in log


@pytest.mark.parametrize("allowed", ["127.0.0.1", "*", "10.0.0.0/8, 127.0.0.0/8"])
def test_forwarded_headers_believed_from_the_named_peers(
    seeded_database: str, capsys: pytest.CaptureFixture[str], allowed: str
) -> None:
    with _served(seeded_database, log_level="info", forwarded_allow_ips=allowed) as url:
        _ask(url, FORWARDED)
    assert '203.0.113.7:0 - "POST /graphql HTTP/1.1" 200' in _logged(capsys)


def test_forwarded_headers_ignored_from_other_peers(
    seeded_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with _served(seeded_database, log_level="info", forwarded_allow_ips="192.0.2.1") as url:
        _ask(url, FORWARDED)
    log = _logged(capsys)
    assert '"POST /graphql HTTP/1.1" 200' in log and "203.0.113.7" not in log


@pytest.mark.parametrize(("level", "logged"), [("info", True), ("debug", True), ("warning", False)])
def test_access_log_only_where_the_level_shows_it(
    seeded_database: str, capsys: pytest.CaptureFixture[str], level: str, logged: bool
) -> None:
    with _served(seeded_database, log_level=level) as url:
        _ask(url)
    assert ('"POST /graphql HTTP/1.1" 200' in _logged(capsys)) is logged
