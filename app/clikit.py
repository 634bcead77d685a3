"""One command-line framework for every ``waypoint`` command: typer, mounted lazily, callable from Python.

* Each command declares its options once, with typer (type hints and ``typer.Option``), on a function in the
  module that does the work (``training/sft.py``, ``eval/jobs.py``, ...), registered on that module's own
  ``cli = typer.Typer()``. ``waypoint <cmd> --help`` is then typer's help listing the real options, and a bad
  option is typer's error with exit code 2, for ``waypoint <cmd>`` and ``python -m <module>`` alike.
* :func:`lazy_typer`: ``app.cli`` mounts those commands by ``"module:attribute"``; a module is imported only
  when its command runs (or its group's help lists it), so ``waypoint stats`` does not import trl. The layers
  contract (eval > training > app > retrieval) stays intact: ``app`` names the upper modules, never imports them.
* :func:`run`: a module's ``main(argv)`` (for tests and scripts) parses ``argv`` with the same typer command
  and returns what the command returns; a usage error exits 2 with typer's message, as on the command line.
* :func:`fail`: bad input, said plainly on stderr, exit code 2.
* :class:`MultiValueCommand`: a repeatable option that also takes several values after one flag
  (``--folds 5 10 20``), as these commands' options always have.
"""

from __future__ import annotations

import importlib
import json
import shlex
import sys
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Clear message on stderr and exit code 2 for bad input: a script can tell bad input from a crash."""
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def lazy_typer(commands: Mapping[str, str], **kwargs: Any) -> typer.Typer:
    """A typer group whose ``commands`` (name → ``"module:attribute"``, a ``typer.Typer``) load on first use.

    A module's typer with one command becomes that command; one with several becomes a subgroup
    (``waypoint adapters list|promote|...``). Commands registered on the returned typer directly come first.
    """
    table = dict(commands)

    class LazyGroup(TyperGroup):
        def list_commands(self, ctx: Any) -> list[str]:
            return [*super().list_commands(ctx), *(name for name in table if name not in self.commands)]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            if cmd_name not in self.commands and cmd_name in table:
                module, _, attribute = table[cmd_name].partition(":")
                command = typer.main.get_command(getattr(importlib.import_module(module), attribute or "cli"))
                command.name = cmd_name
                self.commands[cmd_name] = command
            return self.commands.get(cmd_name)

        def resolve_command(self, ctx: Any, args: list[str]) -> Any:
            try:
                return self._click_resolve_command(ctx, args)
            except typer.TyperException as exc:  # "No such command": suggest among the lazy names too
                matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
                if matches and hasattr(exc, "message"):
                    exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
                raise

    return typer.Typer(cls=LazyGroup, **kwargs)


def command_typer(**kwargs: Any) -> typer.Typer:
    """The ``cli`` of a module with one command (no shell-completion options: ``waypoint`` has none)."""
    return typer.Typer(add_completion=False, **kwargs)


def run(cli: typer.Typer, argv: Sequence[str] | None = None, prog: str | None = None, obj: Any = None) -> Any:
    """Run the typer command of ``cli`` on ``argv`` (default ``sys.argv[1:]``) and return its result.

    The module's ``main(argv)``, which tests call for the returned dict: the command line's behaviour, plus
    the value. A usage error prints typer's message on stderr and raises ``SystemExit(2)``; ``--help``
    prints the help and returns 0. ``obj`` is the command's ``ctx.obj``.
    """
    command = typer.main.get_command(cli)
    try:
        return command.main(
            args=list(argv) if argv is not None else None, prog_name=prog, standalone_mode=False, obj=obj
        )
    except typer.TyperException as exc:
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"Error: {exc.format_message()}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None


class MultiValueCommand(TyperCommand):
    """A command whose repeatable options (``list[...]`` typed) also take several values after one flag.

    ``--folds 5 10 20`` reads as ``--folds 5 --folds 10 --folds 20``: the values that follow a repeatable
    option's value, up to the next option, are more values of it.
    """

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        repeatable = {
            opt
            for param in self.params
            if getattr(param, "multiple", False) and getattr(param, "param_type_name", "") == "option"
            for opt in param.opts
        }
        out: list[str] = []
        flag: str | None = None
        takes_value = False
        for token in args:
            if takes_value:
                out.append(token)
                takes_value = False
            elif token in repeatable:
                out.append(token)
                flag, takes_value = token, True
            elif token.split("=", 1)[0] in repeatable:
                out.append(token)
                flag = token.split("=", 1)[0]
            elif flag is not None and not token.startswith("-"):
                out += [flag, token]
            else:
                flag = None
                out.append(token)
        return super().parse_args(ctx, out)


def command_line(ctx: typer.Context) -> str:
    """The command as it could be typed again: its path and every option that differs from its default."""
    parts = ctx.command_path.split()
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value is None or value == param.default or (isinstance(value, list | tuple) and not value):
            continue
        opts = getattr(param, "opts", [])
        if getattr(param, "param_type_name", "") != "option":
            parts += [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        elif getattr(param, "is_flag", False):
            secondary = getattr(param, "secondary_opts", [])
            if value:
                parts.append(opts[0])
            elif secondary:
                parts.append(secondary[0])
        else:
            for v in value if getattr(param, "multiple", False) else [value]:
                parts += [opts[0], str(v)]
    return shlex.join(parts)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit(143)`` for the rest of the process, so a command's ``finally`` blocks run
    (a long command that started a server stops it when the command is stopped, not only on Ctrl-C)."""
    import signal

    def _exit(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def print_json(obj: Any) -> None:
    """A command's result on stdout, as JSON (the last thing a ``waypoint train`` command prints)."""
    print(json.dumps(obj, indent=2, default=str))
