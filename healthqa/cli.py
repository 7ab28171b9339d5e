"""The ``healthqa`` command: a thin shell that parses options and calls the library.

Domain errors (:class:`healthqa.ingest.errors.HealthQAError`) become one-line messages and
exit status 1; usage errors exit 2 (click's rule).
"""

from __future__ import annotations

import click

from healthqa import __version__, cli_analyze, cli_ingest, cli_related, cli_search, config
from healthqa.cli_common import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": config.ENV_PREFIX})
@click.option("--data-dir", "data_dir", envvar="HEALTHQA_DATA", type=click.Path(file_okay=False),
              default=None, help=f"Where records and the index live [default: {config.DEFAULT_DATA_DIR}; env HEALTHQA_DATA].")
@click.version_option(__version__, prog_name="healthqa")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """Ingest scraped health Q&A pages, search them, and suggest related questions."""
    ctx.obj = Context(config.data_dir(data_dir))


cli_ingest.register(cli)
cli_search.register(cli)
cli_related.register(cli)
cli_analyze.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="healthqa")
