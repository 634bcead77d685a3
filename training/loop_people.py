"""Simulated people who use the running server's HTTP API, for ``waypoint loop``.

Each person (a real résumé or applicant text, :func:`training.simulator.simulation_profiles`) asks
``POST /v1/recommend`` for occupations, opens an explanation of one of them (``POST /v1/explain``) on each
of their visits, reads what the server shows them, and clicks, dwells and gives thumbs with a reason
through ``POST /v1/feedback`` -- exactly the calls a client makes. Whether they click follows the
simulator's documented click model (:class:`training.simulator.ClickModel`: specificity, faithfulness,
generic-ness, gap coverage, fit, a per-person taste). The learner never sees that model: it sees only the
events the server logged. What the simulator knows -- each shown explanation's exact click probability --
is written to its own file (``truth.jsonl``) for the report's "true click rate", never to the events log.

The person reads the explanation as served (the verified response), and what their own decisive skills
are comes from the same evidence the server built (:func:`app.explain.evidence.build_evidence`, without
the RAG memory, as the loop's server runs).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
from pathlib import Path
from typing import Any

import httpx

from retrieval.profile import Profile
from retrieval.settings import Settings
from training.simulator import Candidate, ClickModel, Context, click_probabilities, person_taste, utility

log = logging.getLogger(__name__)


def perceive(response: dict[str, Any], evidence) -> dict[str, float]:
    """What the person takes from an explanation as shown: the simulator's click-model features."""
    from app.explain.composer import decisive

    summary = str(response.get("summary") or "").lower()
    mentioned = {s.get("id") for s in response.get("matched_skills") or []}
    mentioned |= {s.id for s in evidence.matched if s.label.lower() in summary}
    top = decisive(evidence)
    top_missing = evidence.missing[:3]
    named_missing = {s.get("id") for s in response.get("missing_skills") or []}
    named_missing |= {s.id for s in top_missing if s.label.lower() in summary}
    return {
        "faithfulness": float(response.get("faithfulness") or 0.0),
        "specificity": (sum(s.id in mentioned for s in top) / len(top)) if top else 0.0,
        "generic": 0.0 if mentioned else 1.0,
        "gap_share": (sum(s.id in named_missing for s in top_missing) / len(top_missing)) if top_missing else 0.0,
    }


def best_features(evidence) -> dict[str, float]:
    """The click-model features of the best explanation ``evidence`` allows: faithful, naming every decisive
    matched skill and the top gaps, generic only when nothing of the person's matched. Its click probability
    is the ceiling no explainer can pass on this context (the loop's headroom: where the starting explainer
    is already at it, clicks have nothing left to teach)."""
    from app.explain.composer import decisive

    return {
        "faithfulness": 1.0,
        "specificity": 1.0 if decisive(evidence) else 0.0,
        "generic": 0.0 if evidence.matched else 1.0,
        "gap_share": 1.0 if evidence.missing else 0.0,
    }


def click_probability(
    features: dict[str, float], evidence, profile: Profile, item_id: str, click: ClickModel, seed: int
) -> tuple[float, float]:
    """(utility, P(click)) of one explanation shown alone at position 0."""
    cand = Candidate(arm="served", explanation=None, completion="", model={}, **features)
    ctx = Context(
        profile=profile,
        item_id=item_id,
        item_kind="occupation",
        evidence_key=evidence.key,
        coverage=float(evidence.coverage),
        taste=person_taste(profile.id or "", seed, click.person_sd),
    )
    u = utility(cand, ctx, click)
    return u, float(click_probabilities([u], [0], click)[0])


class Person:
    """One simulated person with a seeded random stream (their clicks are reproducible)."""

    def __init__(self, profile: Profile, *, seed: int, click: ClickModel, settings: Settings):
        self.profile = profile
        self.seed = seed
        self.click = click
        self.settings = settings
        self.rng = random.Random(f"{seed}:{profile.id}")
        #: the client session of this person's visits (a real client keeps one; feedback and DPO group by it)
        self.session_id = "loop-" + hashlib.sha256(f"{seed}:{profile.id}".encode()).hexdigest()[:24]

    def visit(self, client: httpx.Client, *, visits: int, k: int, round_no: int) -> list[dict[str, Any]]:
        """Recommend once, then open the same item's explanation on each visit; returns the truth rows."""
        from app.explain.evidence import build_evidence

        body = {"profile": self.profile.model_dump(mode="json", exclude_none=True), "kind": "occupation", "k": k}
        rec = client.post("/v1/recommend", json=body)
        if rec.status_code != 200:
            log.info("person %s: recommend %s: %s", self.profile.id, rec.status_code, rec.text[:200])
            return []
        items = [i["id"] for i in rec.json().get("items") or []]
        if not items:
            return []
        position = self.rng.randrange(len(items))
        item_id = items[position]
        evidence = build_evidence(self.profile, item_id, self.settings, use_memory=False)
        # the ceiling depends on the evidence and the person only: the same on every visit
        _u, best = click_probability(best_features(evidence), evidence, self.profile, item_id, self.click, self.seed)
        rows = []
        for visit in range(visits):
            # a fresh impression per visit (not the list's id): each visit is one logged decision; the person's
            # session ties the visits together, as the UI's does -- without it the log cannot tell that two
            # explanations were shown to the same person for the same prompt, and DPO had no pair to learn from
            explain = client.post(
                "/v1/explain",
                json={
                    "profile": body["profile"],
                    "item_id": item_id,
                    "position": position,
                    "shown": items,
                    "session_id": self.session_id,
                },
            )
            if explain.status_code != 200:
                log.info("person %s: explain %s: %s", self.profile.id, explain.status_code, explain.text[:200])
                continue
            shown = explain.json()
            features = perceive(shown, evidence)
            u, p = click_probability(features, evidence, self.profile, item_id, self.click, self.seed)
            clicked = self.rng.random() < p
            imp = shown.get("impression_id")
            if clicked:
                fb = {"impression_id": imp, "item_id": item_id, "position": position, "session_id": self.session_id}
                client.post("/v1/feedback", json={"type": "click", **fb}).raise_for_status()
                dwell = math.exp(
                    self.click.dwell_log_ms + self.click.dwell_beta * u + self.rng.gauss(0, self.click.dwell_sd)
                )
                client.post(
                    "/v1/feedback", json={"type": "dwell", "dwell_ms": round(dwell, 1), **fb}
                ).raise_for_status()
                if self.rng.random() < self.click.thumbs_rate:
                    up = u + _logistic(self.rng) > 0
                    reason = (
                        None
                        if up
                        else (
                            "too_generic"
                            if features["generic"]
                            else "wrong_skill"
                            if features["faithfulness"] < 1
                            else "not_relevant"
                        )
                    )
                    client.post(
                        "/v1/feedback", json={"type": "thumbs", "up": bool(up), "reason": reason, **fb}
                    ).raise_for_status()
            model = shown.get("model") or {}
            rows.append(
                {
                    "round": round_no,
                    "person": self.profile.id,
                    "item_id": item_id,
                    "visit": visit,
                    "impression_id": imp,
                    "variant": shown.get("variant"),
                    "propensity": shown.get("propensity"),
                    "adapter": model.get("adapter"),
                    "model": model.get("name"),
                    "fallback": bool(shown.get("fallback_reason")),
                    "p_click": round(p, 6),
                    "p_click_best": round(best, 6),
                    "clicked": clicked,
                    **{f"f_{k}": round(v, 4) for k, v in features.items()},
                }
            )
        return rows


def _logistic(rng: random.Random) -> float:
    x = min(max(rng.random(), 1e-12), 1 - 1e-12)
    return math.log(x / (1 - x))


def write_rows(path: Path, rows: list[dict]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


__all__ = ["Person", "click_probability", "perceive", "read_rows", "write_rows"]
