"""Off-policy evaluation of explanation policies from logged feedback (``waypoint eval ope``).

Question: what click rate would a new policy (an adapter choosing among explanation candidates, or a
different exploration mix) get, estimated from clicks logged under the old policy, without showing
it to anyone? Data: explanation impressions that showed ONE explanation (``variant`` = the arm shown,
``propensity`` = the logging policy's probability of showing it, reward = a click on it). Side-by-side
impressions (two candidates) are for preference learning and are not used here.

Estimators, with ``w_i = pi(a_i | x_i) / mu(a_i | x_i)`` (target over logged propensity):

* IPS   ``sum_i w_i r_i / n`` -- unbiased when the logging policy gives every arm the target uses
  a positive propensity; high variance when weights are large;
* SNIPS ``sum_i w_i r_i / sum_i w_i`` -- self-normalised: slightly biased, far lower variance,
  always inside [0, 1]; the estimate we report;
* ESS   ``(sum w)^2 / sum w^2`` -- effective sample size (how many on-policy impressions the
  estimate is worth);
* CIs   bootstrap over impressions (``scipy.stats.bootstrap``, BCa, 95 % by default; when every
  supported reward is equal -- e.g. no click at all -- the bootstrap collapses to a point and the
  exact Clopper-Pearson interval on the ESS is used instead); an uplift of
  target A over B is bootstrapped on the same resamples (paired), so it is significant when its CI
  excludes 0.

Target policies: :class:`FixedTarget` (a distribution over arms, e.g. "always default") and
:class:`ScoredTarget` (a softmax over the logged candidates' scores; :func:`adapter_target` scores each
candidate completion by its mean token log-likelihood under base SmolLM2 + a LoRA adapter, i.e. the
explanation that adapter would most likely write). The simulator logs the candidates' completions
with each single impression (``payload.candidates``) so any scorer can be applied later.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
import typer
from tqdm.auto import tqdm

from app.clikit import command_typer, run
from retrieval.reports import REPORT_DIR, markdown_table, write_report
from retrieval.settings import Settings, get_settings
from retrieval.sqldb import display, sqlite_file
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

DEFAULT_N_BOOT = 2000
DEFAULT_ALPHA = 0.05


@dataclass
class LoggedDecision:
    """One single-explanation impression: the context, the arm shown, its propensity and the click."""

    impression_id: str
    item_id: str
    arm: str
    propensity: float
    reward: float
    candidates: dict[str, str] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)


def load_decisions(
    events: str | Path,
    surfaces: Sequence[str] = ("explanation", "chat"),
    *,
    since: float | None = None,
    until: float | None = None,
) -> list[LoggedDecision]:
    """Single-explanation impressions with a variant and a positive propensity, with their clicks.

    ``events`` is the events database: an SQLite path or a database URL (:mod:`retrieval.sqldb`);
    ``since``/``until`` (unix seconds) keep one window of the log (evaluate on a log the policy did not train on).
    """
    window, params = "", {}
    if since is not None:
        window, params["since"] = window + " AND e.ts >= :since", float(since)
    if until is not None:
        window, params["until"] = window + " AND e.ts < :until", float(until)
    from app.feedback.store import EventStore

    store = EventStore(events, create=False)
    try:
        rows = store.query(
            "SELECT impression_id, item_id, variant, propensity, payload, "
            "(SELECT COUNT(*) FROM events e2 WHERE e2.impression_id = e.impression_id AND e2.type='impression') AS n, "
            "EXISTS(SELECT 1 FROM events c WHERE c.type='click' AND c.impression_id = e.impression_id) AS clicked "
            "FROM events e WHERE type='impression' AND surface IN :surfaces" + window + " ORDER BY id",
            {"surfaces": list(surfaces), **params},
            expanding=["surfaces"],
        )
    finally:
        store.close()
    out, skipped = [], 0
    for row in rows:
        imp, item, variant, prop, payload, n, clicked = (
            row[k] for k in ("impression_id", "item_id", "variant", "propensity", "payload", "n", "clicked")
        )
        if n != 1:
            continue
        if not variant or prop is None or prop <= 0:
            skipped += 1
            continue
        try:
            data = json.loads(payload) if payload else {}
        except json.JSONDecodeError:
            data = {}
        cands = data.get("candidates") if isinstance(data.get("candidates"), dict) else {}
        out.append(
            LoggedDecision(
                impression_id=imp,
                item_id=item,
                arm=variant,
                propensity=float(prop),
                reward=float(bool(clicked)),
                candidates=cands,
                payload=data,
            )
        )
    if skipped:
        log.warning("%d impressions without variant or propensity skipped", skipped)
    return out


# ------------------------------------------------------------------------------------------------
# target policies


class TargetPolicy(Protocol):
    name: str

    def prob(self, decision: LoggedDecision) -> float:
        """Probability that this policy shows the logged arm in the logged context."""


class FixedTarget:
    """A distribution over arms, renormalised over the arms available in the context (when known)."""

    def __init__(self, weights: dict[str, float], name: str | None = None):
        if not weights or any(v < 0 for v in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("a target policy needs non-negative arm weights with a positive sum")
        self.weights = dict(weights)
        self.name = name or ",".join(f"{k}={v:g}" for k, v in weights.items())

    def prob(self, decision: LoggedDecision) -> float:
        avail = set(decision.candidates) or set(self.weights)
        total = sum(w for a, w in self.weights.items() if a in avail)
        return self.weights.get(decision.arm, 0.0) / total if total > 0 else 0.0


class ScoredTarget:
    """``pi(a | x) = softmax(score(x, a) / temperature)`` over the logged candidates of the context."""

    def __init__(
        self, score: Callable[[LoggedDecision, str, str], float], temperature: float = 1.0, name: str = "scored"
    ):
        if temperature <= 0:
            raise ValueError("temperature must be positive")
        self.score, self.temperature, self.name = score, float(temperature), name
        self._cache: dict[str, dict[str, float]] = {}

    def distribution(self, decision: LoggedDecision) -> dict[str, float]:
        if not decision.candidates:
            raise ValueError(f"impression {decision.impression_id} logged no candidates to score")
        key = decision.impression_id
        if key not in self._cache:
            arms = sorted(decision.candidates)
            s = np.array([self.score(decision, a, decision.candidates[a]) for a in arms]) / self.temperature
            p = np.exp(s - s.max())
            self._cache[key] = dict(zip(arms, (p / p.sum()).tolist()))
        return self._cache[key]

    def prob(self, decision: LoggedDecision) -> float:
        return self.distribution(decision).get(decision.arm, 0.0)


class LogprobScorer:
    """Mean token log-likelihood of a completion given the rebuilt prompt, under base (+ adapter)."""

    def __init__(self, settings: Settings, adapter: str | None = None, max_prompt_tokens: int = 1536):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from app.llm.model_files import resolve_model_path
        from training.feedback_data import PromptBuilder

        base = resolve_model_path(settings)
        self.tokenizer = AutoTokenizer.from_pretrained(str(base))
        model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter)
        self.model = model.eval()
        self.prompts = PromptBuilder(settings)
        self.max_prompt_tokens = max_prompt_tokens
        self._last: tuple[str, Any] | None = None

    def __call__(self, decision: LoggedDecision, arm: str, completion: str) -> float:
        import copy

        import torch

        prompt = self._prompt(decision)
        if prompt is None:
            return 0.0
        cache, last_logits = prompt
        completion_ids = self.tokenizer(completion, add_special_tokens=False)["input_ids"]
        if not completion_ids:
            return 0.0
        with torch.no_grad():
            # every candidate of an impression shares its ~1,500-token prompt: run it once and continue
            # a copy of its KV cache with each completion (~150 tokens) instead of re-running it per arm
            out = self.model(torch.tensor([completion_ids]), cache=copy.deepcopy(cache), use_cache=True)
        logits = torch.cat([last_logits[None], out.logits[0, :-1]]).float()
        logp = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(completion_ids)[:, None])
        return float(logp.mean())

    def _prompt(self, decision: LoggedDecision):
        """(KV cache, next-token logits) of the decision's rebuilt prompt; the last one is kept."""
        import torch

        from training.feedback_data import LoggedCandidate

        if self._last is not None and self._last[0] == decision.impression_id:
            return self._last[1]
        cand = LoggedCandidate(
            impression_id=decision.impression_id, position=0, item_id=decision.item_id, payload=decision.payload
        )
        messages = self.prompts.messages(cand)
        prompt = None
        if messages is not None:
            prompt_ids = self.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
            if hasattr(prompt_ids, "keys"):
                prompt_ids = prompt_ids["input_ids"]
            prompt_ids = list(prompt_ids)[-self.max_prompt_tokens :]
            with torch.no_grad():
                out = self.model(torch.tensor([prompt_ids]), use_cache=True)
            prompt = (out.cache, out.logits[0, -1])
        self._last = (decision.impression_id, prompt)
        return prompt


def adapter_target(
    settings: Settings, adapter: str | None, temperature: float = 0.1, name: str | None = None
) -> ScoredTarget:
    """The policy "show the candidate this model finds most likely" (softmax of mean log-likelihoods)."""
    return ScoredTarget(
        LogprobScorer(settings, adapter),
        temperature,
        name=name or (f"adapter:{Path(adapter).name}" if adapter else "base"),
    )


# ------------------------------------------------------------------------------------------------
# estimators


def _bootstrap(
    statistic: Callable[..., np.ndarray], data: tuple[np.ndarray, ...], *, n_boot: int, alpha: float, seed: int
) -> tuple[float, float]:
    """A paired bootstrap CI with scipy (BCa; percentile when BCa is degenerate)."""
    import warnings

    from scipy.stats import bootstrap

    if len(data[0]) < 2:
        return float("nan"), float("nan")
    for method in ("BCa", "percentile"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = bootstrap(
                    data,
                    statistic,
                    paired=True,
                    vectorized=True,
                    n_resamples=n_boot,
                    confidence_level=1 - alpha,
                    method=method,
                    random_state=np.random.default_rng(seed),
                )
        except Exception:  # noqa: BLE001 - BCa fails on degenerate resamples; fall back
            continue
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi
    return float("nan"), float("nan")


def _clopper_pearson(k: float, n: float, alpha: float) -> tuple[float, float]:
    """Exact binomial interval for ``k`` successes in ``n`` (real-valued: effective counts)."""
    from scipy.stats import beta

    lo = float(beta.ppf(alpha / 2, k, n - k + 1)) if k > 0 else 0.0
    hi = float(beta.ppf(1 - alpha / 2, k + 1, n - k)) if k < n else 1.0
    return lo, hi


def _snips(r: np.ndarray, w: np.ndarray, axis: int = -1) -> np.ndarray:
    num, den = np.sum(w * r, axis=axis), np.sum(w, axis=axis)
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


def _ips(r: np.ndarray, w: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(w * r, axis=axis)


def estimate(
    rewards: Sequence[float],
    propensities: Sequence[float],
    target_probs: Sequence[float],
    *,
    n_boot: int = DEFAULT_N_BOOT,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
) -> dict[str, float]:
    """IPS and SNIPS estimates of a target policy's click rate, with bootstrap CIs and the ESS."""
    r = np.asarray(rewards, dtype=float)
    mu = np.asarray(propensities, dtype=float)
    pi = np.asarray(target_probs, dtype=float)
    if not (len(r) == len(mu) == len(pi)):
        raise ValueError("rewards, propensities and target probabilities differ in length")
    if len(r) == 0:
        raise ValueError("no logged decisions to evaluate")
    if np.any(mu <= 0) or np.any(mu > 1):
        raise ValueError("logged propensities must be in (0, 1]")
    if np.any(pi < 0) or np.any(pi > 1 + 1e-9):
        raise ValueError("target probabilities must be in [0, 1]")
    w = pi / mu
    ess = float(w.sum() ** 2 / np.sum(w**2)) if np.any(w > 0) else 0.0
    out = {
        "n": int(len(r)),
        "ips": float(_ips(r, w)),
        "snips": float(_snips(r, w)) if w.sum() > 0 else float("nan"),
        "ess": round(ess, 1),
        "max_weight": float(w.max()),
        "mean_weight": float(w.mean()),
    }
    if w.sum() <= 0:
        out.update(
            snips_ci=[float("nan")] * 2,
            ips_ci=[float("nan")] * 2,
            note="the logging policy never showed what the target policy would show (no support)",
        )
        return out
    lo, hi = _bootstrap(_snips, (r, w), n_boot=n_boot, alpha=alpha, seed=seed)
    if not (hi - lo > 1e-12):
        # every supported reward equal (e.g. no click at all): the bootstrap collapses to a point, so
        # use the exact binomial (Clopper-Pearson) interval with the effective sample size instead
        lo, hi = _clopper_pearson(out["snips"] * ess, ess, alpha)
        out["ci_method"] = "clopper-pearson on ESS (degenerate bootstrap)"
    out["snips_ci"] = [lo, hi]
    out["ips_ci"] = list(_bootstrap(_ips, (r, w), n_boot=n_boot, alpha=alpha, seed=seed))
    return out


def uplift(
    rewards: Sequence[float],
    propensities: Sequence[float],
    target_a: Sequence[float],
    target_b: Sequence[float],
    *,
    n_boot: int = DEFAULT_N_BOOT,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
) -> dict[str, Any]:
    """SNIPS(A) - SNIPS(B) on the same logged data, with a paired bootstrap CI; significant if it excludes 0."""
    r = np.asarray(rewards, dtype=float)
    mu = np.asarray(propensities, dtype=float)
    wa, wb = np.asarray(target_a, dtype=float) / mu, np.asarray(target_b, dtype=float) / mu

    def diff(r_, wa_, wb_, axis=-1):
        return _snips(r_, wa_, axis) - _snips(r_, wb_, axis)

    value = float(diff(r, wa, wb))
    lo, hi = _bootstrap(diff, (r, wa, wb), n_boot=n_boot, alpha=alpha, seed=seed)
    return {"uplift": value, "ci": [lo, hi], "significant": bool(math.isfinite(lo) and (lo > 0 or hi < 0))}


def evaluate(decisions: list[LoggedDecision], policy: TargetPolicy, **kw) -> dict[str, Any]:
    """:func:`estimate` of ``policy`` on logged ``decisions``."""
    probs = [policy.prob(d) for d in decisions]
    res = estimate([d.reward for d in decisions], [d.propensity for d in decisions], probs, **kw)
    return {"policy": policy.name, **res}


def on_policy(
    decisions: list[LoggedDecision], *, n_boot: int = DEFAULT_N_BOOT, alpha: float = DEFAULT_ALPHA, seed: int = 0
) -> dict[str, Any]:
    """The logging policy's own click rate (plain mean) with a bootstrap CI."""
    r = np.array([d.reward for d in decisions], dtype=float)
    lo, hi = _bootstrap(lambda x, axis=-1: np.mean(x, axis=axis), (r,), n_boot=n_boot, alpha=alpha, seed=seed)
    return {
        "policy": "logging (on-policy)",
        "n": int(len(r)),
        "ips": float(r.mean()),
        "snips": float(r.mean()),
        "snips_ci": [lo, hi],
        "ips_ci": [lo, hi],
        "ess": float(len(r)),
        "max_weight": 1.0,
        "mean_weight": 1.0,
    }


# ------------------------------------------------------------------------------------------------
# report


def parse_target(text: str) -> FixedTarget:
    """``"default=0.5,generic=0.5"`` → :class:`FixedTarget`; a bare arm name means "always that arm"."""
    text = text.strip()
    if "=" not in text:
        return FixedTarget({text: 1.0}, name=f"always {text}")
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"target weight {part!r}: {value!r} is not a number") from None
    return FixedTarget(weights)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(rows)), 4))
    xs = np.arange(len(rows))
    est = [r["snips"] for r in rows]
    lo = [r["snips"] - r["snips_ci"][0] if math.isfinite(r["snips_ci"][0]) else 0 for r in rows]
    hi = [r["snips_ci"][1] - r["snips"] if math.isfinite(r["snips_ci"][1]) else 0 for r in rows]
    ax.bar(xs, est, yerr=[lo, hi], capsize=4, color=["#888"] + ["#4a7"] * (len(rows) - 1))
    ax.set_xticks(xs, [r["policy"] for r in rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("estimated click rate (SNIPS, 95% CI)")
    ax.set_title("off-policy click-rate estimates")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


cli = command_typer()


@cli.command("ope")
def ope_command(
    events: Annotated[str | None, typer.Option(help="events DB, path or URL (default: settings.events_target)")] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="arm weights 'default=0.5,alt=0.5' or an arm name (repeatable); default: each logged arm"),
    ] = None,
    adapter: Annotated[
        list[str] | None,
        typer.Option(
            help="LoRA adapter dir: the policy picking the candidate it finds most likely (repeatable; "
            "'base' = the base model)"
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="softmax temperature of adapter policies")] = 0.1,
    baseline: Annotated[
        str | None,
        typer.Option(help="policy to compute uplifts against: a --target spec, or an adapter dir / 'base'"),
    ] = None,
    n_boot: int = DEFAULT_N_BOOT,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
    name: Annotated[str, typer.Option(help="report name under eval/reports/")] = "ope",
    out_dir: str | None = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress bars")] = False,
) -> dict:
    """Off-policy click-rate estimate (IPS / SNIPS with a bootstrap CI) from logged feedback.

    Writes eval/reports/<name>.{json,md,png}; prints the estimates as JSON."""
    targets, adapters = target or [], adapter or []
    started = time.perf_counter()
    settings = get_settings()
    events = events or settings.events_target
    decisions = load_decisions(events)
    if not decisions:
        raise ValueError(
            f"no single-explanation impressions with propensities in {events}: run `waypoint simulate` "
            "or serve explanations with exploration on"
        )
    kw = dict(n_boot=n_boot, alpha=alpha, seed=seed)
    policies: list[TargetPolicy] = [parse_target(t) for t in targets]
    if not policies and not adapters:
        policies = [FixedTarget({a: 1.0}, name=f"always {a}") for a in sorted({d.arm for d in decisions})]
    scored: dict[str, ScoredTarget] = {}

    def scored_policy(policy_adapter: str) -> ScoredTarget:
        if policy_adapter not in scored:
            if any(not d.candidates for d in decisions):
                raise ValueError(
                    "adapter policies need the candidates logged with each impression (payload.candidates)"
                )
            set_process_threads(1)
            scored[policy_adapter] = adapter_target(
                settings, None if policy_adapter == "base" else policy_adapter, temperature
            )
        return scored[policy_adapter]

    policies += [scored_policy(a) for a in adapters]
    if baseline and (baseline == "base" or Path(baseline).is_dir()):
        scored_policy(baseline)
    for policy in scored.values():  # the slow part (a forward pass per context and arm): show progress
        for d in tqdm(decisions, desc=f"ope: scoring {policy.name}", disable=quiet):
            policy.distribution(d)
    rows = [on_policy(decisions, **kw)] + [evaluate(decisions, p, **kw) for p in policies]
    uplifts = []
    if baseline:
        # an adapter (dir or "base") as the baseline answers "does this adapter beat SFT alone?"
        base = scored[baseline] if baseline in scored else parse_target(baseline)
        base_probs = [base.prob(d) for d in decisions]
        for p in (p for p in policies if p is not base):
            uplifts.append(
                {
                    "policy": p.name,
                    "baseline": base.name,
                    **uplift(
                        [d.reward for d in decisions],
                        [d.propensity for d in decisions],
                        [p.prob(d) for d in decisions],
                        base_probs,
                        **kw,
                    ),
                }
            )
    # contexts whose prompt could not be rebuilt (evidence changed since logging) score every arm 0: uniform
    unscored = {
        p.name: p.score.prompts.mismatched + p.score.prompts.failed
        for p in scored.values()
        if isinstance(p.score, LogprobScorer)
    }
    for policy_name, n in unscored.items():
        if n:
            log.warning(
                "%s: %d of %d logged contexts could not be rebuilt and were scored uniformly",
                policy_name,
                n,
                len(decisions),
            )
    folder = Path(out_dir) if out_dir else REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{name}.png"
    plot(rows, png)
    table = [{**r, "ci": f"[{r['snips_ci'][0]:.3f}, {r['snips_ci'][1]:.3f}]"} for r in rows]
    arms = {}
    for d in decisions:
        arms.setdefault(d.arm, [0, 0.0])
        arms[d.arm][0] += 1
        arms[d.arm][1] += d.reward
    lite = sqlite_file(events)
    source = lite.name if lite is not None else display(events)
    md = [
        "# Off-policy evaluation of explanation policies",
        "",
        f"Logged single-explanation impressions: {len(decisions)} from `{source}`; "
        + ", ".join(f"{a}: {n} shown, {c / n:.3f} clicked" for a, (n, c) in sorted(arms.items()))
        + ".",
        "SNIPS with a BCa bootstrap CI (95%), IPS, effective sample size (ESS).",
        "",
        markdown_table(table, ["policy", "n", "snips", "ci", "ips", "ess", "max_weight"]),
        "",
    ]
    if uplifts:
        md += [
            "## Uplift (paired bootstrap)",
            "",
            markdown_table(
                [{**u, "ci": f"[{u['ci'][0]:.3f}, {u['ci'][1]:.3f}]"} for u in uplifts],
                ["policy", "baseline", "uplift", "ci", "significant"],
            ),
            "",
        ]
    md += [f"![ope]({png.name})"]
    data = {
        "events": str(events),
        "decisions": len(decisions),
        "logged_arms": {a: {"shown": n, "click_rate": round(c / n, 4)} for a, (n, c) in arms.items()},
        "estimates": rows,
        "uplifts": uplifts,
        "unscored_contexts": unscored,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(name, data, "\n".join(md), folder)
    print(json.dumps(data["estimates"], indent=2, default=float))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval ope`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval ope")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m training.ope")
