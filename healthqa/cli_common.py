"""What every command module shares: the context object and the error translation."""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any, Callable

import click

from healthqa import config
from healthqa.ingest.errors import HealthQAError
from healthqa.search.safe_json import json_safe
from healthqa.search.snippets import terminal_safe


class QueryCommand(click.Command):
    """A command whose argument is a query, which may start with '-' (``-smoking cancer``).

    Anything that is not one of the command's own options (or the value of one) is the
    argument, as if it followed ``--``: a query word is never read as an unknown option.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = {name: param for param in self.get_params(ctx) if isinstance(param, click.Option)
                   for name in (*param.opts, *param.secondary_opts)}
        known: list[str] = []
        rest: list[str] = []
        remaining = iter(args)
        for arg in remaining:
            if arg == "--":
                rest.extend(remaining)
                break
            option = options.get(arg.split("=", 1)[0]) if arg.startswith("-") else None
            if option is None:
                rest.append(arg)
                continue
            known.append(arg)
            if not (option.is_flag or option.count or "=" in arg):
                known.extend(itertools.islice(remaining, 1))  # the option's value, whatever it looks like
        return super().parse_args(ctx, [*known, "--", *rest])


class Context:
    """What every command shares: where the data lives."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir


# Options several commands share, declared once.

def wait_option(waiting_for: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--wait SECONDS``: how long to wait while ``waiting_for`` (another process) holds the lock."""
    return click.option("--wait", type=click.FloatRange(min=0), default=config.DEFAULT_WAIT, show_default=True,
                        help=f"Seconds to wait while {waiting_for}.")


def workers_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--workers N``: processes that do ``what`` in parallel."""
    return click.option("--workers", type=click.IntRange(1, 64), default=config.DEFAULT_WORKERS, show_default=True,
                        help=f"Processes that {what}.")


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into messages a person can act on, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HealthQAError as exc:
            # Messages quote ids, paths and reasons that may come from pages: no escape sequences.
            raise click.ClickException(terminal_safe(str(exc))) from None
        except BrokenPipeError:
            raise
        except OSError as exc:  # a fault the library did not foresee (an I/O error): a message, not a traceback
            where = f": {exc.filename}" if exc.filename else ""
            raise click.ClickException(terminal_safe(f"{exc.strerror or exc}{where}")) from None

    return wrapper


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON for output: non-ASCII text kept readable, page text never markup."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=indent))


def one_line(text: str) -> str:
    """Text from a page or a file name made safe for one line of terminal output."""
    return terminal_safe(text).replace("\t", " ").replace("\n", " ")
