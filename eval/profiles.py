"""``waypoint eval profiles``: Waypoint queried the way people actually write, not with O*NET codes.

Four parts, each on data committed in ``eval/data`` (documented in ``eval/data/README.md``) or in the
shared résumé set:

* **personas** (``personas.jsonl``): one-to-three-sentence self-descriptions ("RN for 6 yrs on a busy
  med-surg floor") with the O*NET code of the job described. NDCG@10 of the free-text query against
  O*NET Related Occupations of that code, beside the code query on the same rows (the ratio is the
  issue-22 target), and own-occupation recognition by ``understand`` (top 1 / top 3, exact code and
  same 6-digit SOC).
* **activities** (``activities.jsonl``): "I cut hair", "I wire houses": work described by what the person
  does, with the occupations an adviser would accept. Top 1 / top 3 of ``understand``, how often nothing
  is linked, and how often something is linked for first-person sentences that name no work ("I live in
  Ohio"); beside it the same linker without the task statements' centroids (the ablation of what ranks
  sentences of work).
* **goals** (``goals.jsonl``): "I'm a firefighter and I want to move into finance". Share of the top 5
  inside the stated family (``soc_prefixes``), whether the top 1 is inside, and whether the person's
  own occupation is left out; for the goal stated in the text and for ``Profile(occupation, goal)``.
* **résumés** (the catalogue's de-duplicated ``resume`` table): top-1 / top-3 accuracy of the detected
  occupation against the families of ``resume_families.csv``, per category.
* **skills**: extracted-skill precision on labelled résumé lines, from ``eval.skill_precision`` when
  that module exists (another part of issue 22), else reported as not available.

The scoring functions are pure (rankings in, numbers out) so the unit tier checks them without a
catalogue; the ``collect_*`` functions are the only ones that call Waypoint.

Run: ``python -m eval.profiles [--limit 20]`` → ``eval/reports/profiles.{json,md,png}`` and
``profiles_resumes.png``. The data models live in :mod:`eval.profiles_data`, the markdown and plots in
:mod:`eval.profiles_report`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, TypeVar, get_args

import typer
from tqdm.auto import tqdm

from app.clikit import MultiValueCommand, command_typer, run as run_command
from eval.profiles_data import (
    SKILL_LINES,
    Activity,
    GoalStatement,
    Persona,
    ResumeFamily,
    load_activities,
    load_goals,
    load_personas,
    load_resume_families,
)
from retrieval.metrics import ndcg_at_k
from retrieval.occupations.transitions import in_prefixes, leads_others
from retrieval.reports import REPORT_DIR, write_report

Part = Literal["personas", "activities", "goals", "resumes", "skills"]
PARTS: tuple[Part, ...] = get_args(Part)
K = 10  # list length for NDCG and the current-occupation check
TOP = 5  # goal family share is measured on the top 5
WORST = 15  # failures shown per part in the markdown
TARGETS = {  # issue 22, "Targets"
    "ndcg_ratio": 0.9,
    "goal_top5_inside": 0.8,
    "goal_top1_inside": 1.0,
    "resume_top1": 0.8,
    "skill_precision": 0.9,
}
T = TypeVar("T")


# ------------------------------------------------------------------------------- pure helpers
def soc6(code: str) -> str:
    """The 6-digit SOC code ("29-1141.03" → "29-1141"): O*NET's .xx suffixes split one SOC job."""
    return code.split(".")[0]


def share_inside(ranked: Sequence[str], prefixes: Sequence[str], k: int = TOP) -> float:
    """Share of the first ``k`` places held by an occupation inside the family; a list shorter than
    ``k`` counts its empty places as outside (a system that returns nothing scores 0)."""
    return sum(in_prefixes(c, prefixes) for c in ranked[:k]) / k


def attainable_share(ranked: Sequence[str], prefixes: Sequence[str], family_size: int, k: int = TOP) -> float | None:
    """Like :func:`share_inside` but out of what the catalogue allows: a family of 2 occupations
    ("pilot") can fill at most 2 of the top 5. None when the family has no occupation at all."""
    if family_size <= 0:
        return None
    return min(1.0, sum(in_prefixes(c, prefixes) for c in ranked[:k]) / min(k, family_size))


def recognised(candidates: Sequence[str], code: str, k: int) -> dict[str, bool]:
    """Whether ``code`` is among the first ``k`` detected occupations, exactly and by 6-digit SOC."""
    top = list(candidates[:k])
    return {"exact": code in top, "soc6": soc6(code) in {soc6(c) for c in top}}


def rank_of(candidates: Sequence[str], code: str) -> int | None:
    """1-based position of ``code`` in ``candidates``; None when absent."""
    return candidates.index(code) + 1 if code in candidates else None


def mean(values: Iterable[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(statistics.fmean(kept)) if kept else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def timing(seconds: Sequence[float]) -> dict[str, float] | None:
    """Mean, median, 95th percentile and maximum of per-call seconds."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "calls": len(ordered),
        "mean_s": statistics.fmean(ordered),
        "p50_s": statistics.median(ordered),
        "p95_s": p95,
        "max_s": ordered[-1],
    }


def spread(rows: Sequence[T], limit: int | None) -> list[T]:
    """``limit`` rows evenly spaced over ``rows`` (deterministic): the files are grouped by occupation
    family, so the first N would all be nurses."""
    if limit is None or limit >= len(rows):
        return list(rows)
    if limit <= 0:
        return []
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def stratified(rows: Sequence[T], key: Callable[[T], str], limit: int | None) -> list[T]:
    """A deterministic sample of ``limit`` rows taking categories in turn (round robin, in sorted
    category order, rows in their given order), so every category is represented."""
    if limit is None or limit >= len(rows):
        return list(rows)
    groups: dict[str, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    queues = [groups[c] for c in sorted(groups)]
    out: list[T] = []
    depth = 0
    while len(out) < limit:
        for queue in queues:
            if depth < len(queue) and len(out) < limit:
                out.append(queue[depth])
        depth += 1
    return out


def family_sizes(occupation_ids: Iterable[str], families: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many catalogue occupations each family holds."""
    ids = list(occupation_ids)
    return {name: sum(in_prefixes(c, prefixes) for c in ids) for name, prefixes in families.items()}


# ------------------------------------------------------------------------------ per-row results
@dataclass
class PersonaRun:
    persona: Persona
    text_ranked: list[str]
    code_ranked: list[str]
    candidates: list[str] | None  # understand(text).occupations ids; None when understanding is unavailable
    status: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class ActivityRun:
    activity: Activity
    candidates: list[str]  # understand(text).occupations ids, served linker
    ablated: list[str] | None  # the same without task centroids; None when the home has none
    errors: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)  # recommend(text) occupation ids, top K ([] when refused)


@dataclass
class GoalRun:
    goal: GoalStatement
    text_ranked: list[str]
    code_ranked: list[str] | None  # Profile(occupation=onet, goal=goal_family); None when the row has no onet
    detected: list[str] | None = None  # understand(text).goals as "text → prefixes", for reading failures
    errors: list[str] = field(default_factory=list)


@dataclass
class ResumeRun:
    id: str
    category: str
    candidates: list[str] | None
    status: str | None = None
    rows: int = 1  # CSV rows holding this text (the CSV repeats texts)
    errors: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------- scoring
def score_personas(
    runs: Sequence[PersonaRun], labels: Mapping[str, Mapping[str, float]], titles: Mapping[str, str], k: int = K
) -> dict:
    """NDCG@k of text vs code queries on the labelled personas; recognition on all of them."""
    rows = []
    for run in runs:
        p = run.persona
        rel = labels.get(p.onet)
        row = {
            "id": p.id,
            "onet": p.onet,
            "title": titles.get(p.onet, p.onet),
            "text": p.text,
            "labelled": rel is not None,
            "ndcg_text": ndcg_at_k(run.text_ranked, rel, k) if rel else None,
            "ndcg_code": ndcg_at_k(run.code_ranked, rel, k) if rel else None,
            "text_top3": [titles.get(c, c) for c in run.text_ranked[:3]],
            "status": run.status,
            "errors": run.errors,
        }
        if run.candidates is not None:
            row.update(
                detected=[titles.get(c, c) for c in run.candidates[:3]],
                own_rank=rank_of(run.candidates, p.onet),
                top1=recognised(run.candidates, p.onet, 1),
                top3=recognised(run.candidates, p.onet, 3),
            )
        rows.append(row)
    labelled = [r for r in rows if r["labelled"]]
    ndcg_text, ndcg_code = mean(r["ndcg_text"] for r in labelled), mean(r["ndcg_code"] for r in labelled)
    understood = [r for r in rows if "top1" in r]
    recognition = None
    if understood:
        recognition = {
            f"{depth}_{how}": mean(float(r[depth][how]) for r in understood)
            for depth in ("top1", "top3")
            for how in ("exact", "soc6")
        }
        recognition["statuses"] = dict(Counter(r["status"] for r in understood))
    for r in labelled:
        r["gap"] = r["ndcg_text"] - r["ndcg_code"]
    text_vs_code = ratio(ndcg_text, ndcg_code)
    return {
        "rows": len(rows),
        "labelled": len(labelled),
        "ndcg@10_text": ndcg_text,
        "ndcg@10_code": ndcg_code,
        "ratio": text_vs_code,
        "target_ratio": TARGETS["ndcg_ratio"],
        "meets_target": None if text_vs_code is None else text_vs_code >= TARGETS["ndcg_ratio"],
        "recognition": recognition,
        "errors": sum(bool(r["errors"]) for r in rows),
        "worst_ndcg": sorted((r for r in labelled if r["gap"] < 0), key=lambda r: (r["gap"], r["ndcg_text"]))[:WORST],
        "worst_recognition": [r for r in understood if not r["top1"]["exact"]][:WORST],
        "per_row": rows,
    }


def _variant(
    runs: Sequence[GoalRun], ranked: Callable[[GoalRun], list[str] | None], sizes: Mapping[str, int], k: int = K
) -> dict | None:
    scored = []
    for run in runs:
        items = ranked(run)
        if items is None:
            continue
        g = run.goal
        size = sizes.get(g.goal_family, 0)
        # The person's own occupation is left out of the list, so it is not attainable either.
        if g.onet and in_prefixes(g.onet, g.soc_prefixes):
            size -= 1
        scored.append(
            {
                "top5_inside": share_inside(items, g.soc_prefixes, TOP),
                "top5_attainable": attainable_share(items, g.soc_prefixes, size, TOP),
                "top5_inside_full": share_inside(items, g.soc_prefixes, TOP) if size >= TOP else None,
                "top1_inside": float(bool(items) and in_prefixes(items[0], g.soc_prefixes)) if size > 0 else None,
                "current_excluded": (g.onet not in items[:k]) if g.onet else None,
            }
        )
    if not scored:
        return None
    excluded = [s["current_excluded"] for s in scored if s["current_excluded"] is not None]
    full = [s["top5_inside_full"] for s in scored if s["top5_inside_full"] is not None]
    out = {
        "rows": len(scored),
        "top5_inside": mean(s["top5_inside"] for s in scored),
        "rows_family_of_5": len(full),
        "top5_inside_family_of_5": mean(full) if full else None,
        "top5_attainable": mean(s["top5_attainable"] for s in scored),
        "top1_inside": mean(s["top1_inside"] for s in scored),
        "current_excluded": mean(float(e) for e in excluded) if excluded else None,
    }
    # A family of fewer than 5 occupations cannot fill a top 5 ("pilot": 2), so the top-5 target is judged
    # out of what the catalogue allows; the share on families of 5 or more is reported beside it.
    out["meets_target"] = (out["top5_attainable"] or 0.0) >= TARGETS["goal_top5_inside"] and (
        out["top1_inside"] or 0.0
    ) >= TARGETS["goal_top1_inside"]
    return out


def plausible(code: str, accepted: Sequence[str], labels: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether an occupation on the list of someone who does ``accepted`` work is a plausible suggestion: an
    accepted occupation, one O*NET lists as related to one (the data has that list for 446 occupations), or
    of the same SOC major group ("I cut hair": barbers, manicurists, childcare workers -- not hand sewers or
    tree trimmers). A proxy, strict across groups: a childcare worker's "preschool teachers" count against it."""
    return any(code == a or code in labels.get(a, {}) or code[:2] == a[:2] for a in accepted)


def score_activities(
    runs: Sequence[ActivityRun], titles: Mapping[str, str], labels: Mapping[str, Mapping[str, float]] | None = None
) -> dict:
    """Top 1 / top 3 over the accepted codes, the share linked to nothing (work sentences) and the share
    linked to something (sentences naming no work), served and without task centroids; with ``labels`` (O*NET
    related occupations) also the share of each work sentence's recommended list that is :func:`plausible`."""
    work = [r for r in runs if r.activity.onet]
    other = [r for r in runs if not r.activity.onet]

    def scores(pick: Callable[[ActivityRun], list[str] | None]) -> dict | None:
        if any(pick(r) is None for r in runs):
            return None
        return {
            "top1": mean(float(bool(pick(r)) and pick(r)[0] in r.activity.onet) for r in work),
            "top3": mean(float(any(c in r.activity.onet for c in pick(r)[:3])) for r in work),
            "nothing_linked": mean(float(not pick(r)) for r in work),
            "linked_without_work": mean(float(bool(pick(r))) for r in other),
        }

    served = scores(lambda r: r.candidates)
    wrong = [
        {
            "id": r.activity.id,
            "text": r.activity.text,
            "accepted": [titles.get(c, c) for c in r.activity.onet] or ["(nothing)"],
            "linked": [titles.get(c, c) for c in r.candidates[:2]],
        }
        for r in runs
        if (r.activity.onet and not (r.candidates and r.candidates[0] in r.activity.onet))
        or (not r.activity.onet and r.candidates)
    ]
    listed = [r for r in work if r.listed]
    implausible = []
    if labels is not None and listed:
        flags = [[plausible(c, r.activity.onet, labels) for c in r.listed] for r in listed]
        shares = [mean(float(f) for f in row) for row in flags]
        served["plausible_listed"] = mean(shares)
        implausible = [
            {
                "id": r.activity.id,
                "text": r.activity.text,
                "plausible": round(share, 2),
                "not_plausible": [titles.get(c, c) for c, ok in zip(r.listed, row) if not ok],
            }
            for r, row, share in sorted(zip(listed, flags, shares), key=lambda x: x[2])
            if share < 1.0
        ]
    return {
        "rows": len(runs),
        "work_rows": len(work),
        "other_rows": len(other),
        "served": served,
        "listed_rows": len(listed),
        "implausible": implausible,
        "without_task_centroids": scores(lambda r: r.ablated),
        "errors": sum(bool(r.errors) for r in runs),
        "wrong": wrong,
    }


def score_goals(runs: Sequence[GoalRun], sizes: Mapping[str, int], titles: Mapping[str, str]) -> dict:
    """Share of the top 5 inside the stated family and top 1 inside, for both query forms."""
    rows = []
    for run in runs:
        g = run.goal
        rows.append(
            {
                "id": g.id,
                "text": g.text,
                "onet": g.onet,
                "goal_family": g.goal_family,
                "family_size": sizes.get(g.goal_family, 0),
                "top5_inside": share_inside(run.text_ranked, g.soc_prefixes, TOP),
                "top1_inside": bool(run.text_ranked) and in_prefixes(run.text_ranked[0], g.soc_prefixes),
                "code_top5_inside": share_inside(run.code_ranked, g.soc_prefixes, TOP)
                if run.code_ranked is not None
                else None,
                "text_top5": [titles.get(c, c) for c in run.text_ranked[:TOP]],
                "leading_top3": [titles.get(c, c) for c in run.text_ranked[:3] if leads_others(c, titles.get(c, ""))],
                "leads_no_one": bool(g.onet)
                and not leads_others(g.onet, titles.get(g.onet, ""))
                and not all(leads_others(p.ljust(10, "0"), "") for p in g.soc_prefixes),
                "detected_goals": run.detected,
                "errors": run.errors,
            }
        )
    empty = sorted({r["goal_family"] for r in rows if r["family_size"] == 0})
    return {
        "rows": len(rows),
        "families": len({r["goal_family"] for r in rows}),
        "families_without_occupations": empty,
        "text": _variant(runs, lambda r: r.text_ranked, sizes),
        "occupation_and_goal": _variant(runs, lambda r: r.code_ranked, sizes),
        "targets": {"top5_inside": TARGETS["goal_top5_inside"], "top1_inside": TARGETS["goal_top1_inside"]},
        "errors": sum(bool(r["errors"]) for r in rows),
        # a person who leads no one, toward a field that is not management, shown a role leading others in
        # the top 3 (Computer and Information Systems Managers for a warehouse worker who wants IT)
        "leading_top3": {
            "rows": len(nonleaders := [r for r in rows if r["leads_no_one"]]),
            "share_with_one": round(sum(bool(r["leading_top3"]) for r in nonleaders) / max(len(nonleaders), 1), 3),
            "examples": [f"{r['text']} → {', '.join(r['leading_top3'])}" for r in nonleaders if r["leading_top3"]],
        },
        "worst": sorted(
            (r for r in rows if r["top5_inside"] < TARGETS["goal_top5_inside"] or not r["top1_inside"]),
            key=lambda r: (r["top5_inside"], r["top1_inside"]),
        )[:WORST],
        "per_row": rows,
    }


def score_resumes(runs: Sequence[ResumeRun], families: Mapping[str, ResumeFamily], titles: Mapping[str, str]) -> dict:
    """Top-1 / top-3 family accuracy of the detected occupation, overall, per CSV row and per category."""
    rows = []
    for run in runs:
        prefixes = families[run.category].soc_prefixes if run.category in families else []
        cands = run.candidates or []
        rows.append(
            {
                "id": run.id,
                "category": run.category,
                "rows": run.rows,
                "status": run.status,
                "mapped": bool(prefixes),
                "detected": bool(cands),
                "top1": bool(cands) and in_prefixes(cands[0], prefixes),
                "top3": any(in_prefixes(c, prefixes) for c in cands[:3]),
                "detected_titles": [titles.get(c, c) for c in cands[:3]],
                "errors": run.errors,
            }
        )
    per_category = []
    for category in sorted({r["category"] for r in rows}):
        group = [r for r in rows if r["category"] == category]
        firsts = Counter(r["detected_titles"][0] for r in group if r["detected_titles"])
        per_category.append(
            {
                "category": category,
                "résumés": len(group),
                "csv_rows": sum(r["rows"] for r in group),
                "top1": mean(float(r["top1"]) for r in group),
                "top3": mean(float(r["top3"]) for r in group),
                "none_detected": sum(not r["detected"] for r in group),
                "most_common_top1": ", ".join(f"{t} ({n})" for t, n in firsts.most_common(2)),
            }
        )
    weight = sum(r["rows"] for r in rows)
    top1 = mean(float(r["top1"]) for r in rows)
    return {
        "résumés": len(rows),
        "csv_rows": weight,
        "unmapped_categories": sorted({r["category"] for r in rows if not r["mapped"]}),
        "top1": top1,
        "top3": mean(float(r["top3"]) for r in rows),
        "top1_csv_rows": sum(r["rows"] * r["top1"] for r in rows) / weight if weight else None,
        "top3_csv_rows": sum(r["rows"] * r["top3"] for r in rows) / weight if weight else None,
        "none_detected": sum(not r["detected"] for r in rows),
        "statuses": dict(Counter(r["status"] for r in rows)),
        "target_top1": TARGETS["resume_top1"],
        "meets_target": None if top1 is None else top1 >= TARGETS["resume_top1"],
        "errors": sum(bool(r["errors"]) for r in rows),
        "per_category": per_category,
        "worst": [r for r in rows if not r["top1"]][:WORST],
        "per_row": rows,
    }


# ----------------------------------------------------------------------------- calling Waypoint
def understanding_fn() -> Callable | None:
    """``understand`` from ``retrieval.understanding`` (or its ``service`` module); None while the
    understanding is not built yet, so the recommendation parts still run."""
    for module in ("retrieval.understanding", "retrieval.understanding.service"):
        try:
            fn = getattr(importlib.import_module(module), "understand", None)
        except ImportError:
            continue
        if fn is not None:
            return fn
    return None


class Timed:
    """Per-call seconds of each system call, by name, for the timing table."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)

    def __call__(self, name: str, fn: Callable[[], T], errors: list[str]) -> T | None:
        started = time.perf_counter()
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - one failing row is recorded and shown, not fatal to the report
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        finally:
            self.seconds[name].append(time.perf_counter() - started)

    def summary(self) -> dict:
        """Steady-state timing per call name; the first call (loading models and indexes) apart."""
        return {
            name: ({**(timing(values[1:]) or {"calls": 0}), "first_s": values[0]} if values else None)
            for name, values in sorted(self.seconds.items())
        }


def _ranked(profile_kwargs: dict, k: int = K) -> list[str]:
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend

    return [item.id for item in recommend([Profile(**profile_kwargs)], Kind.occupation, k)[0].items]


def collect_personas(personas: Sequence[Persona], understand: Callable | None, timed: Timed) -> list[PersonaRun]:
    runs = []
    for p in tqdm(personas, desc="eval profiles: personas"):
        errors: list[str] = []
        text = timed("recommend(text)", lambda: _ranked({"text": p.text}), errors) or []
        code = timed("recommend(code)", lambda: _ranked({"occupation": p.onet}), errors) or []
        candidates, status = None, None
        if understand is not None:
            found = timed("understand(persona)", lambda: understand(p.text), errors)
            candidates = [o.occupation_id for o in found.occupations] if found else []
            status = found.status if found else "error"
        runs.append(PersonaRun(p, text, code, candidates, status, errors))
    return runs


def collect_activities(activities: Sequence[Activity], timed: Timed) -> list[ActivityRun]:
    """``understand`` on each sentence, then the same linker with its task centroids taken away."""
    import copy

    from retrieval.profile import ProfileError
    from retrieval.understanding.service import get_linker

    linker = get_linker()
    ablated = None
    if linker.task_vectors is not None:
        ablated = copy.copy(linker)
        ablated.task_vectors = None
    runs = []
    for a in tqdm(activities, desc="eval profiles: activities"):
        errors: list[str] = []
        found = timed("understand(activity)", lambda: linker.understand(a.text), errors)
        alone = ablated.understand(a.text) if ablated is not None else None
        listed: list[str] = []
        if a.onet:  # what the person is shown: the occupation list for the sentence alone
            try:
                listed = _ranked({"text": a.text})
            except ProfileError:
                pass
        runs.append(
            ActivityRun(
                a,
                [o.occupation_id for o in found.occupations] if found else [],
                [o.occupation_id for o in alone.occupations] if alone is not None else None,
                errors,
                listed,
            )
        )
    return runs


def collect_goals(goals: Sequence[GoalStatement], understand: Callable | None, timed: Timed) -> list[GoalRun]:
    runs = []
    for g in tqdm(goals, desc="eval profiles: goals"):
        errors: list[str] = []
        text = timed("recommend(text with goal)", lambda: _ranked({"text": g.text}), errors) or []
        code = (
            (
                timed(
                    "recommend(occupation, goal)",
                    lambda: _ranked({"occupation": g.onet, "goal": g.goal_family}),
                    errors,
                )
                or []
            )
            if g.onet
            else None
        )
        found = timed("understand(goal)", lambda: understand(g.text), errors) if understand else None
        detected = [f"{x.text} → {','.join(x.soc_prefixes) or '-'}" for x in found.goals] if found else None
        runs.append(GoalRun(g, text, code, detected, errors))
    return runs


def load_resumes(conn, csv_path: Path | None) -> list[tuple[str, str, str, int]]:
    """``(id, category, text, csv_rows)`` of the catalogue's de-duplicated résumés. ``csv_rows`` counts
    how often the CSV holds the same (cleaned) text, so accuracy can also be read per CSV row."""
    from retrieval.text import clean_text

    counts: Counter[str] = Counter()
    if csv_path is not None:
        from retrieval.catalogue.readers import read_table

        counts.update(clean_text(t) for t in read_table(csv_path, ["Category", "Resume"])["Resume"])
    rows = conn.execute("SELECT id, category, text FROM resume ORDER BY category, id").fetchall()
    return [(rid, category, text, counts.get(text, 1)) for rid, category, text in rows]


def collect_resumes(
    resumes: Sequence[tuple[str, str, str, int]], understand: Callable, timed: Timed
) -> list[ResumeRun]:
    runs = []
    for rid, category, text, rows in tqdm(resumes, desc="eval profiles: résumés"):
        errors: list[str] = []
        found = timed("understand(résumé)", lambda: understand(text), errors)
        runs.append(
            ResumeRun(
                rid,
                category,
                [o.occupation_id for o in found.occupations] if found else [],
                found.status if found else "error",
                rows,
                errors,
            )
        )
    return runs


def skill_precision(limit: int | None = None) -> dict:
    """Extracted-skill precision on labelled résumé lines: ``eval.skill_precision.evaluate`` when that
    module exists (it owns ``eval/data/skill_lines.jsonl`` and its format), else "not available"."""
    try:
        module = importlib.import_module("eval.skill_precision")
    except ModuleNotFoundError as exc:
        if exc.name != "eval.skill_precision":
            raise
        reason = (
            "eval/data/skill_lines.jsonl exists but eval.skill_precision does not"
            if SKILL_LINES.exists()
            else "no eval.skill_precision module and no eval/data/skill_lines.jsonl yet"
        )
        return {"available": False, "reason": reason}
    evaluate = module.evaluate
    result = evaluate(limit=limit) if "limit" in inspect.signature(evaluate).parameters else evaluate()
    precision = result.get("precision")
    # Scalars and the per-source table; the labelled lines' own report lists the false positives.
    kept = {k: v for k, v in result.items() if not isinstance(v, (list, dict)) or k == "by_source"}
    return {
        "available": True,
        **kept,
        "target_precision": TARGETS["skill_precision"],
        "meets_target": None if precision is None else precision >= TARGETS["skill_precision"],
    }


# ---------------------------------------------------------------------------------------- run
def evaluate(parts: Sequence[str] = PARTS, limit: int | None = None) -> dict:
    from retrieval.catalogue.db import connect
    from retrieval.catalogue.source import DataSource
    from retrieval.occupations.service import load_labels
    from retrieval.settings import get_settings

    settings = get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        titles = dict(conn.execute("SELECT id, title FROM occupation WHERE taxonomy='onet'").fetchall())
        labels = load_labels(conn)
        resumes = []
        if "resumes" in parts:
            data = Path(settings.data) if settings.data else None
            csv_path = (
                DataSource([data]).find("UpdatedResumeDataSet.csv", required=False)
                if data is not None and data.is_dir()
                else None
            )
            resumes = load_resumes(conn, csv_path)
    finally:
        conn.close()

    understand = understanding_fn()
    timed = Timed()
    result: dict = {"limit": limit, "understanding_available": understand is not None, "targets": TARGETS}
    if "personas" in parts:
        personas = spread(load_personas(), limit)
        result["personas"] = score_personas(collect_personas(personas, understand, timed), labels, titles)
    if "activities" in parts:
        if understand is None:
            result["activities"] = {"available": False, "reason": "retrieval.understanding is not built yet"}
        else:
            result["activities"] = score_activities(
                collect_activities(spread(load_activities(), limit), timed), titles, labels
            )
    if "goals" in parts:
        goals = spread(load_goals(), limit)
        families = {g.goal_family: g.soc_prefixes for g in goals}
        result["goals"] = score_goals(collect_goals(goals, understand, timed), family_sizes(titles, families), titles)
    if "resumes" in parts:
        if understand is None:
            result["resumes"] = {"available": False, "reason": "retrieval.understanding.understand is not built yet"}
        else:
            sample = stratified(resumes, key=lambda r: r[1], limit=limit)
            result["resumes"] = score_resumes(
                collect_resumes(sample, understand, timed), load_resume_families(), titles
            )
            result["resumes"]["sampled_from"] = len(resumes)
    if "skills" in parts:
        result["skills"] = skill_precision(limit)
    result["timing"] = timed.summary()
    return result


def _slim(result: dict) -> dict:
    """The JSON report without the markdown-only failure lists duplicated from ``per_row``."""
    out = json.loads(json.dumps(result, default=str))
    for part in ("personas", "goals", "resumes"):
        if part in out:
            out[part].pop("worst_ndcg", None)
            out[part].pop("worst", None)
            out[part].pop("worst_recognition", None)
    return out


cli = command_typer()


@cli.command("profiles", cls=MultiValueCommand)
def profiles_command(
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="at most this many rows per part (evenly spread personas and goals, résumés stratified "
            "by category) for a quick run",
        ),
    ] = None,
    parts: Annotated[
        list[str] | None,
        typer.Option(help=f"one or more of {', '.join(PARTS)} (e.g. --parts personas goals); default all"),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="report folder (default eval/reports)")] = None,
) -> dict:
    """What people type: persona NDCG (text vs code), goal families, résumé occupations; --limit N."""
    from eval.profiles_report import plot, render

    unknown = [p for p in parts or () if p not in PARTS]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: choose from {', '.join(PARTS)}", param_hint="--parts")
    started = time.perf_counter()
    result = evaluate(list(parts or PARTS), limit)
    result["seconds"] = round(time.perf_counter() - started, 1)
    folder = out or REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plot(result, folder)
    write_report("profiles", _slim(result), render(result), folder)
    shown = {
        "personas": ("ndcg@10_text", "ndcg@10_code", "ratio", "recognition"),
        "activities": ("served", "without_task_centroids"),
        "goals": ("text", "occupation_and_goal"),
        "resumes": ("top1", "top3", "top1_csv_rows"),
        "skills": ("available", "precision"),
    }
    summary = {part: {k: result[part].get(k) for k in keys} for part, keys in shown.items() if part in result}
    print(json.dumps(summary, indent=2, default=str))
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval profiles`` on ``argv`` (for tests and scripts); returns the report data."""
    return run_command(cli, argv, "waypoint eval profiles")


if __name__ == "__main__":
    cli(prog_name="python -m eval.profiles")
