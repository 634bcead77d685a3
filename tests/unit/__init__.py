"""Unit tier tests that have no real-data counterpart file (see tests/README.md)."""
