"""gzip and brotli for large responses, chosen by the client's Accept-Encoding.

Works on the bytes a response sends, so the compiled read path's body (PostgreSQL's JSON text,
spliced) is compressed as it is, never decoded. Small responses cost one look at their
Content-Length: below the threshold nothing is parsed, buffered or compressed. Responses that
stream (more than one body message: files, multipart, event streams) and responses already
encoded pass through untouched.

Levels are chosen for answers made per request, not for files compressed once: on the
benchmark's 480 KB nested answer, brotli quality 4 gives 18 KB in 1.5-3 ms and gzip level 6
22 KB in about 5 ms; brotli's default (11) gives 14 KB but takes 2 s. Bodies over
`THREAD_BYTES` are compressed in a worker thread (both libraries release the GIL), so one large
answer does not hold up the event loop's other requests.
"""

import gzip
from collections.abc import Callable

import anyio.to_thread
import brotli
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.http_headers import STREAMING_MEDIA_TYPES

DEFAULT_MINIMUM_BYTES = 1024
BROTLI_QUALITY = 4
GZIP_LEVEL = 6
THREAD_BYTES = 64 * 1024

# What is worth compressing: text of some kind. Images, archives and anything already encoded
# are not (compressing them again costs time and saves nothing).
_COMPRESSIBLE = (
    b"application/json",
    b"application/graphql-response+json",
    b"application/javascript",
    b"image/svg+xml",
    b"text/",
)
# Never buffered, even when sent in one message: a client reads these as they arrive.
_STREAMING = tuple(kind.encode() for kind in STREAMING_MEDIA_TYPES)


def _brotli(body: bytes) -> bytes:
    compressed: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
    return compressed


def _gzip(body: bytes) -> bytes:
    # mtime=0: the same body compresses to the same bytes (no timestamp in the header).
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


_CODINGS: dict[str, Callable[[bytes], bytes]] = {"br": _brotli, "gzip": _gzip}


def negotiate_encoding(accept_encoding: str) -> str | None:
    """`br`, `gzip` or None (identity), by the client's quality values; brotli wins a tie.

    `*` stands for any coding the client did not name; `q=0` refuses a coding.
    """
    named: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding:
            named[coding.lower()] = quality
    wildcard = named.get("*", 0.0)
    best, best_quality = None, 0.0
    for coding in _CODINGS:  # brotli first: on equal quality it stays the choice
        quality = named.get(coding, wildcard)
        if quality > best_quality:
            best, best_quality = coding, quality
    return best


# Clients send few distinct Accept-Encoding values (each browser and library its own):
# negotiated once each, up to this many kept.
_NEGOTIATED: dict[bytes, str | None] = {}
_NEGOTIATED_SIZE = 256


def _negotiated(accept: bytes | None) -> str | None:
    if not accept:
        return None
    try:
        return _NEGOTIATED[accept]
    except KeyError:
        coding = negotiate_encoding(accept.decode("latin-1"))
        if len(_NEGOTIATED) < _NEGOTIATED_SIZE:
            _NEGOTIATED[accept] = coding
        return coding


async def compress(body: bytes, accept_encoding: bytes | None) -> tuple[bytes, str | None]:
    """`body` in the coding the client prefers, and that coding (None: sent as it is)."""
    coding = _negotiated(accept_encoding)
    if coding is None:
        return body, None
    encode = _CODINGS[coding]
    if len(body) > THREAD_BYTES:
        return await anyio.to_thread.run_sync(encode, body), coding
    return encode(body), coding


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key == name:
            return value
    return None


class CompressionMiddleware:
    def __init__(self, app: ASGIApp, *, minimum_bytes: int = DEFAULT_MINIMUM_BYTES) -> None:
        self.app = app
        self.minimum_bytes = minimum_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        minimum = self.minimum_bytes
        start: Message | None = None
        decided = False

        async def send_compressed(message: Message) -> None:
            nonlocal start, decided
            if decided:
                await send(message)
                return
            if message["type"] == "http.response.start":
                if not self._may_compress(message["headers"], minimum):
                    decided = True
                    await send(message)
                    return
                start = message  # held until the body shows whether it streams
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            decided = True
            body: bytes = message.get("body", b"")
            if message.get("more_body", False) or len(body) < minimum:
                await send(start)
                await send(message)
                return
            # Whatever this client gets, another client may get another encoding of it.
            raw = start["headers"]
            if _header(raw, b"vary") is None:
                raw.append((b"vary", b"Accept-Encoding"))  # the usual case, without a parse
            else:
                MutableHeaders(scope=start).add_vary_header("Accept-Encoding")
            body, coding = await compress(body, _header(scope["headers"], b"accept-encoding"))
            if coding is not None:
                headers = MutableHeaders(scope=start)
                headers["content-encoding"] = coding
                headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, send_compressed)

    @staticmethod
    def _may_compress(headers: list[tuple[bytes, bytes]], minimum: int) -> bool:
        length = _header(headers, b"content-length")
        if length is not None and length.isdigit() and int(length) < minimum:
            return False  # the common small answer: decided by one header
        if _header(headers, b"content-encoding") is not None:
            return False
        media_type = (_header(headers, b"content-type") or b"").lower()
        if media_type.startswith(_STREAMING):
            return False
        return media_type.startswith(_COMPRESSIBLE)
