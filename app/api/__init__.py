"""REST API: ``create_app`` (FastAPI factory), the services it is thin over, schemas and metrics."""

from app.api.app import create_app

__all__ = ["create_app"]
