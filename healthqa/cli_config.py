"""``healthqa config``: the settings in force and where each came from."""

from __future__ import annotations

import click

from healthqa import config
from healthqa.cli_common import Context, domain_errors, json_text, one_line


@click.command("config")
@click.pass_obj
@domain_errors
def config_command(obj: Context) -> None:
    """Print every setting in force and where it came from.

    Sources, later ones winning: the default, healthqa.toml in the data directory,
    a HEALTHQA_* environment variable, a command-line option.
    """
    settings = obj.config
    if obj.json:
        click.echo(json_text({name: {"value": value.value, "source": value.source}
                              for name, value in settings.values.items()}))
        return
    width = max(map(len, config.SETTINGS))
    for name, value in settings.values.items():
        click.echo(f"{name:<{width}}  {one_line(str(value.value)):<16}  {one_line(value.source)}")


def register(group: click.Group) -> None:
    group.add_command(config_command)
