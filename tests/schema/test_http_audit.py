"""graphql-http's GraphQL-over-HTTP audit against a live server: every audit passes.

The audit is the reference implementation's own list of what the specification requires (MUST)
and recommends (SHOULD); a warning is a SHOULD we miss. Node and the audit's npm packages are
installed by `make test` (tests/http_audit/package.json).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live_server import live_server

AUDIT = Path(__file__).resolve().parents[1] / "http_audit"


def test_the_graphql_over_http_audit_passes_without_warnings(seeded_database: str) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        if os.environ.get("CI"):
            raise AssertionError("node and tests/http_audit's packages are needed in CI")
        pytest.skip("node or the audit's packages are missing: run `make test`")
    with live_server(seeded_database) as (base, _):
        finished = subprocess.run(
            [node, str(AUDIT / "audit.mjs"), f"{base}/graphql"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    results = [json.loads(line) for line in finished.stdout.splitlines() if line.strip()]
    assert len(results) > 40
    assert [r for r in results if r["status"] != "ok"] == []
