"""LLM serving throughput: vLLM (OpenAI API, streaming) vs in-process transformers, 1/4/16 at once.

Workload: real explanation requests -- :func:`app.explain.prompt.build_messages` over the evidence
of real (profile, recommended occupation) pairs, each held to its own JSON schema
(:func:`app.explain.prompt.schema_for`), greedy, the same ``max_tokens`` for both backends. Both
backends run in this one process on the same prompts, one after the other, so a ratio compares
like with like (load averages are recorded with every row).

* **vLLM**: ``c`` streaming ``/chat/completions`` requests in flight at once (the request body is
  :class:`app.llm.openai_backend.OpenAIBackend`'s, plus ``stream``); time to first token is the
  first content chunk; tokens come from the server's ``usage``.
* **transformers**: the app's in-process path: ``c`` requests submitted at once from ``c`` threads to
  :meth:`~app.llm.transformers_backend.TransformersBackend.decode_one` (the serving default: prefix
  KV cache, jump-forward, bf16 where native), which serves them one after another; latency includes
  the wait, time to first token is the wait plus the request's own prefill. Tokens are the answer's
  tokens, forced or chosen (jump-forward feeds most of them without a forward pass of their own).
* **transformers-batched** (``TransformersRunner(batched=True)``): the old path, ``c`` prompts as one
  left-padded ``generate()`` batch with the xgrammar logits processor (one matcher per row, so every
  row keeps its own schema); time to first token is the first logits processor call, i.e. after the
  batched prefill.

``tokens_per_s`` = generated tokens / wall time of the whole wave; ``requests_per_s`` likewise.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from eval.bench.common import load_now, percentiles

__all__ = ["TransformersRunner", "VLLMRunner", "explanation_requests", "run_levels", "summarise"]


def explanation_requests(settings, n: int) -> list[tuple[list[dict], dict]]:
    """``n`` (messages, schema) pairs from real profiles and their top recommended occupation."""
    from app.explain.evidence import build_evidence
    from app.explain.prompt import build_messages, schema_for
    from eval.bench.latency import _pairs

    out = []
    for profile, item in _pairs(settings, n + 4):
        evidence = build_evidence(profile, item, settings)
        if not evidence.citations:
            continue
        out.append((build_messages(evidence), schema_for(evidence, settings.explain_grammar)))
        if len(out) >= n:
            break
    if not out:
        raise RuntimeError("no explanation prompts could be built (empty evidence for every pair)")
    while len(out) < n:  # fewer distinct pairs than requested: repeat (prefix caches then help vLLM a bit)
        out.append(out[len(out) % max(1, len(out))])
    return out


def _row(backend: str, c: int, wall_s: float, per_request: list[dict]) -> dict[str, Any]:
    tokens = sum(r["tokens"] for r in per_request)
    ttft = percentiles([r["ttft_ms"] for r in per_request if r.get("ttft_ms") is not None])
    lat = percentiles([r["latency_ms"] for r in per_request])
    return {
        "backend": backend,
        "concurrency": c,
        "requests": len(per_request),
        "wall_s": round(wall_s, 2),
        "tokens": tokens,
        "tokens_per_s": round(tokens / wall_s, 2) if wall_s > 0 else None,
        "requests_per_s": round(len(per_request) / wall_s, 3) if wall_s > 0 else None,
        "ttft_p50_ms": ttft["p50_ms"],
        "ttft_p95_ms": ttft["p95_ms"],
        "latency_p50_ms": lat["p50_ms"],
        "latency_p95_ms": lat["p95_ms"],
        "valid_json": sum(1 for r in per_request if r.get("valid")),
        **load_now(),
    }


class TransformersRunner:
    """Grammar-constrained generation with the app's in-process backend: its serving path, or
    (``batched``) ``generate()`` over left-padded batches."""

    name = "transformers"

    def __init__(self, settings, max_time_s: float = 900.0, *, batched: bool = False) -> None:
        from app.llm.transformers_backend import TransformersBackend

        self.batched = batched
        self.name = "transformers-batched" if batched else "transformers"
        self.backend = TransformersBackend(
            settings=settings, max_time_s=max_time_s, decoding="generate" if batched else "fast"
        )
        self.max_time_s = max_time_s

    def serve(self, requests: list[tuple[list[dict], dict]], max_new_tokens: int) -> tuple[float, list[dict]]:
        """All ``requests`` submitted at once; the backend answers them one by one, like the app."""

        def one(request: tuple[list[dict], dict], submitted: float) -> dict:
            result, run = self.backend.decode_one(request[0], request[1], max_new_tokens)
            latency = time.perf_counter() - submitted
            waited = latency - run.total_s
            return {
                "tokens": result.tokens_generated,
                "ttft_ms": (waited + run.prefill_s) * 1000.0,
                "latency_ms": latency * 1000.0,
                "valid": result.parsed is not None and result.schema_valid is not False,
                "forced_tokens": run.forced_tokens,
                "forward_passes": run.forward_passes,
            }

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, len(requests))) as pool:
            rows = list(pool.map(lambda r: one(r, started), requests))
        return time.perf_counter() - started, rows

    def generate(self, requests: list[tuple[list[dict], dict]], max_new_tokens: int) -> tuple[float, list[dict]]:
        import torch
        import xgrammar as xgr
        from transformers import LogitsProcessor, LogitsProcessorList

        from app.llm.base import parse_json_object

        b = self.backend
        prompts = [b._render(m) for m, _ in requests]
        compiled = [b._compiled(s) for _, s in requests]

        class FirstLogits(LogitsProcessor):
            """Records when the first logits arrive: the batched prefill is done."""

            at: float | None = None

            def __call__(self, input_ids, scores):
                if self.at is None:
                    self.at = time.perf_counter()
                return scores

        started = time.perf_counter()
        enc = b.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        grammar = b._processor_cls(compiled[0], len(prompts), b.vocab_size, b.eos_token_id)
        grammar.matchers = [xgr.GrammarMatcher(c) for c in compiled]  # each row keeps its own schema
        timer = FirstLogits()
        with torch.inference_mode():
            output = b.model.generate(
                **enc,
                logits_processor=LogitsProcessorList([timer, grammar]),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_k=None,
                top_p=None,
                pad_token_id=b.pad_token_id,
                eos_token_id=b.eos_token_id,
                max_time=self.max_time_s,
            )
        wall = time.perf_counter() - started
        ttft_ms = ((timer.at or time.perf_counter()) - started) * 1000.0
        new = output[:, enc["input_ids"].shape[1] :]
        rows = []
        for i, (_, schema) in enumerate(requests):
            ids = new[i].tolist()
            count = ids.index(b.eos_token_id) + 1 if b.eos_token_id in ids else len(ids)
            text = b.tokenizer.decode(ids[:count], skip_special_tokens=True)
            parsed, valid, _ = parse_json_object(text, schema)
            rows.append(
                {
                    "tokens": count,
                    "ttft_ms": ttft_ms,
                    "latency_ms": wall * 1000.0,
                    "valid": parsed is not None and valid is not False,
                }
            )
        return wall, rows

    def run(self, requests, concurrency: int, max_new_tokens: int) -> dict[str, Any]:
        """``concurrency`` requests at a time (a batch, or waiting their turn); more run as further waves."""
        wall, rows = 0.0, []
        for start in range(0, len(requests), concurrency):
            wave = requests[start : start + concurrency]
            w, r = self.generate(wave, max_new_tokens) if self.batched else self.serve(wave, max_new_tokens)
            wall += w
            rows += r
        return _row(self.name, concurrency, wall, rows)

    def warmup(self, requests) -> None:
        if self.batched:
            self.generate(requests[:1], 16)
        else:  # fills the prefix cache, as a server's warm-up does
            self.serve(requests[:1], 16)


class VLLMRunner:
    """Streaming chat completions against a vLLM server, ``c`` in flight at once."""

    name = "vllm"

    def __init__(self, settings, base_url: str, model: str, timeout_s: float = 900.0) -> None:
        import httpx

        from app.llm.openai_backend import OpenAIBackend

        self.base_url = base_url.rstrip("/")
        self.request_builder = OpenAIBackend(
            self.base_url, model=model, adapter="", settings=settings, timeout_s=timeout_s, max_retries=0
        )
        self.client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=5.0),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    def one(self, messages: list[dict], schema: dict, max_tokens: int) -> dict[str, Any]:
        from app.llm.base import parse_json_object

        body = self.request_builder._body(messages, schema, max_tokens, 0.0, 1)
        body.update(stream=True, stream_options={"include_usage": True})
        started = time.perf_counter()
        ttft, parts, usage = None, [], {}
        with self.client.stream("POST", "/chat/completions", json=body) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        if ttft is None:
                            ttft = (time.perf_counter() - started) * 1000.0
                        parts.append(delta)
        latency = (time.perf_counter() - started) * 1000.0
        text = "".join(parts)
        parsed, valid, _ = parse_json_object(text, schema)
        return {
            "tokens": int(usage.get("completion_tokens") or 0),
            "ttft_ms": ttft,
            "latency_ms": latency,
            "valid": parsed is not None and valid is not False,
        }

    def run(self, requests, concurrency: int, max_new_tokens: int) -> dict[str, Any]:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            rows = list(pool.map(lambda r: self.one(r[0], r[1], max_new_tokens), requests))
        return _row(self.name, concurrency, time.perf_counter() - started, rows)

    def warmup(self, requests) -> None:
        self.one(requests[0][0], requests[0][1], 16)

    def close(self) -> None:
        self.client.close()
        self.request_builder.close()


def requests_for(level: int, requests: list) -> list:
    """The requests of one concurrency level: ``c`` of them, at least two for ``c = 1``."""
    return requests[: max(level, 2)]


def run_levels(runner, requests, levels: list[int], max_new_tokens: int, progress: bool = True) -> list[dict]:
    runner.warmup(requests)
    rows = []
    for c in levels:
        try:
            row = runner.run(requests_for(c, requests), c, max_new_tokens)
        except Exception as exc:  # noqa: BLE001 - report and go on with the next level
            row = {
                "backend": runner.name,
                "concurrency": c,
                "status": "error",
                "reason": f"{type(exc).__name__}: {exc}"[:300],
                **load_now(),
            }
        rows.append(row)
        if progress:
            print(
                f"bench llm {runner.name} c={c}: {row.get('tokens_per_s')} tok/s, ttft p50 {row.get('ttft_p50_ms')} ms, "
                f"{row.get('requests_per_s')} req/s",
                flush=True,
            )
    return rows


def summarise(rows: list[dict]) -> dict[str, Any]:
    """Ratios the targets talk about: vLLM at 16 vs sequential (c=1) and batched (c=16) transformers."""
    by = {(r["backend"], r["concurrency"]): r for r in rows if r.get("tokens_per_s")}
    out: dict[str, Any] = {}
    v16, t1, t16 = by.get(("vllm", 16)), by.get(("transformers", 1)), by.get(("transformers", 16))
    if v16 and t1:
        out["vllm16_vs_sequential_transformers"] = round(v16["tokens_per_s"] / t1["tokens_per_s"], 2)
    if v16 and t16:
        out["vllm16_vs_batched_transformers16"] = round(v16["tokens_per_s"] / t16["tokens_per_s"], 2)
    for c in sorted({r["concurrency"] for r in rows}):
        v, t = by.get(("vllm", c)), by.get(("transformers", c))
        if v and t:
            out[f"vllm_vs_transformers_c{c}"] = round(v["tokens_per_s"] / t["tokens_per_s"], 2)
    return out
