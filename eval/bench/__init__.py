"""``waypoint bench``: performance benchmarks of every serving and training path, side by side.

Sections (each its own module, each returning a JSON-ready dict):

* :mod:`eval.bench.retrieval` -- Qdrant Edge vs qdrant-client local mode vs exact numpy search:
  recall@10 and p50/p95 query latency at 10k / 100k / 1M vectors of real-text embeddings plus
  synthetic padding, every (backend, size) time-boxed in its own process;
* :mod:`eval.bench.latency` -- recommendation latency per kind and explanation latency per backend;
* :mod:`eval.bench.llm_throughput` -- vLLM vs in-process transformers at concurrency 1/4/16:
  tokens/s, requests/s, time to first token, on the same real explanation prompts;
* :mod:`eval.bench.training` -- samples/s of the cross-encoder and of trl SFT/DPO/KTO with LoRA.

:mod:`eval.bench.main` runs them and writes ``eval/reports/bench{,_quick}.{json,md}`` and plots.
Timings on a shared machine are noisy, so every section records the load average it ran under.
"""
