"""Ctrl-C that stops long work at its next safe point instead of tearing it down.

Inside :func:`first_interrupt_stops` a first SIGINT only sets a flag, which the library
checks between files and commits at a batch boundary; a second SIGINT raises
``KeyboardInterrupt`` as usual (the command group turns it into a message and exit 130).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

import click


class StopRequest:
    """A callable flag: true once a stop was asked for (pass it to the library as ``stop``)."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested


@contextlib.contextmanager
def first_interrupt_stops(message: str) -> Iterator[StopRequest]:
    """Within the block, the first Ctrl-C sets the flag yielded and prints ``message``."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request  # signals reach the main thread only
        return

    def handler(signum: int, frame: object) -> None:
        if request.requested:
            raise KeyboardInterrupt
        request.requested = True
        click.echo(f"\n{message}", err=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
