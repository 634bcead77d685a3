"""A command stopped with SIGTERM runs its ``finally`` blocks (``app.clikit.exit_on_sigterm``).

Why: ``waypoint loop`` starts a server and stops it in a ``finally``; stopped with SIGTERM (``kill PID``, a job
scheduler) Python's default handler ended the loop without it and left the server running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.unit

CHILD = """
import subprocess, sys, time
from app.clikit import exit_on_sigterm
if sys.argv[1] == "handled":
    exit_on_sigterm()
server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
try:
    # announced inside the try: CPython runs a pending signal handler as a call returns, so a SIGTERM that
    # arrives while print() is writing is raised at that call, and must already be inside the try
    print(server.pid, flush=True)
    time.sleep(120)
finally:
    server.kill()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purpose
        return stat.read().split()[2] != "Z"


@pytest.mark.parametrize("mode, server_survives", [("handled", False), ("default", True)])
def test_sigterm_runs_the_finally_that_stops_the_server(mode, server_survives):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True)
    server = int(proc.stdout.readline())
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5  # the kill is SIGKILL and a killed orphan reads as a zombie at once
        while _alive(server) and not server_survives and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(server) == server_survives
        assert proc.returncode == (143 if mode == "handled" else -signal.SIGTERM)
    finally:
        if _alive(server):
            os.kill(server, signal.SIGKILL)
