"""`credence token`: a signed bearer token for development and scripts."""

import re
from enum import StrEnum
from typing import Annotated, NoReturn

import typer

_EXIT_USAGE = 2
_TTL = re.compile(r"\s*(\d+)\s*([smhd]?)\s*")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class _Role(StrEnum):
    # api.roles.Role, written out so that the help costs no import.
    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


def parse_ttl(text: str) -> int:
    """`90`, `90s`, `15m`, `1h`, `7d` as seconds."""
    match = _TTL.fullmatch(text)
    if match is None or int(match[1]) == 0:
        raise typer.BadParameter(f"{text!r} is not a duration such as 90s, 15m, 1h or 7d")
    return int(match[1]) * _SECONDS[match[2]]


def token(
    role: Annotated[_Role, typer.Option(help="The role the token grants.")] = _Role.READER,
    sub: Annotated[
        str, typer.Option("--sub", help="The caller's name: the actor written into the history.")
    ] = "",
    ttl: Annotated[str, typer.Option(help="How long the token is valid: 90s, 15m, 1h, 7d.")] = "1h",
) -> None:
    """Print an HS256 token signed with CREDENCE_JWT_SECRET (and its issuer and audience, when
    CREDENCE_JWT_ISSUER or CREDENCE_JWT_AUDIENCE are set)."""
    from pydantic import ValidationError

    from api.auth import AuthConfig, mint_token
    from api.roles import Role
    from api.settings import Settings

    seconds = parse_ttl(ttl)
    if not sub.strip():
        _fail("--sub is required: it names the caller (the actor written into the history)")
    try:
        config = AuthConfig.from_settings(Settings())
    except ValidationError as error:
        problems = "; ".join(problem["msg"] for problem in error.errors())
        _fail(f"the settings are invalid: {problems}")
    if not config.secret:
        _fail("CREDENCE_JWT_SECRET is not set: there is no secret to sign the token with")
    typer.echo(mint_token(config, role=Role(role.value), subject=sub, ttl_seconds=seconds))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(_EXIT_USAGE)
