"""Cursors: the compiled path issues the resolver path's cursors, byte for byte, and reads them.

Walked over the synthetic world, whose state names hold quotes, backslashes, accents, a tab,
DEL and a flag emoji: a cursor over a name must escape them as Python's `json.dumps` does.
"""

import json
from typing import Any

import pytest

from tests.schema.compiled.harness import Client
from tests.schema.compiled.operations import Pools

ORDERS = {
    "states": ("StateOrder", ["NAME_ASC", "NAME_DESC", "ISO3_ASC", "ISO3_DESC"]),
    "governments": ("GovernmentOrder", ["KEY_ASC", "NAME_DESC"]),
    "recognitions": ("RecognitionOrder", ["FROM_ASC", "FROM_DESC", "KEY_DESC"]),
    "envoys": ("EnvoyOrder", ["START_ASC", "START_DESC", "KEY_ASC"]),
    "sanctions": ("SanctionOrder", ["FROM_ASC", "KEY_DESC"]),
    "cooperations": ("CooperationOrder", ["DATE_DESC", "KEY_ASC"]),
    "persons": ("PersonOrder", ["NAME_ASC", "KEY_DESC"]),
    "sources": ("SourceOrder", ["PUBLISHED_ASC", "PUBLISHED_DESC"]),
}


def _walk_query(field: str, order_type: str) -> str:
    return f"""
    query ($first: Int, $after: String, $last: Int, $before: String, $order: {order_type}!) {{
      {field}(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {{
        totalCount
        edges {{ cursor node {{ id }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      }}
    }}"""


async def _page(client: Client, query: str, field: str, **variables: Any) -> dict[str, Any]:
    both = await client.same(query, variables)
    assert both.compiled.executor == "compiled"
    page: dict[str, Any] = json.loads(both.compiled.body)["data"][field]
    return page


@pytest.mark.parametrize("field", sorted(ORDERS))
async def test_walk_forward_and_back(synthetic: tuple[Client, Pools], field: str) -> None:
    client, _ = synthetic
    order_type, orders = ORDERS[field]
    query = _walk_query(field, order_type)
    for order in orders:
        page = await _page(client, query, field, first=4, order=order)
        seen = len(page["edges"])
        while page["pageInfo"]["hasNextPage"]:
            page = await _page(
                client, query, field, first=4, after=page["pageInfo"]["endCursor"], order=order
            )
            seen += len(page["edges"])
        assert seen == page["totalCount"]
        while page["pageInfo"]["startCursor"] and page["pageInfo"]["hasPreviousPage"]:
            page = await _page(
                client, query, field, last=3, before=page["pageInfo"]["startCursor"], order=order
            )


NESTED = """
query ($after: String, $before: String) {
  states(orderBy: NAME_ASC, first: 30) { nodes {
    recognitionsGiven(first: 2, after: $after, orderBy: KEY_DESC) {
      edges { cursor } pageInfo { endCursor hasNextPage } }
    cooperations(last: 2, before: $before) { edges { cursor node { key } } }
  } }
}
"""


async def test_nested_cursors(synthetic: tuple[Client, Pools]) -> None:
    client, _ = synthetic
    both = await client.same(NESTED)
    data = json.loads(both.compiled.body)["data"]
    cursors = [
        n["recognitionsGiven"]["pageInfo"]["endCursor"]
        for n in data["states"]["nodes"]
        if n["recognitionsGiven"]["pageInfo"]["endCursor"]
    ]
    before = [e["cursor"] for n in data["states"]["nodes"] for e in n["cooperations"]["edges"]]
    for after in cursors[:5]:
        await client.same(NESTED, {"after": after})
    for cursor in before[:5]:
        await client.same(NESTED, {"before": cursor})
