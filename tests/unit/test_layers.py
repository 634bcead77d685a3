"""The layers contract in pyproject.toml ([tool.importlinter]): eval > training > app > retrieval.

Runs the real ``lint-imports`` on the project, so `make test-fast` and CI fail on an upward import, at
module top or inside a function. The second test runs the same layers (read from pyproject.toml) over a
tiny tree with one lazy upward import, so a contract that silently checks nothing cannot pass here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def test_project_keeps_the_layers_contract():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout, proc.stdout


def test_contract_catches_a_lazy_upward_import(tmp_path):
    layers = _layers()
    assert layers == ["eval", "training", "app", "retrieval"]
    for package in layers:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "eval" / "report.py").write_text("def write():\n    return 1\n")
    (tmp_path / "training" / "ok.py").write_text("import retrieval\nfrom app import __name__ as _app\n")
    # the shape of the violation this contract was written for: training reaching into eval inside a function
    (tmp_path / "training" / "ope.py").write_text(
        "def main():\n    from eval.report import write\n    return write()\n"
    )
    roots = ", ".join(f'"{p}"' for p in layers)
    (tmp_path / "contract.toml").write_text(
        f"[tool.importlinter]\nroot_packages = [{roots}]\n\n[[tool.importlinter.contracts]]\n"
        f'name = "layers"\ntype = "layers"\nlayers = [{roots}]\n'
    )
    proc = _lint(tmp_path, "contract.toml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "training is not allowed to import eval" in proc.stdout, proc.stdout
    assert "training.ope -> eval.report (l.2)" in proc.stdout, proc.stdout
    assert "training.ok" not in proc.stdout  # downward imports are fine
