"""The runtimes benchmark (eval/bench/runtimes.py, runtime_worker.py) without the runtimes.

Its decoding loop drives every alternative runtime through the serving default's jump-forward rules, so
it must give exactly :class:`app.llm.fast_decode.FastDecoder`'s ``canonical`` answer when the "runtime"
is the same model: checked here on the tiny seeded Llama behind a ``begin``/``feed`` adapter. The
summary and the verdict are checked on hand-made rows.
"""

from __future__ import annotations

import json

import pytest

from eval.bench.runtime_worker import _jump_forward_class, jump_forward_decode
from eval.bench.runtimes import FP32_TWIN, REFERENCE, markdown, reading, summarise, verdict
from tests.llm_helpers import smollm2_tokenizer, tiny_llama
from tests.unit.test_fast_decode import PROMPTS, SCHEMA, answer, prompt


class TorchRuntime:
    """The worker's runtime interface over a transformers model (what OrtGenAI/OpenVINO implement)."""

    def __init__(self, model, cache_kwarg: str) -> None:
        self.model = model
        self.cache_kwarg = cache_kwarg
        self.cache = None
        self.fed: list[int] = []

    def begin(self, prompt_ids, prefix_len, max_length) -> int:
        from transformers import DynamicCache

        self.cache = DynamicCache(config=self.model.config)
        self.fed = []
        return 0

    def feed(self, ids):
        import torch

        self.fed.append(len(ids))
        with torch.inference_mode():
            out = self.model(input_ids=torch.tensor([ids]), use_cache=True, **{self.cache_kwarg: self.cache})
        return out.logits[0, -1].float().numpy()


@pytest.fixture(scope="module")
def tiny():
    import torch
    import xgrammar as xgr

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    tokenizer = smollm2_tokenizer()
    model = tiny_llama(tokenizer)
    info = xgr.TokenizerInfo.from_huggingface(
        tokenizer, vocab_size=model.config.vocab_size, stop_token_ids=[tokenizer.eos_token_id]
    )
    compiled = xgr.GrammarCompiler(info, max_threads=1).compile_json_schema(
        json.dumps(SCHEMA, sort_keys=True), any_whitespace=False
    )
    yield tokenizer, model, info, compiled
    torch.set_num_threads(before)


def test_the_workers_loop_is_the_serving_decoders_canonical_loop(tiny):
    from app.llm.fast_decode import FastDecoder

    tokenizer, model, info, compiled = tiny
    decoder = FastDecoder(model, tokenizer, info.decoded_vocab, model.config.vocab_size)
    jump = _jump_forward_class()(tokenizer, info.decoded_vocab, model.config.vocab_size)
    runtime = TorchRuntime(model, decoder._cache_kwarg)
    for user in PROMPTS:
        ids, head = prompt(tokenizer, user)
        served = decoder.decode(ids, compiled, prefix_len=head, jump="canonical", max_new_tokens=200)
        got = jump_forward_decode(runtime, jump, compiled, ids, head, 200)
        assert got["tokens"] == served.tokens
        assert got["finish_reason"] == served.finish_reason == "stop"
        assert got["forward_passes"] == served.forward_passes == len(runtime.fed)
        assert (got["forced_tokens"], got["sampled_tokens"]) == (served.forced_tokens, served.sampled_tokens)
        assert runtime.fed[0] > len(ids)  # the prompt and the forced opening in one pass
        answer(tokenizer, got["tokens"])


def test_the_loop_stops_at_max_new_tokens(tiny):
    tokenizer, model, info, compiled = tiny
    jump = _jump_forward_class()(tokenizer, info.decoded_vocab, model.config.vocab_size)
    ids, head = prompt(tokenizer, PROMPTS[0])
    got = jump_forward_decode(TorchRuntime(model, "past_key_values"), jump, compiled, ids, head, 5)
    assert len(got["tokens"]) == 5 and got["finish_reason"] == "length"


def _rows(seconds: list[float], answers: list[dict | None], *, prefill: float = 0.5, tokens: int = 200) -> list[dict]:
    return [
        {
            "seconds": s,
            "total_s": s,
            "prefill_s": prefill,
            "tokens": tokens,
            "forward_passes": 20,
            "valid": a is not None,
            "answer": a,
            "load1": 2.0,
        }
        for s, a in zip(seconds, answers)
    ]


ANSWERS = [{"fit": "stretch", "k": i} for i in range(4)]


def test_summary_counts_valid_and_same_answers_and_decode_speed():
    ref = _rows([4.0, 5.0, 6.0, 5.0], ANSWERS)
    other = _rows([2.0, 2.5, 3.0, 2.5], [ANSWERS[0], {"fit": "stretch", "k": 9}, None, ANSWERS[3]])
    s = summarise(other, ref)
    assert (s["n"], s["valid"], s["same_answer_as_reference"]) == (4, 3, 2)
    assert s["p50_s"] == 2.5 and s["prefill_p50_s"] == 0.5
    assert s["decode_tokens_per_s"] == round(800 / (10.0 - 2.0), 1)
    assert s["decode_passes_per_s"] == round(80 / 8.0, 1)


def test_verdict_needs_equal_output_and_a_clear_margin():
    ref = _rows([4.0, 5.0, 6.0, 5.0], ANSWERS)
    summary = {
        REFERENCE: summarise(ref, ref),
        "fast-but-different": summarise(_rows([1.0] * 4, [{"other": i} for i in range(4)]), ref),
        "equal-but-close": summarise(_rows([4.5, 4.6, 5.8, 4.7], ANSWERS), ref),
    }
    v = verdict(summary)
    assert v["winner"] is None and v["equal_output"] == ["equal-but-close"]
    assert v["fastest_other"] == "fast-but-different"
    summary["equal-and-fast"] = summarise(_rows([2.0, 2.2, 2.4, 2.1], ANSWERS), ref)
    assert verdict(summary)["winner"] == "equal-and-fast"
    twin = _rows([6.0] * 4, ANSWERS[:3] + [{"fit": "stretch", "k": 7}])
    summary = {REFERENCE: summarise(ref, ref, twin), FP32_TWIN: summarise(twin, ref, twin)}
    summary["same-as-fp32"] = summarise(_rows([3.0] * 4, [r["answer"] for r in twin]), ref, twin)
    lines = reading(summary)
    assert "on 3/4 requests" in lines[0]
    assert lines[1].startswith("`same-as-fp32`: p50 1.67x") and "3/4 the reference's answer, 4/4 the fp32" in lines[1]


def test_markdown_renders_failures_and_exports():
    ref = _rows([4.0, 5.0], ANSWERS[:2])
    data = {
        "requests": 2,
        "max_new_tokens": 512,
        "threads": 1,
        "prompt_tokens": {"p50_ms": 1300},
        "static_prefix_tokens": 219,
        "configs": {REFERENCE: {"precision": "bf16", "constrained": "xgrammar"}},
        "summary": {REFERENCE: summarise(ref, ref)},
        "rows": {REFERENCE: ref},
        "failed": {"ctranslate2-int8-free": "export ct2-int8 failed: boom"},
        "exports": {"ct2-int8": {"ok": False, "command": "ct2-transformers-converter ...", "error": "boom"}},
        "machine": {"cpus": 2},
        "verdict": {"why": "no configuration is faster"},
    }
    md = markdown(data)
    assert f"| {REFERENCE} | bf16 | xgrammar |" in md
    assert "`ctranslate2-int8-free`: export ct2-int8 failed: boom" in md and "ct2-int8: FAILED" in md
