"""The tables behind the schema as Core `Table`s: read paths use Core, never the ORM."""

from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers the tables on SQLModel.metadata)

_tables = SQLModel.metadata.tables

state = _tables["state"]
government = _tables["government"]
government_period = _tables["government_period"]
person = _tables["person"]
source = _tables["source"]
citation = _tables["citation"]
recognition = _tables["recognition"]
envoy = _tables["envoy"]
sanction = _tables["sanction"]
cooperation_area = _tables["cooperation_area"]
cooperation = _tables["cooperation"]
