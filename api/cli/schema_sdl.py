from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)


@app.command("export")
def export(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the SDL (default: the packaged schema.graphql)."
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 when the file is out of date."),
    ] = False,
) -> None:
    """Write the GraphQL schema (SDL) that the service serves."""
    from api.app import default_sdl_path, schema_sdl

    path = output or default_sdl_path()
    sdl = schema_sdl()
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != sdl:
            typer.echo(f"{path} is out of date: run `credence schema export`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is up to date")
        return
    path.write_text(sdl, encoding="utf-8")
    typer.echo(f"wrote {path}")
