"""Exploration over explanation variants, with the propensity logged for counterfactual learning.

With probability ``rate`` an impression shows the alternative variant (``"alt"``) instead of the
default one. The propensity logged with the impression is the probability that *this* variant was
shown under the logging policy: ``1 - rate`` for the default, ``rate`` for the alternative. Inverse
propensity scoring over the events DB then estimates how either variant would have done.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

DEFAULT_VARIANT = "default"
ALT_VARIANT = "alt"


@dataclass
class VariantChoice:
    """What the logging policy chose for one explanation, and (``record``) what was then generated.

    ``policy`` is the explainer policy's public block (name, adapter, version, method, role) when the
    choice was between explainer policies (:class:`app.feedback.policies.PolicyExplorer`), else None (the
    configured LLM). ``sample`` k picks the decoding: 0 greedy, k >= 1 sampled at ``temperature`` with seed
    ``seed``. ``record`` is filled while the explanation is written (the completion as the model wrote it,
    the decoding parameters, the evidence key) and logged with the impression.
    """

    variant: str
    propensity: float
    explored: bool
    policy: dict[str, Any] | None = None
    sample: int = 0
    temperature: float = 0.0
    seed: int | None = None
    policy_propensity: float | None = None
    record: dict[str, Any] = field(default_factory=dict)


class Explorer:
    """Epsilon-style choice between ``default`` and ``alt``; thread-safe, seedable."""

    def __init__(
        self, rate: float, seed: int | None = None, *, default: str = DEFAULT_VARIANT, alternative: str = ALT_VARIANT
    ):
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
