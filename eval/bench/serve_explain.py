"""Explanations as a person gets them: through a real ``waypoint serve`` on 127.0.0.1, over HTTP.

``waypoint eval explain --http`` (or ``python -m eval.bench.serve_explain``) starts the server the way a
deployment runs it -- ``waypoint serve --no-ui`` with an API key required, the serving defaults for
everything that shapes an explanation (backend, decoding, grammar, timeout, adapter) -- once per
explainer configuration (``--configs``: ``default`` = what a fresh install serves, ``base`` =
``WAYPOINT_LLM_ADAPTER=""``, or an adapter directory), waits until ``/healthz`` says ok (models loaded
and warmed), then asks ``POST /v1/explain?stream=true`` (SSE) for every pair, at concurrency 1 and 4.

Pairs: the first profiles of the catalogue's ``resume`` and ``experience`` tables (by id, as
``waypoint eval explain`` samples them, :func:`retrieval.pairs.sample_profiles`), each with the top-3
occupations *the server* recommends (``POST /v1/recommend``; a profile the app refuses, e.g. not in
English, is left out), interleaved by source. The same pairs for every configuration.

Per configuration and concurrency:

* ``llm_share`` -- explanations written by the LLM: no ``fallback_reason`` (a timeout, an unparsable or
  unfaithful draft, a busy LLM gate all fall back to the deterministic composer);
* ``first_event`` p50/p95 -- seconds from sending the request to the first SSE event (whatever the
  server streams first), and ``done`` p50/p95 -- to the ``done`` event, the full verified explanation;
* ``faithfulness`` -- the LLM draft's supported claims / claims *before* verification, from the
  response of each LLM-written explanation, and ``faithfulness_all_drafts`` -- the same over every
  draft, a fallback's read from its reason ("3/7 claims supported");
* ``provenance_errors`` -- "you have X" claims where X is only inferred (the verifier's count);
* ``slips`` -- :mod:`eval.slips`' rules over every sentence the person reads, counted per rule.

``WAYPOINT_RATE_LIMIT_PER_MINUTE=0`` on the server: the per-key budget (an LLM explanation costs 10 of
600 a minute) is a policy, not a cost, and would turn the concurrency run into 429s.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from app.clikit import command_line, command_typer, run as run_command
from eval.bench.common import Deadline, load_now
from eval.slips import check_explanation, count as count_slips

log = logging.getLogger(__name__)

NAME = "explain_http"
DEFAULT_CONFIGS = ("default", "base")
DEFAULT_LEVELS = (1, 4)
DEFAULT_PAIRS = 24
REQUEST_TIMEOUT_S = 180.0
_SUPPORTED = re.compile(r"(\d+)/(\d+) claims supported")


class Server:
    """``waypoint serve --no-ui`` on a free loopback port, its output in a temporary log file."""

    def __init__(self, settings, env: dict[str, str | None], *, ready_timeout_s: float = 900.0) -> None:
        self.settings = settings
        self.api_key = "eval-" + secrets.token_hex(12)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            WAYPOINT_HOME=str(settings.home),
            WAYPOINT_API_KEYS=self.api_key,
            WAYPOINT_RATE_LIMIT_PER_MINUTE="0",
            PYTHONUNBUFFERED="1",
        )
        for key, value in env.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        self.ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="waypoint-eval-serve-", suffix=".log", delete=False)
        self.ready_s: float | None = None
        self.health: dict[str, Any] = {}

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    def __enter__(self) -> Server:
        import httpx

        script = Path(sys.executable).with_name("waypoint")
        command = [str(script)] if script.is_file() else [sys.executable, "-m", "app.cli"]
        command += ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-ui"]
        started = time.perf_counter()
        self.proc = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        box = Deadline(self.ready_timeout_s)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"waypoint serve exited with {self.proc.returncode}: {self.tail()}")
            try:
                r = httpx.get(f"{self.base}/healthz", timeout=10)
                self.health = r.json()
                if r.status_code == 200:
                    break
            except (httpx.HTTPError, ValueError):
                pass
            models = (self.health.get("components") or {}).get("models")
            if models in ("not_built", "stale", "down"):  # waiting would not fix it: say what would
                self.__exit__(None, None, None)
                raise RuntimeError(f"the server cannot serve this home: {self.health.get('message') or models}")
            if box.expired:
                self.__exit__(None, None, None)
                raise RuntimeError(f"/healthz did not say ok within {self.ready_timeout_s:.0f} s: {self.health}")
            time.sleep(0.25)
        self.ready_s = round(time.perf_counter() - started, 2)
        return self

    def tail(self, n: int = 1500) -> str:
        try:
            return Path(self.log.name).read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def server_pairs(server: Server, settings, n: int, k: int = 3) -> list[tuple[dict, str]]:
    """(profile JSON, occupation id) pairs: sampled profiles × the server's top-k recommendations."""
    import httpx

    from retrieval.pairs import sample_profiles

    per_source = max(1, -(-n // (2 * k)) + 2)  # a couple spare per source for profiles the app refuses
    profiles = sample_profiles(settings, per_source, per_source)
    by_source: dict[bool, list[tuple[dict, str]]] = {True: [], False: []}
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=REQUEST_TIMEOUT_S) as client:
        for profile in profiles:
            body = profile.model_dump(mode="json", exclude_none=True)
            r = client.post("/v1/recommend", json={"profile": body, "kind": "occupation", "k": k})
            if r.status_code != 200:  # refused (not English, nothing to link): a person would be told why
                continue
            items = [i["id"] for i in r.json().get("items", [])[:k]]
            by_source[(profile.id or "").startswith("applicant:")] += [(body, i) for i in items]
    mixed = [x for pair in itertools.zip_longest(by_source[False], by_source[True]) for x in pair if x is not None]
    return mixed[:n]


def explain_once(client, profile: dict, item_id: str) -> dict[str, Any]:
    """One streamed explanation: seconds to the first SSE event and to ``done``, and the explanation."""
    started = time.perf_counter()
    first = None
    event = None
    out: dict[str, Any] = {"item": item_id, "profile": profile.get("id")}
    try:
        with client.stream(
            "POST",
            "/v1/explain",
            json={"profile": profile, "item_id": item_id, "stream": True},
            headers={"Accept": "text/event-stream"},
        ) as r:
            if r.status_code != 200:
                r.read()
                return {**out, "status": r.status_code, "error": r.text[:300], "total_s": time.perf_counter() - started}
            for line in r.iter_lines():
                if first is None and line.strip():
                    first = time.perf_counter() - started
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "done":
                    out["explanation"] = json.loads(line[5:])
                    out["done_s"] = time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - a failed request is a result, not the end of the run
        return {**out, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
    out.update(status=200 if "explanation" in out else "incomplete", first_s=first)
    return out


def run_level(server: Server, pairs: list[tuple[dict, str]], concurrency: int) -> list[dict]:
    import httpx

    limits = httpx.Limits(max_connections=concurrency + 2)
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return list(pool.map(lambda pair: explain_once(client, *pair), pairs))


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def summarise(results: list[dict]) -> dict[str, Any]:
    """The figures of one (configuration, concurrency) run (module doc)."""
    done = [r for r in results if r.get("status") == 200]
    explanations = [r["explanation"] for r in done]
    llm = [e for e in explanations if not e.get("fallback_reason")]
    drafts = []
    for e in explanations:
        if not e.get("fallback_reason"):
            drafts.append(float(e.get("faithfulness", 0.0)))
        elif (m := _SUPPORTED.search(e["fallback_reason"])) and int(m.group(2)):
            drafts.append(int(m.group(1)) / int(m.group(2)))
    slips = [s for e in explanations for s in check_explanation(e)]
    llm_slips = [s for e in llm for s in check_explanation(e)]
    first = [r["first_s"] for r in done if r.get("first_s") is not None]
    full = [r["done_s"] for r in done if r.get("done_s") is not None]
    reasons: dict[str, int] = {}
    for e in explanations:
        if e.get("fallback_reason"):
            key = e["fallback_reason"].split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
    return {
        "requests": len(results),
        "answered": len(done),
        "errors": {str(k): v for k, v in _counts(r.get("status") for r in results if r.get("status") != 200).items()},
        "llm_written": len(llm),
        "llm_share": round(len(llm) / len(done), 4) if done else None,
        "fallback_reasons": reasons,
        "first_event_p50_s": _pct(first, 50),
        "first_event_p95_s": _pct(first, 95),
        "done_p50_s": _pct(full, 50),
        "done_p95_s": _pct(full, 95),
        "faithfulness": round(float(np.mean([e["faithfulness"] for e in llm])), 4) if llm else None,
        "faithfulness_all_drafts": round(float(np.mean(drafts)), 4) if drafts else None,
        "provenance_errors": sum(
            int((e.get("verification") or {}).get("provenance_errors") or 0) for e in explanations
        ),
        "slips": sum(count_slips(slips).values()),
        "slips_by_rule": count_slips(slips),
        "slips_llm_written": sum(count_slips(llm_slips).values()),
        "slip_examples": [f"{s.rule}: {s.match} | {s.text[:160]}" for s in slips[:5]],
        "model": (explanations[0].get("model") if explanations else None),
        **load_now(),
    }


def _counts(values) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def config_env(config: str) -> dict[str, str | None]:
    """The server environment of one explainer configuration (module doc)."""
    if config == "default":
        return {"WAYPOINT_LLM_ADAPTER": None, "WAYPOINT_LLM_BACKEND": None, "WAYPOINT_LLM_MODEL_PATH": None}
    if config == "base":
        return {"WAYPOINT_LLM_ADAPTER": "", "WAYPOINT_LLM_BACKEND": None, "WAYPOINT_LLM_MODEL_PATH": None}
    if not Path(config).is_dir():
        raise ValueError(f"--configs: {config!r} is neither default, base nor an adapter directory")
    return {
        "WAYPOINT_LLM_ADAPTER": str(Path(config).resolve()),
        "WAYPOINT_LLM_BACKEND": None,
        "WAYPOINT_LLM_MODEL_PATH": None,
    }


def run(
    settings, *, configs=DEFAULT_CONFIGS, levels=DEFAULT_LEVELS, n: int = DEFAULT_PAIRS, progress: bool = True
) -> dict[str, Any]:
    """Every configuration × concurrency level on the same pairs; returns the report data."""
    out: dict[str, Any] = {"configs": {}, "levels": list(levels), "pairs": None}
    pairs: list | None = None
    for config in configs:
        row: dict[str, Any] = {}
        try:
            with Server(settings, config_env(config)) as server:
                row["ready_s"] = server.ready_s
                if pairs is None:
                    pairs = server_pairs(server, settings, n)
                    out["pairs"] = [{"profile": p.get("id"), "item": i} for p, i in pairs]
                if not pairs:
                    raise RuntimeError("no pairs: the server recommended nothing for the sampled profiles")
                with httpx_client(server) as client:  # untimed in the figures: its own row
                    warm = explain_once(client, *pairs[0])
                row["first_request"] = {k: warm.get(k) for k in ("status", "first_s", "done_s")}
                for level in levels:
                    started = time.perf_counter()
                    results = run_level(server, pairs, level)
                    row[f"c{level}"] = {**summarise(results), "wall_s": round(time.perf_counter() - started, 1)}
                    if progress:
                        s = row[f"c{level}"]
                        print(
                            f"eval explain --http {config} c={level}: llm {s['llm_share']} first p50 "
                            f"{s['first_event_p50_s']} s done p50 {s['done_p50_s']} p95 {s['done_p95_s']} s "
                            f"faithfulness {s['faithfulness']} slips {s['slips']}",
                            file=sys.stderr,
                            flush=True,
                        )
            row["status"] = "ok"
        except Exception as exc:  # noqa: BLE001 - one configuration failing must not hide the others
            log.error("configuration %s failed: %s", config, exc)
            row.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:800])
        out["configs"][config] = row
    return out


def httpx_client(server: Server):
    import httpx

    return httpx.Client(base_url=server.base, headers=server.headers, timeout=REQUEST_TIMEOUT_S)


COLUMNS = [
    "config",
    "model",
    "level",
    "answered",
    "llm_share",
    "first_event_p50_s",
    "first_event_p95_s",
    "done_p50_s",
    "done_p95_s",
    "faithfulness",
    "faithfulness_all_drafts",
    "provenance_errors",
    "slips",
    "load1",
]


def rows(data: dict) -> list[dict]:
    out = []
    for config, row in data["configs"].items():
        for level in data["levels"]:
            s = row.get(f"c{level}")
            if not s:
                continue
            model = s.get("model") or {}
            out.append(
                {
                    "config": config,
                    "model": f"{model.get('name', '')}" + (f"+{model['adapter']}" if model.get("adapter") else ""),
                    "level": level,
                    **{k: s.get(k) for k in COLUMNS if k not in ("config", "model", "level")},
                }
            )
    return out


def plot(data: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = rows(data)
    if not table:
        return
    labels = [f"{r['config']}\nc={r['level']}" for r in table]
    xs = np.arange(len(table))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for offset, (key, name) in enumerate([("first_event", "first event"), ("done", "full verified")]):
        p50 = [r.get(f"{key}_p50_s") or 0 for r in table]
        p95 = [r.get(f"{key}_p95_s") or 0 for r in table]
        axes[0].bar(xs + offset * 0.4, p50, 0.4, label=f"{name} p50")
        axes[0].scatter(xs + offset * 0.4, p95, marker="_", s=300, color="black")
    axes[0].set_xticks(xs + 0.2, labels, fontsize=8)
    axes[0].set_ylabel("seconds (bars p50, ticks p95)")
    axes[0].set_title("explanation latency through waypoint serve")
    axes[0].legend(fontsize=8)
    for offset, key in enumerate(["llm_share", "faithfulness_all_drafts"]):
        axes[1].bar(xs + offset * 0.4, [r.get(key) or 0 for r in table], 0.4, label=key)
    axes[1].set_xticks(xs + 0.2, labels, fontsize=8)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title("written by the LLM, faithful before verification")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(data: dict, out_dir: Path | None = None, name: str = NAME) -> tuple[Path, Path]:
    from retrieval.reports import REPORT_DIR, markdown_table, write_report

    folder = Path(out_dir) if out_dir else REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plot(data, folder / f"{name}.png")
    md = [
        "# Explanations through `waypoint serve` (HTTP, streamed)",
        "",
        f"{len(data.get('pairs') or [])} pairs: the first résumé and applicant profiles (by id) × the server's "
        "top-3 recommended occupations. Each configuration is a fresh `waypoint serve --no-ui` (API key "
        "required, rate limit off, every other setting at its default), measured after `/healthz` says ok "
        "and one untimed request. first event = first SSE event of `POST /v1/explain` with stream=true; "
        "done = the `done` event (full verified explanation). faithfulness = LLM-written drafts before "
        "verification; faithfulness_all_drafts also counts drafts the service rejected. slips: eval/slips.py "
        "over every sentence shown.",
        "",
        f"Command: `{data.get('command', '')}`; machine load at start {data.get('load_at_start')}.",
        "",
        markdown_table(rows(data), COLUMNS),
        "",
        f"![{name}]({name}.png)",
        "",
    ]
    for config, row in data["configs"].items():
        if row.get("status") != "ok":
            md.append(f"- **{config}**: {row.get('status')}: {row.get('reason')}")
            continue
        c1 = row.get(f"c{data['levels'][0]}") or {}
        md.append(
            f"- **{config}**: ready in {row.get('ready_s')} s; first request {row.get('first_request')}; "
            f"fallbacks {c1.get('fallback_reasons')}; slips by rule {c1.get('slips_by_rule')}"
        )
        for example in c1.get("slip_examples") or []:
            md.append(f"  - {example}")
    return write_report(name, data, "\n".join(md) + "\n", folder)


ConfigsOption = Annotated[
    str,
    typer.Option(help="explainers: default (what a fresh install serves), base (no adapter), or adapter dirs"),
]
LevelsOption = Annotated[str, typer.Option(help="concurrency levels")]
PairsOption = Annotated[int, typer.Option(help="pairs explained at each level")]


def run_http(
    settings,
    *,
    configs: str = ",".join(DEFAULT_CONFIGS),
    levels: str = ",".join(map(str, DEFAULT_LEVELS)),
    pairs: int = DEFAULT_PAIRS,
    out_dir: str | None = None,
    quiet: bool = False,
    command: str = "waypoint eval explain --http",
) -> dict:
    """Measure, write the report and return its data (``command``: how it was asked for, for the report)."""
    started = time.perf_counter()
    load = load_now()
    data = run(
        settings,
        configs=[c.strip() for c in configs.split(",") if c.strip()],
        levels=[int(x) for x in levels.split(",") if x.strip()],
        n=pairs,
        progress=not quiet,
    )
    data.update(command=command, load_at_start=load, seconds=round(time.perf_counter() - started, 1))
    report(data, Path(out_dir) if out_dir else None)
    return data


cli = command_typer()


@cli.command("serve-explain")
def serve_explain_command(
    ctx: typer.Context,
    configs: ConfigsOption = ",".join(DEFAULT_CONFIGS),
    levels: LevelsOption = ",".join(map(str, DEFAULT_LEVELS)),
    pairs: PairsOption = DEFAULT_PAIRS,
    out_dir: str | None = None,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> dict:
    """Explanations measured through a real ``waypoint serve`` (as ``waypoint eval explain --http``)."""
    from retrieval.settings import get_settings

    data = run_http(
        get_settings(),
        configs=configs,
        levels=levels,
        pairs=pairs,
        out_dir=out_dir,
        quiet=quiet,
        command=command_line(ctx),
    )
    print(json.dumps(data["configs"], indent=2, default=str))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``python -m eval.bench.serve_explain [--configs default,base] [--levels 1,4] [--pairs 24] [--out-dir D]``."""
    return run_command(cli, argv, "python -m eval.bench.serve_explain")


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    cli(prog_name="python -m eval.bench.serve_explain")
