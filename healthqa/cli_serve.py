"""``healthqa serve``: the HTTP API and search page over the data directory."""

from __future__ import annotations

import os

import click

from healthqa.cli_common import Context


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (only this machine by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (each holds the index open).")
@click.pass_obj
def serve_command(obj: Context, host: str, port: int, workers: int) -> None:
    """Serve the JSON API (/v1, docs at /docs) and the search page (/).

    Workers pick up a new index after 'ingest', 'index' or 'reindex' without a
    restart. POST /v1/pages needs HEALTHQA_API_KEY; set HEALTHQA_READ_KEY to
    require a key for reading too.
    """
    from healthqa.serve.settings import ServeSettings
    from healthqa.serve.workers import serve

    # Every worker builds its app from the environment: the data directory goes there.
    os.environ["HEALTHQA_DATA"] = obj.data_dir
    try:
        ServeSettings.from_env()  # what the workers will read, checked once here
        serve(host, port, workers)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(str(exc.strerror or exc)) from None


def register(group: click.Group) -> None:
    group.add_command(serve_command)
