"""The Mutation root, derived from the importer's entity specifications.

For each of the nine entities of the format: `upsert<Entities>(input: [<Entity>Input!]!)`,
`update<Entity>(<key>, patch, ifVersion)`, `delete<Entity>(<key>, ifVersion)`, and
`end<Entity>(<key>, date, reason, ifVersion)` for the facts with a period (api.mutations.ENDS).
One factory per operation builds the fields of every entity; the rules live in api.mutations.
"""

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

import asyncpg
import strawberry
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import capitalize_first, to_camel_case

from api import mutations
from api.importer.entities import ENTITIES, EntitySpec
from schema.context import Info
from schema.mutations.errors import graphql_error
from schema.mutations.inputs import (
    CitationInput,
    Column,
    citation_item,
    columns_of,
    graphql_name,
    input_type,
    patch_columns,
    record_builder,
)
from schema.mutations.nodes import entity_of, object_type, reader
from schema.types.history import Version

T = TypeVar("T")


# Versions and change ids: the history's `Version` scalar (a decimal string: change ids are
# bigint, past what a GraphQL Int holds).
VersionValue: Any = Version
_IF_VERSION = (
    "The version (id of the last change) the caller read; when the fact has changed since, "
    "nothing is written and the error's code is CONFLICT."
)
_CHANGE_ID = "The id of the newest change this call recorded; null when it changed nothing."


async def _on_connection(info: Info, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run a domain write on a pooled connection; its refusals become coded GraphQL errors."""
    async with info.context.engine.connect() as connection:
        pooled = (await connection.get_raw_connection()).driver_connection
        assert pooled is not None
        try:
            return await work(pooled)
        except mutations.MutationError as refused:
            raise graphql_error(refused) from None


def _type(name: str, fields: dict[str, Any], description: str) -> type:
    namespace: dict[str, Any] = {"__annotations__": fields}
    return strawberry.type(type(name, (), namespace), description=description)


def _names(spec: EntitySpec) -> tuple[str, str, str]:
    """(`Recognition`, `Recognitions`, the key argument's name) of an entity."""
    singular = entity_of(spec.table).name
    return singular, capitalize_first(to_camel_case(spec.name)), graphql_name(spec.key_column)


def _node_payload(spec: EntitySpec) -> tuple[type, str]:
    singular, _, _ = _names(spec)
    attribute = singular[0].lower() + singular[1:]
    payload = _type(
        f"{singular}Payload",
        {
            attribute: object_type(spec.table),
            "version": VersionValue | None,
            "change_id": VersionValue | None,
        },
        f"The {singular.lower()} as it is after the change, read in the same transaction.",
    )
    return payload, attribute


@strawberry.type(description="What a delete removed.")
class DeletePayload:
    key: str = strawberry.field(description="The natural key of the deleted fact.")
    change_id: VersionValue | None = strawberry.field(description=_CHANGE_ID)  # type: ignore[valid-type]


def _field(
    resolve: Callable[..., Awaitable[Any]],
    name: str,
    description: str,
    returns: type | None = None,
) -> StrawberryField:
    if returns is not None:
        # Set here, not written in the signature: the type is built at run time.
        resolve.__annotations__["return"] = returns
    field: StrawberryField = strawberry.mutation(
        resolver=resolve, name=name, description=description
    )
    return field


def _upsert(spec: EntitySpec) -> StrawberryField:
    singular, plural, _ = _names(spec)
    columns = columns_of(spec)
    item_type = input_type(
        f"{singular}Input",
        columns,
        required=spec.required,
        description=f"A {singular.lower()} as a record of the bulk format ({spec.name}).",
    )
    attribute = spec.name
    payload = _type(
        f"Upsert{plural}Payload",
        {
            attribute: list[object_type(spec.table)],  # type: ignore[misc]
            "versions": list[VersionValue | None],  # type: ignore[valid-type]
            "change_id": VersionValue | None,
        },
        f"The {spec.name.replace('_', ' ')} as they are after the upsert, in input order.",
    )
    read = reader(spec.table)

    async def resolve(
        info: Info,
        items: Annotated[list[item_type], strawberry.argument(name="input")],  # type: ignore[valid-type]
    ) -> Any:
        # Each item arrives as a record of the format (see `record_builder`).
        records: list[dict[str, Any]] = list(items)
        written = await _on_connection(
            info,
            lambda connection: mutations.upsert(
                connection, spec.name, records, principal=info.context.principal, read=read
            ),
        )
        return payload(
            **{
                attribute: written.nodes,
                "versions": written.versions,
                "change_id": written.change_id,
            }
        )

    return _field(
        resolve,
        f"upsert{plural}",
        (
            f"Create or replace {spec.name.replace('_', ' ')} by natural key, at most "
            f"{mutations.MAX_ITEMS:,} per call, all or none: each item states the whole fact "
            "(a field left out is cleared), checked as an import file's row is."
        ),
        payload,
    )


def _patch_type(spec: EntitySpec, singular: str) -> type:
    columns = patch_columns(spec)
    patch = input_type(
        f"{singular}Patch",
        columns,
        required=frozenset(),
        description=(
            f"The fields of a {singular.lower()} to change: a field left out keeps its value, "
            "null clears it."
            + (
                " `addSources` and `removeSources` change citations without restating them."
                if spec.cited
                else ""
            )
        ),
    )
    if spec.cited:
        # The citations added and removed join the derived fields.
        base: Any = patch
        annotations = {
            "add_sources": list[CitationInput] | None,
            "remove_sources": list[str] | None,
        }
        patch = strawberry.input(
            type(
                patch.__name__,
                (base,),
                {
                    "__annotations__": annotations,
                    "add_sources": strawberry.field(default=None),
                    "remove_sources": strawberry.field(default=None),
                },
            ),
            name=f"{singular}Patch",
            description=base.__strawberry_definition__.description,
        )
    patch.__strawberry_definition__.from_input = _patch_builder(columns)  # type: ignore[attr-defined]
    return patch


def _patch_builder(columns: list[Column]) -> Callable[[type, Mapping[str, Any], Any], Any]:
    """A patch value as the domain's `Patch`: the derived fields as a record of the format, and
    the citations added and removed."""
    record = record_builder(columns)

    def build(cls: type, value: Mapping[str, Any], context: Any) -> mutations.Patch:
        fields = {k: v for k, v in value.items() if k not in ("addSources", "removeSources")}
        return mutations.Patch(
            record(cls, fields, context),
            [citation_item(c) for c in value.get("addSources") or ()],
            list(value.get("removeSources") or ()),
        )

    return build


def _update(spec: EntitySpec) -> StrawberryField:
    singular, _, key_name = _names(spec)
    patch_type = _patch_type(spec, singular)
    payload, attribute = _node_payload(spec)
    read = reader(spec.table)

    async def resolve(
        info: Info,
        key: Annotated[str, strawberry.argument(name=key_name)],
        patch: patch_type,  # type: ignore[valid-type]
        if_version: Annotated[
            VersionValue | None, strawberry.argument(description=_IF_VERSION)  # type: ignore[valid-type]
        ] = None,
    ) -> Any:
        change: mutations.Patch = patch  # built by `_patch_builder`
        written = await _on_connection(
            info,
            lambda connection: mutations.update(
                connection,
                spec.name,
                key,
                change,
                principal=info.context.principal,
                if_version=if_version,
                read=read,
            ),
        )
        return _one_node(payload, attribute, written)

    return _field(
        resolve,
        f"update{singular}",
        f"Change some fields of one {singular.lower()}, found by its natural key.",
        payload,
    )


def _one_node(payload: Any, attribute: str, written: "mutations.Written[Any]") -> Any:
    """The payload of a call on one fact: the node as written, its version, the change id."""
    return payload(
        **{
            attribute: written.nodes[0],
            "version": written.versions[0],
            "change_id": written.change_id,
        }
    )


def _end(spec: EntitySpec) -> StrawberryField:
    singular, _, key_name = _names(spec)
    payload, attribute = _node_payload(spec)
    read = reader(spec.table)
    ends = mutations.ENDS[spec.name]

    async def run(info: Info, key: str, date: str, reason: str | None, if_version: Any) -> Any:
        written = await _on_connection(
            info,
            lambda connection: mutations.end(
                connection,
                spec.name,
                key,
                date=date,
                reason=reason,
                principal=info.context.principal,
                if_version=if_version,
                read=read,
            ),
        )
        return _one_node(payload, attribute, written)

    date_help = "The end date, as an ISO prefix (`2001`, `2001-09`, `2001-09-25`)."
    if ends.reason is None:

        async def resolve(
            info: Info,
            key: Annotated[str, strawberry.argument(name=key_name)],
            date: Annotated[str, strawberry.argument(description=date_help)],
            if_version: Annotated[
                VersionValue | None, strawberry.argument(description=_IF_VERSION)  # type: ignore[valid-type]
            ] = None,
        ) -> Any:
            return await run(info, key, date, None, if_version)

        what = f"End a {singular.lower()}'s open period in power on a date."
    else:
        reason_help = f"The value of `{graphql_name(ends.reason)}` (null: unknown)."

        async def resolve(  # type: ignore[misc]
            info: Info,
            key: Annotated[str, strawberry.argument(name=key_name)],
            date: Annotated[str, strawberry.argument(description=date_help)],
            reason: Annotated[str | None, strawberry.argument(description=reason_help)] = None,
            if_version: Annotated[
                VersionValue | None, strawberry.argument(description=_IF_VERSION)  # type: ignore[valid-type]
            ] = None,
        ) -> Any:
            return await run(info, key, date, reason, if_version)

        what = f"End a {singular.lower()} on a date, for a reason."

    return _field(resolve, f"end{singular}", what, payload)


def _delete(spec: EntitySpec) -> StrawberryField:
    singular, _, key_name = _names(spec)

    async def resolve(
        info: Info,
        key: Annotated[str, strawberry.argument(name=key_name)],
        if_version: Annotated[
            VersionValue | None, strawberry.argument(description=_IF_VERSION)  # type: ignore[valid-type]
        ] = None,
    ) -> DeletePayload:
        deleted = await _on_connection(
            info,
            lambda connection: mutations.delete(
                connection,
                spec.name,
                key,
                principal=info.context.principal,
                if_version=if_version,
            ),
        )
        return DeletePayload(key=deleted.key, change_id=deleted.change_id)

    return _field(
        resolve,
        f"delete{singular}",
        (
            f"Delete one {singular.lower()} by its natural key, with its citations; refused "
            "while other facts refer to it. Admins only."
        ),
    )


def _mutation_fields() -> dict[str, StrawberryField]:
    fields: dict[str, StrawberryField] = {}
    for spec in ENTITIES.values():
        fields[f"upsert_{spec.name}"] = _upsert(spec)
        fields[f"update_{spec.name}"] = _update(spec)
        if spec.name in mutations.ENDS:
            fields[f"end_{spec.name}"] = _end(spec)
        fields[f"delete_{spec.name}"] = _delete(spec)
    return fields


Mutation = strawberry.type(
    type("Mutation", (), _mutation_fields()),
    description=(
        "Writes by natural key (POST only), checked by the importer's rules; editors upsert, "
        "update and end, admins also delete."
    ),
)
