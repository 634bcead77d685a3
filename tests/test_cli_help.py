"""`--help` on the pass-through commands reaches the script's own parser and lists its real options."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app


@pytest.mark.parametrize(
    "command, option",
    [
        (["train", "dpo"], "--source"),
        (["train", "preferences"], "--samples"),
        (["eval", "ope"], "--baseline"),
        (["simulate"], "--skip-people"),
        (["bench"], "--quick"),
    ],
)
def test_help_lists_the_script_options(command, option):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert option in result.output and "usage: waypoint" in result.output
