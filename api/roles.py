"""Who is asking: the role and subject a request acts as.

Authentication (turning a bearer token into a `Principal`) lives in `api.auth`; this module only
names the roles and what each may do, so that the mutations, the history and the subscriptions
ask the same questions of the same object.
"""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    # Ordered from least to most trusted: each role may do what the ones before it may.
    READER = "reader"
    EDITOR = "editor"
    ADMIN = "admin"


_RANK = {Role.READER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role = Role.READER
    # The token's `sub`: the actor written into the history. None for anonymous readers.
    subject: str | None = None
    # Whether a verified token stands behind this principal (False for anonymous readers).
    authenticated: bool = False

    def at_least(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    @property
    def may_write(self) -> bool:
        """Upsert, update and end."""
        return self.at_least(Role.EDITOR)

    @property
    def may_delete(self) -> bool:
        return self.at_least(Role.ADMIN)

    @property
    def sees_actors(self) -> bool:
        """Whether history entries show who made each change."""
        return self.at_least(Role.ADMIN)


ANONYMOUS = Principal()
