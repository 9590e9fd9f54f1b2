"""The schema as SDL, kept in `schema/schema.graphql` (a test fails when the two drift)."""

from pathlib import Path

from schema.root import schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def export_sdl() -> str:
    return schema.as_str() + "\n"


def write_sdl(path: Path = SDL_PATH) -> None:
    path.write_text(export_sdl(), encoding="utf-8")
