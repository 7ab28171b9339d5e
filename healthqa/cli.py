"""The ``healthqa`` command: a thin shell that parses options and calls the library.

Domain errors (:class:`healthqa.ingest.errors.HealthQAError`) become one-line messages and
exit status 1; usage errors exit 2 (click's rule); Ctrl-C exits 130 with a message.
Global options and settings come from :mod:`healthqa.cli_group` and :mod:`healthqa.config`.
"""

from __future__ import annotations

import click

from healthqa import __version__, cli_analyze, cli_cluster, cli_config, cli_ingest, cli_related, cli_search, cli_serve
from healthqa.cli_common import Context
from healthqa.cli_group import HealthQAGroup, with_global_options


@click.group(cls=HealthQAGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="healthqa")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Ingest scraped health Q&A pages, search them, and suggest related questions.

    Global options (--data-dir, --quiet, --color/--no-color, --json) may come before or
    after the command name. Settings: see 'healthqa config'.
    """
    ctx.ensure_object(Context)


with_global_options(cli)
cli_ingest.register(cli)
cli_search.register(cli)
cli_related.register(cli)
cli_config.register(cli)
cli_serve.register(cli)
cli_analyze.register(cli)
cli_cluster.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="healthqa")
