"""Many distinct large requests leave a real server's memory where it was.

Each request is just under the body limit and unique (a long comment in the document, or a long
unused variable), the shape that once kept tens of megabytes per request in the parse, validation
and plan caches. The server is a separate uvicorn process, so its resident size is its own.
"""

from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.live_server import live_server

REQUESTS = 160
# The first requests raise the allocator's high-water mark (glibc moves its mmap threshold up
# after large frees); growth is measured after them.
WARM_UP = 60
# Allowance for the allocator's own slack; the old caches grew by well over 100 MB here.
MAX_GROWTH_BYTES = 40 * 1024 * 1024
PADDING = 900_000


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, psutil.Process]]:
    with live_server(database_url) as (base, pid):
        yield base, psutil.Process(pid)


def _request(number: int) -> dict[str, object]:
    filler = f"{number:08d}" * (PADDING // 8)
    if number % 2:
        return {"query": "{ states(first: 1) { totalCount } }\n#" + filler}
    return {
        "query": "{ states(first: 1) { totalCount } }",
        "variables": {"unused": filler},
    }


def test_distinct_large_requests_leave_memory_bounded(
    server: tuple[str, psutil.Process],
) -> None:
    base, process = server
    with httpx.Client(base_url=base, timeout=30) as client:
        for number in range(REQUESTS):
            if number == WARM_UP:
                before = process.memory_info().rss
            response = client.post("/graphql", json=_request(number))
            assert response.status_code == 200, response.text[:300]
            assert response.json() == {"data": {"states": {"totalCount": 0}}}
        growth = process.memory_info().rss - before
    assert growth < MAX_GROWTH_BYTES, f"resident memory grew by {growth / 2**20:.0f} MiB"
