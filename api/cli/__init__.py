"""The `credence` command line: one Typer app, one module per group of subcommands.

The subcommand modules import only Typer at load time and the rest inside each command, so that
`credence --help` or `credence import` loads only what that command uses (no Alembic, web or
GraphQL layer for an import).
"""

import os
import sys

import typer

from api.cli import data, db, schema_sdl, serve, token

app = typer.Typer(
    name="credence",
    help="Credence: a GraphQL data API about the recognition of states and governments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"credence {version('credence')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Credence: a GraphQL data API about the recognition of states and governments."""


app.command("serve")(serve.serve)
app.command("token")(token.token)
app.add_typer(db.app, name="db")
app.add_typer(schema_sdl.app, name="schema")
data.register(app)


# What a shell script can test for: the command could not do what it was asked.
_EXIT_ERROR = 2


def main() -> None:
    """Run the app; a failure is one `error: ...` line and exit 2, never a traceback.

    `CREDENCE_DEBUG=true` keeps the traceback, for reporting a bug.
    """
    try:
        app()
    except KeyboardInterrupt:
        raise
    except Exception as error:
        if os.environ.get("CREDENCE_DEBUG", "").lower() in ("1", "true", "yes"):
            raise
        typer.echo(f"error: {_describe(error)}", err=True)
        sys.exit(_EXIT_ERROR)


def _describe(error: Exception) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.strerror or error}: {error.filename}"
    from pydantic import ValidationError

    from api.database_faults import DatabaseFault, database_fault

    if isinstance(error, ValidationError) and error.title == "Settings":
        # A setting from the environment or .env: name it and say what is wrong with it.
        problems = (
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        return f"invalid settings: {'; '.join(problems)}"
    fault = database_fault(error)
    if fault is DatabaseFault.UNAVAILABLE:
        return f"the database is unavailable ({type(error).__name__}: {error})"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else 'no message'}"
