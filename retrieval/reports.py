"""Report writer shared by every evaluation, benchmark and off-policy estimate: JSON + markdown (+ PNG plots).

Reports land in ``eval/reports/<name>.{json,md}`` (override with ``out_dir``) so that runs are
diffable in git and a person can read the markdown on GitHub.

It lives in the bottom layer (it depends on nothing in the project) because both ``eval`` and
``training`` write reports (``training/ope.py``), and ``training`` may not import ``eval`` (the layers
contract in pyproject.toml).
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPORT_DIR = Path(__file__).resolve().parents[1] / "eval" / "reports"  # in the tree and in the installed wheel


def environment() -> dict:
    import os

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def markdown_table(rows: Sequence[Mapping], columns: Sequence[str], floatfmt: str = "{:.3f}") -> str:
    def fmt(value) -> str:
        return floatfmt.format(value) if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def write_report(name: str, data: dict, markdown: str, out_dir: Path | None = None) -> tuple[Path, Path]:
    out = Path(out_dir) if out_dir else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    payload = {"name": name, "environment": environment(), **data}
    json_path, md_path = out / f"{name}.json", out / f"{name}.md"
    json_path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path


def save_figure(fig, ax, path: Path, *, title: str, xlabel: str, ylabel: str) -> None:
    """The finish every report plot shares: labels, legend, light grid, tight layout, PNG, close."""
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
