"""Backend names are defined once (issue 26, item 4): settings, the REST schema, the LLM factory and the
explain path accept the same names, resolve the same aliases, and refuse the same unknown ones."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.api.schemas import ExplainRequest
from app.explain.service import _normalise_backend
from app.llm.factory import get_backend
from retrieval.settings import BACKEND_NAMES, LLMBackendName, Settings, backend_name

CANONICAL = {
    "deterministic": "deterministic",
    "composer": "deterministic",
    "none": "deterministic",
    "off": "deterministic",
    "transformers": "transformers",
    "hf": "transformers",
    "local": "transformers",
    "openai": "openai",
    "vllm": "openai",
}


def test_every_accepted_name_means_one_backend_everywhere():
    assert set(BACKEND_NAMES) == set(CANONICAL)
    for name, canonical in CANONICAL.items():
        for spelled in (name, name.upper(), f" {name} "):
            assert backend_name(spelled) == canonical
            assert Settings(llm_backend=spelled).llm_backend == canonical
            request = ExplainRequest(profile={"occupation": "Registered Nurses"}, item_id="21-1091.00", backend=spelled)
            assert request.backend == canonical
            assert _normalise_backend(spelled, Settings()) == canonical


@pytest.mark.parametrize("bad", ["gpt4", "ollama", "vlm", ""])
def test_an_unknown_name_is_refused_with_the_choices(bad):
    with pytest.raises(ValueError, match="choose one of: deterministic, transformers, openai"):
        backend_name(bad)
    if not bad:  # an empty setting is the default backend, as if it were unset
        assert Settings(llm_backend=bad).llm_backend == "transformers"
    else:
        with pytest.raises(ValidationError):
            Settings(llm_backend=bad)
        with pytest.raises(ValidationError):
            ExplainRequest(profile={"occupation": "Registered Nurses"}, item_id="21-1091.00", backend=bad)
        with pytest.raises(ValueError):
            _normalise_backend(bad, Settings())
        with pytest.raises(ValueError):
            get_backend(bad, Settings(llm_backend="deterministic"))


def test_the_composer_is_not_an_llm_backend():
    with pytest.raises(ValueError, match="not an LLM backend"):
        get_backend("composer", Settings(llm_backend="deterministic"))
    assert LLMBackendName.DETERMINISTIC == "deterministic"  # a str: compares and serialises as its name
