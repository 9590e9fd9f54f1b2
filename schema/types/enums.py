"""GraphQL enums: the import format's values, upper-cased (`de_jure` -> `DE_JURE`).

The service's own enums are registered with Strawberry, so rows, filters and GraphQL share one
definition and cannot drift apart.
"""

import strawberry

from api.models import (
    Confidence,
    CooperationStance,
    EnvoyEndReason,
    EnvoyRank,
    RecognitionAct,
    RecognitionEndReason,
    RecognitionMode,
    RecognitionType,
    SanctionMeasure,
    SanctionStatus,
    SourceKind,
    StateKind,
    TargetKind,
)

for _enum in (
    Confidence,
    CooperationStance,
    EnvoyEndReason,
    EnvoyRank,
    RecognitionAct,
    RecognitionEndReason,
    RecognitionMode,
    RecognitionType,
    SanctionMeasure,
    SanctionStatus,
    SourceKind,
    StateKind,
    TargetKind,
):
    strawberry.enum(_enum)

__all__ = [
    "Confidence",
    "CooperationStance",
    "EnvoyEndReason",
    "EnvoyRank",
    "RecognitionAct",
    "RecognitionEndReason",
    "RecognitionMode",
    "RecognitionType",
    "SanctionMeasure",
    "SanctionStatus",
    "SourceKind",
    "StateKind",
    "TargetKind",
]
