"""What recording history costs per row: no history, the 0004 design (every insert's full
image), and the 0005 design (past versions only), measured in one run on the same rows; and,
to tell the parts apart, triggers that only capture their transition tables.

    python bench/history.py [--rows 200000] [--repeat 2] [--database-url URL]

The rows are bench/import.py's synthetic recognitions (1-3 citations each), ids resolved. In a
database holding the states, governments and sources, each design in turn (its triggers on
`recognition` and `citation`, the others disabled, all inside a transaction rolled back):

- insert: COPY of the recognitions then their citations (what an import's first load writes);
- update: one UPDATE changing one column of every recognition (what a re-import that changes
  every fact writes);
- citations: the citations of every fact deleted and inserted again (what a re-import writes
  when the sources of every fact change; the importer replaces a fact's citations whole);
- delete: DELETE of every recognition (its citations cascade).

Prints, per step, the CPU seconds the server process spent on it (read from the backend's
/proc entry: on a machine shared with other work, wall-clock time mostly measures the others;
the server must run on this machine), the wall-clock seconds, and per design the cost over no
history in microseconds of server CPU a row. The best of `--repeat` runs of each design counts.
"""

import argparse
import asyncio
import importlib.util
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import migrations  # noqa: E402
from api.database_url import to_asyncpg_dsn, with_database  # noqa: E402


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# `import` is a keyword: bench/import.py is loaded by path, as the 0005 migration is.
bench_import = _load(ROOT / "bench" / "import.py", "bench_import")
revision_0005 = _load(
    ROOT / "alembic" / "versions" / "20261130_0005_history_of_past_versions.py", "revision_0005"
)

TABLES = ("recognition", "citation")
DESIGNS = ("none", "capture", "0004", "0005")

# Statement triggers that keep their transition tables and do nothing with them: what capturing
# the changed rows costs before any of it is written to change_log.
CAPTURE = (
    "CREATE FUNCTION bench_capture() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RETURN NULL; END $$",
    "CREATE TRIGGER bench_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION bench_capture()",
    "CREATE TRIGGER bench_update AFTER UPDATE ON {table} "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION bench_capture()",
    "CREATE TRIGGER bench_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION bench_capture()",
)
STEPS = ("insert", "update", "citations", "delete")


async def _use_design(connection: asyncpg.Connection, design: str) -> None:
    """Inside the caller's transaction: only `design`'s triggers fire on the two tables."""
    for table in TABLES:
        await connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    if design == "0005":
        for table in TABLES:
            for action in ("insert", "update", "delete"):
                await connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER history_{action}")
    elif design == "capture":
        await connection.execute(CAPTURE[0])
        for table in TABLES:
            for trigger in CAPTURE[1:]:
                await connection.execute(trigger.format(table=table))
    elif design == "0004":
        for function in revision_0005.AUDIT_0004:
            await connection.execute(function)
        for table in TABLES:
            for trigger in revision_0005._audit_triggers_0004(table):
                await connection.execute(trigger)
    # Foreign keys are system triggers: DISABLE TRIGGER USER leaves them on.


async def _run(url: str, data: Any, design: str) -> dict[str, tuple[float, float]]:
    """(server CPU seconds, wall-clock seconds) of each step."""
    recognitions, citations = data.floor_recognitions, data.floor_citations
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    timings: dict[str, tuple[float, float]] = {}
    backend = psutil.Process(await connection.fetchval("SELECT pg_backend_pid()"))
    clock: tuple[float, float] = (0.0, 0.0)

    def start() -> None:
        nonlocal clock
        cpu = backend.cpu_times()
        clock = (cpu.user + cpu.system, time.perf_counter())

    def stop(step: str) -> None:
        cpu = backend.cpu_times()
        timings[step] = (cpu.user + cpu.system - clock[0], time.perf_counter() - clock[1])

    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(
            "SELECT set_config('credence.actor', 'bench', true), "
            "set_config('credence.origin', 'bench', true)"
        )
        await _use_design(connection, design)
        first_id = await connection.fetchval(
            "SELECT nextval(pg_get_serial_sequence('recognition', 'id'))"
        )
        start()
        await connection.copy_records_to_table(
            "recognition",
            records=[(first_id + n, *row) for n, row in enumerate(recognitions, 1)],
            columns=("id", *bench_import.FLOOR_RECOGNITION),
        )
        await connection.copy_records_to_table(
            "citation",
            records=[(s, r + first_id, p, q) for s, r, p, q in citations],
            columns=bench_import.FLOOR_CITATION,
        )
        stop("insert")
        start()
        await connection.execute("UPDATE recognition SET notes = coalesce(notes, '') || '.'")
        stop("update")
        start()
        await connection.execute(
            "CREATE TEMP TABLE kept ON COMMIT DROP AS "
            "SELECT source_id, recognition_id, position, quote FROM citation"
        )
        await connection.execute("DELETE FROM citation")
        await connection.execute(
            "INSERT INTO citation (source_id, recognition_id, position, quote) "
            "SELECT source_id, recognition_id, position, quote FROM kept "
            "ORDER BY recognition_id, position"
        )
        stop("citations")
        start()
        await connection.execute("DELETE FROM recognition")
        stop("delete")
        await transaction.rollback()
    finally:
        await connection.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="recognitions to generate")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each design")
    parser.add_argument("--database-url", help="server to use (a fresh database is created)")
    arguments = parser.parse_args()

    server = bench_import.server_url(arguments.database_url)
    name = f"credence_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(bench_import._admin(server, f'CREATE DATABASE "{name}"'))
    url = with_database(server, name)
    best: dict[str, dict[str, tuple[float, float]]] = {d: {} for d in DESIGNS}
    try:
        migrations.upgrade(url)
        with tempfile.TemporaryDirectory(prefix="credence-bench-") as scratch:
            data = bench_import.generate(Path(scratch), arguments.rows)
            bench_import.run_credence(url, "import", "--quiet", *map(str, data.files[:3]))
        for _ in range(arguments.repeat):
            # Designs interleaved, so drift on a shared machine spreads over all three.
            for design in DESIGNS:
                for step, seconds in asyncio.run(_run(url, data, design)).items():
                    best[design][step] = min(best[design].get(step, seconds), seconds)
    finally:
        asyncio.run(bench_import._admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    rows, cited = data.recognitions, data.citations
    print(f"\n{rows:,} recognitions, {cited:,} citations; best of {arguments.repeat} runs\n")
    print("server CPU seconds (wall-clock seconds)")
    print(f"{'design':<8}" + "".join(f"{step:>18}" for step in STEPS))
    for design in DESIGNS:
        cells = (f"{best[design][s][0]:>9.2f} ({best[design][s][1]:>5.2f})" for s in STEPS)
        print(f"{design:<8}" + "".join(f"{c:>18}" for c in cells))
    # Rows written per step: facts and citations for inserts; facts for the update; citations
    # twice (deleted, inserted) for the citation round; facts and their citations for deletes.
    written = {
        "insert": rows + cited,
        "update": rows,
        "citations": 2 * cited,
        "delete": rows + cited,
    }
    print("\nhistory's cost over none, microseconds of server CPU per row written")
    print(f"{'design':<8}" + "".join(f"{step:>12}" for step in STEPS))
    for design in DESIGNS[1:]:
        costs = [(best[design][s][0] - best["none"][s][0]) / written[s] * 1e6 for s in STEPS]
        print(f"{design:<8}" + "".join(f"{c:>12.2f}" for c in costs))


if __name__ == "__main__":
    main()
