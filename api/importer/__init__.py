"""Bulk import and export in the Credence data format (see import-format.md).

The importer never imports the GraphQL layer; the CLI is a thin layer over these functions.
"""

from api.importer.entities import ENTITIES
from api.importer.errors import ImportUsageError, RowError
from api.importer.export import ExportSummary, export_entities
from api.importer.pipeline import ImportOptions, import_files, import_inputs, plan_files
from api.importer.readers import FileInput, RowsInput
from api.importer.rules import MergeMode
from api.importer.summary import EntitySummary, FactChange, ImportSummary, ImportWarning
from api.importer.turns import ImportLockTimeout, LockHolder, LockWait

__all__ = [
    "ENTITIES",
    "EntitySummary",
    "ExportSummary",
    "FactChange",
    "FileInput",
    "ImportLockTimeout",
    "ImportOptions",
    "ImportSummary",
    "ImportUsageError",
    "ImportWarning",
    "LockHolder",
    "LockWait",
    "MergeMode",
    "RowError",
    "RowsInput",
    "export_entities",
    "import_files",
    "import_inputs",
    "plan_files",
]
