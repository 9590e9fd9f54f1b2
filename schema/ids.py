"""Global ids: `base64("<Type>:<natural key>")`.

Natural keys rather than surrogate ids keep a global id valid across an export and re-import;
the two types without a natural key (citations, government periods) use their surrogate id.
"""

import base64
import binascii

from schema.errors import BadUserInput


def encode_id(type_name: str, key: str | int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode("ascii")


def decode_id(global_id: str) -> tuple[str, str]:
    try:
        type_name, sep, key = base64.b64decode(global_id, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadUserInput(f"{global_id!r} is not a valid id") from None
    if not sep or not type_name or not key:
        raise BadUserInput(f"{global_id!r} is not a valid id")
    return type_name, key
