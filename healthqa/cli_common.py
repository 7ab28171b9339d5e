"""What every command module shares: the context object, settings as option defaults,
and the error translation."""

from __future__ import annotations

import functools
import itertools
import json
import re
import sys
from typing import IO, Any, Callable

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


class ConfigProblem(click.ClickException):
    """A setting in ``healthqa.toml`` or a ``HEALTHQA_*`` variable is wrong: a usage error."""

    exit_code = 2


class Context:
    """What every command shares: the global options given and the settings in force.

    Global options (``--data-dir``, ``--quiet``, ``--color``, ``--json``) may come before or
    after the subcommand; each sets its value here, and the settings are resolved (file,
    environment, options) when first read.
    """

    def __init__(self, data_dir: str | None = None):
        self.options: dict[str, Any] = {"data_dir": data_dir}
        self.json = False
        self._config: config.Config | None = None

    def set_option(self, name: str, value: Any) -> None:
        self.options[name] = value
        self._config = None  # a --data-dir after the subcommand may name another healthqa.toml

    @property
    def config(self) -> config.Config:
        if self._config is None:
            try:
                self._config = config.load(self.options)
            except config.ConfigError as exc:
                raise ConfigProblem(terminal_safe(str(exc))) from None
        return self._config

    @property
    def data_dir(self) -> str:
        return self.config.get("data_dir")

    @property
    def quiet(self) -> bool:
        return self.config.get("quiet")

    @property
    def progress(self) -> bool:
        """Whether progress bars and stage lines are shown: on a terminal, unless --quiet."""
        return not self.quiet and sys.stderr.isatty()

    def color(self, stream: IO[str] | None = None) -> bool:
        """Whether output to ``stream`` (stdout) is coloured: --color/--no-color, NO_COLOR, or a terminal."""
        mode = self.config.get("color")
        if mode != "auto":
            return mode == "always"
        return (stream or sys.stdout).isatty()


def setting_option(name: str, *decls: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``click.option`` whose default is the setting ``name`` in force (code, healthqa.toml, HEALTHQA_*)."""
    setting = config.SETTINGS[name]

    def default() -> Any:
        context = click.get_current_context(silent=True)
        obj = context.find_object(Context) if context else None
        return (obj or Context()).config.get(name)

    show = f"{setting.default}, or {setting.env_var}; see 'healthqa config'"
    return click.option(*decls, default=default, show_default=show, **kwargs)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``"1 file"``, ``"2 files"``, ``"0 files"``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


# Options several commands share, declared once.

# Their defaults are the settings in force (healthqa.toml, HEALTHQA_WAIT, HEALTHQA_WORKERS).

def wait_option(waiting_for: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--wait SECONDS``: how long to wait while ``waiting_for`` (another process) holds the lock."""
    return setting_option("wait", "--wait", type=click.FloatRange(min=0), help=f"Seconds to wait while {waiting_for}.")


def workers_option(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--workers N``: processes that do ``what`` in parallel."""
    return setting_option("workers", "--workers", type=click.IntRange(1, 64), help=f"Processes that {what}.")


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
