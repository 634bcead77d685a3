"""Explainer policies the app explores between, and the record of what each wrote.

Why here (the app) and not in ``training.registry``: serving must read the adapter registry, and layers
point down (training > app), so the app reads the registry's index file -- ``WAYPOINT_HOME/adapters/
registry.json``, written only by :class:`training.registry.AdapterRegistry` -- as plain JSON. The file
is the contract: ``promoted`` (the champion), ``challengers`` (names being explored) and ``adapters``
(entries with ``name``, ``version``, ``method``, ``path``, ``metrics``).

A policy is one way of writing an explanation: the base model (or the configured ``llm_adapter``) or a
registered LoRA adapter. :class:`PolicyExplorer` picks one per request -- epsilon-greedy (the champion
with ``1 - policy_epsilon``, the challengers sharing the rest) or a softmax over their recorded
off-policy click estimates -- and one of ``policy_samples`` decodings of it (sample 0 greedy, sample k
sampled with seed k), uniformly; the logged propensity is the product. Each decoding with a fixed seed is
a deterministic function of the prompt, i.e. a well-defined arm that off-policy evaluation can target.

While an explanation is written, :func:`activate` makes the choice current (a context variable), and
:func:`active_backend` -- the one hook in :mod:`app.explain.service` -- hands the explain path the chosen
policy's backend wrapped in :class:`RecordingBackend`, which decodes with the chosen sample and writes
the completion exactly as the model produced it into ``choice.record``. Backends are per policy (one
loaded model and one prefix KV cache each, :func:`app.llm.factory.policy_backend`): nothing is loaded
per request, and no policy reads another's cached prefix.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import random
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from app.feedback.exploration import VariantChoice
from retrieval.settings import LLMBackendName, Settings, backend_name

log = logging.getLogger(__name__)

INDEX_NAME = "registry.json"
BASE_POLICY = "base"
# A policy name is a registry entry name: it must fit the API's variant pattern with "-s<k>" appended.
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,27}$")


class PolicyError(ValueError):
    """A policy name or adapter path that must not be served (bad name, outside the registry, missing)."""


class ExplainerPolicy(BaseModel):
    """One explainer: the base model (``adapter_path`` None) or a registered LoRA adapter."""

    model_config = {"frozen": True}

    name: str
    adapter_path: str | None = None
    version: int | None = None
    method: str = "base"
    role: str = "champion"  # champion | challenger
    score: float | None = None  # recorded off-policy click estimate (registry metric ope_snips)

    def public(self) -> dict[str, Any]:
        """What is logged with an impression (no filesystem path: the name and version identify it)."""
        return {
            "name": self.name,
            "adapter": None if self.adapter_path is None else self.name,
            "version": self.version,
            "method": self.method,
            "role": self.role,
        }


def adapters_root(settings: Settings) -> Path:
    return Path(settings.home) / "adapters"


def check_name(name: str) -> str:
    """``name`` when it is a safe registry entry name (no path separators, no dots), else :class:`PolicyError`."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise PolicyError(f"invalid adapter name {name!r}: lowercase letters, digits, '-' and '_' only, at most 28")
    return name


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def read_index(settings: Settings) -> dict[str, Any]:
    path = adapters_root(settings) / INDEX_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError(f"the adapter registry index {path} cannot be read: {exc}") from None
    return data if isinstance(data, dict) else {}


def _policy(entry: dict[str, Any], role: str, root: Path) -> ExplainerPolicy:
    name = check_name(str(entry.get("name") or ""))
    path = Path(str(entry.get("path") or ""))
    if not _inside(root, path) or not (path / "adapter_config.json").is_file():
        raise PolicyError(f"adapter {name!r} is not a PEFT adapter directory inside {root}")
    score = (entry.get("metrics") or {}).get("ope_snips")
    return ExplainerPolicy(
        name=name,
        adapter_path=str(path.resolve()),
        version=entry.get("version"),
        method=str(entry.get("method") or ""),
        role=role,
        score=float(score) if isinstance(score, (int, float)) else None,
    )


def read_policies(settings: Settings, names: list[str] | None = None) -> list[ExplainerPolicy]:
    """The champion first, then the challengers, from the registry (module doc).

    Without a promoted adapter the champion is the base model (with ``settings.llm_adapter`` when set,
    named after its directory). ``names`` (admin reload) picks registered entries explicitly: the first is
    the champion. Every name is checked, and every path must lie inside the registry's directory.
    """
    root = adapters_root(settings)
    index = read_index(settings)
    entries = {e.get("name"): e for e in index.get("adapters") or [] if isinstance(e, dict)}
    if names is not None:
        wanted = [check_name(n) for n in names]
        if not wanted:
            raise PolicyError("name at least one adapter (or 'base')")
        roles = ["champion"] + ["challenger"] * (len(wanted) - 1)
        out = []
        for name, role in zip(wanted, roles):
            if name == BASE_POLICY:
                out.append(ExplainerPolicy(name=BASE_POLICY, role=role))
            elif name not in entries:
                raise PolicyError(f"unknown adapter {name!r}: not in the registry")
            else:
                out.append(_policy(entries[name], role, root))
        return out
    promoted = index.get("promoted")
    if promoted and promoted in entries:
        champion = _policy(entries[promoted], "champion", root)
    elif settings.llm_adapter and Path(settings.llm_adapter).is_dir():
        configured = re.sub(r"[^a-z0-9_-]+", "-", Path(settings.llm_adapter).name.lower()).strip("-_")[:28]
        champion = ExplainerPolicy(
            name=check_name(configured or "configured"),
            adapter_path=str(Path(settings.llm_adapter).resolve()),
            method="configured",
        )
    else:
        champion = ExplainerPolicy(name=BASE_POLICY)
    out = [champion]
    for name in index.get("challengers") or []:
        if name == champion.name:
            continue
        if name == BASE_POLICY:
            out.append(ExplainerPolicy(name=BASE_POLICY, role="challenger"))
        elif name in entries:
            try:
                out.append(_policy(entries[name], "challenger", root))
            except PolicyError as exc:
                log.warning("challenger skipped: %s", exc)
    return out


class PolicyExplorer:
    """Per-request choice among explainer policies and their decodings (module doc); thread-safe, seedable."""

    def __init__(self, settings: Settings, policies: list[ExplainerPolicy] | None = None, seed: int | None = None):
        self.settings = settings
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.samples = int(settings.policy_samples)
        self.temperature = float(settings.policy_temperature)
        self.policies: list[ExplainerPolicy] = []
        self.reload(policies if policies is not None else read_policies(settings))

    # ------------------------------------------------------------------ the distribution
    def policy_probabilities(self, policies: list[ExplainerPolicy] | None = None) -> dict[str, float]:
        policies = self.policies if policies is None else policies
        if len(policies) == 1:
            return {policies[0].name: 1.0}
        if self.settings.policy_strategy == "softmax":
            scores = [p.score if p.score is not None else 0.0 for p in policies]
            top = max(scores)
            weights = [math.exp((s - top) / self.settings.policy_softmax_temperature) for s in scores]
            total = sum(weights)
            return {p.name: w / total for p, w in zip(policies, weights)}
        eps = float(self.settings.policy_epsilon)
        share = eps / (len(policies) - 1)
        return {p.name: (1.0 - eps if n == 0 else share) for n, p in enumerate(policies)}

    def distribution(self) -> dict[str, float]:
        """Probability of each arm (``<policy>-s<k>``) under the current logging policy."""
        return {
            variant_name(name, k): p / self.samples
            for name, p in self.policy_probabilities().items()
            for k in range(self.samples)
        }

    def reload(self, policies: list[ExplainerPolicy]) -> None:
        if not policies:
            raise PolicyError("at least one policy is needed")
        names = [p.name for p in policies]
        if len(set(names)) != len(names):
            raise PolicyError(f"duplicate policy names: {names}")
        with self._lock:
            self.policies = list(policies)
            self._probs = self.policy_probabilities(self.policies)

    # ------------------------------------------------------------------ choices
    def _choice(
        self, policy: ExplainerPolicy, sample: int, p_policy: float, propensity: float, explored: bool
    ) -> VariantChoice:
        temperature = 0.0 if sample == 0 else self.temperature
        return VariantChoice(
            variant=variant_name(policy.name, sample),
            propensity=round(propensity, 6),
            explored=explored,
            policy=policy.public() | {"adapter_path": policy.adapter_path},
            sample=sample,
            temperature=temperature,
            seed=sample or None,
            policy_propensity=round(p_policy, 6),
        )

    def choose(self) -> VariantChoice:
        with self._lock:
            policies, probs = list(self.policies), dict(self._probs)
            draw, k = self._rng.random(), self._rng.randrange(self.samples)
        edge = 0.0
        chosen = policies[-1]
        for policy in policies:
            edge += probs[policy.name]
            if draw < edge:
                chosen = policy
                break
        p = probs[chosen.name]
        return self._choice(chosen, k, p, p / self.samples, explored=chosen is not policies[0] or k != 0)

    def fixed(self, variant: str) -> VariantChoice:
        """An explicitly requested arm (``<policy>`` = its greedy decoding, or ``<policy>-s<k>``, any k up to
        :data:`MAX_SAMPLE` -- "Explain differently" asks for samples past ``policy_samples``): propensity 1.
        A name that is no policy is a phrasing variant of the configured LLM, as before."""
        with self._lock:
            policies = list(self.policies)
        for policy in policies:
            for k in range(MAX_SAMPLE + 1):
                if variant in (variant_name(policy.name, k), policy.name if k == 0 else None):
                    return self._choice(policy, k, 1.0, 1.0, explored=False)
        return VariantChoice(variant, 1.0, False)


#: The highest sample index an arm name may carry (``<policy>-s8``).
MAX_SAMPLE = 8
_ARM_RE = re.compile(r"^(?P<policy>[a-z0-9][a-z0-9_-]{0,27})-s(?P<k>[0-9])$")


def next_sample_variant(shown: str | None) -> str:
    """The arm "Explain differently" asks for after ``shown``: the same policy's next sampled decoding
    (``base-s1`` after ``base-s0``, ``-s2`` after ``-s1``, back to ``-s1`` after ``-s8``); after a phrasing
    variant of the configured LLM ("default", "alt"), its first sample ``base-s1``.

    Deterministic given what was shown, so the propensity of the second explanation is 1 -- the person asked
    for it -- and the pair (shown, another) is a clean comparison of two decodings of one prompt."""
    match = _ARM_RE.match(shown or "")
    if match is None:
        return variant_name(BASE_POLICY, 1)
    k = int(match["k"])
    return variant_name(match["policy"], k + 1 if k < MAX_SAMPLE else 1)


def configured_sample(settings: Settings, variant: str) -> VariantChoice | None:
    """``base-s<k>`` of the configured LLM (``llm_adapter`` on ``llm_backend``) when no policy explorer runs:
    sample k sampled at ``policy_temperature`` with seed k, propensity 1; None for any other name."""
    match = _ARM_RE.match(variant or "")
    if match is None or match["policy"] != BASE_POLICY or not 1 <= int(match["k"]) <= MAX_SAMPLE:
        return None
    k = int(match["k"])
    adapter = settings.llm_adapter or None
    name = Path(adapter).name if adapter else None
    return VariantChoice(
        variant=variant,
        propensity=1.0,
        explored=False,
        policy={  # named as impression_fields names the configured LLM's greedy impressions
            "name": name or BASE_POLICY,
            "adapter": name,
            "version": None,
            "method": "configured",
            "role": "champion",
            "adapter_path": adapter,
        },
        sample=k,
        temperature=float(settings.policy_temperature),
        seed=k,
        policy_propensity=1.0,
    )


def variant_name(policy: str, sample: int) -> str:
    return f"{policy}-s{sample}"


# ------------------------------------------------------------------------------------------------
# the current choice while an explanation is written

_ACTIVE: contextvars.ContextVar[VariantChoice | None] = contextvars.ContextVar("waypoint_policy_choice", default=None)


@contextmanager
def activate(choice: VariantChoice) -> Iterator[VariantChoice]:
    """Make ``choice`` the current one for the explanation written inside the block."""
    token = _ACTIVE.set(choice)
    try:
        yield choice
    finally:
        _ACTIVE.reset(token)


def active_backend(
    name: str, settings: Settings, *, evidence_key: str | None = None, turns: list[tuple[str, str]] | None = None
):
    """The backend the explain path should use now: the active choice's policy (recording what it writes,
    and the evidence's key and recalled conversation ``turns``, which the impression logs), or -- outside
    :func:`activate` (CLI, evaluation) -- the configured backend, untouched."""
    from app.llm.factory import get_backend, policy_backend

    choice = _ACTIVE.get()
    if choice is None:
        return get_backend(name, settings)
    policy = choice.policy
    if policy is None:
        backend = get_backend(name, settings)
    else:
        transformers = backend_name(name or settings.llm_backend) == LLMBackendName.TRANSFORMERS
        adapter = policy.get("adapter_path") if transformers else policy.get("adapter")
        backend = policy_backend(name, settings, adapter)
    choice.record.update(evidence_key=evidence_key, grammar=settings.explain_grammar, turns=list(turns or []))
    return RecordingBackend(backend, choice)


class RecordingBackend:
    """A policy's backend that decodes with the chosen sample and records the completion it wrote."""

    def __init__(self, backend, choice: VariantChoice):
        self.backend = backend
        self.choice = choice

    def info(self) -> dict[str, Any]:
        return self.backend.info()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def _decoding(self, temperature: float, max_new_tokens: int | None) -> float:
        choice = self.choice
        temp = choice.temperature if choice.policy is not None else temperature
        choice.record["decoding"] = {
            "temperature": temp,
            "seed": choice.seed if temp > 0 else None,
            "sample": choice.sample,
            "max_new_tokens": max_new_tokens,
            "backend": getattr(self.backend, "name", None),
            "decoding": getattr(self.backend, "decoding", None),
        }
        return temp

    def decode_one(
        self,
        messages,
        schema,
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        *,
        generator: Any = None,
        on_tokens: Any = None,
    ):
        """The streaming path's decode (in-process backends): the chosen sample, recorded."""
        temp = self._decoding(temperature, max_new_tokens)
        if temp > 0 and generator is None:
            import torch

            generator = torch.Generator().manual_seed(int(self.choice.seed or 0))
        result, run = self.backend.decode_one(
            messages, schema, max_new_tokens, temp, generator=generator, on_tokens=on_tokens
        )
        self.choice.record["completion"] = result.text
        return result, run

    def generate_json(self, messages, schema, max_new_tokens: int | None = None, temperature: float = 0.0, n: int = 1):
        from app.llm.base import LLMUnavailable, raise_if_all_invalid

        choice = self.choice
        temp = self._decoding(temperature, max_new_tokens)
        decode_one = getattr(self.backend, "decode_one", None)
        if decode_one is not None and temp > 0 and n == 1:
            import torch

            generator = torch.Generator().manual_seed(int(choice.seed or 0))
            try:
                result, run = decode_one(messages, schema, max_new_tokens, temp, generator=generator)
            except Exception as exc:  # noqa: BLE001 - the explain path falls back on LLMUnavailable
                raise LLMUnavailable(
                    f"{self.backend.name}: generation failed: {exc}", reason="error", backend=self.backend.name
                ) from None
            choice.record["completion"] = result.text
            if run.finish_reason == "time":
                raise LLMUnavailable(
                    f"{self.backend.name}: generation exceeded the time limit",
                    reason="timeout",
                    backend=self.backend.name,
                    results=[result],
                )
            return raise_if_all_invalid([result], self.backend.name)
        try:
            results = self.backend.generate_json(messages, schema, max_new_tokens=max_new_tokens, temperature=temp, n=n)
        except LLMUnavailable as exc:
            if exc.results:
                choice.record["completion"] = exc.results[0].text
            raise
        first = next((r for r in results if r.parsed is not None), results[0])
        choice.record["completion"] = first.text
        return results


def impression_fields(choice: VariantChoice, out: dict[str, Any]) -> dict[str, Any]:
    """What an explanation impression logs about its generation (module doc of :mod:`app.feedback.store`).

    ``completion`` is the model's text exactly as written, only when it is what the person saw; when the
    verifier or a fallback replaced it by the composer's, it is kept as ``draft`` (the policy's output, not
    shown) and ``completion`` is None.
    """
    from app.explain.prompt import PROMPT_VERSION

    record = choice.record
    text = record.get("completion")
    shown = bool(text) and not out.get("fallback_reason")
    key = record.get("evidence_key")
    policy = {k: v for k, v in (choice.policy or {}).items() if k != "adapter_path"} or None
    model = out.get("model") or {}
    if policy is None and model.get("backend") not in (None, "deterministic"):
        policy = {
            "name": model.get("adapter") or BASE_POLICY,
            "adapter": model.get("adapter"),
            "version": None,
            "method": "configured",
            "role": "champion",
        }
    return {
        "completion": text if shown else None,
        "draft": None if shown else text,
        # "ev_": an all-digit hex key would read as a phone number to the store's PII redactor
        "evidence_key": f"ev_{key}" if key else None,
        # the conversation turns the prompt held (redacted with the payload), so training rebuilds it exactly
        "session_turns": [list(t) for t in record.get("turns") or []],
        "policy": policy,
        "sample": choice.sample,
        "policy_propensity": choice.policy_propensity,
        "grammar": record.get("grammar"),
        "decoding": record.get("decoding"),
        "prompt_version": PROMPT_VERSION,
    }


def make_explorer(settings: Settings):
    """The service's logging policy: :class:`PolicyExplorer` when ``policy_exploration`` is on, else the
    default/alt phrasing :class:`~app.feedback.exploration.Explorer`."""
    from app.feedback.exploration import Explorer

    if settings.policy_exploration:
        return PolicyExplorer(settings)
    return Explorer(settings.exploration_rate)


__all__ = [
    "BASE_POLICY",
    "ExplainerPolicy",
    "PolicyError",
    "PolicyExplorer",
    "RecordingBackend",
    "activate",
    "active_backend",
    "configured_sample",
    "next_sample_variant",
    "adapters_root",
    "check_name",
    "impression_fields",
    "make_explorer",
    "read_policies",
    "variant_name",
]
