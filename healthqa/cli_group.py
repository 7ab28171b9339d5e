"""The command group every healthqa command hangs from.

It gives every command, including ones added later, the global options (accepted before
or after the subcommand name) and one way to end on Ctrl-C: a message and exit status
130, never a traceback. A command needs no code of its own for either.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import click
from click.core import ParameterSource

from healthqa.cli_common import Context

INTERRUPTED = 130  # the shell's status for a process ended by SIGINT (128 + 2)


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if ctx.get_parameter_source(param.name or "") in (None, ParameterSource.DEFAULT):
            return  # not given here: the value given before the subcommand (or the setting) stands
        obj = ctx.ensure_object(Context)
        if name == "json":
            obj.json = bool(value)
        else:
            obj.set_option(name, value)
    return callback


def global_options() -> list[click.Option]:
    """Fresh copies of the global options (each command gets its own)."""
    return [
        click.Option(["--data-dir"], type=click.Path(file_okay=False), expose_value=False,
                     callback=_remember("data_dir"),
                     help="Where records and the index live [default: ./healthqa-data; env HEALTHQA_DATA]."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_remember("quiet"),
                     help="No progress bars, stage lines, skipped or warning lines "
                          "(summaries and errors still print)."),
        click.Option(["--color/--no-color"], default=None, expose_value=False, callback=_remember("color"),
                     help="Colour the output or not [default: on a terminal, unless NO_COLOR is set]."),
        click.Option(["--json", "json"], is_flag=True, expose_value=False, callback=_remember("json"),
                     help="Print data as JSON (shapes in the README)."),
    ]


_GIVEN: "weakref.WeakSet[click.Command]" = weakref.WeakSet()  # commands that have the global options


def with_global_options(command: click.Command) -> click.Command:
    """Add the global options to ``command`` (and to the commands of a group), once.

    An option the command already declares under the same flag is left to it.
    """
    if command not in _GIVEN:
        taken = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        names = {param.name for param in command.params}
        for option in global_options():
            if not taken & {*option.opts, *option.secondary_opts} and option.name not in names:
                command.params.append(option)
        _GIVEN.add(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_global_options(sub)
    return command


class HealthQAGroup(click.Group):
    """A ``click.Group`` that gives its commands the global options and a clean Ctrl-C."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(with_global_options(cmd), name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return with_global_options(command) if command is not None else None  # subcommands added later

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Context managers below have run: transactions rolled back, locks released.
            click.echo("\nstopped by Ctrl-C", err=True)
            ctx.exit(INTERRUPTED)
