"""The API's answer models. They live in graph/models.py, beside the service that fills them, so
that both stores' answers come from one definition; this module re-exports them for the API."""

from __future__ import annotations

from milcoop.graph.models import (
    Claim,
    EntityDetail,
    EntitySummary,
    ErrorBody,
    Event,
    FlowPage,
    Health,
    Page,
    PathAnswer,
    RelationPage,
    Source,
    SourceDetail,
    TreatyPage,
    ViolationPage,
)

__all__ = [
    "Claim",
    "EntityDetail",
    "EntitySummary",
    "ErrorBody",
    "Event",
    "FlowPage",
    "Health",
    "Page",
    "PathAnswer",
    "RelationPage",
    "Source",
    "SourceDetail",
    "TreatyPage",
    "ViolationPage",
]
