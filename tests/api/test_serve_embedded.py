"""`credence serve` with no DATABASE_URL: embedded server, migrated, seeded, reused, stopped."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

CREDENCE = str(Path(sys.executable).parent / "credence")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short on purpose: the server's Unix socket lives in this folder.
    with tempfile.TemporaryDirectory(prefix="cr-", dir="/tmp") as folder:
        yield Path(folder) / "data"


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"CREDENCE_DATA_DIR": str(data_dir), "CREDENCE_PORT": str(port)}
    return subprocess.Popen(
        [CREDENCE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"credence serve exited early:\n{stderr}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail("credence serve did not become ready")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=60) == 0
    finally:
        if process.stderr:
            process.stderr.close()


def _socket_dsn(pgdata: Path) -> str:
    # postmaster.pid: pid, data dir, start time, port, socket directory, ...
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    return f"postgresql://postgres@/postgres?host={lines[4]}&port={lines[3]}"


async def _counts(pgdata: Path) -> tuple[int, int, int]:
    connection = await asyncpg.connect(_socket_dsn(pgdata))
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM state), (SELECT count(*) FROM recognition),"
            " (SELECT count(*) FROM change_log)"
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])
    finally:
        await connection.close()


async def test_serve_starts_embedded_seeds_once_and_reuses_the_data(data_dir: Path) -> None:
    port = _free_port()
    first = _serve(data_dir, port)
    try:
        _wait_ready(first, port)
        states, recognitions, changes = await _counts(data_dir / "pg")
        assert states >= 249 and recognitions >= 4
    finally:
        _stop(first)
    # The server stops with the last process using it.
    assert not (data_dir / "pg" / "postmaster.pid").exists()

    second = _serve(data_dir, port)
    try:
        _wait_ready(second, port)
        # Same rows, and no second seeding (nothing was written at all).
        assert await _counts(data_dir / "pg") == (states, recognitions, changes)
    finally:
        _stop(second)
