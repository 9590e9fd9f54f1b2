"""Read throughput with one worker against the primary and against a streaming replica, side by
side in one run.

    .venv/bin/python -m bench.replicas [--duration 4] [--concurrency 8] [--workers 1]

Starts a private primary (embedded PostgreSQL, in a temporary folder), loads bench/reads.py's
dataset into it, clones a streaming replica from it with `pg_basebackup -R` (the same cluster
helpers as the replica tests, tests/private_clusters.py), then serves bench/reads.py's
questions twice with the same worker count: once reading the primary, once with
DATABASE_READ_URLS naming the replica, so that every query is routed there (the floor reads
the replica too). Both servers run on this machine's cores, so the comparison shows what
routing costs, not what a replica on its own machine would add.
"""

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bench.reads import COMPRESSION_KEY, DATABASE_ENV, READ_ENV, load_dataset, serve_and_measure


def side_by_side(primary: dict[str, Any], replica: dict[str, Any], workers: int) -> str:
    lines = [
        f"{workers} uvicorn worker(s); compiled path, requests/s and p50 ms; "
        "the floor (hand-written SQL) read where the service reads",
        f"{'question':<40}{'primary':>9}{'p50':>7}{'replica':>9}{'p50':>7}"
        f"{'replica/primary':>17}{'floor p|r':>14}  same",
    ]
    for name, on_primary in primary.items():
        if name == COMPRESSION_KEY:
            continue
        on_replica = replica[name]
        p, r = on_primary["compiled"], on_replica["compiled"]
        lines.append(
            f"{name:<40}{p['rps']:>9.0f}{p['p50']:>7.1f}{r['rps']:>9.0f}{r['p50']:>7.1f}"
            f"{r['rps'] / p['rps']:>16.2f}x"
            f"{on_primary['floor']['rps']:>7.0f}|{on_replica['floor']['rps']:<6.0f}"
            f"  {'yes' if on_replica['same'] and on_replica['floor_same'] else 'NO'}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measurement")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    # The cluster helpers live with the tests that build replicas; the benchmark uses the same.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.private_clusters import Primary, Replica, private_folder

    with private_folder("credence-bench-replica-") as folder:
        primary = Primary(folder)
        try:
            asyncio.run(load_dataset(primary.url))
            replica = Replica(primary, folder)
            try:
                measured = {
                    where: serve_and_measure(
                        environment, args.workers, args.concurrency, args.duration
                    )
                    for where, environment in (
                        ("primary", {DATABASE_ENV: primary.url}),
                        ("replica", {DATABASE_ENV: primary.url, READ_ENV: replica.url}),
                    )
                }
            finally:
                replica.stop()
        finally:
            primary.stop()
    print(side_by_side(measured["primary"], measured["replica"], args.workers))


if __name__ == "__main__":
    main()
