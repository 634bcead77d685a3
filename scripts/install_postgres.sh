#!/usr/bin/env bash
# PostgreSQL server binaries for the events-store tests (the tests start their own throwaway cluster
# on a free port; nothing is started here). Idempotent: does nothing when initdb is already there.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends postgresql
echo "postgresql: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
