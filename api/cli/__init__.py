"""The `credence` command line: one Typer app, one module per group of subcommands.

The subcommand modules import only Typer at load time and the rest inside each command, so that
`credence --help` or `credence import` loads only what that command uses (no Alembic, web or
GraphQL layer for an import).
"""

import typer

from api.cli import data, db, schema_sdl, serve

app = typer.Typer(
    name="credence",
    help="Credence: a GraphQL data API about the recognition of states and governments.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(schema_sdl.app, name="schema")
data.register(app)


def main() -> None:
    app()
