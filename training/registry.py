"""Adapter registry: versioned LoRA adapters with their config, data hash and metrics; gated promotion.

Layout under ``WAYPOINT_HOME/adapters/``: one directory per registered adapter, named by the entry
(``explainer-<method>-v<N>``), holding the PEFT files (``adapter_config.json``,
``adapter_model.safetensors``) -- exactly what ``scripts/vllm_serve.sh`` discovers and what vLLM serves
under that name (``--enable-lora --lora-modules name=path``; the OpenAI client selects an adapter by
model name) -- plus ``registry.json``, the index. Every write of the index goes to a temporary file
renamed into place under an exclusive file lock, and adapters are copied to a temporary sibling
directory first, so a crash never leaves a half-registered adapter or a torn index.

Promotion (:meth:`AdapterRegistry.promote`) moves the ``promoted`` pointer only when, against the
currently promoted adapter (or the recorded base-model metrics when none is promoted):

* ``faithfulness`` (claims supported before verification), ``FMR`` and the off-policy click estimate
  ``ope_snips`` do not regress by more than their tolerances (default 0: no regression at all); a
  metric the reference has but the candidate lacks is a refusal, not a pass;
* the general-ability guardrail holds: the merged model's perplexity on held-out general text is at
  most ``max_ppl_ratio`` (default 1.10) × the base model's. The text (:func:`general_texts`) is
  course descriptions and ESCO occupation descriptions from the catalogue: real, varied English
  that no training prompt contains (explanation prompts quote résumés, O*NET descriptions, tasks and
  requirement rows, and course *titles* only), taken in a fixed hash order.

Refusals list every failed check in plain words. :meth:`export` merges an adapter into the base with
peft's ``merge_and_unload`` and saves a standalone HF model directory for deployment.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, Field

from app.clikit import run
from retrieval.settings import Settings, get_settings
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

INDEX_NAME = "registry.json"
PROMOTED_ALIAS = "explainer"
GATED_METRICS = ("faithfulness", "FMR", "ope_snips")
# Lower is better: more verifier-detected provenance errors ("you have X" for a merely inferred skill).
LOWER_IS_BETTER = ("provenance_errors",)


class RegistryError(ValueError):
    """Bad registry input (unknown name, not an adapter directory, ...): CLI exit code 2."""


class AdapterEntry(BaseModel):
    name: str
    version: int
    method: str
    path: str = Field(description="directory of the PEFT adapter files")
    base_model: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    data_hash: str = ""
    metrics: dict[str, Any] = Field(default_factory=dict)
    created_at: str = ""
    promoted_at: str | None = None
    guardrail: dict[str, Any] | None = None


class RegistryIndex(BaseModel):
    adapters: list[AdapterEntry] = Field(default_factory=list)
    promoted: str | None = None
    challengers: list[str] = Field(
        default_factory=list,
        description=("adapters the serving app explores beside the promoted one (app/feedback/policies.py)"),
    )
    history: list[dict[str, Any]] = Field(default_factory=list, description="promotions, newest last")
    base_metrics: dict[str, Any] = Field(default_factory=dict)
    base_perplexity: dict[str, float] = Field(default_factory=dict, description="cache: text hash → base ppl")


class Thresholds(BaseModel):
    """How much each gated metric may drop (absolute) and the perplexity bound."""

    faithfulness: float = Field(0.0, ge=0)
    FMR: float = Field(0.0, ge=0)
    ope_snips: float = Field(0.0, ge=0)
    provenance_errors: float = Field(0.0, ge=0, description="how many more provenance errors per explanation")
    max_ppl_ratio: float = Field(1.10, ge=1.0)
    require_ci_gain: bool = Field(
        True,
        description=(
            "refuse when the off-policy uplift over the reference (metric ope_uplift_ci, [low, high]) has a CI that "
            "includes a loss (low < 0)"
        ),
    )


class PromotionDecision(BaseModel):
    name: str
    promoted: bool
    reference: str
    reasons: list[str] = Field(default_factory=list, description="why it was refused (empty when promoted)")
    checks: dict[str, Any] = Field(default_factory=dict)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def hash_data(rows: list[Any] | bytes | str) -> str:
    """A stable short hash of training data (JSON rows, bytes or text), recorded with each adapter."""
    if isinstance(rows, (bytes, str)):
        blob = rows.encode() if isinstance(rows, str) else rows
    else:
        blob = json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()[:16]


# ------------------------------------------------------------------------------------------------
# general-ability guardrail


def general_texts(settings: Settings, n: int = 48, max_chars: int = 1200) -> list[str]:
    """Held-out general text: course descriptions and ESCO occupation descriptions (module doc)."""
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        courses = [r[0] for r in conn.execute("SELECT description FROM course WHERE length(description) > 300")]
        esco = [
            r[0]
            for r in conn.execute(
                "SELECT description FROM occupation WHERE taxonomy = 'esco' AND length(description) > 200"
            )
        ]
    finally:
        conn.close()

    def order(texts: list[str]) -> list[str]:
        return sorted(set(texts), key=lambda t: hashlib.sha256(t.encode()).hexdigest())

    half = n // 2
    picked = order(courses)[: n - half] + order(esco)[:half]
    if not picked:
        raise RegistryError(
            "no held-out general text in the catalogue (course / ESCO descriptions): run waypoint ingest"
        )
    return [" ".join(t.split())[:max_chars] for t in picked]


def perplexity(model, tokenizer, texts: list[str], max_tokens: int = 256) -> float:
    """Token-level perplexity of ``model`` over ``texts`` (each truncated to ``max_tokens``)."""
    import torch

    nll, count = 0.0, 0
    model.eval()
    with torch.no_grad():
        for text in texts:
            ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_tokens)["input_ids"]
            if ids.shape[1] < 2:
                continue
            out = model(ids, labels=ids)
            n = ids.shape[1] - 1
            nll += float(out.loss) * n
            count += n
    if count == 0:
        raise RegistryError("the general text produced no tokens")
    return math.exp(nll / count)


@lru_cache(maxsize=1)
def _cached_base(path: str):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    return model.eval(), AutoTokenizer.from_pretrained(path)


def load_base(settings: Settings):
    """(model, tokenizer, path) of the base model the adapters were trained on.

    The weights are read once per process; each caller gets its own copy, because merging an
    adapter changes the weights in place.
    """
    from app.llm.model_files import resolve_model_path

    path = resolve_model_path(settings)
    model, tokenizer = _cached_base(str(path))
    return copy.deepcopy(model), tokenizer, path


def merged_model(settings: Settings, adapter_dir: str | Path):
    """Base + adapter merged into plain weights (peft ``merge_and_unload``)."""
    from peft import PeftModel

    base, tokenizer, _ = load_base(settings)
    return PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload().eval(), tokenizer


# ------------------------------------------------------------------------------------------------
# the registry


class AdapterRegistry:
    """The index and directories under ``root`` (default ``settings.home / "adapters"``)."""

    def __init__(self, settings: Settings | None = None, root: str | Path | None = None):
        self.settings = settings or get_settings()
        self.root = Path(root) if root else Path(self.settings.home) / "adapters"
        self.root.mkdir(parents=True, exist_ok=True)
        self.index_path = self.root / INDEX_NAME

    # -------------------------------------------------------------- index I/O
    @contextmanager
    def _locked(self) -> Iterator[RegistryIndex]:
        """Read-modify-write of the index under an exclusive lock, written atomically on exit."""
        with open(self.root / ".registry.lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                index = self._read()
                yield index
                self._write(index)
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _read(self) -> RegistryIndex:
        if not self.index_path.is_file():
            return RegistryIndex()
        return RegistryIndex.model_validate_json(self.index_path.read_text())

    def _write(self, index: RegistryIndex) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".registry.", suffix=".json", dir=str(self.root))
        with os.fdopen(fd, "w") as handle:
            handle.write(index.model_dump_json(indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.index_path)

    # -------------------------------------------------------------- entries
    def list(self) -> list[AdapterEntry]:
        return list(self._read().adapters)

    @property
    def promoted(self) -> AdapterEntry | None:
        index = self._read()
        return next((e for e in index.adapters if e.name == index.promoted), None)

    def get(self, name: str) -> AdapterEntry:
        entry = next((e for e in self._read().adapters if e.name == name), None)
        if entry is None:
            known = ", ".join(e.name for e in self.list()) or "none registered"
            raise RegistryError(f"unknown adapter {name!r} (known: {known})")
        return entry

    def register(
        self,
        adapter_dir: str | Path,
        method: str,
        config: dict[str, Any] | None = None,
        data_hash: str = "",
        metrics: dict[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> AdapterEntry:
        """Copy a PEFT adapter directory into the registry as a new version; returns its entry."""
        src = Path(adapter_dir)
        if not (src / "adapter_config.json").is_file():
            raise RegistryError(f"{src} is not a PEFT adapter directory (no adapter_config.json)")
        method = method.strip().lower()
        if not method or not method.replace("-", "").replace("_", "").isalnum():
            raise RegistryError(f"method {method!r} must be a short word like sft, dpo or kto")
        base_model = json.loads((src / "adapter_config.json").read_text()).get("base_model_name_or_path") or ""
        with self._locked() as index:
            version = 1 + max((e.version for e in index.adapters if e.method == method), default=0)
            entry_name = name or f"explainer-{method}-v{version}"
            if any(e.name == entry_name for e in index.adapters) or entry_name == PROMOTED_ALIAS:
                raise RegistryError(f"an adapter named {entry_name!r} is already registered")
            target = self.root / entry_name
            if target.exists():
                raise RegistryError(f"{target} exists but is not registered; remove it or pick another name")
            tmp = Path(tempfile.mkdtemp(prefix=f".{entry_name}.", dir=str(self.root)))
            try:
                shutil.copytree(src, tmp, dirs_exist_ok=True)
                os.rename(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            entry = AdapterEntry(
                name=entry_name,
                version=version,
                method=method,
                path=str(target.resolve()),
                base_model=base_model,
                config=dict(config or {}),
                data_hash=data_hash,
                metrics=dict(metrics or {}),
                created_at=_now(),
            )
            index.adapters.append(entry)
        return entry

    def update_metrics(self, name: str, metrics: dict[str, Any]) -> AdapterEntry:
        with self._locked() as index:
            entry = next((e for e in index.adapters if e.name == name), None)
            if entry is None:
                raise RegistryError(f"unknown adapter {name!r}")
            entry.metrics.update(metrics)
        return self.get(name)

    def set_base_metrics(self, metrics: dict[str, Any]) -> None:
        """Record the base model's metrics: the reference while no adapter is promoted."""
        with self._locked() as index:
            index.base_metrics = dict(metrics)

    # -------------------------------------------------------------- promotion
    def _base_perplexity(self, texts: list[str], max_tokens: int) -> float:
        key = hash_data(
            {"texts": texts, "max_tokens": max_tokens, "model": str(self.settings.llm_model_path or "smollm2")}
        )
        cached = self._read().base_perplexity.get(key)
        if cached is not None:
            return cached
        model, tokenizer, _ = load_base(self.settings)
        value = perplexity(model, tokenizer, texts, max_tokens)
        with self._locked() as index:
            index.base_perplexity[key] = value
        return value

    def guardrail(
        self, name: str, *, texts: list[str] | None = None, max_tokens: int = 256, max_ratio: float = 1.10
    ) -> dict[str, Any]:
        """Perplexity of the merged model vs the base on held-out general text."""
        entry = self.get(name)
        texts = texts if texts is not None else general_texts(self.settings)
        base_ppl = self._base_perplexity(texts, max_tokens)
        model, tokenizer = merged_model(self.settings, entry.path)
        ppl = perplexity(model, tokenizer, texts, max_tokens)
        ratio = ppl / base_ppl
        return {
            "texts": len(texts),
            "max_tokens": max_tokens,
            "base_ppl": round(base_ppl, 4),
            "adapter_ppl": round(ppl, 4),
            "ratio": round(ratio, 4),
            "max_ratio": max_ratio,
            "ok": bool(ratio <= max_ratio),
        }

    def promote(
        self, name: str, *, thresholds: Thresholds | None = None, texts: list[str] | None = None, max_tokens: int = 256
    ) -> PromotionDecision:
        """Promote ``name`` when no gated metric regresses and the guardrail holds (module doc)."""
        thresholds = thresholds or Thresholds()
        entry = self.get(name)
        index = self._read()
        current = next((e for e in index.adapters if e.name == index.promoted), None)
        if current is not None and current.name == name:
            return PromotionDecision(name=name, promoted=True, reference=name, checks={"note": "already promoted"})
        reference_name = current.name if current else "base"
        reference = current.metrics if current else index.base_metrics
        reasons: list[str] = []
        checks: dict[str, Any] = {}
        for metric in GATED_METRICS:
            ref, new = reference.get(metric), entry.metrics.get(metric)
            tol = getattr(thresholds, metric)
            checks[metric] = {"candidate": new, "reference": ref, "tolerance": tol}
            if new is None:
                reasons.append(
                    f"{metric} is not recorded for {name}: evaluate it first "
                    f"(waypoint eval {'ope' if metric == 'ope_snips' else 'explain'})"
                )
            elif ref is not None and float(new) < float(ref) - tol:
                reasons.append(
                    f"{metric} regresses: {float(new):.4f} < {reference_name}'s {float(ref):.4f}"
                    + (f" - tolerance {tol}" if tol else "")
                )
        for metric in LOWER_IS_BETTER:
            ref, new = reference.get(metric), entry.metrics.get(metric)
            tol = getattr(thresholds, metric)
            checks[metric] = {"candidate": new, "reference": ref, "tolerance": tol, "lower_is_better": True}
            if ref is not None and new is None:
                reasons.append(f"{metric} is not recorded for {name}: evaluate it first")
            elif ref is not None and float(new) > float(ref) + tol:
                reasons.append(f"{metric} worsens: {float(new):.4f} > {reference_name}'s {float(ref):.4f}")
        ci = entry.metrics.get("ope_uplift_ci")
        checks["ope_uplift_ci"] = {"candidate": ci, "require_ci_gain": thresholds.require_ci_gain}
        if thresholds.require_ci_gain:
            if not (
                isinstance(ci, (list, tuple))
                and len(ci) == 2
                and all(isinstance(v, (int, float)) for v in ci)
                and all(math.isfinite(float(v)) for v in ci)
            ):
                reasons.append(
                    f"no off-policy uplift CI recorded for {name} (metric ope_uplift_ci): evaluate it "
                    "against the reference on a log it did not train on"
                )
            elif float(ci[0]) < 0:
                reasons.append(
                    f"the off-policy uplift's 95% CI [{float(ci[0]):.4f}, {float(ci[1]):.4f}] includes a loss"
                )
        guard = self.guardrail(name, texts=texts, max_tokens=max_tokens, max_ratio=thresholds.max_ppl_ratio)
        checks["general_perplexity"] = guard
        if not guard["ok"]:
            reasons.append(
                f"general-ability guardrail fails: perplexity on held-out general text is "
                f"{guard['adapter_ppl']:.2f}, {guard['ratio']:.2f}x the base model's {guard['base_ppl']:.2f} "
                f"(bound {thresholds.max_ppl_ratio:.2f}x)"
            )
        decision = PromotionDecision(
            name=name, promoted=not reasons, reference=reference_name, reasons=reasons, checks=checks
        )
        with self._locked() as index:
            for e in index.adapters:
                if e.name == name:
                    e.guardrail = guard
                    if decision.promoted:
                        e.promoted_at = _now()
            if decision.promoted:
                index.history.append({"promoted": name, "previous": index.promoted, "at": _now()})
                index.promoted = name
        return decision

    def bootstrap(self, name: str) -> AdapterEntry:
        """Make ``name`` the first champion without the gates (there is nothing promoted to compare with):
        the starting point of a learning loop, e.g. the shipped SFT adapter. Refused once anything is promoted."""
        entry = self.get(name)
        with self._locked() as index:
            if index.promoted is not None and index.promoted != name:
                raise RegistryError(f"{index.promoted!r} is already promoted: use promote (gated) instead")
            if index.promoted != name:
                index.history.append({"promoted": name, "previous": None, "at": _now(), "bootstrap": True})
                index.promoted = name
        return entry

    def set_challengers(self, names: list[str]) -> list[str]:
        """The adapters the serving app explores beside the promoted one (each must be registered)."""
        with self._locked() as index:
            known = {e.name for e in index.adapters}
            unknown = [n for n in names if n not in known and n != "base"]
            if unknown:
                raise RegistryError(f"unknown adapters {unknown}")
            index.challengers = [n for n in dict.fromkeys(names) if n != index.promoted]
            return list(index.challengers)

    def rollback(self) -> dict[str, Any]:
        """Undo the last promotion: the previous champion (or the base model) is promoted again, at once.

        One command (``waypoint adapters rollback``); recorded in the history like a promotion, so a rollback
        can itself be seen (and the adapter it retired stays registered, to be re-promoted through the gates)."""
        with self._locked() as index:
            if index.promoted is None:
                raise RegistryError("nothing is promoted: nothing to roll back")
            last = next(
                (h for h in reversed(index.history) if h.get("promoted") == index.promoted and not h.get("rollback")),
                None,
            )
            previous = last.get("previous") if last else None
            retired = index.promoted
            index.promoted = previous
            index.challengers = [c for c in index.challengers if c != retired]
            index.history.append({"promoted": previous, "previous": retired, "at": _now(), "rollback": True})
        return {"rolled_back": retired, "promoted": previous or "base"}

    # -------------------------------------------------------------- deployment
    def export(self, name: str, out: str | Path, *, overwrite: bool = False) -> Path:
        """Merge ``name`` into the base (peft ``merge_and_unload``) and save a standalone HF model dir."""
        entry = self.get(name)
        out = Path(out)
        if out.exists() and any(out.iterdir()) and not overwrite:
            raise RegistryError(f"{out} exists and is not empty (pass --overwrite to replace it)")
        model, tokenizer = merged_model(self.settings, entry.path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=str(out.parent)))
        try:
            model.save_pretrained(str(tmp), safe_serialization=True)
            tokenizer.save_pretrained(str(tmp))
            (tmp / "waypoint_export.json").write_text(
                json.dumps(
                    {
                        "adapter": entry.name,
                        "method": entry.method,
                        "data_hash": entry.data_hash,
                        "metrics": entry.metrics,
                        "exported_at": _now(),
                    },
                    indent=2,
                )
                + "\n"
            )
            if out.exists():
                shutil.rmtree(out)
            os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def vllm_lora_modules(self) -> list[str]:
        """``name=path`` for ``vllm serve --enable-lora --lora-modules ...``; the promoted one also as ``explainer``."""
        index = self._read()
        mods = [f"{e.name}={e.path}" for e in index.adapters if Path(e.path).is_dir()]
        current = next((e for e in index.adapters if e.name == index.promoted), None)
        if current is not None:
            mods.append(f"{PROMOTED_ALIAS}={current.path}")
        return mods


# ------------------------------------------------------------------------------------------------
# CLI


def reload_server(url: str, settings: Settings, key: str | None = None, timeout_s: float = 300.0) -> dict:
    """Tell a running server to hot-load the registry's champion and challengers (``/v1/admin/policies/reload``)."""
    import httpx

    key = (
        key
        or os.environ.get("WAYPOINT_ADMIN_KEY")
        or next((k.strip() for k in (settings.admin_api_keys or settings.api_keys).split(",") if k.strip()), "")
    )
    headers = {"X-API-Key": key} if key else {}
    response = httpx.post(url.rstrip("/") + "/v1/admin/policies/reload", json={}, headers=headers, timeout=timeout_s)
    if response.status_code != 200:
        raise RegistryError(f"the server refused the reload: HTTP {response.status_code}: {response.text[:300]}")
    return response.json()


def _json_arg(text: str | None, what: str) -> dict:
    if not text:
        return {}
    p = Path(text)
    raw = p.read_text() if p.is_file() else text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{what} must be JSON or a JSON file: {exc}") from None
    if not isinstance(value, dict):
        raise RegistryError(f"{what} must be a JSON object")
    return value


cli = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="LoRA adapter registry: list, promote (guarded), export (merged model), vllm-modules.",
)

ReloadOption = Annotated[
    str | None,
    typer.Option(
        help="a running server to hot-load the result into "
        "(POST URL/v1/admin/policies/reload; key from WAYPOINT_ADMIN_KEY or the first WAYPOINT_API_KEYS)"
    ),
]


@contextmanager
def _cli_errors() -> Iterator[None]:
    """Bad registry input (an unknown name, not an adapter directory, ...) exits 2 with its message."""
    try:
        yield
    except RegistryError as exc:
        raise typer.BadParameter(str(exc)) from None


def _emit(out: dict, registry: AdapterRegistry, reload_url: str | None = None) -> dict:
    if reload_url:
        out["reload"] = reload_server(reload_url, registry.settings)
    print(json.dumps(out, indent=2, default=str))
    return out


@cli.command("list")
def list_command() -> dict:
    """Registered adapters, their metrics and which is promoted."""
    registry = AdapterRegistry(get_settings())
    index = registry._read()
    out = {
        "root": str(registry.root),
        "promoted": index.promoted,
        "base_metrics": index.base_metrics,
        "adapters": [e.model_dump() for e in index.adapters],
    }
    return _emit(out, registry)


@cli.command("register")
def register_command(
    adapter_dir: Annotated[str, typer.Argument(help="a PEFT adapter directory")],
    method: Annotated[str, typer.Option(help="sft | dpo | kto | ...")],
    config: Annotated[str | None, typer.Option(help="training config (JSON or a JSON file)")] = None,
    metrics: Annotated[
        str | None, typer.Option(help="metrics (JSON or a JSON file): faithfulness, FMR, ope_snips, ...")
    ] = None,
    data_hash: str = "",
    name: str | None = None,
) -> dict:
    """Copy a PEFT adapter dir into the registry."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        entry = registry.register(
            adapter_dir,
            method,
            _json_arg(config, "--config"),
            data_hash,
            _json_arg(metrics, "--metrics"),
            name=name,
        )
    return _emit(entry.model_dump(), registry)


@cli.command("base-metrics")
def base_metrics_command(metrics: Annotated[str, typer.Argument(help="metrics (JSON or a JSON file)")]) -> dict:
    """Record the base model's metrics (reference before any promotion)."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        registry.set_base_metrics(_json_arg(metrics, "metrics"))
    return _emit({"base_metrics": registry._read().base_metrics}, registry)


@cli.command("metrics")
def metrics_command(
    name: Annotated[str, typer.Argument(help="a registered adapter")],
    metrics: Annotated[str, typer.Argument(help="metrics (JSON or a JSON file)")],
) -> dict:
    """Add or update an adapter's metrics."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        out = registry.update_metrics(name, _json_arg(metrics, "metrics")).model_dump()
    return _emit(out, registry)


@cli.command("promote")
def promote_command(
    name: Annotated[str, typer.Argument(help="a registered adapter")],
    max_ppl_ratio: float = 1.10,
    texts: Annotated[int, typer.Option(help="held-out general passages for the guardrail")] = 48,
    tol_faithfulness: Annotated[float, typer.Option(help="how much faithfulness may drop")] = 0.0,
    tol_fmr: Annotated[float, typer.Option("--tol-fmr", help="how much FMR may drop")] = 0.0,
    tol_ope_snips: Annotated[float, typer.Option(help="how much the off-policy click rate may drop")] = 0.0,
    reload_url: ReloadOption = None,
) -> dict:
    """Promote when metrics do not regress and the guardrail holds."""
    registry = AdapterRegistry(get_settings())
    set_process_threads(1)
    thresholds = Thresholds(
        max_ppl_ratio=max_ppl_ratio, faithfulness=tol_faithfulness, FMR=tol_fmr, ope_snips=tol_ope_snips
    )
    with _cli_errors():
        decision = registry.promote(name, thresholds=thresholds, texts=general_texts(registry.settings, texts))
    return _emit(decision.model_dump(), registry, reload_url if decision.promoted else None)


@cli.command("export")
def export_command(
    name: Annotated[str, typer.Argument(help="a registered adapter")],
    out: Annotated[str, typer.Option(help="the merged model's directory")],
    overwrite: Annotated[bool, typer.Option("--overwrite")] = False,
) -> dict:
    """Merge into the base and save a standalone HF model dir."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        exported = registry.export(name, out, overwrite=overwrite)
    return _emit({"exported": str(exported)}, registry)


@cli.command("vllm-modules")
def vllm_modules_command() -> dict:
    """name=path pairs for vllm --lora-modules."""
    registry = AdapterRegistry(get_settings())
    return _emit({"lora_modules": registry.vllm_lora_modules()}, registry)


@cli.command("rollback")
def rollback_command(reload_url: ReloadOption = None) -> dict:
    """Undo the last promotion (the previous champion, or the base, is served)."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        out = registry.rollback()
    return _emit(out, registry, reload_url)


@cli.command("challengers")
def challengers_command(
    names: Annotated[list[str] | None, typer.Argument(help="registered adapters (none: clear the challengers)")] = None,
    reload_url: ReloadOption = None,
) -> dict:
    """Set the adapters the app explores beside the promoted one."""
    registry = AdapterRegistry(get_settings())
    with _cli_errors():
        out = {"challengers": registry.set_challengers(names or [])}
    return _emit(out, registry, reload_url)


def main(argv: list[str] | None = None) -> dict:
    """``waypoint adapters list | register DIR --method M | promote NAME | rollback | challengers NAME... |
    export NAME --out DIR | vllm-modules`` on ``argv`` (promote, rollback, challengers: ``--reload-url URL``
    hot-loads); returns what the command printed."""
    return run(cli, argv, "waypoint adapters")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m training.registry")
