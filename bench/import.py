"""Import and export throughput against the raw COPY floor, measured in one run.

    python bench/import.py [--rows 1000000] [--database-url URL] [--keep DIR]

1. Generates a deterministic dataset: every ISO 3166 state (pycountry), four governments per
   state, sources, and `--rows` recognitions between them (varied episodes and fuzzy dates, keys
   unique, no overlapping episodes) citing 1-3 sources each.
2. Floor: asyncpg `copy_records_to_table` of the same recognition and citation rows (ids already
   resolved) into bare tables with the same columns (no indexes, constraints or triggers).
3. `credence import` of the files into an empty migrated database, as a subprocess whose peak
   RSS is read from `wait4`; then the same import again (matches the first import's
   fingerprint), and again with `--recheck` (compares every row; must change nothing); then
   `credence export` of the recognitions (CSV). The cost of `--diff`: the plan of the first
   import (`--dry-run --diff --report`, every row an insert listing all its fields: the worst
   case), and the unchanged `--recheck` again with `--diff` (every row compared, none listed).
4. For reference, the same rows COPYed into the real tables with their indexes, constraints
   and audit triggers in place (rolled back).
5. New rows next to stored ones: `--new` recognitions (default 60,000) imported into a database
   holding `--stored` recognitions (default 200,000) of the same recognizer/subject pairs, so
   the overlap check meets stored episodes of every pair; against the same `--new` rows
   imported into a database holding none, as a ratio (`--into-stored-only` runs this part
   alone).

Prints rows/s for each step, its time as a multiple of the floor, and the importer's peak memory.
The database: --database-url, else TEST_DATABASE_URL, else DATABASE_URL, else a temporary
embedded server. A fresh database is created (and dropped) on that server.
"""

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import asyncpg
import pycountry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import migrations  # noqa: E402
from api.database_url import to_asyncpg_dsn, with_database  # noqa: E402

CREDENCE = str(Path(sys.executable).parent / "credence")
GOVERNMENTS_PER_STATE = 4
TYPES = ("de_jure", "de_facto", "unspecified")
MODES = ("express", "implied", "unspecified")
ACTS = ("", "official_statement", "note_verbale", "joint_communique", "treaty", "other")
END_REASONS = ("", "withdrawn", "lapsed", "relations_severed", "superseded", "other")
CONFIDENCE = ("", "high", "medium", "low")
RECOGNITION_COLUMNS = (
    "recognizer",
    "subject",
    "episode",
    "type",
    "mode",
    "act",
    "from",
    "to",
    "end_reason",
    "confidence",
    "sources",
    "notes",
)
FLOOR_RECOGNITION = (
    "key",
    "recognizer_id",
    "subject_state_id",
    "subject_government_id",
    "episode",
    "type",
    "mode",
    "act",
    "from_date",
    "from_precision",
    "to_date",
    "to_precision",
    "end_reason",
    "confidence",
    "notes",
)
FLOOR_CITATION = ("source_id", "recognition_id", "position", "quote")


def _mix(number: int) -> int:
    """A cheap deterministic scramble, so the data varies without a random generator."""
    return (number * 2654435761 + 40503) & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Dataset:
    folder: Path
    files: list[Path]
    recognitions: int
    citations: int
    # The same recognitions and citations, resolved to ids, for the floor.
    floor_recognitions: list[tuple[object, ...]]
    floor_citations: list[tuple[int, int, int, None]]


def _fuzzy(year: int, h: int) -> tuple[str, date, str]:
    """(text, earliest day, precision) with the precision varying by `h`."""
    kind = h % 3
    month = 1 + (h >> 3) % 12
    day = 1 + (h >> 7) % 28
    if kind == 0:
        return f"{year:04d}", date(year, 1, 1), "year"
    if kind == 1:
        return f"{year:04d}-{month:02d}", date(year, month, 1), "month"
    return f"{year:04d}-{month:02d}-{day:02d}", date(year, month, day), "day"


def _recognitions(
    rows: int, states: list[str], governments: list[str], sources: int
) -> Iterator[tuple[list[str], tuple[object, ...], list[int]]]:
    """(CSV cells, floor row without ids resolved, source numbers) for each recognition."""
    subjects = states + governments
    pairs = [
        (recognizer, subject)
        for subject in subjects
        for recognizer in states
        if recognizer != subject[:3]
    ]
    per_pair, extra = divmod(rows, len(pairs))
    number = 0
    for index, (recognizer, subject) in enumerate(pairs):
        episodes = per_pair + (1 if index < extra else 0)
        for episode in range(1, episodes + 1):
            h = _mix(number)
            # Episode e lives within [1800 + 30 (e-1), 1800 + 30 e): episodes never overlap.
            start_year = 1800 + 30 * (episode - 1) + h % 10
            start_text, start_day, start_precision = _fuzzy(start_year, h >> 4)
            last = episode == episodes
            if last and h % 5 == 0:
                end_text, end_day, end_precision, end_reason = "", None, None, ""
            else:
                end_text, end_day, end_precision = _fuzzy(start_year + 1 + (h >> 9) % 15, h >> 2)
                end_reason = END_REASONS[(h >> 12) % len(END_REASONS)]
            # Every fact cites at least one source (the importer refuses one that cites none).
            cited = [(h + 7919 * j) % sources for j in range(1 + (h >> 14) % 3)]
            notes = "" if h % 7 else f'note {number}, with "quotes"; and a comma'
            cells = [
                recognizer,
                subject,
                str(episode),
                TYPES[(h >> 16) % 3],
                MODES[(h >> 18) % 3],
                ACTS[(h >> 20) % len(ACTS)],
                start_text,
                end_text,
                end_reason,
                CONFIDENCE[(h >> 24) % len(CONFIDENCE)],
                ";".join(f"src-{s}" for s in cited),
                notes,
            ]
            floor = (
                f"{recognizer}>{subject}#{episode}",
                recognizer,
                subject,
                episode,
                cells[3],
                cells[4],
                cells[5] or None,
                start_day,
                start_precision,
                end_day,
                end_precision,
                end_reason or None,
                cells[9] or None,
                notes or None,
            )
            yield cells, floor, cited
            number += 1


def generate(folder: Path, rows: int) -> Dataset:
    states = sorted(country.alpha_3 for country in pycountry.countries)
    state_ids = {iso3: number for number, iso3 in enumerate(states, start=1)}
    governments = [f"{iso3}:gov-{k}" for iso3 in states for k in range(GOVERNMENTS_PER_STATE)]
    government_ids = {key: number for number, key in enumerate(governments, start=1)}
    sources = max(100, rows // 200)
    with (folder / "states.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["iso3", "iso2", "numeric", "name"])
        for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
            writer.writerow([country.alpha_3, country.alpha_2, country.numeric, country.name])
    with (folder / "governments.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["key", "state", "name", "periods"])
        for key in governments:
            k = int(key.rsplit("-", 1)[1])
            writer.writerow([key, key[:3], f"Government {k} of {key[:3]}", f"{1800 + 50 * k}/"])
    with (folder / "sources.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["key", "title", "kind", "reliability"])
        for number in range(sources):
            writer.writerow([f"src-{number}", f"Source number {number}", "news", "medium"])
    floor_recognitions: list[tuple[object, ...]] = []
    floor_citations: list[tuple[int, int, int, None]] = []
    with (folder / "recognitions.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(RECOGNITION_COLUMNS)
        for number, (cells, floor, cited) in enumerate(
            _recognitions(rows, states, governments, sources), start=1
        ):
            writer.writerow(cells)
            subject = str(floor[2])
            government = government_ids.get(subject)
            floor_recognitions.append(
                (
                    floor[0],
                    state_ids[str(floor[1])],
                    state_ids[subject[:3]],
                    government,
                    *floor[3:],
                )
            )
            floor_citations.extend(
                (source + 1, number, position, None) for position, source in enumerate(cited)
            )
    files = [folder / name for name in ("states.csv", "governments.csv", "sources.csv")]
    files.append(folder / "recognitions.csv")
    return Dataset(folder, files, rows, len(floor_citations), floor_recognitions, floor_citations)


# --- measurements --------------------------------------------------------------------------------


async def measure_floor(url: str, data: Dataset) -> float:
    """Seconds to COPY the resolved rows into bare tables with the recognition/citation columns."""
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        await connection.execute(
            "CREATE TABLE bench_floor_recognition AS "
            f"SELECT {', '.join(FLOOR_RECOGNITION)} FROM recognition WITH NO DATA"
        )
        await connection.execute(
            "CREATE TABLE bench_floor_citation AS "
            f"SELECT {', '.join(FLOOR_CITATION)} FROM citation WITH NO DATA"
        )
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_records_to_table(
                "bench_floor_recognition",
                records=data.floor_recognitions,
                columns=FLOOR_RECOGNITION,
            )
            await connection.copy_records_to_table(
                "bench_floor_citation", records=data.floor_citations, columns=FLOOR_CITATION
            )
        elapsed = time.perf_counter() - started
        await connection.execute("DROP TABLE bench_floor_recognition, bench_floor_citation")
        return elapsed
    finally:
        await connection.close()


async def measure_schema_floor(url: str, data: Dataset) -> float:
    """Seconds to COPY the same resolved rows into the real `recognition` and `citation` tables
    (their indexes, constraints and audit triggers), rolled back afterwards.

    What loading row by row into this schema costs (an import that defers its indexes can
    beat it); `url` must hold the states,
    governments and sources with the ids the generator gave them (a fresh import does).
    """
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(
            "SELECT set_config('credence.actor', 'bench', true), "
            "set_config('credence.origin', 'bench', true)"
        )
        first_id = await connection.fetchval(
            "SELECT nextval(pg_get_serial_sequence('recognition', 'id'))"
        )
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "recognition",
            records=[(first_id + n, *row) for n, row in enumerate(data.floor_recognitions, 1)],
            columns=("id", *FLOOR_RECOGNITION),
        )
        await connection.copy_records_to_table(
            "citation",
            records=[(s, r + first_id, p, q) for s, r, p, q in data.floor_citations],
            columns=FLOOR_CITATION,
        )
        elapsed = time.perf_counter() - started
        await transaction.rollback()
        return elapsed
    finally:
        await connection.close()


def _fuzzy_sql(column: str) -> tuple[str, str]:
    """(earliest day, precision) of an ISO prefix cell, in SQL."""
    value = f"nullif(s.{column}, '')"
    day = (
        f"CASE length({value}) WHEN 4 THEN ({value} || '-01-01')::date "
        f"WHEN 7 THEN ({value} || '-01')::date ELSE {value}::date END"
    )
    precision = (
        f"CASE length({value}) WHEN 4 THEN 'year' WHEN 7 THEN 'month' WHEN 10 THEN 'day' END"
    )
    return day, precision


def _sql_floor_statements() -> list[str]:
    """The hand-written load of recognitions.csv: COPY into a staging table, then one INSERT ...
    SELECT into `recognition` (keys resolved by joins, dates parsed) and one into `citation`."""
    cells = ", ".join(f'"{column}" text' for column in RECOGNITION_COLUMNS)
    start, start_precision = _fuzzy_sql('"from"')
    end, end_precision = _fuzzy_sql('"to"')
    key = "s.recognizer || '>' || s.subject || '#' || s.episode"
    return [
        f"CREATE TEMP TABLE bench_staging ({cells}) ON COMMIT DROP",
        # (the COPY of the file runs here: see measure_sql_floor)
        "INSERT INTO recognition (key, recognizer_id, subject_state_id, subject_government_id, "
        "episode, type, mode, act, from_date, from_precision, to_date, to_precision, "
        "end_reason, confidence, notes) "
        f"SELECT {key}, r.id, coalesce(g.state_id, t.id), g.id, s.episode::int, s.type, s.mode, "
        f"nullif(s.act, ''), {start}, {start_precision}, {end}, {end_precision}, "
        "nullif(s.end_reason, ''), nullif(s.confidence, ''), nullif(s.notes, '') "
        "FROM bench_staging s JOIN state r ON r.iso3 = s.recognizer "
        "LEFT JOIN government g ON g.key = s.subject LEFT JOIN state t ON t.iso3 = s.subject",
        "INSERT INTO citation (source_id, recognition_id, position) "
        "SELECT src.id, r.id, u.ord - 1 FROM bench_staging s "
        f"JOIN recognition r ON r.key = {key} "
        "CROSS JOIN LATERAL unnest(string_to_array(s.sources, ';')) WITH ORDINALITY u(k, ord) "
        "JOIN source src ON src.key = u.k",
    ]


async def measure_sql_floor(url: str, data: Dataset) -> tuple[float, list[float]]:
    """Seconds of the hand-written SQL load (see `_sql_floor_statements`) into the real tables
    with every constraint, index and trigger in place, in one transaction, rolled back; and the
    seconds of the COPY and of each INSERT. `url` must hold the states, governments and
    sources."""
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute(
            "SELECT set_config('credence.actor', 'bench', true), "
            "set_config('credence.origin', 'bench', true)"
        )
        steps = []
        started = time.perf_counter()
        create, *inserts = _sql_floor_statements()
        await connection.execute(create)
        step = time.perf_counter()
        # COPY ... FROM STDIN, as psql's \\copy sends the file.
        await connection.copy_to_table(
            "bench_staging", source=data.folder / "recognitions.csv", format="csv", header=True
        )
        steps.append(time.perf_counter() - step)
        for statement in inserts:
            step = time.perf_counter()
            await connection.execute(statement)
            steps.append(time.perf_counter() - step)
        elapsed = time.perf_counter() - started
        loaded = await connection.fetchval("SELECT count(*) FROM recognition")
        await transaction.rollback()
        if loaded != data.recognitions:
            raise SystemExit(f"the SQL floor loaded {loaded} recognitions, not {data.recognitions}")
        return elapsed, steps
    finally:
        await connection.close()


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_mb: float
    output: str


# A small Python process starts `credence` and reports the peak RSS of its children. The bench
# itself cannot: ru_maxrss survives exec, so a child forked from this big process would be
# charged with the memory this process held at the fork.
_LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1], "wb"))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def run_credence(url: str, *args: str) -> Run:
    """Run one `credence` command; returns its time, peak RSS (Linux reports KiB) and output."""
    environment = {**os.environ, "DATABASE_URL": url}
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        launched = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, f"{scratch}/out", CREDENCE, *args],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        peak_kib, code = (int(part) for part in launched.stdout.split())
        if code != 0:
            raise SystemExit(f"credence {' '.join(args)} failed:\n{launched.stderr[-3000:]}")
        output = Path(f"{scratch}/out").read_text()
    return Run(elapsed, peak_kib / 1024, output)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(to_asyncpg_dsn(with_database(url, "postgres")))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _count(url: str, table: str) -> int:
    connection = await asyncpg.connect(to_asyncpg_dsn(url))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def server_url(given: str | None) -> str:
    chosen = given or os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if chosen:
        return chosen
    from api.embedded import start_temporary_server

    return start_temporary_server()


# --- new rows next to stored ones ----------------------------------------------------------------


def _write_reference(folder: Path, sources: int) -> list[Path]:
    """states.csv and sources.csv as `generate` writes them (no governments)."""
    with (folder / "states.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["iso3", "iso2", "numeric", "name"])
        for country in sorted(pycountry.countries, key=lambda c: c.alpha_3):
            writer.writerow([country.alpha_3, country.alpha_2, country.numeric, country.name])
    with (folder / "sources.csv").open("w", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["key", "title", "kind", "reliability"])
        for number in range(sources):
            writer.writerow([f"src-{number}", f"Source number {number}", "news", "medium"])
    return [folder / "states.csv", folder / "sources.csv"]


def generate_into_stored(folder: Path, stored: int, new: int) -> tuple[list[Path], Path, Path]:
    """(reference files, stored recognitions, new recognitions).

    Recognitions between states only (about 62,000 pairs), so each pair gets several
    episodes; every `stored + new`-th share of them is set aside as new, which puts the new
    episodes between stored episodes of the same pairs. Episodes never overlap.
    """
    total = stored + new
    sources = 100
    reference = _write_reference(folder, sources)
    states = sorted(country.alpha_3 for country in pycountry.countries)
    stored_path, new_path = folder / "stored.recognitions.csv", folder / "new.recognitions.csv"
    with stored_path.open("w", newline="") as a, new_path.open("w", newline="") as b:
        stored_writer = csv.writer(a, lineterminator="\n")
        new_writer = csv.writer(b, lineterminator="\n")
        stored_writer.writerow(RECOGNITION_COLUMNS)
        new_writer.writerow(RECOGNITION_COLUMNS)
        taken = 0
        for number, (cells, _, _) in enumerate(_recognitions(total, states, [], sources)):
            # Spread the new rows evenly: row n is new when the running share falls behind.
            if taken < new and (number + 1) * new // total > taken:
                new_writer.writerow(cells)
                taken += 1
            else:
                stored_writer.writerow(cells)
    return reference, stored_path, new_path


def measure_into_stored(server: str, folder: Path, stored: int, new: int) -> None:
    """Time the import of `new` rows into an empty database and into one holding `stored`
    rows of the same pairs, and print the ratio (goal: within 2x)."""
    reference, stored_path, new_path = generate_into_stored(folder, stored, new)
    timings: dict[str, Run] = {}
    for label, preload in (("empty", []), ("stored", [stored_path])):
        name = f"credence_bench_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        try:
            url = with_database(server, name)
            migrations.upgrade(url)
            run_credence(url, "import", "--quiet", *map(str, [*reference, *preload]))
            timings[label] = run_credence(url, "import", "--json", str(new_path))
            summary = json.loads(timings[label].output)["entities"]["recognitions"]
            if summary["inserted"] != new:
                raise SystemExit(f"{label}: expected {new} inserted rows, got {summary}")
        finally:
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    empty, into = timings["empty"], timings["stored"]
    print(f"\n{new:,} new recognitions (same pairs as the stored ones):")
    print(f"  plain {new:,}-row import into an empty database  {empty.seconds:8.2f} s")
    print(f"  {new:,} rows into {stored:,} stored                  {into.seconds:8.2f} s")
    ratio = into.seconds / empty.seconds
    print(f"  ratio {ratio:.2f}x (goal: within 2x -> {'met' if ratio <= 2 else 'MISSED'})")


# --- the first import against the hand-written SQL floor ------------------------------------------


class _Sampler:
    """What the server is doing for one database, sampled every `interval` seconds from
    pg_stat_activity while a command runs: a poor man's profile of where an import's time goes
    (samples with no active statement are time spent in the client, or between statements)."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        self.url, self.interval = url, interval
        self.samples: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        connection = await asyncpg.connect(to_asyncpg_dsn(self.url))
        try:
            while not self._stop.is_set():
                rows = await connection.fetch(
                    "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state = 'active' AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                )
                for label in [_statement_label(r["query"]) for r in rows] or ["(no statement)"]:
                    self.samples[label] = self.samples.get(label, 0) + 1
                await asyncio.sleep(self.interval)
        finally:
            await connection.close()

    def __enter__(self) -> "_Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, top: int = 8) -> list[str]:
        total = sum(self.samples.values()) or 1
        ranked = sorted(self.samples.items(), key=lambda item: -item[1])[:top]
        return [f"{100 * n / total:5.1f}%  {label}" for label, n in ranked]


def _statement_label(query: str) -> str:
    words = " ".join(query.split())
    return words[:110] + ("..." if len(words) > 110 else "")


def _database(server: str, revision: str, reference: list[Path]) -> str:
    name = f"credence_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = with_database(server, name)
    migrations.upgrade(url, revision)
    if reference:
        run_credence(url, "import", "--quiet", *map(str, reference))
    return url


def _drop(url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure_first_import(server: str, folder: Path, rows: int, revisions: list[str]) -> None:
    """The issue's import-speed goal: the first import of `rows` recognitions against the
    hand-written SQL floor (COPY, one INSERT ... SELECT into recognition, one into citation,
    every constraint, index and trigger in place), in the same run, per schema revision (the
    history triggers differ between them); with a sampled profile of the import."""
    started = time.perf_counter()
    data = generate(folder, rows)
    print(
        f"generated {data.recognitions:,} recognitions, {data.citations:,} citations "
        f"in {time.perf_counter() - started:.1f} s"
    )
    bare = _database(server, "head", [])
    try:
        raw = asyncio.run(measure_floor(bare, data))
    finally:
        _drop(bare)
    data = Dataset(data.folder, data.files, data.recognitions, data.citations, [], [])
    results: list[tuple[str, float, list[float], Run, list[str]]] = []
    for revision in revisions:
        reference = _database(server, revision, data.files[:3])
        try:
            floor, steps = asyncio.run(measure_sql_floor(reference, data))
        finally:
            _drop(reference)
        target = _database(server, revision, [])
        try:
            with _Sampler(target) as sampler:
                first = run_credence(target, "import", "--json", *map(str, data.files))
        finally:
            _drop(target)
        results.append((revision, floor, steps, first, sampler.report()))
    print(f"\nrecognitions: {data.recognitions:,}   citations: {data.citations:,}")
    print(f"raw COPY into bare tables        {raw:8.2f} s")
    for revision, floor, steps, first, profile in results:
        copy, recognitions, citations = steps
        print(f"\nschema at revision {revision}:")
        print(
            f"  hand-written SQL floor         {floor:8.2f} s  (COPY {copy:.2f} s, "
            f"INSERT recognition {recognitions:.2f} s, INSERT citation {citations:.2f} s)"
        )
        print(
            f"  first import                   {first.seconds:8.2f} s  "
            f"{first.seconds / floor:.2f}x the SQL floor, peak {first.peak_mb:.0f} MB "
            f"(goal: at or below 1x -> {'met' if first.seconds <= floor else 'MISSED'})"
        )
        print("  where the import's time went (share of samples of the server's activity):")
        for line in profile:
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="recognitions to generate")
    parser.add_argument("--database-url", help="server to use (a fresh database is created)")
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    parser.add_argument(
        "--stored", type=int, default=200_000, help="recognitions stored before the new ones"
    )
    parser.add_argument("--new", type=int, default=60_000, help="new recognitions to import")
    parser.add_argument(
        "--into-stored-only", action="store_true", help="run only the new-next-to-stored part"
    )
    parser.add_argument(
        "--first-import-only",
        action="store_true",
        help="run only the first import against the hand-written SQL floor",
    )
    parser.add_argument(
        "--revisions",
        default="head",
        help="comma-separated schema revisions for --first-import-only (e.g. 0004,head)",
    )
    arguments = parser.parse_args()

    server = server_url(arguments.database_url)
    if arguments.first_import_only:
        with tempfile.TemporaryDirectory(prefix="credence-bench-") as scratch:
            revisions = arguments.revisions.split(",")
            measure_first_import(server, Path(scratch), arguments.rows, revisions)
        return
    if arguments.into_stored_only:
        with tempfile.TemporaryDirectory(prefix="credence-bench-") as scratch:
            measure_into_stored(server, Path(scratch), arguments.stored, arguments.new)
        return
    name = f"credence_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    url = with_database(server, name)
    folder_context = (
        tempfile.TemporaryDirectory(prefix="credence-bench-") if arguments.keep is None else None
    )
    folder = Path(folder_context.name) if folder_context else arguments.keep
    folder.mkdir(parents=True, exist_ok=True)
    try:
        migrations.upgrade(url)
        started = time.perf_counter()
        data = generate(folder, arguments.rows)
        print(
            f"generated {data.recognitions:,} recognitions, {data.citations:,} citations "
            f"in {time.perf_counter() - started:.1f} s ({folder})"
        )
        floor = asyncio.run(measure_floor(url, data))
        floor_rows = len(data.floor_recognitions)
        # The COPY with indexes runs in a database of its own holding the reference rows, so that
        # the import below still starts from an empty database.
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}_schema"'))
        try:
            schema_url = with_database(server, f"{name}_schema")
            migrations.upgrade(schema_url)
            run_credence(schema_url, "import", "--quiet", *map(str, data.files[:3]))
            schema_floor = asyncio.run(measure_schema_floor(schema_url, data))
        finally:
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}_schema" WITH (FORCE)'))
        # The floor lists are not needed any more; free them before the imports run.
        data = Dataset(data.folder, data.files, data.recognitions, data.citations, [], [])
        paths = [str(path) for path in data.files]
        plan = folder / "plan.json"
        planned = run_credence(
            url, "import", "--dry-run", "--diff", "--quiet", "--report", str(plan), *paths
        )
        planned_changes = len(json.loads(plan.read_text())["changes"])
        plan.unlink()
        first = run_credence(url, "import", "--json", *paths)
        log_after_first = asyncio.run(_count(url, "change_log"))
        second = run_credence(url, "import", "--json", *paths)
        recheck = run_credence(url, "import", "--json", "--recheck", *paths)
        recheck_diff = run_credence(url, "import", "--json", "--recheck", "--diff", *paths)
        log_after_second = asyncio.run(_count(url, "change_log"))
        unchanged_ok = log_after_first == log_after_second
        for run, matched in ((second, True), (recheck, False), (recheck_diff, False)):
            reported = json.loads(run.output)
            summary = reported["entities"]["recognitions"]
            unchanged_ok = unchanged_ok and (
                not reported.get("changes")
                and summary["unchanged"] == floor_rows
                and summary["inserted"] == summary["updated"] == 0
                and reported["matched_fingerprint"] is matched
            )
        exported = run_credence(
            url, "export", str(folder / "export"), "--format", "csv", "--entity", "recognitions"
        )
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if folder_context is not None:
            folder_context.cleanup()

    def line(label: str, seconds: float, extra: str = "") -> None:
        print(
            f"{label:<20} {seconds:8.2f} s {floor_rows / seconds:>10,.0f} rows/s "
            f"{seconds / floor:6.2f}x floor "
            f"{seconds / schema_floor:5.2f}x COPY with indexes  {extra}"
        )

    print(f"\nrecognitions: {floor_rows:,}   citations: {data.citations:,}")
    line("floor (raw COPY)", floor)
    line("COPY, indexes kept", schema_floor, "(into the real tables: indexes, checks, audit)")
    line("first import", first.seconds, f"peak {first.peak_mb:.0f} MB")
    line(
        "unchanged re-import",
        second.seconds,
        f"peak {second.peak_mb:.0f} MB (files match the first import's fingerprint)",
    )
    line(
        "  same, --recheck",
        recheck.seconds,
        f"peak {recheck.peak_mb:.0f} MB, {'nothing changed' if unchanged_ok else 'CHANGED ROWS'}",
    )
    line(
        "  same, --diff",
        recheck_diff.seconds,
        f"peak {recheck_diff.peak_mb:.0f} MB, --recheck --diff (every row compared, none listed)",
    )
    line(
        "plan (--diff)",
        planned.seconds,
        f"peak {planned.peak_mb:.0f} MB, first import --dry-run --diff --report: "
        f"{planned_changes:,} changed facts listed",
    )
    line("export (csv)", exported.seconds, f"peak {exported.peak_mb:.0f} MB")
    print(
        "\ngoals: first import <= 3x floor, unchanged <= 2x floor, peak < 300 MB -> "
        f"{'met' if first.seconds <= 3 * floor else 'MISSED'}, "
        f"{'met' if second.seconds <= 2 * floor else 'MISSED'} "
        f"({'met' if recheck.seconds <= 2 * floor else 'missed'} with --recheck), "
        f"{'met' if max(first.peak_mb, second.peak_mb, recheck.peak_mb) < 300 else 'MISSED'}"
    )
    if not unchanged_ok:
        raise SystemExit("the unchanged re-import changed something")
    with tempfile.TemporaryDirectory(prefix="credence-bench-") as scratch:
        measure_into_stored(server, Path(scratch), arguments.stored, arguments.new)


if __name__ == "__main__":
    main()
