"""The statements that check and merge a batch are planned on the batch's real size.

The rows resolved for a merge land in a table made by CREATE TABLE AS, which has no statistics
until analyzed: the planner then guesses a few dozen rows where there are thousands, and picks
nested loops that probe the stored table once per staged row (or rescan the batch once per
stored match). That made 60,000 new recognitions next to 200,000 stored ones take minutes;
bench/import.py measures it. No time is asserted here, only the estimate the plans rest on.
"""

import json
from pathlib import Path

import asyncpg

from api.database_url import to_asyncpg_dsn
from api.importer import ENTITIES, import_files, merge
from api.importer.cells import Cells
from api.importer.rules import Semantics
from api.importer.staging import Stager
from tests.api.test_import_scale import state_codes, write_states

ROWS = 3000


async def test_the_overlap_check_is_planned_on_the_real_number_of_resolved_rows(
    database_url: str, tmp_path: Path
) -> None:
    states = await import_files(
        [write_states(tmp_path / "states.csv", 60)], database_url=database_url
    )
    assert states.ok
    spec = ENTITIES["recognitions"]
    codes = state_codes(60)
    connection = await asyncpg.connect(to_asyncpg_dsn(database_url))
    try:
        # Nothing is merged: the temporary tables go with the transaction.
        async with connection.transaction():
            stager = Stager(connection)
            await merge.prepare_batch(connection)
            for line in range(ROWS):
                recognizer, subject = codes[line % 60], codes[(line // 60 + 1 + line) % 60]
                cells = Cells(
                    {
                        "recognizer": recognizer,
                        "subject": subject,
                        "episode": str(line // 60 + 1),
                        "from": "2000",
                    },
                    file="recognitions.csv",
                    line=line + 2,
                    entity=spec.name,
                )
                staged = spec.validate(cells)
                assert staged is not None, cells.errors
                await stager.add(spec, (0, line + 2, *staged, ()))
            await stager.finish()

            # Unsourced rows would be left out (refs_ok false): the estimate is of all rows.
            await merge.resolve(connection, spec, Semantics(allow_unsourced=True))
            plan = await connection.fetchval(
                "EXPLAIN (FORMAT JSON) SELECT * FROM _res_recognitions r "
                "WHERE r.refs_ok AND r.occurrence = 1"
            )
    finally:
        await connection.close()

    estimate = json.loads(plan)[0]["Plan"]["Plan Rows"]
    # Unanalyzed, PostgreSQL estimates this scan at a few dozen rows.
    assert ROWS / 2 <= estimate <= ROWS * 2, estimate
