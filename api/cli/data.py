"""`credence seed`, `credence import`, `credence export` (filled in by the importer work)."""

import typer


def register(app: typer.Typer) -> None:
    """Attach the data commands to the main app."""
