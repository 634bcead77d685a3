"""One grammar-constrained answer, decoded with a reused prompt prefix and jump-forward spans.

Why not ``model.generate()``: generate runs one forward pass per output token and prefills the whole
prompt every time. Under the explanation grammar most tokens are forced by the schema, and every
prompt starts with the same ~200-token system message. This loop:

1. takes the KV cache of the static prompt prefix from a :class:`~app.llm.prefix_cache.PrefixCache`
   (prefilling and storing it on a miss), so a request prefills only its evidence;
2. appends what the grammar forces (:class:`~app.llm.jump_forward.JumpForward`) to the next forward
   pass, so a forced span costs one pass in total instead of one per token;
3. masks the last position's logits with the xgrammar matcher and picks the next token (argmax, or
   sampling with ``temperature``), computing logits for the allowed tokens only where the model's
   head allows it (a choice point allows a handful of SmolLM2's 49k tokens).

Modes (``jump``):

* ``"canonical"`` (serving): forced text is fed as the tokenizer's canonical tokens. Base SmolLM2,
  choosing among every token the mask allows, spelled forced text in ~1.7x as many tokens, so after a
  forced span it may choose differently than step-by-step decoding would: the text stays schema-valid
  and the tokens are the ones SFT targets use;
* ``"verified"``: the canonical tokens are a draft that the same forward pass checks (speculative
  decoding with the grammar as the drafter): each is kept only if it is the model's masked argmax at
  its position, else the model's token replaces it and the rest of the draft is cut from the cache.
  Greedy output is then token for token that of step-by-step decoding, at fewer forward passes;
* ``"off"``: one token per forward pass, the reference the tests compare with.

Batch size is one: on two CPU cores requests run one after another (the backend's lock); forced spans
would otherwise differ in length between the rows of a batch.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.llm.jump_forward import JumpForward
from app.llm.prefix_cache import PrefixCache

__all__ = ["DecodeResult", "FastDecoder", "JumpMode"]

JumpMode = Literal["canonical", "verified", "off"]


@dataclass
class DecodeResult:
    """The new token ids (with the stop token when the grammar terminated) and where the time went."""

    tokens: list[int] = field(default_factory=list)
    finish_reason: str = "length"  # "stop" | "length" | "time" | "rejected"
    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens whose KV came from the prefix cache
    forced_tokens: int = 0  # appended by jump-forward / single-token forcing, chosen by the grammar
    sampled_tokens: int = 0  # chosen from the model's masked logits
    drafted_tokens: int = 0  # "verified": forced tokens proposed; forced_tokens of them were kept
    forward_passes: int = 0
    prefill_s: float = 0.0  # until the logits of the first chosen token
    total_s: float = 0.0

    def stats(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("tokens")
        return out


class FastDecoder:
    """Decodes one prompt at a time for one model; owns the model's prefix cache."""

    PLAIN_HEAD_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3"})
    #: above this many allowed tokens the full projection is cheaper than gathering rows
    MAX_SUBSET = 4096

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        decoded_vocab: list[bytes],
        vocab_size: int,
        *,
        prefix_cache: PrefixCache | None = None,
    ) -> None:
        self.model = model
        self.vocab_size = vocab_size
        self.jump = JumpForward(tokenizer, decoded_vocab, vocab_size)
        self.prefix_cache = prefix_cache if prefix_cache is not None else PrefixCache()
        params = inspect.signature(model.forward).parameters
        # transformers 5.x renamed past_key_values to cache (the old name warns, then goes away)
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
        # Logits of the allowed tokens only: the vocabulary projection is a fifth of SmolLM2's weights.
        # Only for model types whose logits are a plain lm_head(hidden) (no soft-capping or scaling).
        config = getattr(model, "config", None)
        plain_head = (
            getattr(config, "model_type", "") in self.PLAIN_HEAD_TYPES
            and not getattr(config, "final_logit_softcapping", None)
            and getattr(model, "lm_head", None) is not None
            and hasattr(model, "model")
        )
        self._decoder = model.model if plain_head else None
        self._head = model.lm_head if plain_head else None

    # ------------------------------------------------------------------------------------------

    def _new_cache(self) -> Any:
        from transformers import DynamicCache

        return DynamicCache(config=self.model.config)

    def _forward(self, ids: list[int], cache: Any, keep: int = 1) -> Any:
        """Run ``ids`` through the model on top of ``cache`` (updated in place); one output row for each
        of the last ``keep`` positions: final hidden states (plain head) or logits."""
        import torch

        input_ids = torch.tensor([ids], dtype=torch.long)
        kwargs = {self._cache_kwarg: cache, "use_cache": True}
        if self._decoder is None:
            return self.model(input_ids=input_ids, logits_to_keep=keep, **kwargs).logits[0, -keep:, :]
        return self._decoder(input_ids=input_ids, **kwargs).last_hidden_state[0, -keep:, :]

    def _pick(self, row: Any, allowed: Any, temperature: float, generator: Any) -> int:
        """The next token from one output row, among ``allowed`` (whose mask :attr:`jump` just filled)."""
        import torch
        import xgrammar as xgr

        head = self._head  # set (with the decoder) exactly when the model has a plain lm_head
        if head is not None and len(allowed) <= self.MAX_SUBSET:
            index = torch.as_tensor(allowed, dtype=torch.long)
            logits = row @ head.weight[index].T
            if head.bias is not None:
                logits = logits + head.bias[index]
            logits = logits.float().unsqueeze(0)
        else:
            logits = (head(row) if head is not None else row).float().unsqueeze(0)
            xgr.apply_token_bitmask_inplace(logits, self.jump.bitmask, vocab_size=self.vocab_size)
            index = None
        if temperature and temperature > 0:
            probs = torch.softmax(logits[0] / float(temperature), dim=-1)
            pick = int(torch.multinomial(probs, 1, generator=generator).item())
        else:
            pick = int(torch.argmax(logits[0]).item())
        return int(allowed[pick]) if index is not None else pick

    def _prefill_prefix(self, prompt_ids: list[int], prefix_len: int, result: DecodeResult) -> tuple[Any, int]:
        """A cache holding the static prefix (from the prefix cache, or prefilled and stored now)."""
        start, cache = self.prefix_cache.lookup(prompt_ids[: prefix_len + 1], self.model.config)
        if cache is None:
            cache, start = self._new_cache(), 0
        result.cached_tokens = start
        if start < prefix_len:
            # the prefix on its own, so a miss computes the very KV a later hit reuses
            self._forward(prompt_ids[start:prefix_len], cache)
            self.prefix_cache.store(prompt_ids[:prefix_len], cache)
        return cache, prefix_len

    # ------------------------------------------------------------------------------------------

    def decode(
        self,
        prompt_ids: list[int],
        compiled_grammar: Any,
        *,
        prefix_len: int = 0,
        max_new_tokens: int = 512,
        max_time_s: float | None = None,
        temperature: float = 0.0,
        jump: JumpMode = "canonical",
        use_prefix_cache: bool = True,
        generator: Any = None,
        trace: list[dict[str, Any]] | None = None,
        on_tokens: Callable[[list[int]], None] | None = None,
    ) -> DecodeResult:
        """Decode one answer to ``prompt_ids`` under ``compiled_grammar``.

        ``prefix_len``: how many leading prompt tokens are the same for every request (the system
        message); they are cached. ``max_time_s`` stops decoding (``finish_reason="time"``). ``jump``:
        see the module doc (``verified`` is greedy-only; with ``temperature`` it runs as ``canonical``).
        ``trace`` collects one row per choice point (tokens fed before it, tokens allowed, chosen).
        ``on_tokens`` (streaming) gets each run of new answer tokens as soon as it is final, forced spans
        before the forward pass that follows them.
        """
        import torch
        import xgrammar as xgr

        if jump not in ("canonical", "verified", "off"):
            raise ValueError(f"jump must be canonical, verified or off, not {jump!r}")
        if jump == "verified" and temperature and temperature > 0:
            jump = "canonical"
        started = time.perf_counter()
        result = DecodeResult(prompt_tokens=len(prompt_ids))
        matcher = xgr.GrammarMatcher(compiled_grammar)
        out = result.tokens
        emitted = 0

        def flush() -> None:
            nonlocal emitted
            if on_tokens is not None and len(out) > emitted and emitted < max_new_tokens:
                on_tokens(out[emitted:max_new_tokens])
                emitted = len(out)

        with torch.inference_mode():
            cache, start = None, 0
            if use_prefix_cache and 0 < prefix_len < len(prompt_ids):
                cache, start = self._prefill_prefix(prompt_ids, prefix_len, result)
            if cache is None:
                cache = self._new_cache()
            committed = list(prompt_ids[start:])  # accepted, not yet fed
            draft: list[int] = []  # "verified": accepted by the matcher, not yet checked against the model
            if jump != "off":  # the answer's opening ('{"fit": "...", ...') rides along with the prefill
                opening = self.jump.extend(matcher, [])
                if jump == "verified":
                    draft = opening.tokens
                else:
                    out += opening.tokens
                    committed += opening.tokens
                    result.forced_tokens += opening.forced
            while not (matcher.is_terminated() and not draft):
                flush()
                if len(out) >= max_new_tokens:
                    break
                if max_time_s and time.perf_counter() - started >= max_time_s:
                    result.finish_reason = "time"
                    break
                feed = committed + draft
                rows = self._forward(feed, cache, keep=len(draft) + 1)
                result.forward_passes += 1
                if not result.prefill_s:
                    result.prefill_s = time.perf_counter() - started
                kept = 0
                if draft:
                    # check the draft: token j stays if it is the model's choice at its position
                    result.drafted_tokens += len(draft)
                    matcher.rollback(len(draft))
                    for j, token in enumerate(draft):
                        if self._pick(rows[j], self.jump.allowed(matcher), 0.0, None) != token:
                            break
                        matcher.accept_token(token)
                        out.append(token)
                        kept += 1
                    result.forced_tokens += kept
                    if kept < len(draft):
                        cache.crop(-(len(draft) - kept))  # the unchecked tail's KV is wrong: cut it
                    draft = []
                    if matcher.is_terminated() or len(out) >= max_new_tokens:
                        break
                allowed = self.jump.allowed(matcher)
                if len(allowed) == 0:
                    result.finish_reason = "rejected"
                    break
                token = self._pick(rows[kept], allowed, temperature, generator)
                if trace is not None:
                    trace.append({"fed": len(feed), "allowed": len(allowed), "token": token})
                if not matcher.accept_token(token):
                    result.finish_reason = "rejected"
                    break
                result.sampled_tokens += 1
                if matcher.is_terminated():
                    out.append(token)
                    break
                if jump == "canonical":
                    step = self.jump.extend(matcher, [token], replaceable=True)
                    out += step.tokens
                    result.forced_tokens += step.forced
                    committed = step.tokens
                elif jump == "verified":
                    out.append(token)
                    committed, draft = [token], self.jump.extend(matcher, []).tokens
                else:
                    out.append(token)
                    committed = [token]
        if matcher.is_terminated() and result.finish_reason not in ("rejected", "time"):
            result.finish_reason = "stop"
        if len(out) > max_new_tokens:
            del out[max_new_tokens:]
            result.finish_reason = "length"
        flush()
        result.total_s = time.perf_counter() - started
        return result
