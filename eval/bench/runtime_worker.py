"""One alternative inference runtime answering explanation prompts, in its own process and virtualenv.

:mod:`eval.bench.runtimes` starts this module with the runtimes' interpreter (``/tmp/rt-venv`` by
default: optimum-intel pins ``transformers<5.6``, which the project's locked venv is past) and talks to it
in JSON lines: one request per line on stdin (``prompt_ids``, ``prefix_len``, ``schema``,
``max_new_tokens``), one answer per line on the protocol stream (the process's original stdout; fd 1 is
pointed at stderr so that native libraries that print cannot corrupt it). The parent checks every answer
with the project's own parser and schema; this process only decodes.

It imports nothing from the project but :mod:`app.llm.jump_forward` (by file path: numpy and xgrammar
only), so every runtime decodes under the same xgrammar grammar and jump-forward rules as the serving
default. Runtimes and modes (``--runtime``/``--mode``):

* ``ortgenai`` (onnxruntime-genai, a folder made by its model builder)

  - ``jf``: xgrammar jump-forward with canonical tokens, the serving default's algorithm: the grammar's
    forced span rides along with the next ``append_tokens``; the static prompt prefix is prefilled once
    and every request ``rewind_to``\\ s it (one cached prefix, which is what the explanation prompts need);
  - ``guidance``: the runtime's own constraint, ``GeneratorParams.set_guidance("json_schema", ...)``
    (llguidance) with fast-forward tokens, one ``generate_next_token`` per step, no prefix reuse;

* ``openvino`` (optimum-intel ``OVModelForCausalLM``, a folder made by ``optimum-cli export openvino``)

  - ``jf``: jump-forward as above through the model's stateful infer request (whole prompt prefilled:
    see :meth:`OpenVINO.begin` for why the prefix is not reused); the graph is cut to compute the
    last position's logits only (:func:`slice_before_lm_head`);
  - ``generate``: ``model.generate()`` (transformers GenerationMixin) with xgrammar's HF logits
    processor, one forward pass per token (how ``generate-*`` runs in :mod:`eval.bench.decode`);

* ``ctranslate2`` (a folder made by ``ct2-transformers-converter``)

  - ``free``: greedy and unconstrained, ``generate_tokens`` with the static prefix as
    ``static_prompt`` (cached): CTranslate2 4.x offers no logits-processor hook (its ``callback`` sees
    each step's token and can only stop), so the grammar cannot constrain it.

Every runtime runs with ``--threads`` intra-op threads (1 by default, like the bench's torch threads).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: The runtimes, by import name. They live in the runtimes' virtualenv (eval/bench/runtimes_requirements.txt),
#: never in the project's, so they are imported by name here rather than declared in pyproject.toml.
RUNTIME_MODULES = ("onnxruntime_genai", "openvino", "optimum.intel", "ctranslate2")


def _runtime(name: str) -> Any:
    """One of :data:`RUNTIME_MODULES` (ImportError names the runtimes' virtualenv)."""
    if name not in RUNTIME_MODULES and name.split(".")[0] != "openvino":
        raise ValueError(f"not a runtime module: {name}")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"{exc}: run this worker with the runtimes' interpreter (python -m eval.bench.runtimes --setup)"
        ) from exc


def _jump_forward_class() -> Any:
    """:class:`app.llm.jump_forward.JumpForward`, loaded from its file (``app/llm/__init__`` imports the
    whole backend stack, which this virtualenv does not have)."""
    spec = importlib.util.spec_from_file_location("_waypoint_jump_forward", ROOT / "app" / "llm" / "jump_forward.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.JumpForward


# --------------------------------------------------------------------------------------------------
# runtimes: feed token ids on top of the current state, get the last position's logits


class OrtGenAI:
    """onnxruntime-genai: one generator kept across requests; the static prefix is rewound to."""

    def __init__(self, model_dir: str, threads: int) -> None:
        og = _runtime("onnxruntime_genai")
        self.og = og
        config = og.Config(model_dir)
        options = {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
        config.overlay(json.dumps({"model": {"decoder": {"session_options": options}}}))
        self.model = og.Model(config)
        self.generator: Any = None
        self.prefix: list[int] = []
        self.length = 0
        self.max_length = 0

    def _new_generator(self, max_length: int) -> Any:
        params = self.og.GeneratorParams(self.model)
        params.set_search_options(max_length=max_length, do_sample=False)
        return self.og.Generator(self.model, params)

    def begin(self, prompt_ids: list[int], prefix_len: int, max_length: int) -> int:
        """Make the state hold the longest cached prefix of the prompt; returns its length."""
        prefix = list(prompt_ids[:prefix_len])
        if self.generator is not None and prefix and prefix == self.prefix and max_length <= self.max_length:
            self.generator.rewind_to(len(prefix))
            self.length = len(prefix)
            return len(prefix)
        self.max_length = max(max_length, 4096)  # the KV buffer is allocated for this many positions
        self.generator = self._new_generator(self.max_length)
        self.prefix, self.length = [], 0
        if prefix:
            self.feed(prefix)
            self.prefix = prefix
        return len(prefix)

    def feed(self, ids: list[int]) -> Any:
        import numpy as np

        self.generator.append_tokens(np.asarray(ids, dtype=np.int32))
        self.length += len(ids)
        return self.generator.get_logits()[0, -1]

    def guided(self, prompt_ids: list[int], schema: dict, max_new_tokens: int) -> dict[str, Any]:
        """The runtime's own llguidance JSON-schema constraint, fast-forward tokens on."""
        import numpy as np

        params = self.og.GeneratorParams(self.model)
        params.set_search_options(max_length=len(prompt_ids) + max_new_tokens, do_sample=False)
        params.set_guidance("json_schema", json.dumps(schema), enable_ff_tokens=True)
        started = time.perf_counter()
        generator = self.og.Generator(self.model, params)
        generator.append_tokens(np.asarray(prompt_ids, dtype=np.int32))
        steps = 0
        prefill_s = 0.0
        while not generator.is_done():
            generator.generate_next_token()
            steps += 1
            if steps == 1:
                prefill_s = time.perf_counter() - started
        tokens = [int(t) for t in generator.get_sequence(0)[len(prompt_ids) :]]
        total = time.perf_counter() - started
        del generator
        stop = len(tokens) < max_new_tokens  # the guidance terminated (it need not emit the stop token)
        return {
            "tokens": tokens,
            "finish_reason": "stop" if stop else "length",
            "prefill_s": prefill_s,
            "total_s": total,
            "forward_passes": steps,
            "cached_tokens": 0,
        }


class OpenVINO:
    """optimum-intel's stateful OVModelForCausalLM: the KV cache lives in the infer request's variable states."""

    def __init__(self, model_dir: str, threads: int) -> None:
        OVModelForCausalLM = _runtime("optimum.intel").OVModelForCausalLM
        ov_config = {"INFERENCE_NUM_THREADS": str(threads), "NUM_STREAMS": "1", "PERFORMANCE_HINT": "LATENCY"}
        self.model = OVModelForCausalLM.from_pretrained(model_dir, ov_config=ov_config, compile=False)
        self.sliced = slice_before_lm_head(self.model.model)
        self.model.compile()
        if self.model.request is None:
            self.model.request = self.model.model.create_infer_request()  # pragma: no cover - version-dependent
        self.request = self.model.request
        self.input_names = {i.get_any_name() for i in self.model.model.inputs}
        self.length = 0

    def precision(self) -> str:
        try:
            return str(self.model.request.get_compiled_model().get_property("INFERENCE_PRECISION_HINT"))
        except Exception:  # noqa: BLE001
            return "unknown"

    def begin(self, prompt_ids: list[int], prefix_len: int, max_length: int) -> int:
        """A fresh state; the whole prompt is prefilled. No prefix reuse: with OpenVINO 2026.4's CPU plugin,
        1,256 prompt tokens on top of a restored 219-token state took 11.6-13.3 s where all 1,475 from an
        empty state took 3.2-3.7 s (same request, same compiled model, 1 thread)."""
        self.request.reset_state()
        self.model._past_length = 0  # generate() must not think a sequence is under way
        self.length = 0
        return 0

    def feed(self, ids: list[int]) -> Any:
        import numpy as np

        n = len(ids)
        inputs = {"input_ids": np.asarray([ids], dtype=np.int64)}
        if "attention_mask" in self.input_names:
            inputs["attention_mask"] = np.ones((1, self.length + n), dtype=np.int64)
        if "position_ids" in self.input_names:
            inputs["position_ids"] = np.arange(self.length, self.length + n, dtype=np.int64)[None, :]
        if "beam_idx" in self.input_names:
            inputs["beam_idx"] = np.zeros((1,), dtype=np.int32)
        self.request.infer(inputs)
        self.length += n
        return np.array(self.request.get_tensor("logits").data[0, -1], dtype=np.float32)

    def generate(self, prompt_ids: list[int], compiled: Any, max_new_tokens: int, eos: int) -> dict[str, Any]:
        """transformers' generate() with xgrammar's logits processor: one forward pass per token."""
        import torch
        import xgrammar as xgr

        first: list[float] = []
        inner = xgr.contrib.hf.LogitsProcessor(compiled)

        def processor(input_ids: Any, scores: Any) -> Any:
            if not first:
                first.append(time.perf_counter())
            return inner(input_ids, scores)

        started = time.perf_counter()
        out = self.model.generate(
            torch.tensor([prompt_ids], dtype=torch.long),
            attention_mask=torch.ones((1, len(prompt_ids)), dtype=torch.long),
            logits_processor=[processor],
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            eos_token_id=eos,
            pad_token_id=eos,
        )
        tokens = [int(t) for t in out[0, len(prompt_ids) :].tolist()]
        if eos in tokens:
            tokens = tokens[: tokens.index(eos) + 1]
        return {
            "tokens": tokens,
            "finish_reason": "stop" if tokens and tokens[-1] == eos else "length",
            "prefill_s": (first[0] - started) if first else 0.0,
            "total_s": time.perf_counter() - started,
            "forward_passes": len(tokens),
            "cached_tokens": 0,
        }


def slice_before_lm_head(model: Any) -> bool:
    """Make the exported graph compute logits for the last position only (what openvino.genai does to
    the models it runs): the vocabulary projection over every prompt position is a fifth of SmolLM2's
    weights times ~1,300 positions of prefill that nobody reads. Returns whether the graph was changed."""
    import numpy as np

    ops = _runtime("openvino.opset13")
    matmul = model.output("logits").get_node().input_value(0).get_node()
    if matmul.get_type_name() != "MatMul":
        return False
    hidden = matmul.input_value(0)
    last = ops.slice(
        hidden,
        np.array([-1], dtype=np.int64),
        np.array([np.iinfo(np.int64).max], dtype=np.int64),
        np.array([1], dtype=np.int64),
        np.array([1], dtype=np.int64),
    )
    matmul.input(0).replace_source_output(last.output(0))
    model.validate_nodes_and_infer_types()
    return True


class CTranslate2:
    """CTranslate2's Generator; the static prefix is its ``static_prompt`` (state cached by the runtime)."""

    def __init__(self, model_dir: str, threads: int, tokenizer: Any) -> None:
        self.generator = _runtime("ctranslate2").Generator(
            model_dir, device="cpu", compute_type="int8", intra_threads=threads, inter_threads=1
        )
        self.tokenizer = tokenizer

    def free(self, prompt_ids: list[int], prefix_len: int, max_new_tokens: int, eos: int) -> dict[str, Any]:
        pieces = self.tokenizer.convert_ids_to_tokens(prompt_ids)
        static, rest = pieces[:prefix_len], pieces[prefix_len:]
        started = time.perf_counter()
        prefill_s = 0.0
        tokens: list[int] = []
        for step in self.generator.generate_tokens(
            rest,
            static_prompt=static or None,
            cache_static_prompt=True,
            max_length=max_new_tokens,
            sampling_topk=1,
            end_token=[eos],
        ):
            if not tokens:
                prefill_s = time.perf_counter() - started
            tokens.append(int(step.token_id))
        stop = bool(tokens) and tokens[-1] == eos
        return {
            "tokens": tokens,
            "finish_reason": "stop" if stop else "length",
            "prefill_s": prefill_s,
            "total_s": time.perf_counter() - started,
            "forward_passes": len(tokens),
            "cached_tokens": prefix_len,
        }


# --------------------------------------------------------------------------------------------------


def jump_forward_decode(
    runtime: Any, jump: Any, compiled: Any, prompt_ids: list[int], prefix_len: int, max_new_tokens: int
) -> dict[str, Any]:
    """:class:`app.llm.fast_decode.FastDecoder`'s ``canonical`` greedy loop over any runtime with
    ``begin(prompt, prefix_len, max_length) -> cached`` and ``feed(ids) -> last logits``."""
    import numpy as np
    import xgrammar as xgr

    started = time.perf_counter()
    matcher = xgr.GrammarMatcher(compiled)
    cached = runtime.begin(prompt_ids, prefix_len, len(prompt_ids) + max_new_tokens + 8)
    out: list[int] = []
    opening = jump.extend(matcher, [])
    out += opening.tokens
    committed = list(prompt_ids[cached:]) + opening.tokens
    forced, sampled, passes, prefill_s, finish = opening.forced, 0, 0, 0.0, "length"
    while not matcher.is_terminated():
        if len(out) >= max_new_tokens:
            break
        logits = runtime.feed(committed)
        passes += 1
        if not prefill_s:
            prefill_s = time.perf_counter() - started
        allowed = jump.allowed(matcher)
        if len(allowed) == 0:
            finish = "rejected"
            break
        token = int(allowed[int(np.argmax(np.asarray(logits, dtype=np.float32)[allowed]))])
        if not matcher.accept_token(token):
            finish = "rejected"
            break
        sampled += 1
        if matcher.is_terminated():
            out.append(token)
            break
        step = jump.extend(matcher, [token], replaceable=True)
        out += step.tokens
        forced += step.forced
        committed = step.tokens
    if matcher.is_terminated() and finish != "rejected":
        finish = "stop"
    if len(out) > max_new_tokens:
        del out[max_new_tokens:]
        finish = "length"
    return {
        "tokens": out,
        "finish_reason": finish,
        "prefill_s": prefill_s,
        "total_s": time.perf_counter() - started,
        "forward_passes": passes,
        "forced_tokens": forced,
        "sampled_tokens": sampled,
        "cached_tokens": cached,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bench.runtime_worker", description=__doc__.split("\n")[0])
    p.add_argument("--runtime", required=True, choices=["ortgenai", "openvino", "ctranslate2"])
    p.add_argument("--mode", required=True, choices=["jf", "guidance", "generate", "free"])
    p.add_argument("--model", required=True, help="the runtime's exported model folder")
    p.add_argument("--tokenizer", required=True, help="the HF folder the model was exported from")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)

    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr
    sys.stdout = sys.stderr

    def say(obj: dict) -> None:
        protocol.write(json.dumps(obj) + "\n")
        protocol.flush()

    try:
        import xgrammar as xgr
        from transformers import AutoTokenizer

        started = time.perf_counter()
        tokenizer = AutoTokenizer.from_pretrained(a.tokenizer)
        eos = int(tokenizer.eos_token_id)
        vocab_size = 49152
        runtime: Any
        if a.runtime == "ortgenai":
            runtime = OrtGenAI(a.model, a.threads)
        elif a.runtime == "openvino":
            runtime = OpenVINO(a.model, a.threads)
        else:
            runtime = CTranslate2(a.model, a.threads, tokenizer)
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=[eos])
        compiler = xgr.GrammarCompiler(info, max_threads=1)
        jump = _jump_forward_class()(tokenizer, info.decoded_vocab, vocab_size)
        import importlib.metadata as md

        package = {"ortgenai": "onnxruntime-genai", "openvino": "openvino", "ctranslate2": "ctranslate2"}[a.runtime]
        versions = {name: md.version(name) for name in (package, "transformers", "xgrammar")}
        if a.runtime == "openvino":
            versions["optimum-intel"] = md.version("optimum-intel")
        ready: dict[str, Any] = {"ready": True, "load_s": round(time.perf_counter() - started, 2), "versions": versions}
        if isinstance(runtime, OpenVINO):
            ready["inference_precision"] = runtime.precision()
            ready["logits_last_position_only"] = runtime.sliced
        say(ready)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which records it
        say({"ready": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]})
        return 1

    grammars: dict[str, Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            key = json.dumps(req["schema"], sort_keys=True)
            if key not in grammars:
                grammars[key] = compiler.compile_json_schema(key, any_whitespace=False)
            prompt, prefix, max_new = req["prompt_ids"], int(req["prefix_len"]), int(req["max_new_tokens"])
            if a.mode == "jf":
                res = jump_forward_decode(runtime, jump, grammars[key], prompt, prefix, max_new)
            elif a.mode == "guidance":
                res = runtime.guided(prompt, req["schema"], max_new)
            elif a.mode == "generate":
                res = runtime.generate(prompt, grammars[key], max_new, eos)
            else:
                res = runtime.free(prompt, prefix, max_new, eos)
            res["text"] = tokenizer.decode(res["tokens"], skip_special_tokens=True)
            say(res)
        except Exception as exc:  # noqa: BLE001
            say({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
