"""A click simulator for offline experiments with explanation feedback (``waypoint simulate``).

Why: real click logs take months; to exercise the whole learning loop (impressions with
propensities → preference/KTO data → training → off-policy evaluation → promotion) we need logged
data whose ground truth is known. The simulator produces exactly the events the app produces,
through the same :class:`app.feedback.store.EventStore` (same columns, propensities, model/adapter
fields), with a documented click model in which a better explainer truly earns more clicks.

People
    Real profiles: résumé texts (catalogue table ``resume``) and applicants' described experience
    (table ``experience``), taken in a stable hash order after skipping the first ``holdout``
    (default 60) of each by id -- the evaluation sample of ``waypoint eval explain`` is the first
    40 of each by id at its default size, so simulated people never overlap it. The catalogue has
    ~160 usable résumés and ~2,400 applicants, so large runs are mostly applicants. Each person is shown their top
    recommended occupations (:func:`retrieval.recommend.recommend`) and, for ``items_per_person`` of
    them, an explanation.

Candidate explanations ("arms"), all built from the same real evidence (:func:`explain_traced`)
and scored by the real verifier:
    ``default``      the deterministic composer (what the app shows by default);
    ``alt``          the composer with the ``alt`` phrasing variant (the app's exploration arm);
    ``generic``      a synthetic weak explainer: no skills of the person, a vague summary
                     (what base SmolLM2 tends to write: "nice");
    ``unfaithful``   a synthetic confused explainer: claims missing skills as matched and
                     overclaims (the verifier drops those claims, and faithfulness drops);
    ``llm``          the LLM's own draft through ``explain_traced(backend=...)`` with the given
                     adapter (only when ``backend`` is set; on fallback the shown composer text is
                     what is logged).

Logging policy
    ``single`` impressions show one explanation: the arm is drawn from the logging weights (with
    exactly two arms this is the app's :class:`app.feedback.exploration.Explorer`), logged with
    :meth:`EventStore.log_impression` exactly like ``POST /v1/explain`` does, with propensity =
    probability of that arm. ``pair`` impressions show two candidate explanations of the same item
    side by side (:meth:`EventStore.log_candidates`: one event, rows at positions 0 and 1,
    ``shown`` = both variant names, each row with its marginal propensity of being shown, the
    ordered pair's probability in the payload); the person clicks at most one of them. Pairs are
    drawn by sampling two distinct arms without replacement from the logging weights, in draw order.
    Only pair impressions yield preference pairs "within the same impression".

Click model (all parameters in :class:`ClickModel`; seeded, so a run is reproducible)
    examination   position ``p`` (0-based) is looked at with probability ``1 / (1 + p) ** eta``;
    utility       ``u = bias + w_specific * specificity + w_faithful * (faithfulness - 1)
                  - w_generic * generic + w_gap * gap_share + w_fit * (coverage - 0.5) + person``
                  where ``specificity`` is the share of the person's decisive matched skills
                  (top 3 by importance) that the shown (verified) explanation names, ``faithfulness``
                  the verifier's supported/claims of the generator's draft (unsupported claims make
                  it read wrong), ``generic`` is 1 when it names none of the person's skills,
                  ``gap_share`` the share of the top missing skills it names, ``coverage`` the
                  person's fit to the item, and ``person ~ N(0, person_sd)`` a per-person taste
                  (seeded by the person id, so the same person has the same taste in every run);
    choice        a multinomial logit over the examined candidates and an outside option of
                  utility 0: ``P(click c) = exp(u_c) / (1 + sum_examined exp(u))`` -- for a single
                  explanation that is ``sigmoid(u)``; at most one click per impression;
    dwell         a click is followed by a dwell of ``exp(dwell_log_ms + dwell_beta * u + N(0, dwell_sd))`` ms;
    thumbs        with probability ``thumbs_rate`` a clicker also gives thumbs: up when
                  ``u + logistic noise > 0``, else down with the reason the explanation earns
                  (too_generic, wrong_skill or not_relevant).

So an explainer that names the person's own decisive skills correctly gets more clicks than a
generic or unfaithful one, and :func:`expected_click_rate` gives the exact ground truth of any
policy on a set of simulated contexts (used to check off-policy estimates).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
import typer
from pydantic import BaseModel, Field, field_validator

from app.clikit import command_typer, run
from retrieval.profile import Profile
from retrieval.settings import Settings, get_settings
from retrieval.sqldb import display
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

COMPOSER_ARMS = ("default", "alt")
SYNTHETIC_ARMS = ("generic", "unfaithful")
LLM_ARM = "llm"
KNOWN_ARMS = (*COMPOSER_ARMS, *SYNTHETIC_ARMS, LLM_ARM)
SIM_SURFACE = "explanation"
EVIDENCE_KEY_PREFIX = "ev_"  # an all-digit hex key would otherwise read as a phone number to the store's redactor
MAX_PROFILE_CHARS = 4000  # the app stores at most 4000 chars of profile text with an impression

GENERIC_SUMMARIES = [
    "This could be a good career option for you based on your background and interests.",
    "{title} is an interesting role that many people find rewarding.",
    "You might enjoy working as one of the {title}; it is a nice choice for many people.",
    "Based on your profile, {title} may be worth considering as a next step.",
]
GENERIC_STEPS = [
    "Read more about {title} and talk to people who work in the field.",
    "Research what {title} do day to day and decide if it suits you.",
]


class ClickModel(BaseModel):
    """Parameters of the simulated person's behaviour (see the module docstring)."""

    eta: float = Field(1.0, ge=0, description="position-bias exponent: examination = 1/(1+pos)^eta")
    bias: float = -1.0
    w_specific: float = 1.6
    w_faithful: float = 2.0
    w_generic: float = 0.8
    w_gap: float = 0.4
    w_fit: float = 1.0
    person_sd: float = Field(0.5, ge=0)
    dwell_log_ms: float = math.log(8000.0)
    dwell_beta: float = 0.3
    dwell_sd: float = Field(0.5, ge=0)
    thumbs_rate: float = Field(0.2, ge=0, le=1)

    def examination(self, position: int) -> float:
        return 1.0 / (1.0 + position) ** self.eta


class SimConfig(BaseModel):
    """One simulation run (``waypoint simulate``; YAML in ``training/configs/simulate.yaml``)."""

    people: int = Field(300, ge=1)
    holdout: int = Field(60, ge=0, description="skip the first N résumés/applicants by id (eval sample)")
    skip_people: int = Field(
        0,
        ge=0,
        description="skip the first N simulation profiles: a population disjoint "
        "from any earlier run with people <= N (a fresh log for OPE)",
    )
    items_per_person: int = Field(1, ge=1, le=10)
    k: int = Field(3, ge=1, le=50, description="recommendations per person to choose explained items from")
    arms: dict[str, float] = Field(
        default_factory=lambda: {"default": 0.8, "alt": 0.1, "generic": 0.05, "unfaithful": 0.05},
        description="logging policy weights per arm (normalised)",
    )
    pair_share: float = Field(0.5, ge=0, le=1, description="share of impressions showing two candidates side by side")
    impressions_per_context: int = Field(1, ge=1, description="repeat visits per (person, item)")
    backend: str | None = Field(None, description="LLM backend for the llm arm (transformers | openai)")
    adapter: str | None = Field(None, description="LoRA adapter for the llm arm")
    seed: int = 0
    click: ClickModel = Field(default_factory=ClickModel)

    @field_validator("arms")
    @classmethod
    def _arms(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(KNOWN_ARMS))
        if unknown:
            raise ValueError(f"unknown arms {unknown}; known: {', '.join(KNOWN_ARMS)}")
        if not value or any(w < 0 for w in value.values()) or sum(value.values()) <= 0:
            raise ValueError("arms need non-negative weights with a positive sum")
        return {k: float(v) for k, v in value.items() if v > 0}


# ------------------------------------------------------------------------------------------------
# people


def _stable_unit(text: str) -> float:
    """A number in [0, 1) fixed by ``text`` (stable across processes, unlike ``hash``)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], 16) / float(16**12)


def simulation_profiles(settings: Settings, n: int, holdout: int = 60, skip: int = 0) -> list[Profile]:
    """``n`` real profiles (half résumés, half applicants), none from the evaluation sample.

    The first ``holdout`` résumés and applicants by id (where ``waypoint eval explain`` takes its
    fixed sample) are skipped; the rest are taken in a stable pseudo-random order by id hash. ``skip``
    drops the first ``skip`` of that order, so a run with ``skip=N`` sees nobody a run of ``N`` people
    saw: adapters trained on one log are evaluated off-policy on people they never saw.
    """
    n, wanted = n + skip, n
    from app.security import redact_pii
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        resumes = conn.execute("SELECT id, text FROM resume WHERE length(text) > 200 ORDER BY id").fetchall()[holdout:]
        applicants = [
            r[0]
            for r in conn.execute(
                "SELECT applicant_id FROM experience WHERE description != '' GROUP BY applicant_id "
                "HAVING sum(length(description)) > 150 ORDER BY applicant_id"
            ).fetchall()
        ][holdout:]
        resumes.sort(key=lambda r: _stable_unit(f"resume:{r[0]}"))
        applicants.sort(key=lambda a: _stable_unit(f"applicant:{a}"))
        want_r = min(len(resumes), (n + 1) // 2)
        want_a = min(len(applicants), n - want_r)
        want_r = min(len(resumes), n - want_a)
        out = [Profile(id=f"resume:{rid}", text=text[:MAX_PROFILE_CHARS]) for rid, text in resumes[:want_r]]
        for aid in applicants[:want_a]:
            rows = conn.execute(
                "SELECT position, description FROM experience WHERE applicant_id = ? ORDER BY start_date DESC", (aid,)
            ).fetchall()
            text = "\n".join(f"{p}: {d}".strip(": ") for p, d in rows if p or d)
            out.append(Profile(id=f"applicant:{aid}", text=text[:MAX_PROFILE_CHARS]))
    finally:
        conn.close()
    # the text as the events store keeps it (PII-redacted), so a logged row rebuilds the same prompt
    out = [p.model_copy(update={"text": redact_pii(p.text)}) for p in out]
    if len(out) < n:
        log.warning("only %d simulation profiles available (asked for %d)", len(out), n)
    # interleave the sources so any prefix keeps both
    r = [p for p in out if p.id.startswith("resume:")]
    a = [p for p in out if p.id.startswith("applicant:")]
    mixed = [p for pair in zip(r, a) for p in pair] + r[len(a) :] + a[len(r) :]
    return mixed[skip : skip + wanted]


def person_taste(profile_id: str, seed: int, sd: float) -> float:
    """The person's fixed taste offset (same person → same offset in every run with this seed)."""
    rng = np.random.default_rng(int(hashlib.sha256(f"{seed}:{profile_id}".encode()).hexdigest()[:15], 16))
    return float(rng.normal(0.0, sd)) if sd > 0 else 0.0


# ------------------------------------------------------------------------------------------------
# candidates


@dataclass
class Candidate:
    """One explanation a person could be shown, with the features the click model reads."""

    arm: str
    explanation: Any  # app.explain.schema.Explanation (what the person sees, after verification)
    completion: str  # the generator's own draft as the assistant text (training target format)
    model: dict[str, Any]
    faithfulness: float
    specificity: float
    generic: float
    gap_share: float
    fallback_reason: str | None = None


@dataclass
class Context:
    """One (person, item) with its candidate explanations."""

    profile: Profile
    item_id: str
    item_kind: str
    evidence_key: str
    coverage: float
    taste: float
    candidates: dict[str, Candidate] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.profile.id}|{self.item_id}"


def features(draft, evidence) -> tuple[Any, float, float, float, float]:
    """(verified, faithfulness, specificity, generic, gap_share) of ``draft`` on ``evidence``."""
    from app.explain.composer import decisive
    from app.explain.verify import verify

    verified = verify(draft, evidence)
    mentioned = {s.id for s, _ in verified.matched}
    if not verified.summary_replaced:
        low = verified.summary.lower()
        mentioned |= {s.id for s in evidence.matched if s.label.lower() in low}
    top = decisive(evidence)
    specificity = (sum(s.id in mentioned for s in top) / len(top)) if top else 0.0
    generic = 0.0 if mentioned else 1.0
    top_missing = evidence.missing[:3]
    named_missing = {s.id for s in verified.missing}
    if not verified.summary_replaced:
        named_missing |= {s.id for s in top_missing if s.label.lower() in verified.summary.lower()}
    gap_share = (sum(s.id in named_missing for s in top_missing) / len(top_missing)) if top_missing else 0.0
    return verified, verified.faithfulness, specificity, generic, gap_share


def generic_draft(evidence, rng: random.Random):
    """A vague explanation: names nothing of the person's (the weak base model's style)."""
    from app.explain.schema import DraftStep, LLMDraft

    title = evidence.item.title
    steps = []
    desc = [c.id for c in evidence.citations if c.role == "description"][:1]
    if desc:
        steps.append(DraftStep(text=rng.choice(GENERIC_STEPS).format(title=title), citations=desc))
    return LLMDraft(
        fit=evidence.fit.value,
        matched_skills=[],
        missing_skills=[],
        next_steps=steps,
        summary=rng.choice(GENERIC_SUMMARIES).format(title=title),
    )


def unfaithful_draft(evidence, rng: random.Random):
    """A confused explanation: missing skills claimed as matched, a wrong fit, an overclaiming summary."""
    from app.explain.composer import compose
    from app.explain.schema import DraftMatched, Fit

    draft = compose(evidence, "unfaithful")
    wrong = [
        DraftMatched(
            skill=s.name,
            evidence=[c for c in s.citations if evidence.citation(c).role == "missing"][:1] or s.citations[:1],
        )
        for s in evidence.missing[:2]
    ]
    keep = draft.matched_skills[:1]
    fits = [f.value for f in Fit if f.value != evidence.fit.value]
    boast = (
        evidence.missing[0].label if evidence.missing else (evidence.matched[0].label if evidence.matched else "skills")
    )
    summary = f"Your {boast} experience makes you a perfect fit for {evidence.item.title}."
    return draft.model_copy(
        update={
            "matched_skills": wrong + keep,
            "fit": rng.choice(fits),
            "summary": summary,
            "missing_skills": draft.missing_skills[1:],
        }
    )


def build_context(
    profile: Profile, item_id: str, item_kind: str, arms: list[str], cfg: SimConfig, settings: Settings
) -> Context | None:
    """Explain ``item_id`` for ``profile`` once per arm through the real explain path."""
    from app.explain.composer import compose
    from app.explain.prompt import completion_text
    from app.explain.schema import ModelInfo
    from app.explain.service import composer_model, explain_traced, to_explanation
    from app.explain.verify import parse_draft

    try:
        explanation, trace = explain_traced(profile, item_id, backend="deterministic", settings=settings)
    except ValueError as exc:
        log.warning("skipping %s / %s: %s", profile.id, item_id, exc)
        return None
    evidence = trace.evidence
    ctx = Context(
        profile=profile,
        item_id=item_id,
        item_kind=item_kind,
        evidence_key=evidence.key,
        coverage=float(evidence.coverage),
        taste=person_taste(profile.id or "", cfg.seed, cfg.click.person_sd),
    )
    rng = random.Random(f"{cfg.seed}:{ctx.key}")
    for arm in arms:
        model = composer_model()
        fallback = None
        if arm in COMPOSER_ARMS:
            variant = None if arm == "default" else arm
            draft = compose(evidence, variant)
        elif arm == "generic":
            draft = generic_draft(evidence, rng)
            model = ModelInfo(backend="simulated", name="generic-v1", adapter=None)
        elif arm == "unfaithful":
            draft = unfaithful_draft(evidence, rng)
            model = ModelInfo(backend="simulated", name="unfaithful-v1", adapter=None)
        else:  # the LLM's own draft
            if not cfg.backend:
                continue
            llm_settings = settings.model_copy(update={"llm_adapter": cfg.adapter}) if cfg.adapter else settings
            llm_expl, llm_trace = explain_traced(profile, item_id, backend=cfg.backend, settings=llm_settings)
            if llm_expl.fallback_reason or llm_trace.raw_text is None:
                draft, fallback = compose(evidence, None), llm_expl.fallback_reason
            else:
                draft = parse_draft(json.loads(llm_trace.raw_text))
                model = llm_expl.model
        verified, faith, spec, generic, gap = features(draft, evidence)
        shown = (
            explanation
            if arm == "default"
            else to_explanation(
                evidence,
                verified,
                model=model,
                latency_ms=0.0,
                fallback_reason=fallback,
                variant=None if arm == "default" else arm,
            )
        )
        ctx.candidates[arm] = Candidate(
            arm=arm,
            explanation=shown,
            completion=completion_text(parse_draft(draft)),
            model=model.model_dump(),
            faithfulness=faith,
            specificity=spec,
            generic=generic,
            gap_share=gap,
            fallback_reason=fallback,
        )
    return ctx


def build_contexts(cfg: SimConfig, settings: Settings, *, progress: bool = True) -> list[Context]:
    """Profiles → top-k recommendations → candidate explanations (the expensive part, done once)."""
    from tqdm.auto import tqdm

    from retrieval.profile import ProfileError
    from retrieval.recommend import Kind, recommend

    profiles, results = [], []
    for profile in simulation_profiles(settings, cfg.people, cfg.holdout, cfg.skip_people):
        try:
            results.append(recommend([profile], Kind.occupation, k=cfg.k)[0])
            profiles.append(profile)
        except ProfileError as exc:  # a real applicant who wrote in Spanish: the app would ask, not guess
            log.info("simulated person %s left out: %s", profile.id, exc)
    arms = list(cfg.arms)
    contexts: list[Context] = []
    jobs = []
    for profile, result in zip(profiles, results):
        rng = random.Random(f"{cfg.seed}:items:{profile.id}")
        items = [i.id for i in result.items]
        for item_id in rng.sample(items, min(cfg.items_per_person, len(items))):
            jobs.append((profile, item_id))
    for profile, item_id in tqdm(jobs, desc="simulate: explanations", disable=not progress):
        ctx = build_context(profile, item_id, "occupation", arms, cfg, settings)
        if ctx is not None and ctx.candidates:
            contexts.append(ctx)
    return contexts


# ------------------------------------------------------------------------------------------------
# the click model


def utility(candidate: Candidate, ctx: Context, click: ClickModel) -> float:
    """The person's utility for seeing ``candidate`` (module docstring), including their taste."""
    return (
        click.bias
        + click.w_specific * candidate.specificity
        + click.w_faithful * (candidate.faithfulness - 1.0)
        - click.w_generic * candidate.generic
        + click.w_gap * candidate.gap_share
        + click.w_fit * (ctx.coverage - 0.5)
        + ctx.taste
    )


def click_probabilities(utilities: list[float], positions: list[int], click: ClickModel) -> np.ndarray:
    """Exact P(click on each shown candidate): examination × multinomial logit with an outside option.

    Sums over the 2^n examination outcomes (n ≤ a handful of candidates side by side).
    """
    n = len(utilities)
    exam = np.array([click.examination(p) for p in positions])
    expu = np.exp(np.asarray(utilities, dtype=float))
    probs = np.zeros(n)
    for mask in range(1, 2**n):
        seen = np.array([(mask >> i) & 1 for i in range(n)], dtype=bool)
        p_mask = float(np.prod(np.where(seen, exam, 1.0 - exam)))
        if p_mask == 0.0:
            continue
        denom = 1.0 + float(expu[seen].sum())
        probs += p_mask * np.where(seen, expu / denom, 0.0)
    return probs


class Policy(Protocol):
    """Which arm to show in a context: a probability per available arm."""

    def probabilities(self, ctx: Context) -> dict[str, float]: ...


class WeightsPolicy:
    """A context-free distribution over arms, renormalised over the arms a context has."""

    def __init__(self, weights: dict[str, float]):
        if not weights or any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("a policy needs non-negative weights with a positive sum")
        self.weights = dict(weights)

    def probabilities(self, ctx: Context) -> dict[str, float]:
        avail = {a: w for a, w in self.weights.items() if a in ctx.candidates and w > 0}
        total = sum(avail.values())
        if total <= 0:
            raise ValueError(f"no arm of the policy {sorted(self.weights)} is available for {ctx.key}")
        return {a: w / total for a, w in avail.items()}


def expected_click_rate(contexts: list[Context], policy: Policy, click: ClickModel) -> float:
    """Ground truth: the exact expected click rate of single impressions chosen by ``policy``."""
    values = []
    for ctx in contexts:
        probs = policy.probabilities(ctx)
        values.append(
            sum(
                p * click_probabilities([utility(ctx.candidates[a], ctx, click)], [0], click)[0]
                for a, p in probs.items()
            )
        )
    return float(np.mean(values)) if values else float("nan")


def arm_click_rates(contexts: list[Context], click: ClickModel) -> dict[str, float]:
    """Exact expected click rate of always showing each arm alone (the arms' true quality)."""
    arms = sorted({a for c in contexts for a in c.candidates})
    return {
        a: expected_click_rate([c for c in contexts if a in c.candidates], WeightsPolicy({a: 1.0}), click) for a in arms
    }


# ------------------------------------------------------------------------------------------------
# logging impressions and clicks


def profile_payload(profile: Profile) -> dict:
    """The profile as the app stores it with an impression (hashed user id; redacted by the store)."""
    from app.security import hash_user_id

    data = profile.model_dump(mode="json", exclude_none=True)
    if "user_id" in data:
        data["user_id"] = hash_user_id(data["user_id"])
    if data.get("text"):
        data["text"] = data["text"][:MAX_PROFILE_CHARS]
    return data


def _payload(ctx: Context, cand: Candidate, *, explored: bool, extra: dict | None = None) -> dict:
    from app.explain.prompt import PROMPT_VERSION

    out = {
        "profile": profile_payload(ctx.profile),
        "profile_id": ctx.profile.id,
        "item_id": ctx.item_id,
        "evidence_key": EVIDENCE_KEY_PREFIX + ctx.evidence_key,
        "prompt_version": PROMPT_VERSION,
        "arm": cand.arm,
        "completion": cand.completion,
        "fit": cand.explanation.fit,
        "summary": cand.explanation.summary,
        "explored": explored,
        "fallback_reason": cand.fallback_reason,
        "simulated": True,
    }
    out.update(extra or {})
    return out


def _draw_pair(probs: dict[str, float], rng: np.random.Generator) -> tuple[list[str], list[float], float]:
    """Two distinct arms sampled without replacement (in draw order = positions 0, 1).

    Returns (arms, marginal inclusion probability of each, probability of this ordered pair).
    """
    arms = list(probs)
    w = np.array([probs[a] for a in arms])
    first = int(rng.choice(len(arms), p=w))
    rest = w.copy()
    rest[first] = 0.0
    second = int(rng.choice(len(arms), p=rest / rest.sum()))

    def p_order(i: int, j: int) -> float:
        return float(w[i] * w[j] / (1.0 - w[i]))

    def inclusion(i: int) -> float:
        return sum(p_order(i, j) + p_order(j, i) for j in range(len(arms)) if j != i)

    chosen = [arms[first], arms[second]]
    return chosen, [round(inclusion(first), 6), round(inclusion(second), 6)], round(p_order(first, second), 6)


class Simulator:
    """Draws impressions for prepared contexts under a logging policy and logs them to an EventStore."""

    def __init__(self, click: ClickModel, store, *, seed: int = 0, pair_share: float = 0.0, run_id: str | None = None):
        self.click = click
        self.store = store
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.pair_share = pair_share
        self.run_id = run_id or uuid.uuid4().hex[:8]

    def _choose_single(self, probs: dict[str, float], explorer) -> tuple[str, float, bool]:
        if explorer is not None:
            choice = explorer.choose()
            return choice.variant, choice.propensity, choice.explored
        arms = list(probs)
        arm = arms[int(self.rng.choice(len(arms), p=np.array([probs[a] for a in arms])))]
        return arm, round(probs[arm], 6), arm != max(probs, key=probs.get)

    def run(self, contexts: list[Context], policy: Policy, *, progress: bool = True) -> dict[str, Any]:
        """One pass: per context ``impressions``, single or pair by ``pair_share``; returns counts."""
        from tqdm.auto import tqdm

        from app.feedback.exploration import Explorer

        stats = {
            "impressions": 0,
            "single": 0,
            "pair": 0,
            "clicks": 0,
            "single_clicks": 0,
            "pair_clicks": 0,
            "dwell": 0,
            "thumbs": 0,
        }
        explorers: dict[tuple, Explorer] = {}
        for ctx in tqdm(contexts, desc="simulate: clicks", disable=not progress):
            probs = policy.probabilities(ctx)
            session = f"sim-{self.run_id}-{ctx.profile.id}"
            pair = len(probs) >= 2 and self.rng.random() < self.pair_share
            if pair:
                arms, props, pair_p = _draw_pair(probs, self.rng)
                cands = [ctx.candidates[a] for a in arms]
                rows = [
                    dict(
                        variant=a,
                        propensity=p,
                        model=c.model,
                        faithfulness=c.faithfulness,
                        payload=_payload(
                            ctx,
                            c,
                            explored=a != max(probs, key=probs.get),
                            extra={"pair": arms, "pair_propensity": pair_p},
                        ),
                    )
                    for a, p, c in zip(arms, props, cands)
                ]
                imp = self.store.log_candidates(
                    item_id=ctx.item_id,
                    candidates=rows,
                    session_id=session,
                    user_id=ctx.profile.id,
                    item_kind=ctx.item_kind,
                    surface=SIM_SURFACE,
                )
                positions = [0, 1]
                stats["pair"] += 1
            else:
                explorer = None
                if len(probs) == 2 and "default" in probs:
                    other = next(a for a in probs if a != "default")
                    key = (other, probs[other])
                    explorer = explorers.setdefault(key, Explorer(probs[other], seed=self.seed, alternative=other))
                arm, prop, explored = self._choose_single(probs, explorer)
                cand = ctx.candidates[arm]
                cands, positions = [cand], [0]
                imp = self.store.log_impression(
                    items=[ctx.item_id],
                    positions=[0],
                    shown=[ctx.item_id],
                    session_id=session,
                    user_id=ctx.profile.id,
                    surface=SIM_SURFACE,
                    item_kind=ctx.item_kind,
                    variant=arm,
                    propensity=prop,
                    model=cand.model,
                    faithfulness=cand.faithfulness,
                    payload=_payload(
                        ctx,
                        cand,
                        explored=explored,
                        extra={"candidates": {a: c.completion for a, c in ctx.candidates.items()}},
                    ),
                )
                stats["single"] += 1
            stats["impressions"] += 1
            utilities = [utility(c, ctx, self.click) for c in cands]
            p_click = click_probabilities(utilities, positions, self.click)
            draw = self.rng.random()
            edges = np.cumsum(p_click)
            hit = int(np.searchsorted(edges, draw, side="right"))
            if hit < len(cands):
                cand, pos, u = cands[hit], positions[hit], utilities[hit]
                self.store.log_click(
                    impression_id=imp,
                    item_id=ctx.item_id,
                    session_id=session,
                    user_id=ctx.profile.id,
                    position=pos,
                    payload={"variant": cand.arm},
                )
                dwell = math.exp(
                    self.click.dwell_log_ms + self.click.dwell_beta * u + self.rng.normal(0, self.click.dwell_sd)
                )
                self.store.log_dwell(
                    impression_id=imp,
                    item_id=ctx.item_id,
                    dwell_ms=round(dwell, 1),
                    session_id=session,
                    user_id=ctx.profile.id,
                    position=pos,
                )
                stats["clicks"] += 1
                stats["pair_clicks" if pair else "single_clicks"] += 1
                stats["dwell"] += 1
                if self.rng.random() < self.click.thumbs_rate:
                    noise = self.rng.logistic()
                    up = u + noise > 0
                    reason = (
                        None
                        if up
                        else (
                            "too_generic"
                            if cand.generic
                            else "wrong_skill"
                            if cand.faithfulness < 1
                            else "not_relevant"
                        )
                    )
                    self.store.log_thumbs(
                        impression_id=imp,
                        item_id=ctx.item_id,
                        up=bool(up),
                        reason=reason,
                        session_id=session,
                        user_id=ctx.profile.id,
                        position=pos,
                    )
                    stats["thumbs"] += 1
        return stats


# ------------------------------------------------------------------------------------------------
# entry point


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> SimConfig:
    """A :class:`SimConfig` from a YAML file (optional; read by :func:`training.lora.read_config_file`, as every
    training config is) with the command's options on top (``None``: not given)."""
    from training.lora import read_config_file

    data = read_config_file(path) if path else {}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return SimConfig.model_validate(data)


def parse_arms(text: str) -> dict[str, float]:
    """``"default=0.8,alt=0.2"`` → ``{"default": 0.8, "alt": 0.2}`` (clear error when malformed)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        if not sep:
            raise ValueError(f"arm weight {part!r} must look like name=weight")
        try:
            out[name.strip()] = float(weight)
        except ValueError:
            raise ValueError(f"arm weight {part!r}: {weight!r} is not a number") from None
    return out


def simulate(cfg: SimConfig, settings: Settings, events: str | Path, *, progress: bool = True) -> dict[str, Any]:
    """Prepare contexts, run the logging policy once, and return what happened plus the ground truth."""
    from app.feedback.store import EventStore

    set_process_threads(1)
    started = time.perf_counter()
    contexts = build_contexts(cfg, settings, progress=progress)
    prepared = time.perf_counter() - started
    store = EventStore(events)
    try:
        sim = Simulator(cfg.click, store, seed=cfg.seed, pair_share=cfg.pair_share)
        policy = WeightsPolicy(cfg.arms)
        stats: dict[str, Any] = {}
        for _ in range(cfg.impressions_per_context):
            for k, v in sim.run(contexts, policy, progress=progress).items():
                stats[k] = stats.get(k, 0) + v
    finally:
        store.close()
    truth = arm_click_rates(contexts, cfg.click)
    return {
        "events": display(events),
        "people": len({c.profile.id for c in contexts}),
        "contexts": len(contexts),
        "stats": stats,
        "true_click_rate_per_arm": {k: round(v, 4) for k, v in truth.items()},
        "true_click_rate_logging_policy": round(expected_click_rate(contexts, policy, cfg.click), 4),
        "logged_click_rate": round(stats["clicks"] / max(1, stats["impressions"]), 4),
        "config": cfg.model_dump(),
        "seconds_prepare": round(prepared, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


cli = command_typer()


@cli.command("simulate")
def simulate_command(
    config: Annotated[
        Path | None, typer.Option(help="YAML with SimConfig fields (training/configs/simulate.yaml)")
    ] = None,
    people: int | None = None,
    skip_people: Annotated[
        int | None, typer.Option(help="skip the first N simulation profiles (people disjoint from a run of N)")
    ] = None,
    items_per_person: int | None = None,
    arms: Annotated[str | None, typer.Option(help="logging weights, e.g. default=0.8,alt=0.1,generic=0.1")] = None,
    pair_share: float | None = None,
    impressions: Annotated[int | None, typer.Option(help="impressions per (person, item)")] = None,
    backend: Annotated[str | None, typer.Option(help="LLM backend for the llm arm (transformers | openai)")] = None,
    adapter: str | None = None,
    seed: int | None = None,
    events: Annotated[
        str | None, typer.Option(help="events DB, path or URL (default: the app's, settings.events_target)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> dict:
    """Click simulator: simulated people see explanations; impressions and clicks go to the events DB."""
    settings = get_settings()
    try:
        arm_weights = parse_arms(arms) if arms else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--arms") from None
    overrides = {
        "people": people,
        "skip_people": skip_people,
        "items_per_person": items_per_person,
        "pair_share": pair_share,
        "impressions_per_context": impressions,
        "backend": backend,
        "adapter": adapter,
        "seed": seed,
        "arms": arm_weights,
    }
    try:
        cfg = load_config(config, overrides)
    except ValueError as exc:  # a config file that is not there or not a SimConfig, a value out of range
        raise typer.BadParameter(str(exc)) from None
    if LLM_ARM in cfg.arms and not cfg.backend:
        raise typer.BadParameter("the llm arm needs --backend transformers|openai")
    result = simulate(cfg, settings, events or settings.events_target, progress=not quiet)
    if not quiet:
        print(json.dumps({k: v for k, v in result.items() if k != "config"}, indent=2))
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint simulate`` on ``argv`` (for tests and scripts); returns what happened plus the ground truth."""
    return run(cli, argv, "waypoint simulate")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m training.simulator")
