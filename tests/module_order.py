"""The order in which ``make test`` hands test modules to its two pytest-xdist workers.

Why: the integration and e2e tiers start while the real-data home is still being built in the background
(``scripts/test.sh``; ~9 minutes of one core, ~4 of them after the unit tier ends), and most modules need
that home. Measured on a fresh clone (junit, 2 cores): with pytest-xdist's own order (largest modules by
test count first) *both* workers sat ~230 s in the first real-data test's setup, waiting for the build,
while the modules that never touch the home (the wheel install alone takes ~230 s) ran at the end; and the
longest modules came last, so one worker finished 130 s before the other.

The order here (used with ``--no-loadscope-reorder``, which keeps the collection order):

1. the longest module that does not need the home -- worker 0 starts on it;
2. the longest module that needs the home and has more than two tests -- worker 1 starts on it and waits
   for the build; with more than two tests pending it takes no further module (pytest-xdist hands a worker
   the next module when at most two of its tests are left), so it does not queue free work behind a wait;
3. the other home-free modules, longest first -- worker 0 runs them while the build finishes on the other
   core, which nothing else competes for (an earlier try that let both workers run them slowed the build,
   the critical path, and only moved the wait);
4. the other modules, longest first (longest processing time first: the shortest are left to fill the end).

Durations are the ``time`` of each module's tests in a fresh clone's junit XML (seconds, setup included,
minus the wait for the home); a module not listed counts as :data:`DEFAULT_SECONDS`. Refresh them when a
module's cost changes much: ``PYTEST_ADDOPTS=--junitxml=/tmp/junit.xml make test``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

#: Seconds per module, measured at f9a7104 (fresh clone, 2 cores, junit); test_training_prefs without the wait for the home
#: (221 s alone) and less the KTO step it no longer trains (~75 s), test_wheel_install less the SFT step that is now a
#: dry run (~49 s), test_provenance_real without the ESCO map a default built by mistake (80 s).
MODULE_SECONDS: dict[str, float] = {
    "test_wheel_install": 240,
    "test_loop_e2e": 197,
    "test_training_prefs": 150,
    "test_security_http": 138,
    "test_simulator_ope": 121,
    "test_llm_openai": 107,
    "test_degraded": 106,
    "test_fast_decode_smollm2": 86,
    "test_ui_feedback_training": 64,
    "test_bench": 59,
    "test_privacy": 51,
    "test_security_uploads": 46,
    "test_build_serve": 45,
    "test_ui_browser_understanding": 43,
    "test_recommend_occupations": 41,
    "test_jobs_cold": 39,
    "test_ui_browser": 29,
    "test_rerankers": 21,
    "test_llm_transformers": 21,
    "test_explain": 19,
    "test_training_sft": 18,
    "test_registry": 13,
    "test_vectorstore": 8,
    "test_shipped_adapter_loads": 8,
    "test_jobs": 7,
    "test_ui_understanding": 6,
    "test_skill_precision": 6,
    "test_skills": 5,
    "test_feedback": 4,
    "test_provenance_real": 3,
    "test_embeddings": 2,
    "test_eval_gap_order": 5,
    "test_ingest": 2,
    "test_understanding_real": 2,
    "test_courses_relevance": 1,
    "test_eval_profiles": 1,
}
DEFAULT_SECONDS = 30.0

T = TypeVar("T")


def module_order(modules: Sequence[Path], needs_home: set[Path], test_count: dict[Path, int]) -> list[Path]:
    """``modules`` in the order of the module docstring."""

    def longest_first(paths: list[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: (-MODULE_SECONDS.get(p.stem, DEFAULT_SECONDS), str(p)))

    free = longest_first([p for p in modules if p not in needs_home])
    home = longest_first([p for p in modules if p in needs_home])
    if not free or not home:
        return free + home
    waiter = next((p for p in home if test_count.get(p, 0) > 2), home[0])
    return [free[0], waiter, *free[1:], *(p for p in home if p != waiter)]


def sort_items(items: list[T], path_of: Callable[[T], Path], needs_home: set[Path]) -> None:
    """Sort ``items`` in place by :func:`module_order` of their modules, keeping the order within a module."""
    count = Counter(path_of(item) for item in items)
    rank = {p: i for i, p in enumerate(module_order(list(count), needs_home, count))}
    items.sort(key=lambda item: rank[path_of(item)])
