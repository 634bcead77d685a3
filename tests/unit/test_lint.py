"""ruff over the whole repository with the rules and format of pyproject.toml ([tool.ruff]; issue 26, item
6): no finding, and every file formatted (the data tables listed there excepted). Runs in a second, so
`make test-fast` catches a lint slip before a reviewer does. The type check is tests/unit/test_typecheck.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _ruff(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_no_lint_findings():
    proc = _ruff("check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_file_is_formatted():
    proc = _ruff("format", "--check", "--no-cache", ".")
    assert proc.returncode == 0, "run `ruff format .`:\n" + proc.stdout + proc.stderr


def test_the_rules_catch_an_unused_import_and_an_unformatted_line(tmp_path):
    """The configuration really checks: a probe with a known finding fails both commands (a config that
    excluded everything, or selected nothing, would pass the two tests above)."""
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    (tmp_path / "probe.py").write_text("import os\nx = {'a':1}\n")
    check = _ruff("check", "--no-cache", "probe.py", cwd=tmp_path)
    assert check.returncode == 1 and "F401" in check.stdout, check.stdout + check.stderr
    fmt = _ruff("format", "--check", "--no-cache", "probe.py", cwd=tmp_path)
    assert fmt.returncode == 1 and "probe.py" in fmt.stdout, fmt.stdout + fmt.stderr
