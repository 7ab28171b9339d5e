"""Writing a file so that readers see the old version or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator


@contextlib.contextmanager
def replacing(path: str, suffix: str = "") -> Iterator[str]:
    """A temporary path beside ``path`` to write; renamed over ``path`` when the block ends,
    removed if anything fails. ``suffix`` ends the temporary name (e.g. ``.npz`` for numpy).

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "meta.json"
    >>> with replacing(str(target)) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("{}")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('{}', ['meta.json'])
    """
    tmp = f"{path}.{os.getpid()}.tmp{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
