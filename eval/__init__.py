"""Metrics, evaluations and benchmarks with JSON + markdown + plot reports."""
