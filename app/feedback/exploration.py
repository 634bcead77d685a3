"""Exploration over explanation variants, with the propensity logged for counterfactual learning.

With probability ``rate`` an impression shows the alternative variant (``"alt"``) instead of the
default one. The propensity logged with the impression is the probability that *this* variant was
shown under the logging policy: ``1 - rate`` for the default, ``rate`` for the alternative. Inverse
propensity scoring over the events DB then estimates how either variant would have done.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

DEFAULT_VARIANT = "default"
ALT_VARIANT = "alt"


@dataclass(frozen=True)
class VariantChoice:
    variant: str
    propensity: float
    explored: bool


class Explorer:
    """Epsilon-style choice between ``default`` and ``alt``; thread-safe, seedable."""

    def __init__(self, rate: float, seed: int | None = None, *, default: str = DEFAULT_VARIANT,
                 alternative: str = ALT_VARIANT):
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"exploration rate must be in [0, 1], got {rate}")
        self.rate = float(rate)
        self.default = default
        self.alternative = alternative
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def choose(self) -> VariantChoice:
        with self._lock:
            draw = self._rng.random()
        if draw < self.rate:
            return VariantChoice(self.alternative, round(self.rate, 6), True)
        return VariantChoice(self.default, round(1.0 - self.rate, 6), False)

    def fixed(self, variant: str) -> VariantChoice:
        """A variant the caller asked for explicitly: shown with certainty (propensity 1)."""
        return VariantChoice(variant, 1.0, False)
