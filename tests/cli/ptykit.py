"""Run ``healthqa`` as a person does in a terminal: stderr on a pseudo-terminal, Ctrl-C as SIGINT.

The child runs in a session of its own, and :meth:`PtyRun.interrupt` sends SIGINT to its
whole process group, as a terminal does on Ctrl-C (worker processes get it too). Tests
wait for what the child prints (:meth:`PtyRun.wait_for`), never for a time. A Ctrl-C that
must land in the middle of some work is sent where the child stopped to wait for it
(``pause_at``: :mod:`tests.robustness.killpoint`), so the work cannot end before it lands.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
from typing import Callable

from tests.robustness import killpoint

# Ctrl-C as in a terminal: the process running the tests may ignore SIGINT (pytest-xdist's
# workers do) and a child inherits that; a shell's foreground command does not ignore it.
HEALTHQA = [sys.executable, "-c", "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from healthqa.cli import main; main()"]
GUARD = 180.0  # seconds before a child that never prints what is awaited fails the test (a hang)


class PtyRun:
    """``healthqa ARGS`` with stderr on a pseudo-terminal 200 columns wide and stdout on a pipe
    (or on the terminal too, with ``stdout_on_terminal``). With ``pause_at=("module:Class.method",
    N)`` the child stops after the N-th call of that method until :meth:`interrupt`."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None, stdout_on_terminal: bool = False,
                 pause_at: tuple[str, int] | None = None):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        command = killpoint.command(*pause_at, *args, pause=True) if pause_at else [*HEALTHQA, *args]
        self.pause_at = pause_at
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=slave if stdout_on_terminal else subprocess.PIPE,
                                        stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self._master = master
        self._terminal = bytearray()
        self._stdout = b""
        self._closed = False
        self._changed = threading.Condition()
        self._readers = [threading.Thread(target=self._read_terminal, daemon=True),
                         threading.Thread(target=self._read_stdout, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_terminal(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: the child's end closed
                data = b""
            with self._changed:
                if not data:
                    self._closed = True
                    self._changed.notify_all()
                    return
                self._terminal += data
                self._changed.notify_all()

    def _read_stdout(self) -> None:
        if self.process.stdout is not None:
            self._stdout = self.process.stdout.read()

    @property
    def terminal(self) -> str:
        with self._changed:
            return self._terminal.decode("utf-8", "replace")

    def wait_for(self, seen: Callable[[str], bool], what: str) -> None:
        """Block until ``seen(terminal text so far)``; fail if the child ends or hangs first."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: seen(self._terminal.decode("utf-8", "replace")) or self._closed, GUARD)
            text = self._terminal.decode("utf-8", "replace")
        if not seen(text):
            raise AssertionError(f"the child never showed {what} ({'ended' if ok else 'hung'}):\n{text[-2000:]}")

    def wait_for_pause(self) -> None:
        """Block until the child waits at ``pause_at`` for a Ctrl-C."""
        self.wait_for(lambda text: killpoint.PAUSED in text, f"the pause after call {self.pause_at}")

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to every process of the child's group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def finish(self) -> tuple[int, str, str]:
        """Wait for the end: ``(exit status, stdout, terminal text)``."""
        try:
            code = self.process.wait(GUARD)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(f"the child did not end:\n{self.terminal[-2000:]}") from None
        for reader in self._readers:
            reader.join(GUARD)
        os.close(self._master)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code, self._stdout.decode("utf-8", "replace"), self.terminal


def bar_position(text: str, total: int) -> int:
    """The furthest ``N/total`` a click progress bar has shown in ``text`` (0 if none)."""
    return max((int(n) for n in re.findall(rf"\b(\d+)/{total}\b", text)), default=0)
