"""Which of the files found an ingest reads.

Two rules, both about files, never about a site's pages:

- Files that are plainly not pages, told by their name (a licence, a readme, a changelog)
  or by an extension no page has (images, archives, office documents, media, fonts), are
  *skipped*: listed with the reason, never counted as rejected.
- Files the user excludes (``--exclude GLOB`` or a ``.healthqaignore`` file in a folder
  given) are passed over without a word, as git passes over ignored files.

Patterns are shell globs matched like ``.gitignore`` lines: a pattern without ``/``
matches any file or folder name (``*.bak``, ``drafts``); one with ``/`` matches the
path from the folder given (``old/*.html``); a folder excluded excludes all below it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass
from typing import Iterable

from healthqa.ingest.errors import HealthQAError

IGNORE_FILE = ".healthqaignore"

# Documents that ship beside a corpus: LICENSE.txt, readme.md, CHANGES, NOTICE...
_PROJECT_FILE = re.compile(
    r"^(?:licen[cs]e|copying|readme|changelog|changes|authors|contributors|contributing|notice|"
    r"history|install|todo)(?:[-_.][\w.-]*)?$", re.I)

_NOT_PAGE_EXTENSIONS = {
    "an image": "png jpg jpeg gif webp bmp ico tif tiff svg heic avif psd",
    "an archive": "zip tar tgz tbz tbz2 bz2 xz txz 7z rar zst lz lzma cab iso jar whl",
    "an office document": "pdf doc docx odt xls xlsx ods ppt pptx odp epub rtf",
    "audio or video": "mp3 mp4 m4a wav ogg oga flac avi mov mkv webm",
    "a font": "woff woff2 ttf otf eot",
    "a program or library": "exe dll so dylib o a pyc class bin",
    "a database": "sqlite sqlite3 db",
    "a stylesheet or script": "css js map",
}
_KIND_BY_EXTENSION = {ext: kind for kind, exts in _NOT_PAGE_EXTENSIONS.items() for ext in exts.split()}


def not_a_page(path: str) -> str | None:
    """Why the file at ``path`` is plainly not a page, or ``None`` when it may be one.

    >>> not_a_page("medquad/LICENSE.txt"), not_a_page("scans/x-ray.PNG"), not_a_page("thread-12.html")
    ('a licence or readme', 'an image', None)
    """
    name = os.path.basename(path)
    if _PROJECT_FILE.match(name):
        return "a licence or readme"
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return _KIND_BY_EXTENSION.get(extension)


@dataclass(frozen=True)
class Exclusions:
    """Glob patterns of files and folders not to read, each tied to the folder it is relative to."""

    patterns: tuple[tuple[str, str], ...] = ()  # (folder, pattern)

    @classmethod
    def build(cls, roots: Iterable[str], patterns: Iterable[str] = ()) -> "Exclusions":
        """``--exclude`` patterns apply under every folder given; a ``.healthqaignore`` in a folder
        given applies under that folder."""
        folders = [os.path.abspath(r) for r in roots if os.path.isdir(r)]
        found = [(folder, p) for folder in folders for p in patterns]
        for folder in folders:
            found += [(folder, p) for p in read_ignore_file(os.path.join(folder, IGNORE_FILE))]
        return cls(tuple(found))

    def excludes(self, path: str) -> bool:
        """Whether ``path`` (absolute) is excluded."""
        for folder, pattern in self.patterns:
            relative = os.path.relpath(path, folder)
            if relative.startswith(os.pardir):
                continue
            if _matches(relative.split(os.sep), pattern):
                return True
        return False


def _matches(parts: list[str], pattern: str) -> bool:
    anchored = "/" in pattern.rstrip("/")  # "old/*.html", "/top.html": from the folder given
    pattern = pattern.strip("/")
    if anchored:
        return any(fnmatch.fnmatchcase("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1))
    return any(fnmatch.fnmatchcase(part, pattern) for part in parts)


def read_ignore_file(path: str) -> list[str]:
    """The patterns of an ignore file: one a line, blank lines and ``#`` comments left out."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:  # reading the folder anyway would ingest what the user meant to leave out
        raise HealthQAError(f"cannot read {path}: {exc.strerror or exc}") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
