"""Fast constrained decoding with the real SmolLM2 on closed explanation schemas (slow: the step-by-step
reference decodes ~350 tokens one forward pass at a time).

``verified`` jump-forward must give step-by-step decoding's greedy answer token for token; the serving
mode (``fast``: canonical forced tokens) must give a schema-valid answer in a fraction of the passes.
fp32 for the equality: bf16 may round a multi-token pass differently from single-token passes.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.llm_helpers import shared_llm_settings

pytestmark = pytest.mark.slow

EVIDENCE = [
    (
        "Financial and Investment Analysts",
        '[c1] (profile) "MS Office (MS Word, MS Excel, MS Power Point); Database: SQL"\n'
        "[c2] (onet:13-2051.00:skills) Financial and Investment Analysts requires: Microsoft Excel (importance 0.75); "
        "SQL (importance 0.75); Microsoft Word (importance 0.65)\n"
        "[c3] (esco_map:skills) Financial and Investment Analysts also requires, not shown in the profile: "
        "analyse economic trends (importance 0.79); economics (importance 0.79)\n"
        '[c4] (course:edx:ap-microeconomics) Course "AP Microeconomics" (edx, Introductory) teaches: economics',
        {"Microsoft Excel": ["c1", "c2"], "SQL": ["c1", "c2"], "Microsoft Word": ["c1", "c2"]},
        ["analyse economic trends", "economics"],
    ),
    (
        "Registered Nurses",
        '[c1] (profile) "Ten years as a licensed practical nurse: patient care, charting in Epic"\n'
        "[c2] (onet:29-1141.00:skills) Registered Nurses requires: Service Orientation (importance 0.8); "
        "Epic Systems (importance 0.7); Critical Thinking (importance 0.75)\n"
        '[c3] (course:coursera:clinical-reasoning) Course "Clinical Reasoning" (coursera) teaches: Critical Thinking',
        {"Service Orientation": ["c1", "c2"], "Epic Systems": ["c1", "c2"]},
        ["Critical Thinking"],
    ),
]


def request(title: str, block: str, matched: dict, missing: list[str]) -> tuple[list[dict], dict]:
    from app.explain.prompt import SYSTEM_PROMPT
    from app.explain.schema import llm_json_schema

    ids = sorted({c for line in block.splitlines() for c in [line[1 : line.index("]")]]}, key=lambda c: int(c[1:]))
    steps = [
        (
            (cites[0],),
            (
                f"Practise {skill}, which {title} rates as important, in your current work.",
                f"Look for a way to show {skill}: a short course or a project.",
            ),
        )
        for skill, cites in [(m, [ids[-1]]) for m in missing]
    ]
    summaries = [
        f"{title} is a stretch next step: you already show {', '.join(matched)}; {missing[0]} is the gap.",
        f"Your {next(iter(matched))} carries over to {title}; {missing[0]} is still missing.",
    ]
    schema = llm_json_schema(matched, missing, ids, fit="stretch", step_choices=steps, summary_choices=summaries)
    user = (
        f"Recommendation: {title} (occupation)\n\nEvidence:\n{block}\n\nMatched skills (choose from these; cite "
        f"their evidence):\n"
        + "\n".join(f"- {k}: {', '.join(v)}" for k, v in matched.items())
        + "\nMissing skills (choose from these):\n"
        + "\n".join(f"- {m}" for m in missing)
        + f"\n\nExplain why {title} suits this person."
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}], schema


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    from app.llm.model_files import ensure_smollm2
    from app.llm.transformers_backend import TransformersBackend

    settings = shared_llm_settings(tmp_path_factory)
    path = ensure_smollm2(settings)
    return {
        mode: TransformersBackend(model_path=path, settings=settings, dtype="float32", decoding=mode, max_time_s=900)
        for mode in ("stepwise", "verified", "fast")
    }


@pytest.mark.parametrize("case", range(len(EVIDENCE)))
def test_verified_equals_stepwise_and_fast_is_valid_in_few_passes(backends, case):
    messages, schema = request(*EVIDENCE[case])
    step, step_run = backends["stepwise"].decode_one(messages, schema, 512)
    verified, verified_run = backends["verified"].decode_one(messages, schema, 512)
    fast, fast_run = backends["fast"].decode_one(messages, schema, 512)

    assert step.finish_reason == "stop" and step_run.forward_passes == len(step_run.tokens)
    assert verified_run.tokens == step_run.tokens and verified.text == step.text
    assert verified_run.forward_passes < step_run.forward_passes

    assert fast.finish_reason == "stop" and fast.schema_valid is True
    jsonschema.validate(json.loads(fast.text), schema)
    assert fast_run.forward_passes * 4 < step_run.forward_passes
    assert fast_run.forced_tokens > 3 * fast_run.sampled_tokens
    assert fast_run.cached_tokens > 0 or case == 0  # the system prompt's KV is reused from the first request on
