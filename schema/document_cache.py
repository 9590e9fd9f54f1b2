"""Parsed and validated documents, kept by a digest of their text, shared by both read paths.

Strawberry's `ParserCache` and `ValidationCache` are `lru_cache`s keyed by the whole query text,
and they keep failures: every distinct large document stayed in memory for good. This cache

- keys entries by a BLAKE2b digest of the text, so no text is kept as a key;
- keeps only documents that parsed *and* validated (a failure is worked out again if sent again);
- never keeps a document longer than `MAX_CACHED_DOCUMENT_CHARS`;
- is bounded by entries and by tokens: an AST costs about 500 bytes per token, so the token
  budget bounds its memory (about 50 MB at most), whatever the mix of documents.

`validate_document` checks our linear-time limits first and runs graphql-core's rules only on
documents within them, so the rules that walk fragments or compare fields never see a document
that would make them slow.
"""

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, Token, parse, specified_rules
from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError
from strawberry.schema.schema import validate_document as strawberry_validate

from schema.document_limits import MAX_TOKENS, limit_errors
from schema.text_values import TextValuesRule

# Distinct valid documents kept.
CACHE_SIZE = 512
# Tokens of all kept documents together (a token costs about 500 bytes of AST).
CACHE_TOKENS = 100_000
# Longer documents are parsed and validated each time they come: they are never typical traffic.
MAX_CACHED_DOCUMENT_CHARS = 64 * 1024

# graphql-core's rules (MaxIntrospectionDepthRule among them) and ours, after the limits pass.
# Strawberry's own rules (oneOf inputs, Maybe) are added by `strawberry_validate`.
RULES = (*specified_rules, TextValuesRule)


# graphql-core's check that fields of one name can merge compares every pair of them, and stops
# (with "Validation aborted.") when it has spent this budget. Its default, 500,000, let one
# document of 5,000 tokens (700 copies of `states { nodes { name } }`) hold the event loop for
# 1.8 s; 50,000 stops it within a tenth of that, and GraphiQL's introspection query needs under
# 1,000. graphql-core documents the module attribute as the setting (read at each validation).
MERGE_CHECK_BUDGET = 50_000
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = MERGE_CHECK_BUDGET

TOO_COMPLEX_MESSAGE = (
    "Validation aborted: the document is too complex to check (many fields of the same name, "
    "or nesting too deep). Simplify it."
)


def validate_document(schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
    """Errors of `document`: the limits it exceeds, or else what graphql-core's rules find."""
    errors = limit_errors(document)
    if errors:
        return errors
    return [
        GraphQLError(TOO_COMPLEX_MESSAGE) if isinstance(error, ValidationAbortedError) else error
        for error in strawberry_validate(schema, document, RULES)
    ]


def parse_document(query: str) -> DocumentNode:
    return parse(query, max_tokens=MAX_TOKENS)


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    tokens: int


def _tokens(document: DocumentNode) -> int:
    if document.loc is None:
        return 1
    count = 0
    token: Token | None = document.loc.start_token
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentCache:
    def __init__(
        self,
        *,
        size: int = CACHE_SIZE,
        tokens: int = CACHE_TOKENS,
        max_chars: int = MAX_CACHED_DOCUMENT_CHARS,
    ) -> None:
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._size = size
        self._budget = tokens
        self._max_chars = max_chars
        self.tokens = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _key(self, query: str) -> bytes | None:
        if len(query) > self._max_chars:
            return None
        # surrogatepass: a lone surrogate in the text must still hash (it is refused later).
        return hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=32).digest()

    def lookup(self, query: str) -> DocumentNode | None:
        """The document of `query` if it was parsed and validated before."""
        key = self._key(query)
        entry = self._entries.get(key) if key is not None else None
        if entry is None:
            return None
        self._entries.move_to_end(key)  # type: ignore[arg-type]
        return entry.document

    def store(self, query: str, document: DocumentNode) -> None:
        """Keep `document`, which parsed from `query` and validated."""
        key = self._key(query)
        if key is None or key in self._entries:
            return
        tokens = _tokens(document)
        if tokens > self._budget:
            return
        self._entries[key] = _Entry(document, tokens)
        self.tokens += tokens
        while len(self._entries) > self._size or self.tokens > self._budget:
            _, evicted = self._entries.popitem(last=False)
            self.tokens -= evicted.tokens

    def clear(self) -> None:
        self._entries.clear()
        self.tokens = 0


_caches: "weakref.WeakKeyDictionary[GraphQLSchema, DocumentCache]" = weakref.WeakKeyDictionary()


def documents_for(schema: GraphQLSchema) -> DocumentCache:
    """The one cache of `schema`'s documents (validity depends on the schema)."""
    cache = _caches.get(schema)
    if cache is None:
        cache = _caches[schema] = DocumentCache()
    return cache
