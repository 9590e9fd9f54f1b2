"""List fields derived once: every connection of an entity takes the same arguments.

A `Lists` names an entity's filter, orders and default order, whether it takes `asOf`, and the
function that pages it; `root_list` and `nested_list` build the GraphQL field from it, so the
argument list (`asOf`, `where`, `orderBy`, `first`, `after`, `last`, `before`, and
`asRecordedAt` on root fields) is written here only. Page functions are named by module, as
`strawberry.lazy` names types: the type modules import each other, and a class body cannot reach
into a module that is still loading.
"""

import importlib
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Annotated, Any

import strawberry
from sqlalchemy.sql.elements import ColumnElement

from schema.context import Info, root_loaders
from schema.inputs.cooperation import CooperationOrder, CooperationWhere
from schema.inputs.envoy import EnvoyOrder, EnvoyWhere
from schema.inputs.government import GovernmentOrder, GovernmentWhere
from schema.inputs.person import PersonOrder, PersonWhere
from schema.inputs.recognition import RecognitionOrder, RecognitionWhere
from schema.inputs.sanction import SanctionOrder, SanctionWhere
from schema.inputs.source import SourceOrder, SourceWhere
from schema.inputs.state import StateOrder, StateWhere
from schema.pagination import AsOf, Branch, Connection, Cursor, PageSize
from schema.recorded import AsRecordedAt

_KEYWORD = inspect.Parameter.KEYWORD_ONLY
PageFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Lists:
    """How every list of one entity is asked for and paged."""

    typename: str
    where: Any
    order: type[Enum]
    default_order: Enum
    as_of: bool
    pages: str  # "module:function", called as pages(info, *, field, parent, branches, **args)

    @property
    def returns(self) -> Any:
        module = self.pages.split(":")[0]
        return Connection[Annotated[self.typename, strawberry.lazy(module)]]  # type: ignore[name-defined]

    def parameters(self) -> list[inspect.Parameter]:
        as_of = [inspect.Parameter("as_of", _KEYWORD, default=None, annotation=AsOf)]
        return [
            *(as_of if self.as_of else []),
            inspect.Parameter("where", _KEYWORD, default=None, annotation=self.where | None),
            inspect.Parameter(
                "order_by", _KEYWORD, default=self.default_order, annotation=self.order
            ),
            inspect.Parameter("first", _KEYWORD, default=None, annotation=PageSize),
            inspect.Parameter("after", _KEYWORD, default=None, annotation=Cursor),
            inspect.Parameter("last", _KEYWORD, default=None, annotation=PageSize),
            inspect.Parameter("before", _KEYWORD, default=None, annotation=Cursor),
        ]


@cache
def _page_function(pages: str) -> PageFunction:
    module, name = pages.split(":")
    found: PageFunction = getattr(importlib.import_module(module), name)
    return found


def list_field(
    lists: Lists,
    resolve: Callable[..., Awaitable[Any]],
    *,
    description: str | None = None,
    leading: Sequence[inspect.Parameter] = (),
    trailing: Sequence[inspect.Parameter] = (),
) -> Any:
    """A field whose resolver is `resolve(parent, info, **arguments)`, with `lists`' arguments
    between `leading` and `trailing` ones."""

    async def resolver(self: Any, info: Info, **arguments: Any) -> Any:
        return await resolve(self, info, **arguments)

    resolver.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info),
            *leading,
            *lists.parameters(),
            *trailing,
        ],
        return_annotation=lists.returns,
    )
    if description is None:
        return strawberry.field(resolver=resolver)
    return strawberry.field(resolver=resolver, description=description)


def root_list(lists: Lists, *, field: str, description: str | None = None) -> Any:
    """A root list; it also takes `asRecordedAt`, which the fields under it read too."""

    async def resolve(_: Any, info: Info, as_recorded_at: Any = None, **arguments: Any) -> Any:
        root_loaders(info, as_recorded_at)
        return await _page_function(lists.pages)(info, field=field, **arguments)

    recorded = inspect.Parameter("as_recorded_at", _KEYWORD, default=None, annotation=AsRecordedAt)
    return list_field(lists, resolve, description=description, trailing=[recorded])


def nested_list(
    lists: Lists,
    *,
    field: str,
    parent: ColumnElement[Any],
    description: str | None = None,
) -> Any:
    """The rows of `lists` whose `parent` column is the parent object's row."""
    branches = (Branch(parent),)

    async def resolve(owner: Any, info: Info, **arguments: Any) -> Any:
        page = _page_function(lists.pages)
        return await page(info, field=field, parent=owner._pk, branches=branches, **arguments)

    return list_field(lists, resolve, description=description)


def _lists(
    typename: str, where: Any, order: type[Enum], default: Enum, *, as_of: bool, module: str
) -> Lists:
    return Lists(
        typename, where, order, default, as_of, f"schema.types.{module}:{module}_connection"
    )


STATES = _lists("State", StateWhere, StateOrder, StateOrder.NAME_ASC, as_of=False, module="state")
GOVERNMENTS = _lists(
    "Government",
    GovernmentWhere,
    GovernmentOrder,
    GovernmentOrder.KEY_ASC,
    as_of=True,
    module="government",
)
RECOGNITIONS = _lists(
    "Recognition",
    RecognitionWhere,
    RecognitionOrder,
    RecognitionOrder.FROM_ASC,
    as_of=True,
    module="recognition",
)
ENVOYS = _lists("Envoy", EnvoyWhere, EnvoyOrder, EnvoyOrder.START_ASC, as_of=True, module="envoy")
SANCTIONS = _lists(
    "Sanction", SanctionWhere, SanctionOrder, SanctionOrder.KEY_ASC, as_of=True, module="sanction"
)
COOPERATIONS = _lists(
    "Cooperation",
    CooperationWhere,
    CooperationOrder,
    CooperationOrder.DATE_ASC,
    as_of=True,
    module="cooperation",
)
PERSONS = _lists(
    "Person", PersonWhere, PersonOrder, PersonOrder.NAME_ASC, as_of=False, module="person"
)
SOURCES = _lists(
    "Source", SourceWhere, SourceOrder, SourceOrder.KEY_ASC, as_of=False, module="source"
)
