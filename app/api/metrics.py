"""Prometheus metrics, one registry per app (so several apps in one process never collide)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
FAITHFULNESS_BUCKETS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.request_latency = Histogram(
            "waypoint_request_latency_seconds",
            "HTTP request latency by route template, method and status.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "waypoint_requests", "HTTP requests by route and status.", ["route", "method", "status"], registry=r
        )
        self.explanations = Counter(
            "waypoint_explanations",
            "Explanations served by LLM backend, model and adapter.",
            ["backend", "model", "adapter", "variant"],
            registry=r,
        )
        self.explain_latency = Histogram(
            "waypoint_explain_latency_seconds",
            "Explanation service latency by backend.",
            ["backend"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.faithfulness = Histogram(
            "waypoint_explanation_faithfulness",
            "Share of claims kept by the verifier, per explanation.",
            buckets=FAITHFULNESS_BUCKETS,
            registry=r,
        )
        self.fallbacks = Counter(
            "waypoint_explanation_fallbacks",
            "Explanations composed deterministically because the LLM path failed.",
            ["reason"],
            registry=r,
        )
        self.rate_limited = Counter("waypoint_rate_limited", "Requests answered 429.", ["route"], registry=r)
        self.feedback_events = Counter(
            "waypoint_feedback_events", "Feedback events stored, by type.", ["type"], registry=r
        )
        self.impressions = Counter(
            "waypoint_impressions", "Impressions logged, by surface and variant.", ["surface", "variant"], registry=r
        )
        self.degraded = Gauge(
            "waypoint_degraded", "1 when a component is degraded (see /healthz).", ["component"], registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
