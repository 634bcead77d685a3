"""In-process generation with transformers on CPU, constrained to a JSON schema by xgrammar.

Why xgrammar: its grammar compiler and token-mask filler are C++ (a JSON schema compiles in
milliseconds and each step's mask costs microseconds), it works with transformers 5 as a plain
``LogitsProcessor``, handles left-padded batches and ``num_return_sequences`` (one matcher per
row), and it is the same engine vLLM uses by default, so in-process and served outputs follow
the same grammar. (outlines 1.x also works here but wraps the model in its own generator API.)

The model (and an optional LoRA adapter, merged into the weights) is loaded once per backend
instance; :func:`app.llm.factory.get_backend` keeps one instance per process.

Decoding (``decoding``): ``fast`` (default) runs :class:`app.llm.fast_decode.FastDecoder` -- the
static prompt prefix's KV cache reused across requests and every grammar-forced span appended in one
forward pass as canonical tokens (jump-forward), in bf16 where the CPU has native bf16
(AVX512-BF16/AMX); under the closed explanation grammar that is ~30 forward passes per answer instead
of ~350. ``verified`` drafts the forced spans and keeps only the tokens the model would have chosen
(greedy output identical to step-by-step decoding, fewer passes than it, more than ``fast``);
``stepwise`` is the same loop one token per pass; ``generate`` is transformers' ``generate()`` with
the xgrammar logits processor, which also serves sampling with ``n > 1``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, cast

from app.llm.base import (
    BackendHealth,
    GenerationResult,
    LLMBackend,
    LLMUnavailable,
    Message,
    parse_json_object,
    raise_if_all_invalid,
    validate_messages,
)
from app.llm.fast_decode import DecodeResult, FastDecoder, JumpMode
from app.llm.model_files import SMOLLM2_SERVED_NAME, resolve_model_path, smollm2_dir
from retrieval.cpu import resolve_dtype
from retrieval.settings import Settings, get_settings
from retrieval.threads import bulk_threads, set_process_threads, torch_threads

log = logging.getLogger(__name__)


def _grammar_processor_class():
    import torch
    import xgrammar as xgr
    from transformers import LogitsProcessor

    class GrammarLogitsProcessor(LogitsProcessor):
        """Masks every row's logits to the tokens its grammar allows next.

        One xgrammar matcher per row (prompt × sample). A row whose matcher has terminated
        (it accepted the stop token) may only produce the pad/eos token afterwards; a matcher
        that rejects a token (cannot happen while the mask is applied) is marked failed.
        Use a fresh instance for each ``generate()`` call.
        """

        def __init__(self, compiled: Any, batch_size: int, vocab_size: int, eos_token_id: int) -> None:
            self.matchers = [xgr.GrammarMatcher(compiled) for _ in range(batch_size)]
            self.bitmask = xgr.allocate_token_bitmask(batch_size, vocab_size)
            self.vocab_size = vocab_size
            self.eos_token_id = eos_token_id
            self.failed = [False] * batch_size
            self._started = False

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            if input_ids.shape[0] != len(self.matchers):
                raise RuntimeError(f"batch size changed: {input_ids.shape[0]} != {len(self.matchers)}")
            if self._started:
                last = input_ids[:, -1].tolist()
                for i, matcher in enumerate(self.matchers):
                    if not matcher.is_terminated() and not self.failed[i]:
                        if not matcher.accept_token(last[i]):
                            self.failed[i] = True
            self._started = True
            active: list[int] = []
            for i, matcher in enumerate(self.matchers):
                if matcher.is_terminated() or self.failed[i]:
                    continue
                matcher.fill_next_token_bitmask(self.bitmask, i)
                active.append(i)
            if scores.dtype != torch.float32:
                # float32 is what transformers means by FloatTensor; .float() is typed plain Tensor
                scores = cast(torch.FloatTensor, scores.float())
            if active:
                xgr.apply_token_bitmask_inplace(scores, self.bitmask, vocab_size=self.vocab_size, indices=active)
            done = [i for i in range(len(self.matchers)) if i not in set(active)]
            if done:
                idx = torch.tensor(done, dtype=torch.long)
                scores[idx] = float("-inf")
                scores[idx, self.eos_token_id] = 0.0
            return scores

        def completed(self, i: int) -> bool:
            return self.matchers[i].is_terminated() and not self.failed[i]

    return GrammarLogitsProcessor


DECODINGS = ("fast", "verified", "stepwise", "generate")
_JUMP: dict[str, JumpMode] = {"fast": "canonical", "verified": "verified", "stepwise": "off", "generate": "off"}


# cpu_has_native_bf16, BF16_CPU_FLAGS and resolve_dtype live in retrieval/cpu.py (the embedding model reads them too)


def quantize_int8(model: Any) -> Any:
    """int8 weights for the transformer blocks' linear layers (torch's dynamic quantization; the
    vocabulary head stays fp32, the decoder reads its rows). Opt-in (``dtype="int8"``), not the default:
    a decode pass streams every weight from memory and int8 halves the bytes, but prefill quantises
    activations on the fly and is slower than bf16 on AMX; on the shared 2-core machine two interleaved
    runs disagreed (1.6x faster, then 1.2x slower than bf16: ``python -m eval.bench.decode --configs
    fast-bf16,fast-int8``), and the greedy answers differ from bf16's (still schema-valid)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch.ao's eager quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        model.model = torch.ao.quantization.quantize_dynamic(model.model, {torch.nn.Linear}, dtype=torch.qint8)
    return model


class TransformersBackend(LLMBackend):
    """SmolLM2 (or any local HF causal LM) in-process, xgrammar-constrained JSON output."""

    name = "transformers"

    def __init__(
        self,
        model_path: str | Path | None = None,
        adapter_path: str | Path | None = None,
        settings: Settings | None = None,
        *,
        dtype: str = "auto",
        num_threads: int | None = None,
        max_time_s: float | None = None,
        any_whitespace: bool = False,
        decoding: str = "fast",
    ) -> None:
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.settings = settings or get_settings()
        path = Path(model_path) if model_path else resolve_model_path(self.settings)
        adapter = adapter_path if adapter_path is not None else (self.settings.llm_adapter or None)
        if num_threads:
            set_process_threads(num_threads)
        #: torch threads of one answer (settings.llm_threads; 0 = compute_threads, 0 = every core): answers run
        #: one at a time under the lock, so a second core halves the prefill instead of idling
        self.threads = int(num_threads or self.settings.llm_threads or 0) or bulk_threads(self.settings)
        started = time.perf_counter()
        self.model_path = path
        if decoding not in DECODINGS:
            raise ValueError(f"decoding must be one of {', '.join(DECODINGS)}, not {decoding!r}")
        self.decoding = decoding
        self.dtype = resolve_dtype(dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # an adapter is merged in fp32 and the merged weights cast afterwards (merging in bf16 rounds twice)
        load_dtype = "float32" if adapter or self.dtype == "int8" else self.dtype
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, load_dtype))
        self.adapter: str | None = None
        self.adapter_path: Path | None = None
        if adapter:
            from peft import PeftModel

            adapter_dir = Path(adapter)
            if not adapter_dir.is_dir():
                raise FileNotFoundError(f"LoRA adapter directory not found: {adapter_dir}")
            model = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
            self.adapter = adapter_dir.name
            self.adapter_path = adapter_dir
            if self.dtype != "int8":
                model = model.to(getattr(torch, self.dtype))
        if self.dtype == "int8":
            model = quantize_int8(model)
        model.eval()
        self.model = model
        self.model_name = SMOLLM2_SERVED_NAME if path.resolve() == smollm2_dir(self.settings).resolve() else path.name
        self.max_time_s = max_time_s if max_time_s is not None else self.settings.llm_timeout_s
        self.any_whitespace = any_whitespace

        self.eos_token_id = int(self.tokenizer.eos_token_id)
        self.pad_token_id = int(self.tokenizer.pad_token_id)
        self.vocab_size = int(model.config.get_text_config().vocab_size)
        tokenizer_info = xgr.TokenizerInfo.from_huggingface(
            self.tokenizer, vocab_size=self.vocab_size, stop_token_ids=[self.eos_token_id]
        )
        self._compiler = xgr.GrammarCompiler(tokenizer_info, max_threads=2)
        self._grammars: dict[str, Any] = {}
        self._processor_cls = _grammar_processor_class()
        self.decoder = FastDecoder(model, self.tokenizer, tokenizer_info.decoded_vocab, self.vocab_size)
        self.jump_mode = _JUMP[decoding]  # FastDecoder's jump mode; the bench flips these two per run
        self.use_prefix_cache = decoding in ("fast", "verified")
        self._lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started
        log.info(
            "transformers backend: %s%s loaded in %.1fs",
            self.model_name,
            f" + {self.adapter}" if self.adapter else "",
            self.load_seconds,
        )

    # ----------------------------------------------------------------------------------------

    def _compiled(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        compiled = self._grammars.get(key)
        if compiled is None:
            compiled = self._compiler.compile_json_schema(key, any_whitespace=self.any_whitespace)
            if len(self._grammars) > 64:
                self._grammars.clear()
            self._grammars[key] = compiled
        return compiled

    def _render(self, messages: list[Message]) -> str:
        validate_messages(messages)
        prompt = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if not isinstance(prompt, str):  # tokenize=False renders text; the annotation also covers token ids
            raise TypeError(f"chat template rendered {type(prompt).__name__}, not text")
        return prompt

    def _text(self, ids: list[int]) -> str:
        """The text of one token sequence (``decode`` is annotated for a batch's list of texts too)."""
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        if not isinstance(text, str):
            raise TypeError(f"decoding one sequence gave {type(text).__name__}, not text")
        return text

    def generate_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[GenerationResult]:
        out = self._generate([messages], schema, max_new_tokens, temperature, n)[0]
        if isinstance(out, LLMUnavailable):
            raise out
        return out

    def generate_json_many(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[list[GenerationResult] | LLMUnavailable]:
        """All conversations × samples: one after another through the fast loop, or (``generate``, and
        sampling with ``n > 1``) one left-padded batch."""
        return self._generate(conversations, schema, max_new_tokens, temperature, n)

    def _prompt(self, messages: list[Message]) -> tuple[list[int], int]:
        """The rendered prompt's token ids, and how many of them are its static prefix: everything before
        the last message's content (the system message and the chat header), the part the prefix cache
        keeps. Where BPE merges across that cut, the prefix stops before the merged token."""
        text = self._render(messages)
        ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        content = messages[-1]["content"]
        cut = text.rfind(content) if content else -1
        if cut <= 0:
            return ids, 0
        head = self.tokenizer(text[:cut], add_special_tokens=False)["input_ids"]
        prefix = 0
        for a, b in zip(head, ids):
            if a != b:
                break
            prefix += 1
        return ids, prefix

    def decode_one(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        *,
        generator: Any = None,
        on_tokens: Any = None,
    ) -> tuple[GenerationResult, DecodeResult]:
        """One answer through :class:`~app.llm.fast_decode.FastDecoder`, with its decoding statistics
        (forced vs sampled tokens, forward passes, prefill time: what ``eval.bench.decode`` reports).
        ``on_tokens(list[int])`` streams final answer tokens as they come (decode them incrementally).
        Raises whatever the model raises; :meth:`generate_json` turns that into ``LLMUnavailable``."""
        max_new_tokens = int(max_new_tokens or self.settings.llm_max_new_tokens)
        ids, prefix = self._prompt(messages)
        compiled = self._compiled(schema)
        with self._lock, torch_threads(self.threads):
            run = self.decoder.decode(
                ids,
                compiled,
                prefix_len=prefix,
                max_new_tokens=max_new_tokens,
                max_time_s=self.max_time_s if self.max_time_s and self.max_time_s > 0 else None,
                temperature=temperature,
                jump=self.jump_mode,
                use_prefix_cache=self.use_prefix_cache,
                generator=generator,
                on_tokens=on_tokens,
            )
        text = self._text(run.tokens)
        parsed, valid, error = parse_json_object(text, schema)
        if run.finish_reason == "rejected":
            error = (error + "; " if error else "") + "grammar rejected a token"
        result = GenerationResult(
            text=text,
            parsed=parsed,
            latency_ms=run.total_s * 1000.0,
            tokens_generated=len(run.tokens),
            model=self.model_name,
            adapter=self.adapter,
            backend=self.name,
            finish_reason="stop" if run.finish_reason == "stop" else "length",
            schema_valid=valid,
            error=error,
        )
        return result, run

    def _generate_fast(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        max_new_tokens: int | None,
        temperature: float,
        n: int,
    ) -> list[list[GenerationResult] | LLMUnavailable]:
        results: list[list[GenerationResult] | LLMUnavailable] = []
        for messages in conversations:
            try:
                sample, run = self.decode_one(messages, schema, max_new_tokens, temperature)
            except Exception as exc:  # noqa: BLE001 - any failure means "fall back"
                log.exception("transformers generation failed")
                results.append(
                    LLMUnavailable(f"transformers: generation failed: {exc}", reason="error", backend=self.name)
                )
                continue
            samples = [sample] + [GenerationResult(**sample.to_dict()) for _ in range(n - 1)]
            try:
                results.append(raise_if_all_invalid(samples, self.name))
            except LLMUnavailable as invalid:
                results.append(
                    invalid
                    if run.finish_reason != "time"
                    else LLMUnavailable(
                        f"transformers: generation exceeded {self.max_time_s:.0f}s",
                        reason="timeout",
                        backend=self.name,
                        results=samples,
                    )
                )
        return results

    def _generate(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        max_new_tokens: int | None,
        temperature: float,
        n: int,
    ) -> list[list[GenerationResult] | LLMUnavailable]:
        import torch
        from transformers import LogitsProcessorList

        if n < 1:
            raise ValueError("n must be >= 1")
        if not conversations:
            return []
        do_sample = temperature is not None and temperature > 0
        if self.decoding != "generate" and (n == 1 or not do_sample):
            return self._generate_fast(conversations, schema, max_new_tokens, temperature, n)
        max_new_tokens = int(max_new_tokens or self.settings.llm_max_new_tokens)
        prompts = [self._render(m) for m in conversations]
        compiled = self._compiled(schema)
        per_prompt = n if do_sample else 1  # greedy samples are identical: decode once, copy

        with self._lock, torch_threads(self.threads):
            started = time.perf_counter()
            enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            batch = len(prompts) * per_prompt
            processor = self._processor_cls(compiled, batch, self.vocab_size, self.eos_token_id)
            kwargs: dict[str, Any] = dict(
                max_new_tokens=max_new_tokens,
                logits_processor=LogitsProcessorList([processor]),
                num_return_sequences=per_prompt,
                pad_token_id=self.pad_token_id,
                eos_token_id=self.eos_token_id,
                do_sample=do_sample,
                max_time=self.max_time_s if self.max_time_s and self.max_time_s > 0 else None,
            )
            if do_sample:
                kwargs.update(temperature=float(temperature), top_k=0, top_p=1.0)
            else:
                kwargs.update(temperature=None, top_k=None, top_p=None)
            try:
                with torch.inference_mode():
                    output = self.model.generate(**enc, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any failure means "fall back"
                log.exception("transformers generation failed")
                err = LLMUnavailable(f"transformers: generation failed: {exc}", reason="error", backend=self.name)
                return [err for _ in conversations]
            elapsed = time.perf_counter() - started
        latency_ms = elapsed * 1000.0
        new_tokens = output[:, enc["input_ids"].shape[1] :]
        timed_out = bool(self.max_time_s) and elapsed >= self.max_time_s

        results: list[list[GenerationResult] | LLMUnavailable] = []
        for p in range(len(prompts)):
            samples: list[GenerationResult] = []
            for s in range(per_prompt):
                row = p * per_prompt + s
                ids = new_tokens[row].tolist()
                stopped = self.eos_token_id in ids
                count = ids.index(self.eos_token_id) + 1 if stopped else len(ids)
                text = self._text(ids[:count])
                parsed, valid, error = parse_json_object(text, schema)
                if processor.failed[row]:
                    error = (error + "; " if error else "") + "grammar rejected a token"
                samples.append(
                    GenerationResult(
                        text=text,
                        parsed=parsed,
                        latency_ms=latency_ms,
                        tokens_generated=count,
                        model=self.model_name,
                        adapter=self.adapter,
                        backend=self.name,
                        finish_reason="stop" if stopped else "length",
                        schema_valid=valid,
                        error=error,
                    )
                )
            if per_prompt < n:
                samples = [samples[0]] + [GenerationResult(**samples[0].to_dict()) for _ in range(n - 1)]
            try:
                results.append(raise_if_all_invalid(samples, self.name))
            except LLMUnavailable as invalid:
                results.append(
                    invalid
                    if not timed_out
                    else LLMUnavailable(
                        f"transformers: generation exceeded {self.max_time_s:.0f}s",
                        reason="timeout",
                        backend=self.name,
                        results=samples,
                    )
                )
        return results

    def health(self) -> BackendHealth:
        started = time.perf_counter()
        try:
            ok = self.model is not None and self.tokenizer is not None
            detail = f"loaded from {self.model_path}"
        except Exception as exc:  # noqa: BLE001
            ok, detail = False, str(exc)
        return BackendHealth(
            ok=ok,
            backend=self.name,
            model=self.model_name,
            adapter=self.adapter,
            detail=detail,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            extra={
                "load_seconds": round(self.load_seconds, 2),
                "dtype": self.dtype,
                "decoding": self.decoding,
                "prefix_cache": {
                    "entries": len(self.decoder.prefix_cache),
                    "hits": self.decoder.prefix_cache.hits,
                    "misses": self.decoder.prefix_cache.misses,
                },
            },
        )

    def close(self) -> None:
        self.model = None
