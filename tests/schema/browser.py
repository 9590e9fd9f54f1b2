"""Debian's Chromium for the browser tests: where it is and how it is launched. The `chromium`
fixture that finds it is in tests/schema/conftest.py."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
