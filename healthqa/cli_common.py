"""What every command module shares: the context object and the error translation."""

from __future__ import annotations

import functools
from typing import Any, Callable

import click

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
