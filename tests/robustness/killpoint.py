"""Run the ``healthqa`` command line and SIGKILL it at a chosen point, not on a timer.

    python killpoint.py MODULE:ATTRIBUTE N -- HEALTHQA ARGUMENTS...
    python killpoint.py --pause MODULE:ATTRIBUTE N -- HEALTHQA ARGUMENTS...

The N-th call of ``MODULE:ATTRIBUTE`` (a function or a method, e.g.
``healthqa.ingest.store:Store.put``) kills the process with SIGKILL before it runs: no
clean-up code runs, as when the machine loses power there. Where the kill lands is the same
on every run however busy the machine is, so the crash tests in CI cannot flake;
``bench/faults.py`` kills at random moments instead.

With ``--pause`` the N-th call runs, then the process prints :data:`PAUSED` on stderr and
waits for a SIGINT (a Ctrl-C from the test), which it then handles as it would have at
that moment: a Ctrl-C test interrupts the command at the same point on every run, instead
of racing it (a busy machine let the command finish before the Ctrl-C landed).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
from typing import Any, Callable

PAUSED = "[paused for Ctrl-C]"


def _wait_for_ctrl_c() -> None:
    """Say so on stderr, wait for SIGINT, then run the handler that was in force for it."""
    received: list[object] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(frame))
    try:
        sys.stderr.write(f"\n{PAUSED}\n")
        sys.stderr.flush()
        while not received:
            # Looked at again after each wake-up: a SIGINT taken by another thread of the
            # process runs its handler here within the interval, never lost.
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
    if callable(previous):
        previous(signal.SIGINT, received[0])
    elif previous == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)


def arm(target: str, call: int, pause: bool = False) -> None:
    """Make the ``call``-th call of ``target`` (``module:Class.method``) kill this process
    (or, with ``pause``, return and then wait for a Ctrl-C)."""
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
        if calls == call and not pause:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls == call:
            _wait_for_ctrl_c()
        return result

    setattr(owner, name, killing)


def command(target: str, call: int, *healthqa_args: str, pause: bool = False) -> list[str]:
    """The command line that runs ``healthqa HEALTHQA_ARGS`` and kills it at ``target``'s ``call``-th call
    (with ``pause``: waits there for a Ctrl-C)."""
    return [sys.executable, os.path.abspath(__file__), *(["--pause"] if pause else []), target, str(call), "--",
            *healthqa_args]


def main(argv: list[str]) -> None:
    pause = argv[:1] == ["--pause"]
    target, call, separator, *args = argv[1:] if pause else argv
    assert separator == "--", "usage: killpoint.py [--pause] MODULE:ATTRIBUTE N -- HEALTHQA ARGUMENTS..."
    if pause:  # waits for a Ctrl-C: taken as a terminal's command takes it, even if our parent ignores it
        signal.signal(signal.SIGINT, signal.default_int_handler)
    arm(target, int(call), pause)
    from healthqa.cli import cli

    cli.main(args, prog_name="healthqa")


if __name__ == "__main__":
    main(sys.argv[1:])
