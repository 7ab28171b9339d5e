"""Every command and subcommand explains itself: help text, and ``--help`` that works."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from healthqa.cli import cli


def walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    """``(argv path, command)`` for the group and every command below it."""
    found = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.extend(walk(command, path + (name,)))
        else:
            found.append((path + (name,), command))
    return found


COMMANDS = walk(cli)


def test_the_walk_finds_the_ingest_commands() -> None:
    paths = {path for path, _ in COMMANDS}
    assert {(), ("ingest",), ("records",), ("records", "list"), ("records", "show"),
            ("records", "export"), ("records", "rejects")} <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "healthqa" for p, _ in COMMANDS])
def test_command_has_help_text_and_help_exits_0(path: tuple[str, ...], command: click.Command) -> None:
    assert (command.help or "").strip(), f"healthqa {' '.join(path)} has no help text"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    first_line = command.help.strip().splitlines()[0]
    assert " ".join(first_line.split()) in " ".join(result.stdout.split())  # click rewraps lines
