"""Waypoint's domain layer: catalogue ingestion, skills, indexes, retrieval and ranking.

Nothing here imports ``app``, ``training`` or ``eval``; they build on this package.
"""
