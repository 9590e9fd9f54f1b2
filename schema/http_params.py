"""The parameters of a GraphQL request over HTTP, read once for every layer that needs them.

The compiled path, persisted queries, HTTP caching and metrics all need the query text, the
variables, the operation name or the extensions; Strawberry reads the request again itself when
it serves it (the body stays cached on the request), so this reading must never refuse anything:
what it cannot read, Strawberry reports.
"""

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request

from schema.http_headers import STREAMING_MEDIA_TYPES


@dataclass(frozen=True, slots=True)
class GraphQLParams:
    query: Any
    variables: Any
    operation_name: Any
    extensions: Any
    # The client asked for an incremental (streamed) answer, which only Strawberry gives.
    streaming: bool = False

    def plain(self) -> tuple[str, dict[str, Any] | None, str | None] | None:
        """(query, variables, operation name) when the request is plain, else None.

        Plain: a non-empty document, variables an object or absent, a name a string or absent,
        no extensions (persisted queries are resolved to a plain request before this), and no
        streaming.
        """
        query, variables, name = self.query, self.variables, self.operation_name
        if self.extensions is not None or self.streaming or not isinstance(query, str) or not query:
            return None
        if not isinstance(variables, dict | None) or not isinstance(name, str | None):
            return None
        return query, variables, name

    @classmethod
    def from_data(cls, data: dict[str, Any], *, streaming: bool = False) -> "GraphQLParams":
        """The parameters of a request's decoded JSON body (or its GET parameters)."""
        return cls(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
            streaming=streaming,
        )

    def with_document(self, query: str, extensions: Any) -> "GraphQLParams":
        return replace(self, query=query, extensions=extensions)

    def as_body(self) -> bytes:
        """The request as a JSON body (to hand a resolved persisted query to Strawberry)."""
        return orjson.dumps(self._fields())

    def as_query_string(self) -> bytes:
        """The request as GET parameters (the same, for a GET request)."""
        fields = {
            name: value if isinstance(value, str) else orjson.dumps(value).decode()
            for name, value in self._fields().items()
        }
        return urlencode(fields).encode("ascii")

    def _fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            fields["variables"] = self.variables
        if self.operation_name is not None:
            fields["operationName"] = self.operation_name
        if self.extensions is not None:
            fields["extensions"] = self.extensions
        return fields


async def read_params(request: Request) -> GraphQLParams | None:
    """The request's parameters, or None when they cannot be read."""
    try:
        if request.method == "GET":
            params = request.query_params
            variables, extensions = params.get("variables"), params.get("extensions")
            data: Any = {
                "query": params.get("query"),
                "operationName": params.get("operationName"),
                "variables": orjson.loads(variables) if variables is not None else None,
                "extensions": orjson.loads(extensions) if extensions is not None else None,
            }
        else:
            data = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    accept = request.headers.get("accept", "")
    streaming = any(kind in accept for kind in STREAMING_MEDIA_TYPES)
    return GraphQLParams.from_data(data, streaming=streaming)
