"""KV cache of the static part of the prompt, prefilled once per process and reused by every request.

Why: every explanation prompt starts with the same system message and chat-template header (about 200
tokens for SmolLM2). Prefilling them again for each request is pure waste on a 2-core CPU; vLLM does
the same with its automatic prefix cache. An entry holds the per-layer key/value tensors of one token
prefix; a request whose token ids start with that prefix gets a fresh :class:`~transformers.DynamicCache`
holding a copy of them and prefills only the rest of its prompt.

The cache is keyed by token ids, never by text, so a prompt that happens to tokenise differently at
the boundary simply misses. A cache is bound to one model (weights and dtype): the backend owns one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["PrefixCache"]


class PrefixCache:
    """A small LRU of ``token ids prefix → per-layer (keys, values)``."""

    def __init__(self, max_entries: int = 8, min_tokens: int = 8) -> None:
        self.max_entries = max_entries
        self.min_tokens = min_tokens
        self._entries: OrderedDict[tuple[int, ...], list[tuple[Any, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, ids: list[int], config: Any = None) -> tuple[int, Any | None]:
        """``(n, cache)``: the longest stored prefix of ``ids`` and a new DynamicCache holding it.

        ``n`` is at most ``len(ids) - 1``: the caller must still run the last prompt token through the
        model to get the logits of the first new token. ``(0, None)`` on a miss.
        """
        from transformers import DynamicCache

        with self._lock:
            best: tuple[int, ...] | None = None
            for key in self._entries:
                if len(key) < len(ids) and (best is None or len(key) > len(best)) and tuple(ids[: len(key)]) == key:
                    best = key
            if best is None:
                self.misses += 1
                return 0, None
            self._entries.move_to_end(best)
            layers = self._entries[best]
            self.hits += 1
        # DynamicCache.update concatenates, so the stored tensors are copied into the new cache and
        # never written to: concurrent requests may share an entry.
        return len(best), DynamicCache(ddp_cache_data=[(k, v) for k, v in layers], config=config)

    def store(self, ids: list[int], cache: Any) -> bool:
        """Remember the first ``len(ids)`` positions of ``cache`` under ``ids`` (a clone, not a view)."""
        if len(ids) < self.min_tokens:
            return False
        key = tuple(ids)
        layers = []
        for layer in cache.layers:
            if layer.keys is None or layer.keys.shape[-2] < len(ids):
                return False
            layers.append((layer.keys[..., : len(ids), :].clone(), layer.values[..., : len(ids), :].clone()))
        with self._lock:
            self._entries[key] = layers
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
