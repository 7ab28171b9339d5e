"""Faults of the machine staged for real: a full disk (a small tmpfs) and a read-only folder."""

from __future__ import annotations

import contextlib
import os
import pathlib
import subprocess
from typing import Callable, Iterator


class Unavailable(Exception):
    """This machine cannot stage the fault (not root, no mount, or root's rights bypass it)."""


def _can_write(folder: pathlib.Path) -> bool:
    probe = folder / f".probe-{os.getpid()}"
    try:
        probe.write_bytes(b"x")
    except OSError:
        return False
    probe.unlink()
    return True


@contextlib.contextmanager
def small_disk(folder: pathlib.Path, size: str) -> Iterator[Callable[[str], None]]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only): a real "No space left on device".

    Yields a function that resizes it (``"64m"``): the way back, freeing space.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        raise Unavailable("a small disk needs a tmpfs mount, which needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode:
        raise Unavailable(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")

    def resize(new_size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new_size}", str(folder)], check=True, capture_output=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@contextlib.contextmanager
def read_only(folder: pathlib.Path) -> Iterator[None]:
    """``folder`` read-only for this process: a read-only bind mount as root, ``chmod`` otherwise."""
    if os.geteuid() == 0:
        bound = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
        if bound.returncode:
            raise Unavailable(f"root ignores file modes and cannot bind-mount here: {bound.stderr.decode().strip()}")
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True, capture_output=True)
            if _can_write(folder):
                raise Unavailable("the read-only mount still takes writes")
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        return
    mode = folder.stat().st_mode
    folder.chmod(0o555)
    try:
        if _can_write(folder):
            raise Unavailable("chmod does not stop writes here")
        yield
    finally:
        folder.chmod(mode)
