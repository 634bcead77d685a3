"""Two helpers the per-occupation scores built from task statements and interests share
(:mod:`retrieval.occupations.physical`, :mod:`retrieval.occupations.remote`).

Why: each score has two sources, either of which an occupation may lack (no task statements for "All Other"
codes, no interest profile for some new ones), and falls back the same way: one source alone, then the mean of
the occupation's SOC minor group, then its major group."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def blend_known(first: np.ndarray, second: np.ndarray, first_weight: float) -> np.ndarray:
    """``first_weight * first + (1 - first_weight) * second``, or the one that is known where the other is NaN
    (NaN where neither is)."""
    both = first_weight * first + (1 - first_weight) * second
    return np.where(np.isnan(first), second, np.where(np.isnan(second), first, both))


def fill_from_soc_groups(score: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """``score`` with each NaN replaced by the mean of its SOC minor group ("47-2"), else of its major group
    ("47"), where either has known members; NaN stays NaN otherwise (the caller decides what unknown means)."""
    score = score.copy()
    for width in (4, 2):
        groups = np.array([c[:width] for c in codes])
        for group in np.unique(groups[np.isnan(score)]):
            known = score[(groups == group) & ~np.isnan(score)]
            if known.size:
                score[(groups == group) & np.isnan(score)] = known.mean()
    return score
