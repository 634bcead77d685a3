"""Everything ``waypoint ingest`` builds after the catalogue: features, models, graph, RAG memory.

Each builder is idempotent (keyed by the catalogue fingerprint) so a second ingest is quick, and
each runs in turn with its own progress output. The explanation memory lives in ``app`` (it is
serving state), so it is passed in by the caller rather than imported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console

from retrieval.settings import Settings, get_settings

console = Console(stderr=True)


def build_indexes(settings: Settings | None = None, extra: list[tuple[str, Callable[[Settings], object]]] | None = None) -> dict[str, float]:
    """Build occupation features and ranker, the skills graph, then any ``extra`` builders."""
    settings = settings or get_settings()
    timings: dict[str, float] = {}

    def step(name: str, fn: Callable[[Settings], object]) -> None:
        started = time.perf_counter()
        console.print(f"[bold]index:[/bold] {name} …")
        fn(settings)
        timings[name] = round(time.perf_counter() - started, 1)
        console.print(f"[bold]index:[/bold] {name} done in {timings[name]}s")

    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.skills.graph import get_graph

    step("occupation features and ranker", lambda s: get_occupation_recommender(s))
    step("skills graph", lambda s: get_graph(s))
    for name, fn in extra or []:
        step(name, fn)
    return timings
