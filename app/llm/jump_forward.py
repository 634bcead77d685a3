"""Jump-forward decoding: what the grammar forces next, as canonical tokens, without asking the model.

Under the explanation grammar most of an answer is fixed by the schema (keys, punctuation, the rest of
an enum string once its first token has chosen it). Decoding those tokens one forward pass at a time
is where the time went, and base SmolLM2, choosing among every token the mask allows, spelled them in
about twice the canonical number of tokens. :class:`JumpForward` asks the xgrammar matcher for the
forced string (``find_jump_forward_string``), tokenises it with the model's own tokenizer (the way the
model saw such text in training) and accepts the tokens into the matcher; the decoder then feeds them
to the model in one forward pass.

Token boundaries (the approach SGLang describes as jump-forward with retokenisation):

* the start: the token the model just chose is usually the first piece of a longer canonical token
  (the model picks ``" Ex"`` and the grammar forces ``"cel\\"}"``). That token has not been fed to the
  model yet, so it is rolled back and ``" Ex" + "cel\\"}"`` is tokenised as one string (``" Excel"``,
  ``"\\"}"``): the text is the same, the tokens are the canonical ones;
* the end: the forced string may stop inside what would canonically be a longer token (``' ["c'`` is
  forced, ``' ["c1'`` is not). The last forced token is backed off when the grammar allows any other
  token at its position, and the model chooses there under the mask as usual.

Positions where the mask allows exactly one token are forced too; that part is lossless (step-by-step
decoding would pick the same token whatever the logits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Forced", "JumpForward"]


@dataclass
class Forced:
    """The outcome of one :meth:`JumpForward.extend`: tokens to feed, how many were forced, and whether
    the grammar has terminated (the stop token was forced)."""

    tokens: list[int]
    forced: int
    stopped: bool


class JumpForward:
    """Computes forced continuations for matchers of one tokenizer (thread-safe apart from the bitmask,
    which callers serialise: the backend decodes one request at a time)."""

    def __init__(self, tokenizer: Any, decoded_vocab: list[bytes], vocab_size: int) -> None:
        import xgrammar as xgr

        self.tokenizer = tokenizer
        self.vocab_size = vocab_size
        self.bitmask = xgr.allocate_token_bitmask(1, vocab_size)
        prefixes: set[bytes] = set()
        for piece in decoded_vocab:
            for end in range(1, len(piece)):
                prefixes.add(piece[:end])
        # token ids whose text is a strict prefix of another token: forced spans may not end on them
        # blindly, the canonical tokenisation might continue into a longer token
        self.extendable = frozenset(i for i, piece in enumerate(decoded_vocab) if piece and piece in prefixes)
        self.vocab_bytes = decoded_vocab

    # ---------------------------------------------------------------------------------------------

    def allowed(self, matcher: Any) -> np.ndarray:
        """Token ids the grammar allows next (fills :attr:`bitmask` as a side effect)."""
        matcher.fill_next_token_bitmask(self.bitmask, 0)
        bits = np.unpackbits(self.bitmask[0].numpy().view(np.uint8), bitorder="little")[: self.vocab_size]
        return np.flatnonzero(bits)

    def single_allowed(self, matcher: Any) -> int | None:
        if matcher.is_terminated():
            return None
        ids = self.allowed(matcher)
        return int(ids[0]) if len(ids) == 1 else None

    def _encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _token_text(self, token: int) -> str | None:
        """The token's own text (from xgrammar's byte-exact vocabulary: a SentencePiece decode of one token
        drops its leading space); None for a partial UTF-8 character."""
        try:
            text = self.vocab_bytes[token].decode("utf-8")
        except (IndexError, UnicodeDecodeError):
            return None
        return text or None

    @staticmethod
    def _accept_all(matcher: Any, tokens: list[int]) -> bool:
        """Accept ``tokens`` in order, or none of them."""
        for n, token in enumerate(tokens):
            if not matcher.accept_token(token):
                if n:
                    matcher.rollback(n)
                return False
        return True

    def _extended_by(self, token: int, allowed: np.ndarray) -> bool:
        """Whether some token in ``allowed`` is ``token``'s text and more (a possibly canonical merge)."""
        if len(allowed) > self.MAX_SCAN:
            return True  # free text: almost anything may follow, assume a longer token fits
        piece = self.vocab_bytes[token]
        return any(len(self.vocab_bytes[a]) > len(piece) and self.vocab_bytes[a].startswith(piece) for a in allowed)

    MAX_SCAN = 512

    def _back_off(self, matcher: Any, tokens: list[int], keep: int) -> list[int]:
        """Drop the last token when the grammar also allows a longer token that starts with its text.

        Shorter alternatives (``' '`` where ``' "'`` is forced) are non-canonical splits and do not count:
        keeping the token there saves a forward pass that could only choose a worse tokenisation."""
        if len(tokens) <= keep or tokens[-1] not in self.extendable:
            return tokens
        matcher.rollback(1)
        if not self._extended_by(tokens[-1], self.allowed(matcher)):
            matcher.accept_token(tokens[-1])
            return tokens
        return tokens[:-1]

    def _jump(self, matcher: Any, pending: list[int], replaceable: bool) -> list[int] | None:
        """Accept the forced string into ``matcher``; ``pending`` with its new tail, or None if nothing
        was forced. With ``replaceable`` the last pending token (chosen by the model, not yet fed) is
        retokenised together with the forced string."""
        forced = matcher.find_jump_forward_string()
        if not forced:
            return None
        if replaceable and pending:
            last = pending[-1]
            text = self._token_text(last)
            if text is not None:
                tokens = self._encode(text + forced)
                matcher.rollback(1)
                if tokens and self._accept_all(matcher, tokens):
                    return pending[:-1] + self._back_off(matcher, tokens, keep=1)
                matcher.accept_token(last)  # retokenisation did not fit: keep the model's token
        tokens = self._encode(forced)
        if not tokens or not self._accept_all(matcher, tokens):
            # a tokenizer that encodes a fragment differently from running text (SentencePiece's prefix
            # space): xgrammar's own greedy tokenisation of the forced bytes, which it already backed off
            finder = getattr(matcher, "find_jump_forward_tokens", None)
            tokens = list(finder()) if finder is not None else []
            return pending + tokens if tokens and self._accept_all(matcher, tokens) else None
        tokens = self._back_off(matcher, tokens, keep=0)
        return pending + tokens if tokens else None

    def extend(self, matcher: Any, pending: list[int], replaceable: bool = False) -> Forced:
        """Append everything the grammar forces after ``pending`` (already accepted by ``matcher``).

        Returns the tokens to feed next (``pending``, its last token possibly retokenised, then the
        forced tokens), the number of forced tokens among them, and whether the stop token was forced
        (the answer is complete; the stop token is in ``tokens`` but need not be fed).
        """
        tokens = list(pending)
        base = len(pending)
        while not matcher.is_terminated():
            jumped = self._jump(matcher, tokens, replaceable)
            replaceable = False  # only the model's own token, and only once (its retokenisation is final)
            if jumped is not None:
                tokens = jumped
                continue
            only = self.single_allowed(matcher)
            if only is None or not matcher.accept_token(only):
                break
            tokens.append(only)
        return Forced(tokens=tokens, forced=max(0, len(tokens) - base), stopped=matcher.is_terminated())
