"""The ``healthqa`` command: a thin shell that parses options and calls the library.

Domain errors (:class:`ingest.errors.HealthQAError`) become one-line messages and
exit status 1; usage errors exit 2 (click's rule).
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from healthqa import __version__, config
from ingest.errors import HealthQAError


class Context:
    """What every command shares: where the data lives."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into messages a person can act on, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HealthQAError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": config.ENV_PREFIX})
@click.option("--data-dir", "data_dir", envvar="HEALTHQA_DATA", type=click.Path(file_okay=False),
              default=None, help=f"Where records and the index live [default: {config.DEFAULT_DATA_DIR}; env HEALTHQA_DATA].")
@click.version_option(__version__, prog_name="healthqa")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """Ingest scraped health Q&A pages, search them, and suggest related questions."""
    ctx.obj = Context(config.data_dir(data_dir))


def _register() -> None:
    from healthqa import cli_ingest, cli_search

    cli_ingest.register(cli)
    cli_search.register(cli)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="healthqa")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
