#!/usr/bin/env bash
# Browser for the UI tests: Debian's chromium (never `playwright install`, which downloads from a CDN)
# plus the playwright Python package. Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
fi

if ! "$PY" -c "import playwright" >/dev/null 2>&1; then
    "$PY" -m pip install -q playwright
fi

echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo missing)"
"$PY" -c "import playwright, importlib.metadata as m; print('playwright', m.version('playwright'))"
