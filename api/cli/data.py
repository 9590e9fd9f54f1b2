"""`credence seed`, `credence import`, `credence export`: thin layers over api.importer.

The importer (and through it the models, SQLAlchemy and asyncpg) is imported inside each command,
not here: the module is loaded for every `credence` command, `--help` included.
"""

import dataclasses
import gc
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from api.importer import FactChange, ImportSummary, LockWait
    from api.importer.pipeline import ProgressCallback

_EXIT_REJECTED = 1
_EXIT_USAGE = 2
# Another import held the import lock for longer than --lock-timeout: try again later.
_EXIT_BUSY = 3
# What a shell reports for a command ended by SIGINT (128 + 2).
_EXIT_INTERRUPTED = 130
# api.importer.ENTITIES in dependency order, written out so that the help costs no import;
# `_check_entity_names` keeps the two the same.
_ENTITY_NAMES = (
    "sources",
    "states",
    "cooperation_areas",
    "persons",
    "governments",
    "recognitions",
    "envoys",
    "sanctions",
    "cooperations",
)
_ENTITY_HELP = (
    f"Entity of the file(s), when the file name does not say: {', '.join(_ENTITY_NAMES)}."
)


def register(app: typer.Typer) -> None:
    """Attach the data commands to the main app."""
    app.command("import")(import_command)
    app.command("export")(export_command)
    app.command("seed")(seed_command)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(_EXIT_USAGE)


def _interrupted() -> typer.Exit:
    typer.echo("interrupted: nothing was written", err=True)
    return typer.Exit(_EXIT_INTERRUPTED)


def _check_entity_names() -> None:
    from api.importer import ENTITIES

    if tuple(ENTITIES) != _ENTITY_NAMES:
        raise RuntimeError(f"api.cli.data._ENTITY_NAMES is out of date: {tuple(ENTITIES)}")


def _spare_the_garbage_collector() -> None:
    """Rows make no reference cycles (reference counting frees them), yet every staged row counts
    towards collections that would walk every object loaded so far: freeze those, and let the
    first generation grow. (No gc.collect() first: it costs more than it saves on small files.)
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@contextmanager
def _progress(enabled: bool) -> Iterator["ProgressCallback | None"]:
    """A live row counter with rows/s and the current step on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.completed:,} rows read"),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None, rate="")

        def update(rows: int, step: str) -> None:
            bar.update(task, completed=rows, description=step)
            if step.startswith("reading"):
                speed = bar.tasks[task].speed
                bar.update(task, rate=f"{speed:,.0f} rows/s" if speed else "")

        yield update


def _print_summary(summary: "ImportSummary") -> None:
    width = max([len("entity"), *(len(name) for name in summary.entities)])
    typer.echo(f"{'entity':<{width}}  inserted   updated  unchanged  rejected")
    for name, counts in summary.entities.items():
        typer.echo(
            f"{name:<{width}}  {counts.inserted:>8}  {counts.updated:>8}  {counts.unchanged:>9}"
            f"  {counts.rejected:>8}"
        )
    if summary.matched_fingerprint:
        typer.echo(
            "the files are those of an earlier import and nothing has changed since: "
            "rows not compared again (--recheck compares them)"
        )
    if summary.dry_run:
        typer.echo("dry run: nothing was written")
    elif summary.committed and summary.errors:
        typer.echo(f"written, skipping {len(summary.errors)} problem(s)")
    elif not summary.committed:
        typer.echo(f"nothing was written: {len(summary.errors)} problem(s)")


def _say_waiting(wait: "LockWait") -> None:
    typer.echo(f"credence import: {wait}", err=True)


def _print_changes(summary: "ImportSummary", report: Path | None) -> None:
    """The diff, fact by fact, as far as --diff-limit kept it; the report file has every one."""
    for change in summary.changes:
        for line in change.lines():
            typer.echo(line)
    rest = summary.changes_total - len(summary.changes)
    if rest > 0:
        where = f"see {report}" if report is not None else "--report FILE lists them all"
        more = "more changed fact" if rest == 1 else "more changed facts"
        typer.echo(f"… and {rest:,} {more}; {where}")
    elif not summary.changes:
        typer.echo("no changes")


def _spool_changes() -> tuple[IO[str], "Callable[[FactChange], None]"]:
    """A temporary file every change is written to as the import streams it (one JSON object a
    line), so that the report lists them all without the CLI holding them in memory."""
    # Closed by import_command once the report is written; unlinked from the start, so it
    # goes with the process whatever happens.
    spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def write(change: "FactChange") -> None:
        spool.write(json.dumps(change.as_json(), ensure_ascii=False) + "\n")

    return spool, write


def _write_report(report: Path, summary: "ImportSummary", spool: IO[str] | None) -> None:
    """The summary as JSON; after a --diff, with `"changes"` copied from the spool."""
    text = json.dumps(summary.as_json(), indent=2, ensure_ascii=False)
    if spool is None:
        report.write_text(text + "\n")
        return
    spool.seek(0)
    with report.open("w", encoding="utf-8") as out:
        out.write(text.removesuffix("\n}"))
        out.write(',\n  "changes": [')
        for number, line in enumerate(spool):
            out.write(("\n    " if number == 0 else ",\n    ") + line.rstrip("\n"))
        out.write("\n  ]\n}\n")


def _report(
    summary: "ImportSummary",
    *,
    as_json: bool,
    quiet: bool,
    report: Path | None,
    diff: bool = False,
    spool: IO[str] | None = None,
) -> None:
    """Problems and warnings on stderr; the diff (with `diff`), then the summary, on stdout;
    the whole as JSON in the `report` file."""
    for warning in summary.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for error in summary.errors:
        typer.echo(str(error), err=True)
    if report is not None:
        _write_report(report, summary, spool)
    if as_json:
        typer.echo(json.dumps(summary.as_json(changes=diff), ensure_ascii=False))
    elif not quiet:
        if diff and not summary.matched_fingerprint:
            _print_changes(summary, report)
        _print_summary(summary)


def import_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            metavar="PATH...", help="Files to import as one batch (`-` reads standard input)."
        ),
    ],
    entity: Annotated[str | None, typer.Option("--entity", help=_ENTITY_HELP)] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv, ndjson (or jsonl) or json (default: from the file extension)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything and report, but write nothing.")
    ] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Write the good rows and report the bad ones.")
    ] = False,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write the summary, every problem and warning (and with --diff every "
            "changed fact) as JSON to FILE.",
        ),
    ] = None,
    merge: Annotated[
        bool,
        typer.Option(
            "--merge",
            help="Keep the stored value of every column the file does not have (default: a row "
            "states the whole fact, and columns left out are cleared). Listed sources are added "
            "to the stored ones.",
        ),
    ] = False,
    empty_keeps: Annotated[
        bool,
        typer.Option(
            "--empty-keeps",
            help="Merge (implies --merge), and let an empty cell (JSON null, empty list) keep the "
            "stored value too.",
        ),
    ] = False,
    replace_sources: Annotated[
        bool,
        typer.Option(
            "--replace-sources",
            help="With --merge: the sources a row lists replace the stored ones instead of "
            "being added (a row listing none keeps them).",
        ),
    ] = False,
    allow_unsourced: Annotated[
        bool,
        typer.Option(
            "--allow-unsourced",
            help="Accept recognitions, envoys, sanctions and cooperations citing no source "
            "(drafts; export warns about them).",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff",
            help="Print each fact the import inserts or updates, its changed fields as "
            "before → after and its citations added (+) and removed (-); with --dry-run, a plan.",
        ),
    ] = False,
    diff_limit: Annotated[
        int,
        typer.Option(
            "--diff-limit",
            metavar="N",
            min=0,
            help="Print at most N changed facts (the --report file lists them all).",
        ),
    ] = 50,
    ignore_unknown_columns: Annotated[
        bool,
        typer.Option("--ignore-unknown-columns", help="Ignore columns the format does not know."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who to record in the change log (default: the OS user)."),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Keep every table readable: never drop and rebuild indexes for a big first load "
            "(slower).",
        ),
    ] = False,
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck",
            help="Compare every row even when the files match an earlier import and nothing has "
            "changed since.",
        ),
    ] = False,
    lock_timeout: Annotated[
        float,
        typer.Option(
            "--lock-timeout",
            metavar="SECONDS",
            min=0,
            help="How long to wait for another import to finish before giving up, having "
            "written nothing (exit status 3); 0 gives up at once.",
        ),
    ] = 60.0,
) -> None:
    """Import CSV, NDJSON or JSON files as one all-or-nothing batch (upsert by natural key).

    Exit status 0: every row accepted; 1: rows rejected; 2: usage error or unreadable file;
    3: another import held the lock past --lock-timeout; 130: interrupted (Ctrl-C, SIGTERM).
    """
    import asyncpg

    from api.cli.common import database_url_for_cli, run_interruptible
    from api.importer import (
        ImportLockTimeout,
        ImportOptions,
        ImportUsageError,
        import_inputs,
        plan_files,
    )

    _check_entity_names()
    _spare_the_garbage_collector()
    show_progress = sys.stderr.isatty() and not quiet and not as_json
    spool, on_change = _spool_changes() if diff and report is not None else (None, None)
    try:
        options = ImportOptions(
            entity=entity,
            format=format,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            ignore_unknown_columns=ignore_unknown_columns,
            actor=actor,
            online=online,
            recheck=recheck,
            lock_timeout=lock_timeout,
            on_wait=None if quiet else _say_waiting,
            merge="empty-keeps" if empty_keeps else merge,
            replace_sources=replace_sources,
            allow_unsourced=allow_unsourced,
            diff=diff,
            diff_limit=diff_limit,
            on_change=on_change,
        )
        inputs = plan_files(paths, options)
        url = database_url_for_cli()
        with _progress(show_progress) as progress:
            summary = run_interruptible(
                import_inputs(
                    inputs,
                    database_url=url,
                    options=dataclasses.replace(options, progress=progress),
                )
            )
    except ImportUsageError as problem:
        raise _fail(str(problem)) from None
    except ImportLockTimeout as problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(_EXIT_BUSY) from None
    except (OSError, asyncpg.PostgresError) as problem:
        raise _fail(f"database: {problem}") from None
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: the transaction was rolled back (or dies with the connection).
        # Say so, no traceback.
        raise _interrupted() from None
    _report(
        summary,
        as_json=as_json,
        quiet=quiet,
        report=report,
        diff=diff,
        spool=spool,
    )
    if spool is not None:
        spool.close()
    if summary.errors:
        raise typer.Exit(_EXIT_REJECTED)


def export_command(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to write the files into.")
    ],
    format: Annotated[str, typer.Option("--format", help="csv, ndjson or json.")] = "csv",
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", help="Entity to export (repeat for several; default: all)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    raw_formulas: Annotated[
        bool,
        typer.Option(
            "--raw-formulas",
            help="CSV: write text cells starting with = + - @ tab or CR as they are, without the "
            "leading ' that keeps spreadsheets from running them as formulas.",
        ),
    ] = False,
) -> None:
    """Write one file per entity (`<entity>.<format>`), ordered by natural key.

    Each file is written under a temporary name in DIR and renamed over `<entity>.<format>`
    once every file is complete: an existing file (or a symbolic link) of that name is
    replaced, never written through, and an interrupted export leaves the old files as they were.
    """
    import asyncpg

    from api.cli.common import database_url_for_cli, run_interruptible
    from api.importer import ImportUsageError, export_entities
    from api.importer.readers import FORMATS

    _check_entity_names()
    if format not in FORMATS:
        raise _fail(f"unknown format {format!r} (use csv, ndjson or json)")
    try:
        summary = run_interruptible(
            export_entities(
                directory,
                database_url=database_url_for_cli(),
                format=format,
                entities=entity,
                escape_formulas=not raw_formulas,
            )
        )
    except ImportUsageError as problem:
        raise _fail(str(problem)) from None
    except (OSError, asyncpg.PostgresError) as problem:
        raise _fail(str(problem)) from None
    except KeyboardInterrupt:
        raise _interrupted() from None
    for warning in summary.warnings():
        typer.echo(f"warning: {warning}", err=True)
    if not quiet:
        for name, path in summary.files.items():
            typer.echo(f"{path}: {summary.rows[name]} rows")


def seed_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change only.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Migrate the database and load the bundled seed dataset (safe to run again)."""
    from api import migrations
    from api.cli.common import database_url_for_cli, run_interruptible
    from api.seed import SeedError, load_seed

    url = database_url_for_cli()
    migrations.upgrade(url)
    try:
        summary = run_interruptible(load_seed(url, dry_run=dry_run))
    except SeedError as problem:
        typer.echo(str(problem), err=True)
        raise typer.Exit(_EXIT_REJECTED) from None
    except KeyboardInterrupt:
        raise _interrupted() from None
    _report(summary, as_json=as_json, quiet=quiet, report=None)
