"""A real `uvicorn` process serving Credence on a free port, for tests that need one."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, **environment: str) -> Iterator[tuple[str, int]]:
    """(base URL, process id) of a server on `database_url`, stopped on exit."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, **environment}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app_from_environment",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
