"""The wheel carries what the code opens at run time (the Docker images install the wheel, not the tree)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.server_helpers import REPO


def _source_tree(dest: Path) -> Path:
    """The project's files as a clean checkout has them: no build/ or *.egg-info left by an editable install,
    whose file lists setuptools would reuse (the wheel would then pass here and lack the files elsewhere)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in files:
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_wheel_has_the_training_configs_and_every_package(tmp_path):
    source = _source_tree(tmp_path / "src")
    done = subprocess.run(
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
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("waypoint-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {p.name for p in (REPO / "training" / "configs").glob("*.yaml")}
    assert configs and {f"training/configs/{n}" for n in configs} <= names, sorted(n for n in names if "configs" in n)
    # the labelled sets `waypoint eval ...` opens (eval/profiles_data.py, eval/courses.py, ...)
    sets = {f"eval/data/{p.name}" for p in (REPO / "eval" / "data").iterdir() if p.suffix in {".jsonl", ".csv"}}
    assert sets and sets <= names, sorted(sets - names)
    # the tables the code reads at run time (retrieval/occupations/military.py)
    tables = {str(p.relative_to(REPO)) for p in (REPO / "retrieval").rglob("data/*.tsv")}
    assert tables and tables <= names, sorted(tables - names)
    for package in ("app", "retrieval", "training", "eval"):
        modules = {str(p.relative_to(REPO)) for p in (REPO / package).rglob("*.py")}
        assert modules <= names, sorted(modules - names)[:10]
    assert "app/privacy/gazetteer.py" in names and not any(n.startswith("tests/") for n in names)
