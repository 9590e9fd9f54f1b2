"""The bundled seed dataset (files in the import format) and the functions that load it."""

from pathlib import Path

SEED_DIR = Path(__file__).parent


def seed_if_empty(url: str) -> bool:
    """Load the seed when the database has no states yet. Returns whether it loaded."""
    raise NotImplementedError("the importer work provides this")
