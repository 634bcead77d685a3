"""Importing Waypoint changes nothing about the process (issue 26, item 4): no environment variable set,
no torch thread count changed. The entry points choose those (``retrieval.settings.apply_process_environment``,
``retrieval.threads.set_process_threads``); a library import that did it behind a caller's back would
override their choice.

Every module of the four packages is imported in a fresh interpreter whose environment lacks the
variables the code base cares about; those variables (third-party libraries set others of their own, e.g.
scikit-learn's KMP_*) and torch's thread count are compared before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = r"""
import importlib, json, os, pkgutil, sys
import torch
torch.set_num_threads(3)
before = dict(os.environ)
failed = {}
for package in ("retrieval", "app", "training", "eval"):
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # an optional dependency missing is not this test's business
            failed[info.name] = repr(exc)[:200]
after = dict(os.environ)
changed = {k: after.get(k) for k in set(before) | set(after) if before.get(k) != after.get(k)}
print(json.dumps({"changed": changed, "threads": torch.get_num_threads(), "modules": len(sys.modules), "failed": failed}))
"""

WATCHED = (
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "TOKENIZERS_PARALLELISM",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def test_importing_every_module_leaves_environment_and_threads_alone():
    env = {k: v for k, v in os.environ.items() if k not in WATCHED and not k.startswith("WAYPOINT_")}
    env["HF_HUB_OFFLINE"] = "1"  # the probe itself must not reach for a hub; it is restored-checked below
    run = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    ours = {k: v for k, v in out["changed"].items() if k in WATCHED or k.startswith("WAYPOINT_")}
    assert ours == {}, f"importing Waypoint changed the environment: {ours}"
    assert out["threads"] == 3, "importing Waypoint changed torch's thread count"
    assert not out["failed"], out["failed"]
