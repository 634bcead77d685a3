"""``waypoint train setfit``: the command line of :mod:`retrieval.rerankers.setfit_training` (job family and
chat intent SetFit classifiers; ``waypoint build`` trains the intent one too).

Run: ``waypoint train setfit [--task family|intent|both] [--tiny]`` (or ``python -m training.setfit_models``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from app.clikit import command_typer, print_json, run
from retrieval.rerankers.setfit_training import (
    SetFitConfig,
    train,
    train_family,
    train_intent,
    train_setfit,
)

__all__ = ["SetFitConfig", "main", "train", "train_family", "train_intent", "train_setfit"]

cli = command_typer()


@cli.command("setfit")
def setfit_command(
    task: Annotated[Literal["family", "intent", "both"], typer.Option(help="which classifier(s) to train")] = "both",
    tiny: Annotated[bool, typer.Option("--tiny", help="CI budget (a few steps)")] = False,
    max_steps: int | None = None,
    output_dir: str | None = None,
) -> dict:
    """SetFit job-family and intent classifiers (--tiny for a CI budget).

    Prints the training statistics as JSON."""
    tasks = ["family", "intent"] if task == "both" else [task]
    config = SetFitConfig.tiny(tasks=tasks) if tiny else SetFitConfig(tasks=tasks)
    if max_steps is not None:
        config.max_steps = max_steps
    if output_dir:
        config.output_dir = output_dir
    stats = train(config)
    print_json(stats)
    return stats


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train setfit`` on ``argv`` (for tests and scripts); returns the training statistics."""
    return run(cli, argv, "waypoint train setfit")


if __name__ == "__main__":
    cli(prog_name="python -m training.setfit_models")
