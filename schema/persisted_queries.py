"""Persisted queries: Apollo's automatic persisted queries (APQ), and an optional allow-list.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": H}`:
- with no document: the document registered under H runs; an unknown H is answered with the
  error `PersistedQueryNotFound` (`extensions.code: PERSISTED_QUERY_NOT_FOUND`), on which Apollo
  Client (and Relay's and urql's APQ links) retry with the document;
- with the document: it runs, and is registered under H once H is checked to be its SHA-256
  (a wrong H is a `BAD_USER_INPUT` error, so nobody can plant a document under another's hash).

The automatic store is bounded: at most `size` documents, the least recently used dropped
first, and documents longer than `max_chars` are run but never stored.

With `only=True` (CREDENCE_PERSISTED_ONLY) the service runs the registered documents (a file or
folder given at start) and nothing else: an arbitrary document is refused with
`PERSISTED_QUERY_REQUIRED`, and nothing is registered automatically. A request resolved here
becomes a plain request, so the compiled read path serves it like any other.
"""

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from schema.http_params import GraphQLParams
from schema.limits import BAD_USER_INPUT_CODE

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
REQUIRED_CODE = "PERSISTED_QUERY_REQUIRED"
DEFAULT_SIZE = 1000
# A persisted document's purpose is to be short on the wire; one this long (the limit of the
# document cache) is still run, just not kept.
DEFAULT_MAX_CHARS = 64 * 1024

_SHA256 = re.compile(r"[0-9a-f]{64}")


class PersistedQueriesConfigurationError(ValueError):
    """The registered documents cannot be read or do not match their hashes."""


@dataclass(frozen=True, slots=True)
class PersistedQueryError:
    """An answer instead of running anything. `request_error`: a 4xx under the
    GraphQL-over-HTTP media type; `PersistedQueryNotFound` is always 200, since Apollo Client
    stops using persisted queries altogether after a 400."""

    message: str
    code: str
    request_error: bool = True

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedQueries:
    def __init__(
        self,
        *,
        size: int = DEFAULT_SIZE,
        max_chars: int = DEFAULT_MAX_CHARS,
        registered: dict[str, str] | None = None,
        only: bool = False,
    ) -> None:
        if only and not registered:
            raise PersistedQueriesConfigurationError(
                "CREDENCE_PERSISTED_ONLY=true needs the registered documents: set "
                "CREDENCE_PERSISTED_QUERIES_FILE to a JSON map (hash -> document) or a folder "
                "of .graphql files."
            )
        self._registered = dict(registered or {})
        self._automatic: OrderedDict[str, str] = OrderedDict()
        self._size = 0 if only else size
        self._max_chars = max_chars
        self.only = only

    def __len__(self) -> int:
        return len(self._automatic)

    def resolve(self, params: GraphQLParams) -> GraphQLParams | PersistedQueryError:
        """The request with its document (and without `persistedQuery`), or why not."""
        extensions = params.extensions
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if persisted is None:
            if self.only and not self._is_registered(params.query):
                return _required()
            return params
        wanted = _requested_hash(persisted)
        if isinstance(wanted, PersistedQueryError):
            return wanted
        rest = {k: v for k, v in extensions.items() if k != "persistedQuery"} or None
        query = params.query
        if query is None:
            document = self._lookup(wanted)
            if document is None:
                return PersistedQueryError(NOT_FOUND_MESSAGE, NOT_FOUND_CODE, request_error=False)
            return params.with_document(document, rest)
        if not isinstance(query, str):
            return params.with_document(query, rest)  # Strawberry reports what is wrong
        if sha256_hex(query) != wanted:
            return PersistedQueryError(
                "The persistedQuery sha256Hash does not match the document: it must be the "
                "SHA-256 of the query text as sent, in lowercase hexadecimal.",
                BAD_USER_INPUT_CODE,
            )
        if self.only:
            if wanted not in self._registered:
                return _required()
        elif len(query) <= self._max_chars and self._size > 0:
            self._store(wanted, query)
        return params.with_document(query, rest)

    def _is_registered(self, query: Any) -> bool:
        return isinstance(query, str) and sha256_hex(query) in self._registered

    def _lookup(self, digest: str) -> str | None:
        document = self._registered.get(digest)
        if document is not None:
            return document
        document = self._automatic.get(digest)
        if document is not None:
            self._automatic.move_to_end(digest)
        return document

    def _store(self, digest: str, document: str) -> None:
        if digest in self._registered:
            return
        self._automatic[digest] = document
        self._automatic.move_to_end(digest)
        while len(self._automatic) > self._size:
            self._automatic.popitem(last=False)


def _requested_hash(persisted: Any) -> str | PersistedQueryError:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        return PersistedQueryError(
            "Unsupported persistedQuery: expected {version: 1, sha256Hash: ...}.",
            BAD_USER_INPUT_CODE,
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        return PersistedQueryError(
            "persistedQuery.sha256Hash must be a SHA-256 in lowercase hexadecimal (64 digits).",
            BAD_USER_INPUT_CODE,
        )
    return digest


def _required() -> PersistedQueryError:
    return PersistedQueryError(
        "This service runs registered persisted queries only: send "
        "extensions.persistedQuery {version: 1, sha256Hash} of a registered document.",
        REQUIRED_CODE,
    )


def load_registered(path: Path) -> dict[str, str]:
    """The allow-list: a JSON map hash -> document, or a folder of `.graphql` files (each file's
    text, exactly as stored, hashed). Every hash is checked against its document."""
    if path.is_dir():
        documents = [p.read_text(encoding="utf-8") for p in sorted(path.glob("*.graphql"))]
        if not documents:
            raise PersistedQueriesConfigurationError(f"{path} holds no .graphql file")
        return {sha256_hex(document): document for document in documents}
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise PersistedQueriesConfigurationError(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise PersistedQueriesConfigurationError(
            f"{path} must be a JSON object mapping SHA-256 hashes to documents"
        )
    for digest, document in data.items():
        if sha256_hex(document) != digest.lower():
            raise PersistedQueriesConfigurationError(
                f"{path}: the document registered under {digest[:16]}... does not have that "
                "SHA-256 (hashes are of the document text, UTF-8, lowercase hexadecimal)"
            )
    return {digest.lower(): document for digest, document in data.items()}
