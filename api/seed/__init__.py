"""The bundled seed dataset (files in the import format) and the functions that load it.

States are never typed by hand: every ISO 3166-1 country comes from `pycountry` (kind current),
the ISO 3166-3 historic codes not reused by a current country are added (kind historic), and the
few user-assigned codes such as XKX live in `user_assigned.states.csv`. All of it goes through
the same importer as any user's files, in one batch.
"""

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import pycountry

from api.database_url import to_asyncpg_dsn
from api.importer import FileInput, ImportOptions, ImportSummary, RowsInput, import_inputs
from api.importer.readers import Input, entity_from_name

SEED_DIR = Path(__file__).parent


class SeedError(RuntimeError):
    """The bundled dataset did not load: a bug in the files, never a user mistake."""


def state_rows() -> list[dict[str, Any]]:
    current = [
        {
            "iso3": country.alpha_3,
            "iso2": country.alpha_2,
            "numeric": country.numeric,
            "name": country.name,
            "official_name": getattr(country, "official_name", None),
            "kind": "current",
        }
        for country in pycountry.countries
    ]
    taken = {row["iso3"] for row in current}
    historic: list[dict[str, Any]] = []
    for country in pycountry.historic_countries:
        if country.alpha_3 in taken:
            continue
        taken.add(country.alpha_3)
        historic.append(
            {
                "iso3": country.alpha_3,
                "iso2": getattr(country, "alpha_2", None),
                "numeric": getattr(country, "numeric", None),
                "name": country.name,
                "official_name": getattr(country, "official_name", None),
                "kind": "historic",
            }
        )
    return current + historic


# The story's files sit in this folder; each contested case's cited history in `cases/NAME/`.
# NDJSON carries what CSV cannot: a quote with each cited source.
_FORMATS = {".csv": "csv", ".ndjson": "ndjson"}


def seed_files() -> list[Path]:
    return sorted(
        path for path in SEED_DIR.rglob("*") if path.suffix in _FORMATS and path.is_file()
    )


def seed_inputs() -> list[Input]:
    files: list[Input] = [
        FileInput(
            str(path.relative_to(SEED_DIR)), path, _FORMATS[path.suffix], entity_from_name(path)
        )
        for path in seed_files()
    ]
    return [RowsInput("pycountry", "states", state_rows()), *files]


async def load_seed(
    database_url: str, *, dry_run: bool = False, actor: str | None = None
) -> ImportSummary:
    """Load (or refresh) the seed; idempotent: a second run finds everything unchanged."""
    options = ImportOptions(dry_run=dry_run, actor=actor, origin="seed")
    summary = await import_inputs(seed_inputs(), database_url=database_url, options=options)
    if summary.errors:
        problems = "\n".join(str(error) for error in summary.errors[:20])
        raise SeedError(f"the bundled seed dataset did not load:\n{problems}")
    return summary


async def _has_states(database_url: str) -> bool:
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        return bool(await connection.fetchval("SELECT EXISTS (SELECT 1 FROM state)"))
    finally:
        await connection.close()


def seed_if_empty(url: str) -> bool:
    """Load the seed when the database has no states yet. Returns whether it loaded."""

    async def run() -> bool:
        if await _has_states(url):
            return False
        await load_seed(url, actor="credence")
        return True

    return asyncio.run(run())
