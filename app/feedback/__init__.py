"""Feedback capture: impressions, clicks, dwell, thumbs and skill corrections → SQLite events (WAL)."""

from app.feedback.exploration import ALT_VARIANT, DEFAULT_VARIANT, Explorer, VariantChoice
from app.feedback.store import (
    CORRECTION_ACTIONS,
    EVENT_TYPES,
    THUMBS_REASONS,
    EventStore,
    FeedbackError,
    export_events,
    get_event_store,
)

__all__ = [
    "ALT_VARIANT",
    "CORRECTION_ACTIONS",
    "DEFAULT_VARIANT",
    "EVENT_TYPES",
    "THUMBS_REASONS",
    "EventStore",
    "Explorer",
    "FeedbackError",
    "VariantChoice",
    "export_events",
    "get_event_store",
]
