"""Progress on a terminal: click's bar with a known length, rate and ETA, and stage lines.

The ETA is the work left at the average rate since the start; click's own ETA averages its
first steps, which on a pool that takes seconds to deliver its first results says hours.

Shown only when stderr is a terminal and --quiet is not given; otherwise every call here
does nothing, so a command reports the same way in both cases and prints its one-line
summary itself.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click


class Progress:
    """A bar for one stage of work; ``start(total)`` once the amount is known, then ``advance``.

    >>> with Progress(show=False, label="ingesting", unit="files") as bar:
    ...     bar.start(3); bar.advance(); bar.advance(2)
    """

    def __init__(self, show: bool, label: str, unit: str):
        self.show = show
        self.label = label
        self.unit = unit
        self.done = 0
        self._bar: Any = None
        self._started = time.monotonic()
        self._total = 0

    def start(self, total: int) -> None:
        if not self.show or self._bar is not None:
            return
        self._started = time.monotonic()
        self._total = max(total, 0)
        self._bar = click.progressbar(length=self._total, label=self.label, file=sys.stderr, show_pos=True,
                                      show_percent=True, show_eta=False, item_show_func=lambda rate: rate)
        self._bar.__enter__()

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self._bar is not None:
            self._bar.update(steps, self._rate())

    def reach(self, done: int) -> None:
        """Set the count done so far (for work that reports totals, not steps)."""
        if done > self.done:
            self.advance(done - self.done)

    def _rate(self) -> str:
        seconds = time.monotonic() - self._started
        if seconds <= 0 or not self.done:
            return ""
        rate = self.done / seconds
        left = max(self._total - self.done, 0) / rate
        return f"{rate:,.0f} {self.unit}/s  eta {int(left) // 60}:{int(left) % 60:02d}"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stage(show: bool, text: str) -> None:
    """A line saying which stage a long command has reached (``indexing 4,512 records``)."""
    if show:
        click.echo(text, err=True)
