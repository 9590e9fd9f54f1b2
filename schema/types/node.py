"""The Node interface every object type implements, and small shared types."""

import strawberry


@strawberry.interface(description="An object with a global id that `node(id:)` resolves.")
class Node:
    __slots__ = ("id",)
    id: strawberry.ID


@strawberry.type(description="A sanctioned organization, known only by its name.")
class Organization:
    __slots__ = ("name",)
    name: str
