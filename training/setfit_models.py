"""``waypoint train setfit``: the command line of :mod:`retrieval.rerankers.setfit_training` (job family and
chat intent SetFit classifiers; ``waypoint build`` trains the intent one too).

Run: ``python -m training.setfit_models [--task family|intent|both] [--tiny]``.
"""

from __future__ import annotations

from retrieval.rerankers.setfit_training import (
    SetFitConfig,
    main,
    train,
    train_family,
    train_intent,
    train_setfit,
)

__all__ = ["SetFitConfig", "main", "train", "train_family", "train_intent", "train_setfit"]

if __name__ == "__main__":
    main()
