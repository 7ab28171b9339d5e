"""Expand the paths given to ``ingest`` into the files to read.

Folders are walked recursively in a stable order. Symbolic links are followed only
when they stay inside the folders given (or ``follow_links`` is set); loops and
broken links are reported, never followed forever. Hidden entries (``.git``) are
passed over, and so is the healthqa data directory when it sits inside a folder given
(``healthqa ingest .`` must not read its own store and index as pages).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass(frozen=True)
class Entry:
    """A file to read, or (with ``problem`` set) a path that cannot be read and why."""

    path: str
    problem: str | None = None
    skipped: bool = False  # a deliberate skip (a link not followed), not a bad input


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def iter_entries(paths: Iterable[str], follow_links: bool = False, exclude: Iterable[str] = ()) -> Iterator[Entry]:
    """Every file under ``paths`` as an :class:`Entry`, absolute, in sorted order.

    Folders in ``exclude`` (the data directory) are passed over; a path given inside one
    is skipped with a reason.
    """
    paths = [os.path.abspath(p) for p in paths]
    roots = [os.path.realpath(p) for p in paths]
    excluded = [os.path.realpath(p) for p in exclude]
    for path in paths:
        if not _utf8(path):
            yield Entry(path, _NOT_UTF8, skipped=True)
        elif _inside(os.path.realpath(path), excluded):
            yield Entry(path, "inside the healthqa data directory, not read", skipped=True)
        elif os.path.isdir(path):
            yield from _walk(path, roots, follow_links, excluded)
        elif os.path.lexists(path):
            yield _file_entry(path, roots, follow_links=True)
        else:
            yield Entry(path, "no such file or folder")


def _walk(top: str, roots: list[str], follow_links: bool, excluded: list[str]) -> Iterator[Entry]:
    seen: set[str] = set()
    stack = [top]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            yield Entry(folder, "symbolic link loop: folder already visited", skipped=True)
            continue
        seen.add(real)
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            yield Entry(folder, f"cannot list folder: {exc.strerror}")
            continue
        subfolders = []
        for name in names:
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            if not _utf8(name):
                yield Entry(path, _NOT_UTF8, skipped=True)
            elif os.path.isdir(path):
                if _inside(os.path.realpath(path), excluded):
                    continue
                problem = _link_problem(path, roots, follow_links, "folder")
                if problem:
                    yield Entry(path, problem, skipped=True)
                else:
                    subfolders.append(path)
            else:
                yield _file_entry(path, roots, follow_links)
        stack.extend(reversed(subfolders))


def _link_problem(path: str, roots: list[str], follow_links: bool, what: str) -> str | None:
    if not os.path.islink(path) or follow_links or _inside(os.path.realpath(path), roots):
        return None
    return f"symbolic link to a {what} outside the given folders, not followed (use --follow-links)"


def _file_entry(path: str, roots: list[str], follow_links: bool) -> Entry:
    if os.path.islink(path):
        try:
            os.stat(path)
        except OSError as exc:
            reason = "symbolic link loop" if exc.errno == 40 else "broken symbolic link"
            return Entry(path, reason)
        problem = _link_problem(path, roots, follow_links, "file")
        if problem:
            return Entry(path, problem, skipped=True)
    if not os.path.isfile(path):
        return Entry(path, "not a regular file", skipped=True)
    return Entry(path)


# The store keeps paths as text: a name with bytes that are not UTF-8 cannot be kept.
_NOT_UTF8 = "name is not valid UTF-8, not read (rename it)"


def _utf8(path: str) -> bool:
    """Whether the name can be kept in the store (undecodable bytes come back as lone surrogates)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
