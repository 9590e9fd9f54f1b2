"""Memory stays flat with the file size: the importer streams, it never holds a whole file.

Also home of the generators the interrupt tests use for files big enough to kill mid-load.
"""

import os
import subprocess
import sys
from pathlib import Path

CREDENCE = str(Path(sys.executable).parent / "credence")


def state_codes(count: int) -> list[str]:
    """Synthetic but well-formed ISO3 codes (AAA, AAB, ...): the importer only checks the form."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[n // 676] + letters[n // 26 % 26] + letters[n % 26] for n in range(count)]


def write_states(path: Path, count: int = 60) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        stream.write("iso3,name\n")
        for code in state_codes(count):
            stream.write(f"{code},State {code}\n")
    return path


def write_sources(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        stream.write("key,title,publisher,published,kind,reliability\n")
        for n in range(rows):
            stream.write(
                f'src-{n},"Source {n}, a title",Publisher {n % 97},{1900 + n % 120}-0{1 + n % 9}'
                f",news,{('high', 'medium', 'low')[n % 3]}\n"
            )
    return path


def write_recognitions(path: Path, rows: int, states: int = 60, sources: int = 0) -> Path:
    """`rows` recognitions between `states` states: distinct keys, episodes never overlap."""
    codes = state_codes(states)
    pairs = [(a, b) for a in codes for b in codes if a != b]
    with path.open("w", encoding="utf-8") as stream:
        stream.write("recognizer,subject,episode,type,from,to,sources\n")
        for n in range(rows):
            recognizer, subject = pairs[n % len(pairs)]
            episode = n // len(pairs) + 1
            start = 1000 + 10 * episode
            cited = f"src-{n % sources}" if sources else ""
            stream.write(
                f"{recognizer},{subject},{episode},de_jure,{start}-0{1 + n % 9},{start + 5},"
                f"{cited}\n"
            )
    return path


# Started by a small Python process that reports its children's peak RSS: ru_maxrss survives
# exec, so a child forked straight from pytest would be charged with pytest's own memory.
_LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def peak_memory_mb(database_url: str, *paths: Path) -> float:
    """Run `credence import` on the files; its own peak RSS (Linux reports KiB)."""
    launched = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, CREDENCE, "import", "--quiet", *map(str, paths)],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    peak_kib, code = (int(part) for part in launched.stdout.split())
    assert code == 0, launched.stderr
    return peak_kib / 1024


def test_ten_times_the_rows_takes_about_the_same_memory(database_url: str, tmp_path: Path) -> None:
    # Sources: the cheapest entity for the database, so the test spends its time in the
    # importer's own reading, checking and staging, which is where memory could grow.
    small = write_sources(tmp_path / "small.sources.csv", 20_000)
    large = write_sources(tmp_path / "large.sources.csv", 200_000)

    small_peak = peak_memory_mb(database_url, small)
    large_peak = peak_memory_mb(database_url, large)

    assert large_peak - small_peak < 40, (small_peak, large_peak)
    assert large_peak < 300, large_peak
