"""The SQLite catalogue: sources, ingestion, schema and read access."""

from retrieval.catalogue.errors import IngestError

__all__ = ["IngestError"]
