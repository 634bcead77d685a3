#!/usr/bin/env bash
# `make test` (what CI runs through .ci/run): the installs, the unit tier, then the integration and e2e
# tiers on two pytest-xdist workers. Fails if any part failed; pytest's exit code 5 ("no tests
# collected": a tier that is empty in some checkout or selection) is not a failure.
#
# Why this order, on CI's 2 cores (`time make test` uses ~1.2 cores on average when everything runs in
# one process, and the first real-data test waits ~5 min for the session's home to be built):
#   1. the vLLM venv installs in the background while the main venv does (both mostly single-core pip);
#   2. the real-data home the integration tiers share (tests/session_home.py: catalogue, models, the
#      converted SmolLM2) builds in the background, on one core, while the unit tier runs on the other and
#      the browser and PostgreSQL install beside them (the unit tier needs neither);
#   3. the integration and e2e tiers start on two workers as soon as the unit tier ends (`-n 2 --dist
#      loadfile`: a module's tests stay on one worker, so a module's server starts once) in the order of
#      tests/module_order.py (`--no-loadscope-reorder` keeps it): one worker runs the modules that do not
#      need the real-data home (the wheel install, the fast decoder) while the build finishes on the other
#      core, then the longest modules first; each worker runs one thread (two OpenMP threads per
#      process on two busy cores spin against each other: retrieval/threads.py) on its own view of the
#      built home.
# WAYPOINT_TEST_HOME (default var/test-home) is where that home is built; a later `make test` reuses it
# when the data and the builders' versions are unchanged. TEST_WORKERS=1 runs the last step in one process.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
PY=.venv/bin/python
export WAYPOINT_TEST_HOME="${WAYPOINT_TEST_HOME:-$PWD/var/test-home}"
WORKERS="${TEST_WORKERS:-2}"

bash scripts/vllm_serve.sh --install-only > var/vllm-install.log 2>&1 &
vllm=$!
make --no-print-directory setup || exit $?

WAYPOINT_COMPUTE_THREADS=1 $PY -m tests.session_home "$WAYPOINT_TEST_HOME" > var/test-home.log 2>&1 &
home=$!

# the unit tier needs neither the browser nor PostgreSQL: their installs (apt on a clean machine: downloads
# and unpacking, mostly waiting) run beside it, and are waited for before the tiers that use them
(bash scripts/install_browser.sh && bash scripts/install_postgres.sh) > var/system-install.log 2>&1 &
system=$!

run_pytest() {  # pytest's exit code, with 5 (nothing collected) read as success; interrupted after LIMIT_S
    timeout --signal=INT --kill-after=120 "${LIMIT_S:-3600}" "$PY" -m pytest "$@"
    local r=$?
    [ $r -eq 124 ] && echo "!! pytest did not finish in ${LIMIT_S:-3600} s and was interrupted"
    [ $r -eq 5 ] && return 0
    return $r
}

rc=0
WAYPOINT_COMPUTE_THREADS=1 WAYPOINT_TEST_THREADS=1 run_pytest -q -m unit --durations=10 || rc=$?

installed() {  # wait for a background install; on failure print its log's tail and stop the home build
    if ! wait "$1"; then
        echo "!! $2 failed ($3):"
        tail -n 40 "$3"
        kill "$home" 2>/dev/null
        exit 1
    fi
}
installed $vllm "the vLLM venv install" var/vllm-install.log
installed $system "the browser or PostgreSQL install" var/system-install.log
cat var/system-install.log
echo ">> vLLM venv, browser and PostgreSQL ready"

# The home may still be building: modules that do not need it run first (tests/conftest.py), and a test
# that needs it waits for the build's lock (tests/session_home.py).
# A worker killed mid-test (out of memory, say) has left pytest-xdist's controller waiting forever for a
# test that will not come back: after LIMIT_S the run is interrupted (pytest prints what failed so far)
# instead of hanging until CI's own limit.
parallel=()
[ "$WORKERS" -gt 1 ] && parallel=(-n "$WORKERS" --dist loadfile --no-loadscope-reorder)
LIMIT_S="${TEST_LIMIT_S:-3600}"
WAYPOINT_COMPUTE_THREADS=1 WAYPOINT_TEST_THREADS=1 \
    run_pytest -q -m "not unit" "${parallel[@]}" --durations=25 || rc=$?

if ! wait $home; then
    # the session fixture built it again and failed the tests that needed it with the real error
    echo "!! the background build of the test home failed (var/test-home.log):"
    tail -n 40 var/test-home.log
fi
exit $rc
