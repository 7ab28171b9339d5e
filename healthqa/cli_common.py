"""What every command module shares: the context object and the error translation."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

import click

from healthqa import config
from healthqa.ingest.errors import HealthQAError
from healthqa.search.snippets import terminal_safe


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


# Characters that JSON may carry raw but a reader of the output must not get raw: C1 controls
# and line separators (terminals, JavaScript), <, >, & (an HTML page that inlines the JSON),
# and lone surrogates (a query typed in bytes that are not UTF-8), which cannot even be printed.
# Outside strings JSON has none of them, so replacing them in the text changes no value.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029<>&\ud800-\udfff]")


def json_safe(text: str) -> str:
    r"""JSON text with the characters above written as ``\uXXXX`` escapes: the same data.

    >>> json_safe('{"q": "<b>\x9b"}')
    '{"q": "\\u003cb\\u003e\\u009b"}'
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON for output: non-ASCII text kept readable, page text never markup."""
    return json_safe(json.dumps(data, ensure_ascii=False, indent=indent))


def one_line(text: str) -> str:
    """Text from a page or a file name made safe for one line of terminal output."""
    return terminal_safe(text).replace("\t", " ").replace("\n", " ")
