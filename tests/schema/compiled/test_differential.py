"""Every operation of the schema tests, answered by both executors: the same bytes' meaning.

Answers are compared as JSON values whose objects keep their key order, plus status and media
type. Operations the compiler does not cover fall back, and must still answer the same.
"""

from typing import Any

import pytest

from tests.schema.compiled.collected import cases, missing_samples
from tests.schema.compiled.harness import Client

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
