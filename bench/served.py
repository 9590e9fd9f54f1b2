"""Instructions per request of the served app, against a bare ASGI app under the same uvicorn.

    .venv/bin/python -m bench.served [--requests 2000] [--concurrency 16] [--database-url URL]
                                     [--questions NAME ...] [--keep]

bench/checks.py counts the app's own work in this process. This counts what a client costs the
server as deployed: uvicorn's HTTP handling, the event loop and the app, in a real server
process on a loopback port, from the first byte read to the last written. Each server runs
under valgrind's callgrind with counting off; once it has answered a warm-up, counting goes on
(`callgrind_control -i on`), this process sends the requests over `--concurrency` keep-alive
connections, and counting goes off. Instructions do not depend on what else the machine runs,
so two servers compare in one run even on a busy machine; system calls (the kernel's share)
are not counted, nor are the stalls of cache misses.

Servers, each on the same database (bench/reads.py's dataset, or `--database-url`):
- bare: a twenty-line ASGI app answering each question's bytes, with the same headers as the
  fast path (the floor: uvicorn and the event loop alone);
- credence: the app as `credence serve` runs it (`uvicorn_options`);
- credence, uvicorn defaults: the same app with uvicorn's own defaults (an access-log line built
  for every request even where the level drops it, forwarded headers looked for, a server
  banner), which is what `credence serve` ran before it chose its options.

Needs valgrind (`callgrind_control` comes with it).
"""

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.reads import SCENARIOS, bench_database

# Small answers are where the server's share shows; the nested ones are PostgreSQL's time.
DEFAULT_QUESTIONS = ("{ __typename }", "trivial", "50 states flat")
SERVERS = {
    "bare": "bare",
    "credence": "credence",
    "credence, uvicorn defaults": "credence-uvicorn-defaults",
}
_ANSWERS_ENV = "CREDENCE_BENCH_ANSWERS"


# --- The servers (run as `python -m bench.served --serve KIND`) ---------------------------------


def _bare_app(answers: dict[bytes, bytes]) -> Any:
    """Answers each known body with its bytes: no GraphQL, no database."""
    from schema.http_headers import STANDARD_HEADERS, new_request_id

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = answers[b"".join(chunks)]
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
            (b"x-credence-executor", b"compiled"),
            (b"x-request-id", new_request_id().encode()),
            *STANDARD_HEADERS,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def serve(kind: str, port: int, url: str) -> None:
    import uvicorn

    from api.app import create_app
    from api.cli.serve import uvicorn_options
    from api.runtime import tune_garbage_collector
    from api.settings import Settings

    settings = Settings(_env_file=None, log_level="warning")  # type: ignore[call-arg]
    options = uvicorn_options(settings)
    if kind == "bare":
        answers = {
            bytes.fromhex(body): bytes.fromhex(answer)
            for body, answer in orjson.loads(os.environ[_ANSWERS_ENV]).items()
        }
        app = _bare_app(answers)
    else:
        app = create_app(settings, database_url=url)
        if kind == "credence-uvicorn-defaults":
            options = {"log_level": "warning"}
    tune_garbage_collector()
    uvicorn.run(app, host="127.0.0.1", port=port, **options)


# --- Counting ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _ask_many(url: str, bodies: list[bytes], concurrency: int) -> list[bytes]:
    """Each body once, over `concurrency` keep-alive connections; the answers in order."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    answers: list[bytes] = [b""] * len(bodies)
    queue = iter(enumerate(bodies))
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=600) as client:

        async def worker() -> None:
            for index, body in queue:
                response = await client.post(url, content=body, headers=headers)
                if response.status_code != 200:
                    raise SystemExit(f"{response.status_code}: {response.text[:300]}")
                answers[index] = response.content

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


def _control(pid: int, *arguments: str) -> None:
    subprocess.run(["callgrind_control", *arguments, str(pid)], check=True, capture_output=True)


def _start(kind: str, port: int, database_url: str, env: dict[str, str], out: Path | None) -> Any:
    """A server process in a session of its own; under callgrind (counting off) with `out`."""
    command = [sys.executable, "-m", "bench.served", "--serve", kind, "--port", str(port),
               "--database-url", database_url]  # fmt: skip
    if out is not None:
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--quiet",
                   f"--callgrind-out-file={out}", *command]  # fmt: skip
    return subprocess.Popen(
        command, env={**os.environ, **env, "PYTHONHASHSEED": "0"}, start_new_session=True
    )


def _stop(server: Any) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=60)


def _dumped_instructions(folder: Path, *, clear: bool = False) -> int:
    total = 0
    for dump in folder.glob("callgrind.out*"):
        if clear:
            dump.unlink()
            continue
        # A dump's `summary` line can read 0 when counting started after the process did; its
        # `totals` line (at the end) holds the counts.
        counts = re.findall(r"^(?:totals|summary): (\d+)", dump.read_text(), re.MULTILINE)
        total += max((int(c) for c in counts), default=0)
    return total


async def _wait_for(server: Any, url: str, body: bytes) -> None:
    deadline = time.monotonic() + 300
    while True:
        with contextlib.suppress(httpx.HTTPError):
            await _ask_many(url, [body], 1)
            return
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server at {url} did not start")
        await asyncio.sleep(0.5)


async def count(
    kind: str, url: str, bodies: list[bytes], args: argparse.Namespace, env: dict[str, str]
) -> dict[bytes, float]:
    """Instructions per request of one server, for each body."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}/graphql"
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        server = _start(kind, port, url, env, folder / "callgrind.out")
        try:
            await _wait_for(server, endpoint, bodies[0])
            counted: dict[bytes, float] = {}
            for body in bodies:
                await _ask_many(endpoint, [body] * 200, args.concurrency)  # warm: plans, pools
                _dumped_instructions(folder, clear=True)
                _control(server.pid, "-i", "on")
                await _ask_many(endpoint, [body] * args.requests, args.concurrency)
                _control(server.pid, "-i", "off")
                _control(server.pid, "-d")
                counted[body] = _dumped_instructions(folder) / args.requests
                if not counted[body]:
                    raise SystemExit(f"callgrind counted nothing for the {kind} server")
        finally:
            _stop(server)
    return counted


async def measure(args: argparse.Namespace) -> None:
    async with bench_database(args.database_url, args.keep) as url:
        bodies = [orjson.dumps({"query": SCENARIOS[name][0]}) for name in args.questions]
        # The bare app answers what the real one does: asked once, natively, first.
        port = _free_port()
        native = _start("credence", port, url, {}, None)
        try:
            endpoint = f"http://127.0.0.1:{port}/graphql"
            await _wait_for(native, endpoint, bodies[0])
            answers = await _ask_many(endpoint, bodies, 1)
        finally:
            _stop(native)
        env = {
            _ANSWERS_ENV: orjson.dumps(
                {b.hex(): a.hex() for b, a in zip(bodies, answers, strict=True)}
            ).decode()
        }
        results: dict[str, dict[bytes, float]] = {}
        for label, kind in SERVERS.items():
            print(f"counting {label} ...", flush=True)
            results[label] = await count(kind, url, bodies, args, env)
    print()
    print(
        f"instructions per request (callgrind), {args.requests:,} requests over "
        f"{args.concurrency} connections, server process only"
    )
    header = f"{'question':20}" + "".join(f"{label:>28}" for label in SERVERS)
    print(header + f"{'credence / bare':>17}")
    for name, body in zip(args.questions, bodies, strict=True):
        row = [results[label][body] for label in SERVERS]
        print(
            f"{name:20}" + "".join(f"{value:28,.0f}" for value in row) + f"{row[1] / row[0]:17.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url")
    parser.add_argument("--questions", nargs="+", default=list(DEFAULT_QUESTIONS))
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--serve", choices=sorted(set(SERVERS.values())), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.database_url)
        return
    unknown = [name for name in args.questions if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown questions {unknown}; known: {list(SCENARIOS)}")
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
