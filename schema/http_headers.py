"""What every answer of the GraphQL endpoint carries, and how its requests' headers are read:
shared by the full path (`schema.http`) and the fast one (`schema.http_fast`)."""

import re
from random import getrandbits

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

# An incoming id is echoed into logs and headers, so only short, plain ones are trusted.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def valid_request_id(value: str) -> bool:
    return _REQUEST_ID.fullmatch(value) is not None


def new_request_id() -> str:
    """32 hex digits, as a UUID's: unique enough to find one request in the logs.

    An id only has to tell requests apart, not be unguessable, so it comes from the process's
    seeded Mersenne Twister (reseeded in a forked child), not a system call per request.
    """
    return f"{getrandbits(128):032x}"


# On every response: browsers must not guess a media type (a JSON answer holding markup must
# never render as a page), and no URL of ours leaks to another site through Referer.
STANDARD_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


# Accept values that ask for a streamed answer (incremental delivery, or a subscription over
# server-sent events): the full path's.
STREAMING_MEDIA_TYPES = ("multipart/mixed", "text/event-stream")


# Set on the scope when the fast path's compiled run declined: the full path goes straight to
# the resolvers rather than planning and running the same statements again.
COMPILED_FAILED = "credence.compiled_failed"


def negotiate_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when the client prefers it, else `application/json`.

    No Accept, `*/*` or anything else gets `application/json`: the specification's choice for
    clients written before the new media type existed.
    """
    best, best_quality = JSON, 0.0
    for media_range in (accept or "").split(","):
        name, *parameters = (part.strip() for part in media_range.split(";"))
        media_type, quality = name.lower(), _quality(parameters)
        if media_type not in (GRAPHQL_RESPONSE_JSON, JSON) or quality <= 0:
            continue
        # On equal quality the newer media type wins: it is the one that carries status codes.
        if quality > best_quality or (
            quality == best_quality and media_type == GRAPHQL_RESPONSE_JSON
        ):
            best, best_quality = media_type, quality
    return best


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
