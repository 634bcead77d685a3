"""Preference data from the verifier: sampled explanations ranked per prompt, plus synthetic negatives.

For each golden prompt (one per (profile, item) evidence), several explanations are *sampled* from
the current model (the SFT adapter, or the base) with the same per-request JSON schema serving uses,
and each is scored:

* ``faithfulness`` -- :func:`app.explain.verify.verify` (supported claims / claims; an answer that is
  not a draft at all scores 0);
* ``specificity`` -- share of the decisive matched skills (top-3 by importance, what FMR checks)
  the answer mentions (kept as a verified matched skill or named in an accepted summary), blended
  with the share of matched skills it claims with valid citations.

``score = faithfulness + 0.5 × specificity`` (faithfulness dominates). DPO pairs: chosen = best,
rejected = worst of each prompt's samples; ties are skipped. KTO examples: each sample on its own,
desirable when faithfulness is 1.0 and specificity >= 0.5, undesirable when faithfulness < 1.0.

**Synthetic negatives** (labelled ``meta.synthetic = true`` with the corruption ``kind``): the golden
answer with one verifier-detectable error -- a missing skill claimed as matched
(``missing_as_matched``), a matched claim citing evidence that does not state it (``wrong_citation``),
a wrong fit (``wrong_fit``), or a skill the evidence never mentions named in the summary
(``invented_skill``). Each is kept only when the verifier really scores it below the golden answer,
and paired with it (chosen = golden) for DPO, or labelled undesirable for KTO.

Output: ``dpo.jsonl`` (``prompt``/``chosen``/``rejected`` message lists + ``meta``), ``kto.jsonl``
(``prompt``/``completion``/``label``/``weight`` + ``meta``) and ``manifest.json``, under
``WAYPOINT_HOME/training/preferences/`` unless ``--out``.

Run: ``python -m training.preferences [--adapter SFT_DIR] [--prompts 40] [--samples 4] [--tiny]``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from app.clikit import command_typer, print_json, run
from training.lora import canonical_json, data_hash, read_jsonl, write_jsonl

log = logging.getLogger(__name__)

SPECIFICITY_WEIGHT = 0.5
DESIRABLE_SPECIFICITY = 0.5
# Labels the vocabulary knows; one that the evidence never mentions becomes the invented skill.
INVENTED_CANDIDATES = [
    "Python",
    "Java",
    "Surgery",
    "Welding",
    "Accounting",
    "Calculus",
    "Carpentry",
    "Piloting",
    "Dentistry",
    "JavaScript",
    "Forklift operation",
    "Tax preparation",
]
CORRUPTIONS = ("missing_as_matched", "wrong_citation", "wrong_fit", "invented_skill")


class Score(BaseModel):
    faithfulness: float
    specificity: float
    claims: int = 0
    valid: bool = True

    @property
    def total(self) -> float:
        return round(self.faithfulness + SPECIFICITY_WEIGHT * self.specificity, 6) if self.valid else -1.0


def score_text(text: str, evidence) -> Score:
    """Verifier faithfulness and specificity of one generated answer (see module doc)."""
    from app.explain.composer import decisive
    from app.explain.schema import MAX_LLM_MATCHED
    from app.explain.verify import DraftError, parse_draft, verify

    try:
        draft = parse_draft(json.loads(text))
        verified = verify(draft, evidence)
    except (json.JSONDecodeError, DraftError):
        return Score(faithfulness=0.0, specificity=0.0, valid=False)
    mentioned = {s.id for s, _ in verified.matched}
    if not verified.summary_replaced:
        mentioned |= {s.id for s in evidence.matched if s.label.lower() in draft.summary.lower()}
    top = decisive(evidence)
    decisive_share = sum(s.id in mentioned for s in top) / len(top) if top else 1.0
    claimable = min(len(evidence.matched), MAX_LLM_MATCHED)
    cited_share = min(1.0, len(verified.matched) / claimable) if claimable else 1.0
    return Score(
        faithfulness=verified.faithfulness,
        specificity=round(0.7 * decisive_share + 0.3 * cited_share, 4),
        claims=verified.claims,
    )


# ------------------------------------------------------------------------------------------------
# synthetic negatives


def corrupt(text: str, evidence, kind: str, rng: random.Random) -> str | None:
    """The golden answer ``text`` with one error of ``kind``; None when the evidence gives no room for it."""
    from app.explain.prompt import completion_text
    from app.explain.schema import DraftMatched, Fit, LLMDraft
    from app.explain.verify import supports, unknown_skill_mentions

    draft = LLMDraft.model_validate(json.loads(text))
    if kind == "missing_as_matched":
        if not evidence.missing or not draft.matched_skills:
            return None
        skill = rng.choice(evidence.missing)
        cites = draft.matched_skills[0].evidence[:1]
        draft.matched_skills.insert(
            rng.randrange(len(draft.matched_skills) + 1), DraftMatched(skill=skill.name, evidence=cites)
        )
    elif kind == "wrong_citation":
        options = []
        for i, claim in enumerate(draft.matched_skills):
            skill = evidence.skill_by_name(claim.skill, "matched")
            wrong = [c.id for c in evidence.citations if skill is not None and not supports(evidence, c.id, skill)]
            options += [(i, c) for c in wrong]
        if not options:
            return None
        i, cid = rng.choice(options)
        draft.matched_skills[i].evidence = [cid]
    elif kind == "wrong_fit":
        draft.fit = rng.choice([f.value for f in Fit if f.value != evidence.fit.value])
    elif kind == "invented_skill":
        labels = [label for label in INVENTED_CANDIDATES if unknown_skill_mentions(evidence, label)]
        if not labels:
            return None
        draft.summary = draft.summary.rstrip(". ") + f", and your {rng.choice(labels)} experience counts too."
    else:
        raise ValueError(f"unknown corruption {kind!r}; expected one of {CORRUPTIONS}")
    return completion_text(draft)


def synthetic_negatives(text: str, evidence, rng: random.Random, per_prompt: int) -> list[tuple[str, str, Score]]:
    """Up to ``per_prompt`` ``(kind, corrupted text, score)`` that the verifier scores below ``text``."""
    golden = score_text(text, evidence)
    kinds = list(CORRUPTIONS)
    rng.shuffle(kinds)
    out = []
    for kind in kinds:
        if len(out) >= per_prompt:
            break
        bad = corrupt(text, evidence, kind, rng)
        if bad is None:
            continue
        s = score_text(bad, evidence)
        if s.faithfulness < golden.faithfulness:
            out.append((kind, bad, s))
    return out


# ------------------------------------------------------------------------------------------------
# sampling from the model


def golden_prompts(golden_dir: Path, split: str = "train", limit: int = 0) -> list[dict]:
    """One record per evidence key of the golden split: ``{"prompt", "golden", "evidence_key", "meta"}``."""
    from training.golden import load_split

    seen: dict[str, dict] = {}
    for record in load_split(golden_dir, split):
        key = record["meta"]["evidence_key"]
        if key not in seen:
            seen[key] = {
                "prompt": record["prompt"],
                "golden": record["completion"][0]["content"],
                "evidence_key": key,
                "meta": record["meta"],
            }
    prompts = list(seen.values())
    return prompts[:limit] if limit and limit > 0 else prompts


def make_sampler(settings, adapter: str | Path | None, threads: int | None = None):
    """The in-process backend (SFT adapter merged, or the base) used to sample candidates."""
    from app.llm.transformers_backend import TransformersBackend

    return TransformersBackend(
        adapter_path=str(adapter) if adapter else "", settings=settings, num_threads=threads, max_time_s=0
    )


def sample_texts(
    backend, prompt: list[dict], evidence, n: int, temperature: float, max_new_tokens: int, grammar: str
) -> list[str]:
    """``n`` sampled answers (text) under the request's schema (the one the app serves: pass
    ``settings.explain_grammar`` so samples are on-policy); failures give no samples."""
    from app.explain.prompt import schema_for
    from app.llm.base import LLMUnavailable

    try:
        results = backend.generate_json(
            prompt, schema_for(evidence, grammar), max_new_tokens=max_new_tokens, temperature=temperature, n=n
        )
    except LLMUnavailable as exc:
        return [r.text for r in (exc.results or [])]
    return [r.text for r in results]


def assistant(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


def build_preferences(
    settings,
    golden_dir: Path,
    out_dir: Path,
    *,
    adapter: str | Path | None = None,
    prompts: int = 40,
    samples: int = 4,
    temperature: float = 1.0,
    max_new_tokens: int = 320,
    synthetic_per_prompt: int = 2,
    seed: int = 0,
    threads: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Sample, score and write DPO pairs and KTO examples (see module doc); returns the manifest."""
    from tqdm.auto import tqdm

    from training.golden import load_evidence

    started = time.perf_counter()
    rng = random.Random(seed)
    evidence_by_key = load_evidence(golden_dir)
    items = golden_prompts(golden_dir, "train", prompts)
    if not items:
        raise ValueError(f"no golden training prompts in {golden_dir}")
    backend = make_sampler(settings, adapter, threads) if samples > 0 else None
    dpo: list[dict] = []
    kto: list[dict] = []
    counts = {
        "prompts": len(items),
        "samples": 0,
        "invalid_samples": 0,
        "ties": 0,
        "sampled_pairs": 0,
        "synthetic_pairs": 0,
    }
    sample_faith: list[float] = []
    for item in tqdm(items, desc="preference prompts", disable=not progress):
        evidence = evidence_by_key[item["evidence_key"]]
        prompt, golden = item["prompt"], item["golden"]
        base_meta = {k: item["meta"][k] for k in ("profile_id", "item_id", "evidence_key")}
        golden_score = score_text(golden, evidence)
        kto.append(
            {
                "prompt": prompt,
                "completion": assistant(golden),
                "label": True,
                "weight": 1.0,
                "meta": {**base_meta, "source": "golden", "synthetic": False, **golden_score.model_dump()},
            }
        )
        if backend is not None:
            texts = sample_texts(
                backend, prompt, evidence, samples, temperature, max_new_tokens, settings.explain_grammar
            )
            scored = [(t, score_text(t, evidence)) for t in texts]
            counts["samples"] += len(scored)
            counts["invalid_samples"] += sum(not s.valid for _, s in scored)
            sample_faith += [s.faithfulness for _, s in scored if s.valid]
            valid = [(t, s) for t, s in scored if s.valid]
            for t, s in valid:
                if s.faithfulness >= 1.0 and s.specificity >= DESIRABLE_SPECIFICITY:
                    label = True
                elif s.faithfulness < 1.0:
                    label = False
                else:
                    continue
                kto.append(
                    {
                        "prompt": prompt,
                        "completion": assistant(t),
                        "label": label,
                        "weight": 1.0,
                        "meta": {**base_meta, "source": "sample", "synthetic": False, **s.model_dump()},
                    }
                )
            ranked = sorted(scored, key=lambda x: x[1].total, reverse=True)
            if len(ranked) >= 2:
                (best, sb), (worst, sw) = ranked[0], ranked[-1]
                if sb.total > sw.total and best != worst:
                    counts["sampled_pairs"] += 1
                    dpo.append(
                        {
                            "prompt": prompt,
                            "chosen": assistant(best),
                            "rejected": assistant(worst),
                            "weight": 1.0,
                            "meta": {
                                **base_meta,
                                "source": "sample",
                                "synthetic": False,
                                "chosen_score": sb.model_dump(),
                                "rejected_score": sw.model_dump(),
                            },
                        }
                    )
                else:
                    counts["ties"] += 1
        for kind, bad, s in synthetic_negatives(golden, evidence, rng, synthetic_per_prompt):
            counts["synthetic_pairs"] += 1
            meta = {**base_meta, "source": "synthetic", "synthetic": True, "kind": kind}
            dpo.append(
                {
                    "prompt": prompt,
                    "chosen": assistant(golden),
                    "rejected": assistant(bad),
                    "weight": 1.0,
                    "meta": {**meta, "chosen_score": golden_score.model_dump(), "rejected_score": s.model_dump()},
                }
            )
            kto.append(
                {
                    "prompt": prompt,
                    "completion": assistant(bad),
                    "label": False,
                    "weight": 1.0,
                    "meta": {**meta, **s.model_dump()},
                }
            )
    if backend is not None:
        backend.close()
    write_jsonl(out_dir / "dpo.jsonl", dpo)
    write_jsonl(out_dir / "kto.jsonl", kto)
    manifest = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "golden_dir": str(golden_dir),
        "adapter": str(adapter) if adapter else None,
        "params": {
            "prompts": prompts,
            "samples": samples,
            "temperature": temperature,
            "max_new_tokens": max_new_tokens,
            "synthetic_per_prompt": synthetic_per_prompt,
            "seed": seed,
        },
        "counts": {
            **counts,
            "dpo_pairs": len(dpo),
            "kto_examples": len(kto),
            "kto_desirable": sum(r["label"] for r in kto),
            "kto_undesirable": sum(not r["label"] for r in kto),
        },
        "sample_faithfulness_mean": round(sum(sample_faith) / len(sample_faith), 4) if sample_faith else None,
        "dpo_data_hash": data_hash(canonical_json([r["prompt"], r["chosen"], r["rejected"]]) for r in dpo),
        "kto_data_hash": data_hash(canonical_json([r["prompt"], r["completion"], r["label"]]) for r in kto),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# ------------------------------------------------------------------------------------------------
# shared by dpo.py / kto.py


def verifier_preferences(settings, path: Path, *, adapter: Path | None, tiny: bool, threads: int | None) -> list[dict]:
    """The rows of a verifier-ranked preference file (``dpo.jsonl`` pairs or ``kto.jsonl`` examples), built
    first beside its sibling from the golden set when it is missing (``waypoint train dpo`` and ``kto``)."""
    if not path.is_file():
        from training.golden import ensure_golden

        build_preferences(
            settings,
            ensure_golden(settings, tiny=tiny),
            path.parent,
            adapter=adapter,
            prompts=2 if tiny else 40,
            samples=2 if tiny else 4,
            threads=threads,
        )
    return read_jsonl(path)


def default_dir(settings) -> Path:
    return Path(settings.home) / "training" / "preferences"


def resample_by_weight(records: list[dict], seed: int, key: str = "weight") -> list[dict]:
    """Importance resampling: a list of the same length where each record appears ∝ its weight.

    trl's DPO and KTO trainers take no per-example loss weight, so inverse-propensity weights are
    applied by sampling instead (systematic resampling over a shuffled order: each record appears
    ``floor`` or ``ceil`` of ``n · w_i / Σw`` times, exactly that many in expectation), so in
    expectation the loss is the weighted loss. Equal weights return the records
    unchanged; non-positive weights drop a record.
    """
    weights = [max(0.0, float(r.get(key, 1.0))) for r in records]
    total = sum(weights)
    if not records or total <= 0:
        return []
    if len(set(weights)) == 1:
        return list(records)
    n = len(records)
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)  # a random sweep order: no aliasing with any periodic pattern in the weights
    step = total / n
    point = rng.random() * step
    out, cumulative = [], 0.0
    for i in order:
        record, w = records[i], weights[i]
        cumulative += w
        while point < cumulative and len(out) < n:
            out.append(record)
            point += step
    rng.shuffle(out)
    return out


cli = command_typer()


@cli.command("preferences")
def preferences_command(
    golden: Annotated[Path | None, typer.Option(help="golden set dir (default WAYPOINT_HOME/training/golden)")] = None,
    adapter: Annotated[
        str | None, typer.Option(help="model to sample from: an SFT adapter dir (default: the base)")
    ] = None,
    prompts: int = 40,
    samples: Annotated[int, typer.Option(help="sampled answers per prompt (0 = synthetic pairs only)")] = 4,
    temperature: float = 1.0,
    max_new_tokens: int = 320,
    synthetic: Annotated[int, typer.Option(help="synthetic negatives per prompt")] = 2,
    out: Path | None = None,
    tiny: Annotated[bool, typer.Option("--tiny", help="2 prompts × 2 samples")] = False,
    threads: int | None = None,
    seed: int = 0,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> dict:
    """DPO pairs / KTO labels: sampled explanations ranked by the verifier and specificity.

    Prints what was written (counts and the output dir) as JSON."""
    from retrieval.settings import get_settings
    from training.golden import ensure_golden

    if tiny:
        prompts, samples = 2, 2
    settings = get_settings()
    golden_dir = ensure_golden(settings, golden, tiny=tiny)
    out_dir = out or default_dir(settings)
    result = build_preferences(
        settings,
        golden_dir,
        out_dir,
        adapter=adapter,
        prompts=prompts,
        samples=samples,
        temperature=temperature,
        max_new_tokens=max_new_tokens,
        synthetic_per_prompt=synthetic,
        seed=seed,
        threads=threads,
        progress=not quiet,
    )
    result = {"out": str(out_dir), **result}
    print_json(result)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train preferences`` on ``argv`` (for tests and scripts); returns what it wrote."""
    return run(cli, argv, "waypoint train preferences")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m training.preferences")


__all__ = [
    "Score",
    "build_preferences",
    "corrupt",
    "golden_prompts",
    "main",
    "read_jsonl",
    "resample_by_weight",
    "score_text",
    "synthetic_negatives",
]
