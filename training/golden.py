"""Golden SFT set: real (profile, item) pairs → evidence → prompt → a verified, cited target answer.

Pairs come from :func:`retrieval.pairs.sample_pairs` (résumés and applicants' experience, each with its
top recommended occupations) but start *after* the profiles ``waypoint eval explain`` uses
(``--offset``, default :data:`EVAL_HOLDOUT` per source), so evaluation stays held out.

For each pair the prompt is exactly what serving sends (:func:`app.explain.prompt.build_messages`)
and the target is a draft serialised exactly as the grammar lets the LLM write it
(:func:`app.explain.prompt.completion_text`). Targets:

* a **teacher** -- when ``WAYPOINT_TEACHER_BASE_URL`` (+ ``WAYPOINT_TEACHER_MODEL``) names an
  OpenAI-compatible server, ``--variants`` samples per pair through :class:`app.llm.openai_backend.OpenAIBackend`
  under the same per-request JSON schema; only answers the verifier scores 1.0 are kept;
* else (and for the variants the teacher did not fill) the deterministic **composer**, one draft per
  phrasing variant (``golden-0``, ``golden-1``, ...).

Every kept target verifies with faithfulness 1.0 (every claim cited and supported, summary kept)
and validates against the request's JSON schema; the rest are counted as rejected. Examples are
deduplicated by a hash of prompt + completion and split train/val *by profile id*.

Output (``WAYPOINT_HOME/training/golden/`` unless ``--out``): ``train.jsonl`` and ``val.jsonl`` in
trl's conversational prompt-completion format (``prompt``/``completion`` message lists, plus
``meta``), ``evidence.jsonl`` (the evidence of each pair, for verification and preference data) and
``manifest.json`` (counts, data hash, parameters).

Run: ``python -m training.golden [--pairs 200] [--variants 3] [--tiny]``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, Field

from app.clikit import command_typer, print_json, run
from app.explain.prompt import PROMPT_VERSION, build_messages
from retrieval.pairs import ITEM_SOURCE, sample_pairs
from retrieval.threads import set_process_threads
from training.lora import canonical_json, data_hash, read_jsonl, write_jsonl

log = logging.getLogger(__name__)

GOLDEN_VERSION = 1
# ``waypoint eval explain`` takes the first ceil(DEFAULT_PAIRS / (2 k)) = 40 profiles of each source
# (by id); training data starts well after them.
EVAL_HOLDOUT = 100
DEFAULT_PAIRS = 200
DEFAULT_VARIANTS = 3
TINY_PAIRS = 6
TINY_VARIANTS = 2


class GoldenManifest(BaseModel):
    version: int = GOLDEN_VERSION
    prompt_version: str
    created_at: str
    data_hash: str
    counts: dict[str, int]
    sources: dict[str, int]
    params: dict[str, Any]
    teacher: dict[str, Any] = Field(default_factory=dict)
    rejected: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0


def default_dir(settings) -> Path:
    return Path(settings.home) / "training" / "golden"


def example_id(prompt: list[dict], completion: list[dict]) -> str:
    return hashlib.sha256(canonical_json({"prompt": prompt, "completion": completion}).encode()).hexdigest()[:16]


def _bucket(profile_id: str) -> float:
    return int(hashlib.sha256(f"golden-split:{profile_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_profiles(profile_ids: list[str], val_fraction: float) -> dict[str, str]:
    """``{profile id: "train" | "val"}``: a stable hash-selected share of profiles is held out.

    A profile is never in both. With two or more profiles neither split is left empty: the profile
    with the lowest hash is moved to val (or the rest to train) when the draw leaves one empty.
    """
    ids = sorted(set(profile_ids), key=lambda p: (_bucket(p), p))
    split = {p: "val" if _bucket(p) < val_fraction else "train" for p in ids}
    if len(ids) >= 2 and val_fraction > 0:
        if "val" not in split.values():
            split[ids[0]] = "val"
        if "train" not in split.values():
            split.update({p: "train" for p in ids[1:]})
    return split


def check_target(text: str, evidence, schema: dict) -> str | None:
    """Why ``text`` is not a golden answer for ``evidence`` (None when it is one): it must verify
    fully and fit ``schema``, the request's schema under the grammar the app serves
    (``schema_for(evidence, settings.explain_grammar)``)."""
    import jsonschema

    from app.explain.verify import DraftError, parse_draft, verify

    try:
        obj = json.loads(text)
        verified = verify(parse_draft(obj), evidence)
    except (json.JSONDecodeError, DraftError) as exc:
        return f"unparsable: {exc}"
    if verified.faithfulness < 1.0 or verified.summary_replaced or verified.dropped:
        return "unfaithful"
    try:
        jsonschema.validate(obj, schema)
    except jsonschema.ValidationError:
        return "schema"
    return None


def composer_targets(evidence, variants: int) -> list[tuple[str, str]]:
    """``(variant, completion text)`` from the composer, one per phrasing variant."""
    from app.explain.composer import compose
    from app.explain.prompt import completion_text

    return [(f"golden-{v}", completion_text(compose(evidence, f"golden-{v}"))) for v in range(variants)]


def teacher_targets(teacher, evidence, variants: int, schema: dict, temperature: float = 0.7) -> list[tuple[str, str]]:
    """``(variant, completion text)`` sampled from the teacher under ``schema`` (re-serialised
    canonically); may be empty."""
    from app.explain.prompt import build_messages, completion_text
    from app.explain.verify import DraftError, parse_draft
    from app.llm.base import LLMUnavailable

    try:
        results = teacher.generate_json(build_messages(evidence), schema, temperature=temperature, n=variants)
    except LLMUnavailable as exc:
        log.warning("teacher failed for %s: %s", evidence.item.id, exc)
        return []
    out = []
    for i, r in enumerate(results):
        if r.parsed is None:
            continue
        try:
            out.append((f"teacher-{i}", completion_text(parse_draft(r.parsed))))
        except DraftError:
            continue
    return out


def make_teacher(settings):
    """The teacher client when settings name one, else None."""
    if not settings.teacher_base_url:
        return None
    from app.llm.openai_backend import OpenAIBackend

    return OpenAIBackend(
        base_url=settings.teacher_base_url,
        model=settings.teacher_model or settings.llm_model_name,
        adapter="",
        api_key=settings.teacher_api_key,
        settings=settings,
    )


def build_pair(profile, item_id: str, settings, variants: int, teacher=None) -> dict[str, Any]:
    """Evidence and the checked targets of one pair: ``{"evidence", "targets", "rejected"}``."""
    from app.explain.evidence import build_evidence
    from app.explain.prompt import schema_for

    evidence = build_evidence(profile, item_id, settings)
    schema = schema_for(evidence, settings.explain_grammar)  # once per pair: teacher and every check
    candidates: list[tuple[str, str, str]] = []
    if teacher is not None:
        candidates += [
            (v, t, f"teacher:{teacher.model_name}") for v, t in teacher_targets(teacher, evidence, variants, schema)
        ]
    candidates += [(v, t, "composer") for v, t in composer_targets(evidence, variants)]
    targets, rejected = [], {}
    for variant, text, source in candidates:
        problem = check_target(text, evidence, schema)
        if problem:
            key = f"{source.split(':')[0]}:{problem.split(':')[0]}"
            rejected[key] = rejected.get(key, 0) + 1
            continue
        targets.append({"variant": variant, "text": text, "source": source})
    teacher_kept = [t for t in targets if t["source"] != "composer"]
    if teacher_kept:  # the teacher fills the variants; the composer only tops up what it did not
        targets = (
            teacher_kept + [t for t in targets if t["source"] == "composer"][: max(0, variants - len(teacher_kept))]
        )
    return {"evidence": evidence, "targets": targets, "rejected": rejected}


def build_golden(
    settings,
    *,
    pairs: int = DEFAULT_PAIRS,
    k: int = 3,
    variants: int = DEFAULT_VARIANTS,
    val_fraction: float = 0.15,
    offset: int = EVAL_HOLDOUT,
    out_dir: Path | None = None,
    use_teacher: bool = True,
    item_source: str = "recommend",
    progress: bool = True,
) -> GoldenManifest:
    """Build and write the golden set (see module doc); returns its manifest."""
    from tqdm.auto import tqdm

    started = time.perf_counter()
    out_dir = Path(out_dir) if out_dir else default_dir(settings)
    teacher = make_teacher(settings) if use_teacher else None
    sampled = sample_pairs(settings, pairs, k=k, offset=offset, item_source=item_source)
    if not sampled:
        raise RuntimeError("no (profile, item) pairs: is the catalogue ingested (resume/experience tables)?")

    built: list[tuple[Any, str, dict]] = []
    workers = 4 if teacher is not None else 1  # a teacher server batches concurrent requests
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(build_pair, p, item, settings, variants, teacher) for p, item in sampled]
        for (profile, item), future in tqdm(
            zip(sampled, futures), total=len(futures), desc="golden pairs", disable=not progress
        ):
            try:
                built.append((profile, item, future.result()))
            except ValueError as exc:  # a pair the gap cannot handle
                log.warning("skipping %s / %s: %s", profile.id, item, exc)

    seen: set[str] = set()
    rows: dict[str, list[dict]] = {"train": [], "val": []}
    evidence_rows: list[dict] = []
    rejected: dict[str, int] = {}
    duplicates = 0
    splits = split_profiles([str(p.id) for p, _, r in built if r["targets"]], val_fraction)
    for profile, item, result in built:
        evidence = result["evidence"]
        for key, n in result["rejected"].items():
            rejected[key] = rejected.get(key, 0) + n
        if not result["targets"]:
            continue
        evidence_rows.append(
            {
                "key": evidence.key,
                "profile_id": profile.id,
                "item_id": item,
                "evidence": evidence.model_dump(mode="json"),
            }
        )
        prompt = build_messages(evidence)
        split = splits[str(profile.id)]
        for target in result["targets"]:
            completion = [{"role": "assistant", "content": target["text"]}]
            eid = example_id(prompt, completion)
            if eid in seen:
                duplicates += 1
                continue
            seen.add(eid)
            rows[split].append(
                {
                    "id": eid,
                    "prompt": prompt,
                    "completion": completion,
                    "meta": {
                        "profile_id": profile.id,
                        "item_id": item,
                        "evidence_key": evidence.key,
                        "variant": target["variant"],
                        "source": target["source"],
                    },
                }
            )

    write_jsonl(out_dir / "train.jsonl", rows["train"])
    write_jsonl(out_dir / "val.jsonl", rows["val"])
    write_jsonl(out_dir / "evidence.jsonl", evidence_rows)
    sources: dict[str, int] = {}
    for r in rows["train"] + rows["val"]:
        sources[r["meta"]["source"]] = sources.get(r["meta"]["source"], 0) + 1
    manifest = GoldenManifest(
        prompt_version=PROMPT_VERSION,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        data_hash=data_hash(r["id"] for r in rows["train"] + rows["val"]),
        counts={
            "pairs": len(built),
            "pairs_with_targets": len(evidence_rows),
            "train": len(rows["train"]),
            "val": len(rows["val"]),
            "duplicates": duplicates,
            "train_profiles": len({r["meta"]["profile_id"] for r in rows["train"]}),
            "val_profiles": len({r["meta"]["profile_id"] for r in rows["val"]}),
        },
        sources=sources,
        params={
            "pairs": pairs,
            "k": k,
            "variants": variants,
            "val_fraction": val_fraction,
            "offset": offset,
            "item_source": item_source,
            # what the items really came from: "bm25-fallback" when the recommender refused a profile
            "items_from": item_source if item_source == "bm25" else ITEM_SOURCE[0],
        },
        teacher={"base_url": settings.teacher_base_url, "model": teacher.model_name} if teacher is not None else {},
        rejected=rejected,
        seconds=round(time.perf_counter() - started, 1),
    )
    (out_dir / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return manifest


# ------------------------------------------------------------------------------------------------
# reading it back


def load_split(golden_dir: Path, split: str) -> list[dict]:
    return read_jsonl(Path(golden_dir) / f"{split}.jsonl")


def load_evidence(golden_dir: Path) -> dict:
    """Evidence objects of the golden set by evidence key."""
    from app.explain.evidence import Evidence

    return {
        row["key"]: Evidence.model_validate(row["evidence"]) for row in read_jsonl(Path(golden_dir) / "evidence.jsonl")
    }


def read_manifest(golden_dir: Path) -> GoldenManifest | None:
    path = Path(golden_dir) / "manifest.json"
    return GoldenManifest.model_validate_json(path.read_text()) if path.is_file() else None


def ensure_golden(settings, golden_dir: Path | None = None, *, tiny: bool = False, progress: bool = True) -> Path:
    """The golden dir, building it first when it has no manifest (a tiny one with ``tiny``)."""
    golden_dir = Path(golden_dir) if golden_dir else default_dir(settings)
    if read_manifest(golden_dir) is None:
        kwargs = dict(pairs=TINY_PAIRS, variants=TINY_VARIANTS, item_source="bm25") if tiny else {}
        build_golden(settings, out_dir=golden_dir, progress=progress, **kwargs)
    return golden_dir


cli = command_typer()


@cli.command("golden")
def golden_command(
    pairs: Annotated[int, typer.Option(min=1, help="(profile, item) pairs to sample")] = DEFAULT_PAIRS,
    k: Annotated[int, typer.Option(help="recommended items per profile")] = 3,
    variants: Annotated[int, typer.Option(min=1, help="targets (phrasings) per pair")] = DEFAULT_VARIANTS,
    val_fraction: Annotated[float, typer.Option(help="share of profiles held out for validation, in [0, 1)")] = 0.15,
    offset: Annotated[int, typer.Option(help="profiles of each source to skip (eval's)")] = EVAL_HOLDOUT,
    out: Annotated[Path | None, typer.Option(help="output dir (default WAYPOINT_HOME/training/golden)")] = None,
    tiny: Annotated[bool, typer.Option("--tiny", help=f"{TINY_PAIRS} pairs × {TINY_VARIANTS} variants")] = False,
    no_teacher: Annotated[
        bool, typer.Option("--no-teacher", help="composer only, even when a teacher is configured")
    ] = False,
    items: Annotated[
        Literal["recommend", "bm25"],
        typer.Option(help="items per profile: the occupation recommender (as eval) or BM25 (cheap)"),
    ] = "recommend",
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> dict:
    """Golden explanations for SFT from real (profile, item) evidence (teacher model or composer).

    Prints the golden set's manifest as JSON."""
    from retrieval.settings import get_settings

    if not 0.0 <= val_fraction < 1.0:
        raise typer.BadParameter("must be in [0, 1)", param_hint="--val-fraction")
    set_process_threads(1)
    if tiny:
        pairs, variants = TINY_PAIRS, TINY_VARIANTS
    settings = get_settings()
    manifest = build_golden(
        settings,
        pairs=pairs,
        k=k,
        variants=variants,
        val_fraction=val_fraction,
        offset=offset,
        out_dir=out,
        use_teacher=not no_teacher,
        item_source=items,
        progress=not quiet,
    )
    result = manifest.model_dump()
    result["out"] = str(out or default_dir(settings))
    print_json(result)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train golden`` on ``argv`` (for tests and scripts); returns the manifest."""
    return run(cli, argv, "waypoint train golden")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m training.golden")
