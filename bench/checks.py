"""What the hostile-input checks cost the read benchmarks, per question and read path.

    .venv/bin/python -m bench.checks [--callgrind] [--rounds 16] [--database-url URL] [--keep]

Loads bench/reads.py's dataset (or uses a database `bench.reads --keep` left), then asks each of
its questions through the whole ASGI app, in this process (no network, no load generator), on
each read path: the fast path, the compiled path behind the full request path, and the
resolvers. Two measurements per question and path, in the same run:

- A/B: the CPU time of this process per request (`time.process_time`: the database's own work is
  another process's and is not counted) with the checks as they ship, and with them replaced by
  no-ops; rounds alternate the two (ABBA), and each figure is the least over rounds, since
  interference from other processes only ever adds CPU time. The checks
  replaced are those that run per request: the body limit, the request guard (deadline and
  cancel-on-disconnect), and the request checks before execution (the cost limit and the text
  checks of variables). The bounded validation, the spread limit and the cost of a new document
  run once per document, when it is first planned or validated; the benchmark repeats its
  documents, as traffic does.
- Direct: the same per-request checks timed alone (`timeit`, best of 5), against the request's
  CPU time. Steadier than the A/B difference on a shared machine, and a check that the A/B
  difference is what the checks cost.

On a shared machine the A/B difference of CPU times moves by ±20 %, far more than the checks
cost. `--callgrind` makes it exact: the same A/B, counted in instructions by valgrind's
callgrind, which counts the same whatever else the machine runs. This process then runs itself
under valgrind; blocks of requests are bracketed by callgrind client requests (a few lines of C
compiled with gcc at run time against valgrind's header), so only the requests are counted.
Under valgrind a request runs about 50 times slower, so the guard's watcher, armed after 50 ms
natively, is armed after 50 times that, as natively.
"""

import argparse
import asyncio
import contextlib
import ctypes
import os
import re
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import orjson

from bench.reads import SCENARIOS, bench_database

PATHS = {"fast": None, "full": b"full", "resolver": b"resolver"}


class _App:
    """One app over one engine, asked requests in this process."""

    def __init__(self, url: str, request_timeout: float = 15.0) -> None:
        from api.app import create_app
        from api.database import create_engine
        from api.settings import Settings

        self.engine = create_engine(url, application_name="credence-bench", read_only=True)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, debug=True, request_timeout=request_timeout
        )
        self.app = create_app(settings, database_url=url, engine=self.engine)

    async def ask(self, body: bytes, executor: bytes | None) -> bytes:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if executor is not None:
            headers.append((b"x-credence-executor", executor))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        sent = False
        chunks: list[bytes] = []
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        answer = b"".join(chunks)
        if status != 200 or b'"errors"' in answer:
            raise SystemExit(f"unexpected answer ({status}): {answer[:300]!r}")
        return answer


class _NoGuard:
    def __init__(self, receive: Any, timeout: float) -> None:
        pass

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


async def _unlimited_body(receive: Any, limit: int, declared: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _unlimited_read_body(scope: Any, receive: Any, limit: int) -> bytes:
    return await _unlimited_body(receive, limit, None)


@contextlib.contextmanager
def _checks_off() -> Any:
    """The per-request checks replaced by no-ops, where the request path calls them."""
    from schema import http, http_fast, limits
    from schema.compiled import executor

    replaced = [
        (http, "RequestGuard", _NoGuard),
        (http_fast, "RequestGuard", _NoGuard),
        (http, "read_body", _unlimited_read_body),
        (http_fast, "read_declared_body", _unlimited_body),
        (limits, "request_error", lambda *args: None),
        (executor, "request_error", lambda *args: None),
    ]
    saved = [(module, name, getattr(module, name)) for module, name, _ in replaced]
    for module, name, value in replaced:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


async def _cpu_per_request(ask: Callable[[], Any], count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        await ask()
    return (time.process_time() - started) / count


async def _direct_checks_seconds(query: str, executor: bytes | None) -> float:
    """The per-request checks of one request on `executor`'s path, timed alone."""
    from graphql import parse

    from schema.http_guard import RequestGuard, read_declared_body
    from schema.limits import request_error
    from schema.root import schema

    body = orjson.dumps({"query": query})

    async def guarded() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await read_declared_body(receive, 1_000_000, str(len(body)))
        async with RequestGuard(receive, 15.0):
            pass

    async def many(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            await guarded()
        return (time.perf_counter() - started) / count

    guard = min([await many(2000) for _ in range(5)])
    if executor != b"resolver":
        return guard  # the compiled paths keep the verdict of the checks with the plan
    document = parse(query)
    checks = min(
        timeit.repeat(
            lambda: request_error(schema._schema, document, None, None), number=500, repeat=5
        )
    )
    return guard + checks / 500


async def measure(url: str, rounds: int, block_seconds: float) -> dict[str, dict[str, Any]]:
    from api.runtime import tune_garbage_collector

    app = _App(url)
    tune_garbage_collector()  # as `credence serve` runs
    results: dict[str, dict[str, Any]] = {}
    try:
        for name, (query, _, _) in SCENARIOS.items():
            body = orjson.dumps({"query": query})
            row: dict[str, Any] = {}
            for path, executor in PATHS.items():

                async def ask(body: bytes = body, executor: bytes | None = executor) -> bytes:
                    return await app.ask(body, executor)

                answer = await ask()
                # Requests per block: about `block_seconds` of CPU each.
                probe = await _cpu_per_request(ask, 5)
                count = max(5, int(block_seconds / max(probe, 1e-6)))
                on: list[float] = []
                off: list[float] = []
                for round_ in range(rounds):
                    # ABBA: which variant runs first alternates, so neither gains from order.
                    for checks in (True, False) if round_ % 2 == 0 else (False, True):
                        if checks:
                            on.append(await _cpu_per_request(ask, count))
                            continue
                        with _checks_off():
                            assert await ask() == answer, "the same answer without the checks"
                            off.append(await _cpu_per_request(ask, count))
                # Interference from other processes only ever adds CPU time (cache misses, a
                # slower clock): each variant's least is its steadiest figure.
                with_checks, without = min(on), min(off)
                row[path] = {
                    "with": with_checks,
                    "without": without,
                    "ab": (with_checks - without) / without,
                    "direct_us": (direct := await _direct_checks_seconds(query, executor)) * 1e6,
                    "direct": direct / with_checks,
                    "requests": count * rounds,
                }
            results[name] = row
            print(f"  measured {name}", flush=True)
    finally:
        await app.engine.dispose()
    return results


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "CPU of this process per request in µs, with the per-request checks and without them "
        "(least of alternating rounds); the checks' share of the request by A/B difference and "
        "timed directly",
        f"{'question':38} {'path':>8} {'with':>8} {'without':>8} {'A/B':>7} {'direct':>7} "
        f"{'checks µs':>9}",
    ]
    worst = 0.0
    for name, row in results.items():
        for path, m in row.items():
            lines.append(
                f"{name:38} {path:>8} {m['with'] * 1e6:8.0f} {m['without'] * 1e6:8.0f} "
                f"{m['ab']:7.1%} {m['direct']:7.2%} {m['direct_us']:9.1f}"
            )
            worst = max(worst, m["direct"])
    lines.append(f"largest share timed directly: {worst:.2%} (goal: under 5% on every shape)")
    return "\n".join(lines)


# --- Counted by callgrind ----------------------------------------------------------------------

_MARKS_C = """
#include <valgrind/callgrind.h>
void start(void) { CALLGRIND_START_INSTRUMENTATION; }
void toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""
_CHILD_ENV = "CREDENCE_BENCH_CALLGRIND_DIR"
# Requests per counted block, by path: the resolvers take seconds each under valgrind.
_COUNTED = {"fast": 10, "full": 10, "resolver": 1}
_VALGRIND_SLOWDOWN = 50


def _marks(folder: Path) -> Any:
    source, library = folder / "marks.c", folder / "marks.so"
    source.write_text(_MARKS_C)
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(library), str(source)], check=True)
    return ctypes.CDLL(str(library))


async def count_instructions(url: str, folder: Path) -> None:
    """Under callgrind: each question and path, with and without the checks (two blocks each,
    ABBA), one dump per block."""
    from api.runtime import tune_garbage_collector
    from schema import http_guard

    http_guard.WATCH_AFTER_SECONDS *= _VALGRIND_SLOWDOWN
    marks = _marks(folder)
    # The resolvers' largest answer takes about a second natively: under valgrind, a minute.
    app = _App(url, request_timeout=3600)
    tune_garbage_collector()  # as `credence serve` runs: collections as rare as in production
    try:
        marks.start()
        for name, (query, _, _) in SCENARIOS.items():
            body = orjson.dumps({"query": query})
            for path, executor in PATHS.items():
                answer = await app.ask(body, executor)
                count = _COUNTED[path]
                # ABBA: a collection that falls in one block is as likely in either variant.
                for round_, checks in enumerate((True, False, False, True)):
                    context = contextlib.nullcontext() if checks else _checks_off()
                    with context:
                        assert await app.ask(body, executor) == answer  # warm, uncounted
                        marks.toggle()
                        for _ in range(count):
                            await app.ask(body, executor)
                        marks.toggle()
                    variant = "with" if checks else "without"
                    marks.dump(f"{name}|{path}|{variant}|{count}|{round_}".encode())
            print(f"  counted {name}", flush=True)
    finally:
        await app.engine.dispose()


def run_under_callgrind(url: str) -> dict[str, dict[str, Any]]:
    """Run `count_instructions` in a child under valgrind and read its dumps."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-atstart=no",
             f"--callgrind-out-file={folder}/callgrind.out", "--quiet",
             sys.executable, "-m", "bench.checks", "--database-url", url],
            env={**os.environ, _CHILD_ENV: str(folder), "PYTHONHASHSEED": "0"},
            check=True,
        )  # fmt: skip
        counted: dict[tuple[str, str, str], float] = {}
        for dump in folder.glob("callgrind.out*"):
            text = dump.read_text(errors="replace")
            trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
            totals = re.search(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
            if trigger is None or totals is None:
                continue
            name, path, variant, count, _ = trigger.group(1).split("|")
            key = (name, path, variant)
            # Two blocks per variant: their mean.
            counted[key] = counted.get(key, 0.0) + int(totals.group(1)) / int(count) / 2
    results: dict[str, dict[str, Any]] = {}
    for name in SCENARIOS:
        results[name] = {}
        for path in PATHS:
            with_checks, without = counted[(name, path, "with")], counted[(name, path, "without")]
            results[name][path] = {
                "with": with_checks,
                "without": without,
                "ab": (with_checks - without) / without,
            }
    return results


def instructions_table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "instructions per request (callgrind), with the per-request checks and without them",
        f"{'question':38} {'path':>8} {'with':>12} {'without':>12} {'checks':>7} {'share':>7}",
    ]
    worst = 0.0
    for name, row in results.items():
        for path, m in row.items():
            lines.append(
                f"{name:38} {path:>8} {m['with']:12,.0f} {m['without']:12,.0f} "
                f"{m['with'] - m['without']:7,.0f} {m['ab']:7.2%}"
            )
            worst = max(worst, m["ab"])
    lines.append(f"largest share: {worst:.2%} (goal: under 5% on every shape)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--block-seconds", type=float, default=0.15)
    parser.add_argument(
        "--callgrind", action="store_true", help="count instructions under valgrind instead"
    )
    parser.add_argument(
        "--database-url", help="a database `bench.reads --keep` left: skip loading, keep it"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()

    child = os.environ.get(_CHILD_ENV)
    if child is not None:
        asyncio.run(count_instructions(args.database_url, Path(child)))
        return

    async def run() -> dict[str, dict[str, Any]]:
        async with bench_database(args.database_url, args.keep) as url:
            if args.callgrind:
                return await asyncio.to_thread(run_under_callgrind, url)
            return await measure(url, args.rounds, args.block_seconds)

    results = asyncio.run(run())
    print(instructions_table(results) if args.callgrind else table(results))


if __name__ == "__main__":
    main()
