"""The package as a user installs it: a wheel in a fresh virtual environment, used from a folder
that is not the project's, against DATABASE_URL and against the embedded default."""

import os
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import create_database, drop_database
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_the_listed_packages_are_the_folders() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for top in ("api", "schema")
        for path in (ROOT / top).rglob("__init__.py")
    }
    migrations = {"api.migration_scripts", "api.migration_scripts.versions"}
    assert set(setuptools["packages"]) == found | migrations
    assert setuptools["package-dir"] == {"api.migration_scripts": "alembic"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a fresh venv holding the wheel built from this checkout."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = work.glob("credence-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True
    )
    return venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working folder with nothing of the project in it."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert not (folder / "alembic.ini").exists()
    return folder


@pytest.fixture
def fresh_database(postgres_server: str) -> Iterator[str]:
    url = create_database(postgres_server, prefix="credence_pkg")
    yield url
    drop_database(url)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDENCE_", "DATABASE_URL"))}
    return {**env, **extra}


def _run(bin_dir: Path, folder: Path, env: dict[str, str], *args: str) -> str:
    finished = subprocess.run(
        [str(bin_dir / "credence"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout + finished.stderr


def _serve_and_ask(bin_dir: Path, folder: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run `credence serve`, ask for the number of states, stop it; (count, what it printed)."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(bin_dir / "credence"), "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        for _ in range(600):
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ states { totalCount } }"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.2)
        else:
            raise AssertionError(log.read_text())
    finally:
        server.terminate()
        server.wait(timeout=60)
    return answer.json()["data"]["states"]["totalCount"], log.read_text()


def test_the_installed_package_works_from_any_folder_on_database_url(
    installed: Path, elsewhere: Path, fresh_database: str
) -> None:
    env = _env(DATABASE_URL=fresh_database)
    assert _run(installed, elsewhere, env, "--version").strip() == "credence 0.1.0"
    assert "database at head" in _run(installed, elsewhere, env, "db", "upgrade")
    current = _run(installed, elsewhere, env, "db", "current").splitlines()
    assert current[0].split()[-1] == current[1].split()[-1]  # current == head
    count, printed = _serve_and_ask(installed, elsewhere, env)
    assert count > 200  # the seed's states
    assert "database: PostgreSQL at" in printed
    assert "Traceback" not in printed


def test_the_installed_package_uses_the_user_data_folder_by_default(
    installed: Path, elsewhere: Path, tmp_path: Path
) -> None:
    data_home = tmp_path / "data"
    env = _env(XDG_DATA_HOME=str(data_home))
    assert "database at head" in _run(installed, elsewhere, env, "db", "upgrade")
    count, printed = _serve_and_ask(installed, elsewhere, env)
    assert count > 200
    folder = data_home / "credence"
    assert f"database: embedded PostgreSQL in {folder}" in printed
    assert (folder / "pg" / "PG_VERSION").is_file()
    assert not any(elsewhere.glob(".credence*"))  # nothing left in the working folder


def test_a_cli_error_is_one_line_and_exit_2(installed: Path, elsewhere: Path) -> None:
    finished = subprocess.run(
        [str(installed / "credence"), "schema", "export", "-o", "/missing/dir/s.graphql"],
        cwd=elsewhere,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2
    assert finished.stderr == "error: No such file or directory: /missing/dir/s.graphql\n"
