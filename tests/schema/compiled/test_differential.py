"""Every operation of the schema tests, answered by both executors: the same bytes' meaning.

Answers are compared as JSON values whose objects keep their key order, plus status and media
type. Operations the compiler does not cover fall back, and must still answer the same.
"""

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from api.database import create_engine
from tests.databases import create_database, drop_database
from tests.schema.compiled.collected import cases, missing_samples
from tests.schema.compiled.harness import Answer, Client, client_for
from tests.schema.compiled.recorded import VARIABLE, as_recorded
from tests.schema.conftest import build_world

CASES = cases()


def test_every_harvested_variable_has_samples() -> None:
    assert missing_samples() == []


@pytest.mark.parametrize(("query", "variables"), CASES)
async def test_same_answer_on_the_small_world(
    world_client: Client, query: str, variables: dict[str, Any]
) -> None:
    await world_client.same(query, variables)


@pytest.mark.parametrize(("query", "variables"), CASES)
async def test_same_answer_on_the_seed(
    seed_client: Client, query: str, variables: dict[str, Any]
) -> None:
    await seed_client.same(query, variables)


async def test_most_operations_are_compiled(world_client: Client) -> None:
    served = [(await world_client.ask(q, v)).executor for q, v in CASES]
    # Refused arguments, introspection and other errors fall back; the rest compile.
    assert served.count("compiled") >= 0.8 * len(served)


TRICKY = [
    # The same response key twice merges; fragments spread twice; a skipped field in a fragment.
    """query ($skip: Boolean!) {
      states(first: 3) { nodes { iso3 } }
      states(first: 3) { totalCount nodes { name ...S } }
      a: state(iso3: "AFG") { ...S ... on State { iso3 @skip(if: $skip) name } ...S }
      b: recognitions(first: 2) { edges { node {
        subject { ... on Node { id } ... on Government { key } __typename } } } }
      __typename
      t2: __typename
    }
    fragment S on State { iso3 kind governments { nodes { key } } }""",
    # Interface and union fragments, aliases on every level, a connection with nothing selected.
    """query ($skip: Boolean!) {
      x: node(id: "U3RhdGU6QUZH") { ... on Node { id } ... on State { n: name } __typename }
      y: sanctions(first: 3, orderBy: FROM_DESC) { p: pageInfo { __typename }
        e: edges @include(if: $skip) { c: cursor }
        n: nodes { t: target { ... on Organization { name } ... on Person { key } } } }
      z: recognitionStats(groupBy: [SUBJECT, YEAR], asOf: "2000-01-01") {
        count year subject { ... on State { iso3 } ... on Government { key state { iso3 } } } }
      w: states(first: 0) { pageInfo { hasNextPage startCursor } totalCount }
    }""",
]


@pytest.mark.parametrize("query", TRICKY)
@pytest.mark.parametrize("skip", [True, False])
async def test_merged_fields_fragments_and_directives(
    world_client: Client, query: str, skip: bool
) -> None:
    both = await world_client.same(query, {"skip": skip})
    assert both.compiled.executor == "compiled"


async def test_get_and_the_graphql_response_media_type(world_client: Client) -> None:
    http = world_client.http
    for accept in ("application/json", "application/graphql-response+json"):
        answers = []
        for executor in ("resolver", "compiled"):
            response = await http.get(
                "/graphql",
                params={"query": '{ state(iso3: "RUS") { name } }'},
                headers={"accept": accept, "X-Credence-Executor": executor},
            )
            answers.append(
                (response.status_code, response.headers["content-type"], response.json())
            )
        assert answers[0] == answers[1]
        assert answers[1][1] == accept


# Changes made after the world's instant: each table's rows updated, deleted, inserted and
# truncated, so that no answer at that instant can come from the present by accident.
CHANGES = [
    "UPDATE state SET name = name || ' (renamed)', iso2 = NULL WHERE iso3 IN ('RUS', 'AFG')",
    "INSERT INTO state (iso3, name, kind) VALUES ('NEW', 'Newland', 'current')",
    "UPDATE recognition SET notes = 'corrected later', confidence = NULL",
    "UPDATE government SET name = name || ' II'",
    "UPDATE government_period SET from_date = from_date - 31",
    "TRUNCATE citation",
    "DELETE FROM envoy WHERE id = (SELECT min(id) FROM envoy)",
    "DELETE FROM sanction WHERE id = (SELECT max(id) FROM sanction)",
    "UPDATE source SET title = 'retitled'",
    "UPDATE person SET name = upper(name)",
    "UPDATE cooperation SET notes = 'revised'",
]


@pytest.fixture(scope="session")
def recorded_world_url(postgres_server: str, template_database: str) -> Iterator[str]:
    url = create_database(postgres_server, prefix="credence_recorded", template=template_database)
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
async def recorded_world(
    recorded_world_url: str,
) -> AsyncIterator[tuple[Client, str, list[Answer]]]:
    """The small world, every case's answer as it was, that instant, and changes after it."""
    engine = create_engine(recorded_world_url, application_name="credence-tests", pool_size=4)
    async with engine.begin() as connection:
        await build_world(connection)
    async with client_for(engine) as client:
        answers = [await client.ask(q, v, resolver=True) for q, v in CASES]
        async with engine.connect() as connection:
            # After the world's commit; the changes below start after it.
            instant = (await connection.execute(text("SELECT clock_timestamp()"))).scalar_one()
        async with engine.begin() as connection:
            for change in CHANGES:
                await connection.execute(text(change))
        yield client, instant.isoformat(), answers
    await engine.dispose()


async def test_the_changes_change_the_present(
    recorded_world: tuple[Client, str, list[Answer]],
) -> None:
    client, _, answers = recorded_world
    now = [await client.ask(q, v, resolver=True) for q, v in CASES]
    changed = sum(a.value != b.value for a, b in zip(answers, now, strict=True))
    assert changed > len(CASES) // 4


# Operations that name instants of their own are compared on both paths above; here every root
# field is asked the one recorded instant.
AT_ONE_INSTANT = [i for i, (query, _) in enumerate(CASES) if "asRecordedAt" not in query]


@pytest.mark.parametrize("case", AT_ONE_INSTANT)
async def test_as_recorded_at_answers_as_then_on_both_paths(
    recorded_world: tuple[Client, str, list[Answer]], case: int
) -> None:
    client, instant, answers = recorded_world
    query, variables = CASES[case]
    recorded = as_recorded(query)
    if recorded is None:  # introspection or `__typename` alone: nothing to ask of the past
        recorded, instant_variables = query, {}
    else:
        instant_variables = {VARIABLE: instant}
    both = await client.same(recorded, variables | instant_variables)
    then = answers[case]
    # The rewritten text moves error locations; everything else must be as it was.
    assert _located_nowhere(both.resolver.body) == _located_nowhere(then.body), (
        f"\nthen: {then.body[:2000]!r}\npast: {both.resolver.body[:2000]!r}"
    )
    assert both.resolver.status == then.status
    assert both.compiled.executor == then_executor(client, query, variables)


def _located_nowhere(body: bytes) -> Any:
    answer = json.loads(body)
    for error in answer.get("errors", ()):
        error.pop("locations", None)
    return answer


def then_executor(client: Client, query: str, variables: dict[str, Any]) -> str:
    """The executor the present-time question is served by: asRecordedAt must not change it."""
    compiled = client.view.compiled
    assert compiled is not None
    plan = compiled.plan(query, variables, None)
    return "resolver" if isinstance(plan, str) else "compiled"
