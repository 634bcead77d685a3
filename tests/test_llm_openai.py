"""A real vLLM server (from .venv-vllm, started by scripts/vllm_serve.sh) behind OpenAIBackend.

The server serves SmolLM2 and, by name, the LoRA adapter that trl's SFTTrainer writes in the tiny SFT
run of ``test_training_sft.py`` (trained here first if this module runs first; cached for the session).
One server per session: structured output, adapter selection, and a grounded explanation through it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.llm_helpers import MESSAGES, SCHEMA, shared_llm_settings
from tests.test_training_sft import tiny_sft

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
VLLM_VENV = REPO / ".venv-vllm"
SERVE_SCRIPT = REPO / "scripts" / "vllm_serve.sh"
STARTUP_TIMEOUT_S = float(os.environ.get("WAYPOINT_TEST_VLLM_STARTUP_S", "300"))
ADAPTER = "sft-tiny"  # the served name of the trl-trained adapter
NURSE, HEALTH_ED = "29-1141.00", "21-1091.00"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(settings, tmp_path_factory):
    """Start vLLM with SmolLM2 + the tiny SFT adapter; yield (base_url, adapter_name); stop it by PID."""
    if not (VLLM_VENV / "bin" / "python").exists():
        pytest.skip(f"{VLLM_VENV} does not exist (create it with `make vllm` / scripts/vllm_serve.sh --install-only)")
    from app.llm.model_files import ensure_smollm2

    model_dir = ensure_smollm2(shared_llm_settings(tmp_path_factory))
    adapter_dir, _meta = tiny_sft(settings, tmp_path_factory)  # peft adapter saved by trl (r=16, 7 modules)
    work = tmp_path_factory.mktemp("vllm")
    port = free_port()
    log_path = work / "vllm.log"
    env = dict(
        os.environ,
        PORT=str(port),
        HOST="127.0.0.1",
        MODEL_DIR=str(model_dir.resolve()),
        LORA_MODULES=f"{ADAPTER}={adapter_dir.resolve()}",
        MAX_LORA_RANK="16",
        WAYPOINT_HOME=str(work),  # no stray adapters from the developer's var/adapters
    )
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        # the script execs the server, so proc.pid is vLLM's API server; its own session lets
        # teardown reach the engine subprocesses it spawned through the process group of that PID
        proc = subprocess.Popen(
            ["bash", str(SERVE_SCRIPT)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vLLM exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                response = httpx.get(f"{base_url}/models", timeout=2.0)
                # the script also serves the adapter Waypoint ships, by the name WAYPOINT_LLM_ADAPTER selects
                if response.status_code == 200 and {"smollm2-135m-instruct", ADAPTER, "explainer-sft"} <= {
                    m["id"] for m in response.json()["data"]
                }:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"vLLM did not answer /v1/models in {STARTUP_TIMEOUT_S:.0f}s:\n{log_path.read_text()[-4000:]}"
                )
            time.sleep(1.0)
        print(f"vLLM ready in {time.perf_counter() - started:.1f}s at {base_url}")
        yield base_url, ADAPTER
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # engine workers left behind by an unclean exit share the server's process group
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_base_model_structured_output(vllm_server):
    from app.llm.openai_backend import OpenAIBackend

    base_url, _ = vllm_server
    backend = OpenAIBackend(base_url, model="smollm2-135m-instruct", adapter="", timeout_s=300, max_retries=0)
    try:
        health = backend.health()
        assert health.ok, health.detail
        assert {"smollm2-135m-instruct", ADAPTER} <= {m["id"] for m in backend.list_models()}
        results = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)
        assert len(results) == 1
        result = results[0]
        assert result.finish_reason == "stop", result.text
        jsonschema.validate(json.loads(result.text), SCHEMA)
        assert result.schema_valid is True and result.tokens_generated > 5
        assert result.model == "smollm2-135m-instruct" and result.adapter is None and result.backend == "openai"

        # vLLM's native request field gives the same constraint
        backend.structured_mode = "structured_outputs"
        native = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)[0]
        jsonschema.validate(json.loads(native.text), SCHEMA)

        # n samples in one request, and several prompts concurrently
        backend.structured_mode = "response_format"
        samples = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160, temperature=0.8, n=2)
        assert len(samples) == 2
        many = backend.generate_json_many([MESSAGES] * 3, SCHEMA, max_new_tokens=160)
        assert len(many) == 3 and all(isinstance(item, list) for item in many)
        for item in many:
            if item[0].finish_reason == "stop":
                jsonschema.validate(json.loads(item[0].text), SCHEMA)
    finally:
        backend.close()


def test_lora_adapter_selected_by_name(vllm_server):
    from app.llm.openai_backend import OpenAIBackend

    base_url, adapter = vllm_server
    backend = OpenAIBackend(base_url, model="smollm2-135m-instruct", adapter=adapter, timeout_s=300, max_retries=0)
    try:
        assert backend.request_model == adapter
        assert backend.health().ok
        result = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)[0]
        assert result.adapter == adapter and result.model == "smollm2-135m-instruct"
        assert result.finish_reason == "stop", result.text
        jsonschema.validate(json.loads(result.text), SCHEMA)
        assert backend.info() == {"backend": "openai", "name": "smollm2-135m-instruct", "adapter": adapter}
    finally:
        backend.close()
    shipped = OpenAIBackend(
        base_url, model="smollm2-135m-instruct", adapter="explainer-sft", timeout_s=300, max_retries=0
    )
    try:
        result = shipped.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)[0]
        assert result.adapter == "explainer-sft" and result.finish_reason == "stop", result.text
        jsonschema.validate(json.loads(result.text), SCHEMA)
    finally:
        shipped.close()

    from app.llm.base import LLMUnavailable

    unknown = OpenAIBackend(base_url, model="smollm2-135m-instruct", adapter="no-such-adapter", max_retries=0)
    try:
        assert not unknown.health().ok
        with pytest.raises(LLMUnavailable) as info:
            unknown.generate_json(MESSAGES, SCHEMA, max_new_tokens=20)
        assert info.value.reason == "error"
    finally:
        unknown.close()


def test_unreachable_server_raises_quickly():
    from app.llm.base import LLMUnavailable
    from app.llm.openai_backend import OpenAIBackend

    port = free_port()  # closed again: connections are refused
    backend = OpenAIBackend(
        f"http://127.0.0.1:{port}/v1", model="smollm2-135m-instruct", timeout_s=5, max_retries=1, backoff_s=0.1
    )
    try:
        started = time.perf_counter()
        with pytest.raises(LLMUnavailable) as info:
            backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=20)
        assert time.perf_counter() - started < 3.0
        assert info.value.reason == "down" and info.value.backend == "openai"
        health = backend.health()
        assert not health.ok and health.extra["reason"] == "down"
        outcome = backend.generate_json_many([MESSAGES, MESSAGES], SCHEMA, max_new_tokens=20)
        assert all(isinstance(item, LLMUnavailable) for item in outcome)
    finally:
        backend.close()


def test_silent_server_times_out():
    """A server that accepts connections but never answers: LLMUnavailable(timeout) after retries."""
    from app.llm.base import LLMUnavailable
    from app.llm.openai_backend import OpenAIBackend

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # never accept(): the kernel completes the handshake, nobody replies
        port = listener.getsockname()[1]
        backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", model="m", timeout_s=0.5, max_retries=1, backoff_s=0.05)
        try:
            started = time.perf_counter()
            with pytest.raises(LLMUnavailable) as info:
                backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=20)
            assert info.value.reason == "timeout"
            assert time.perf_counter() - started < 3.0
        finally:
            backend.close()


@pytest.fixture(scope="module")
def served_settings(settings, vllm_server):
    base_url, adapter = vllm_server
    return settings.model_copy(
        update={
            "gap_embeddings": False,
            "gap_esco_map": False,
            "llm_base_url": base_url,
            "llm_model_name": "smollm2-135m-instruct",
            "llm_adapter": adapter,
            "llm_timeout_s": 300.0,
            "llm_max_retries": 0,
            "faithfulness_threshold": 0.0,
        }
    )


def test_vllm_adapter_explanation_is_schema_valid_and_verified(served_settings, catalogue):
    """A grounded explanation through vLLM: the trained adapter by name, then the base model.

    The adapter answers under the open ``claims`` grammar (free-text steps and summary, so the verifier
    checks what a LoRA wrote); the base model answers under the default ``closed`` grammar, so vLLM's
    xgrammar is exercised on the full schema (``prefixItems`` of consts, summary choices). Split this
    way because the near-base tiny adapter spells the closed grammar's fixed sentences in many more
    tokens and vLLM decodes LoRA at ~4 tokens/s on one CPU core (on a built home: 143 s for the test
    against 182 s with both halves closed; the adapter's free text makes its half vary in length)."""
    from app.explain import explain_traced
    from app.explain.prompt import schema_for
    from app.llm import clear_backends
    from retrieval.profile import Profile

    profile = Profile(
        occupation=NURSE, text="Registered nurse; I run patient education classes and keep medical records."
    )
    try:
        assert served_settings.explain_grammar == "closed"  # the default, used by the base-model half
        adapter_settings = served_settings.model_copy(update={"explain_grammar": "claims"})
        e, trace = explain_traced(profile, HEALTH_ED, backend="vllm", settings=adapter_settings)
        assert trace.raw_text is not None, e.fallback_reason
        jsonschema.validate(json.loads(trace.raw_text), trace.schema)
        assert e.fallback_reason is None, e.fallback_reason
        assert e.model.model_dump() == {"backend": "openai", "name": "smollm2-135m-instruct", "adapter": ADAPTER}
        assert e.verification.claims >= 3 and 0.0 <= e.faithfulness <= 1.0
        cited = {c.id: c for c in e.citations}
        matched = {s.id for s in trace.evidence.matched}
        for m in e.matched_skills:
            assert m.id in matched and m.evidence and all(c in cited for c in m.evidence)
            assert catalogue.execute("SELECT 1 FROM skill WHERE id = ?", (m.id,)).fetchone()
        for c in e.citations:
            assert trace.evidence.citation(c.ref).text == c.text

        # the base model on the same server, through the same client, by name
        base = served_settings.model_copy(update={"llm_adapter": ""})
        e2, trace2 = explain_traced(profile, HEALTH_ED, backend="openai", settings=base)
        assert trace2.raw_text is not None, e2.fallback_reason
        assert e2.fallback_reason is None and e2.model.adapter is None, e2.fallback_reason
        jsonschema.validate(json.loads(trace2.raw_text), trace2.schema)
        assert trace2.schema == schema_for(trace2.evidence, "closed")  # the closed grammar reached vLLM
        assert e2.faithfulness == 1.0 and not e2.verification.dropped
    finally:
        clear_backends()
