"""Run the ``healthqa`` command line and SIGKILL it at a chosen point, not on a timer.

    python killpoint.py MODULE:ATTRIBUTE N -- HEALTHQA ARGUMENTS...

The N-th call of ``MODULE:ATTRIBUTE`` (a function or a method, e.g.
``healthqa.ingest.store:Store.put``) kills the process with SIGKILL before it runs: no
clean-up code runs, as when the machine loses power there. Where the kill lands is the same
on every run however busy the machine is, so the crash tests in CI cannot flake;
``bench/faults.py`` kills at random moments instead.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, Callable


def arm(target: str, call: int) -> None:
    """Make the ``call``-th call of ``target`` (``module:Class.method``) kill this process."""
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original: Callable[..., Any] = getattr(owner, name)
    calls = 0

    def killing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, name, killing)


def command(target: str, call: int, *healthqa_args: str) -> list[str]:
    """The command line that runs ``healthqa HEALTHQA_ARGS`` and kills it at ``target``'s ``call``-th call."""
    return [sys.executable, os.path.abspath(__file__), target, str(call), "--", *healthqa_args]


def main(argv: list[str]) -> None:
    target, call, separator, *args = argv
    assert separator == "--", "usage: killpoint.py MODULE:ATTRIBUTE N -- HEALTHQA ARGUMENTS..."
    arm(target, int(call))
    from healthqa.cli import cli

    cli.main(args, prog_name="healthqa")


if __name__ == "__main__":
    main(sys.argv[1:])
