"""Expanding the paths given to ``ingest`` into the files to read."""

from __future__ import annotations

import os
import pathlib

from healthqa.ingest.walk import Entry, iter_entries


def tree(root: pathlib.Path, *files: str) -> pathlib.Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    return root


def walk(*paths: pathlib.Path, **options) -> list[Entry]:
    return list(iter_entries([str(p) for p in paths], **options))


def test_folders_are_walked_in_a_stable_order_hidden_entries_passed_over(tmp_path: pathlib.Path) -> None:
    root = tree(tmp_path / "pages", "b.txt", "a/z.txt", "a/b/c.html", ".git/config", "a/.hidden.txt", "c.xml")
    assert [os.path.relpath(e.path, root) for e in walk(root)] == ["b.txt", "c.xml", "a/z.txt", "a/b/c.html"]


def test_a_missing_path_is_reported_and_the_data_directory_passed_over(tmp_path: pathlib.Path) -> None:
    root = tree(tmp_path / "pages", "page.txt", "data/store.sqlite")
    found = walk(root, tmp_path / "typo.txt", root / "data" / "store.sqlite", exclude=[str(root / "data")])
    assert found == [Entry(str(root / "page.txt")), Entry(str(tmp_path / "typo.txt"), "no such file or folder"),
                     Entry(str(root / "data" / "store.sqlite"), "inside the healthqa data directory, not read",
                           skipped=True)]


def test_links_outside_the_folders_given_are_followed_only_when_asked(tmp_path: pathlib.Path) -> None:
    outside = tree(tmp_path / "outside", "secret.txt")
    root = tree(tmp_path / "pages", "page.txt")
    os.symlink(outside / "secret.txt", root / "link.txt")
    os.symlink(outside, root / "folder-link")
    os.symlink(root / "gone.txt", root / "broken.txt")
    found = {os.path.basename(e.path): (e.problem, e.skipped) for e in walk(root)}
    assert found == {
        "broken.txt": ("broken symbolic link", False),
        "folder-link": ("symbolic link to a folder outside the given folders, not followed (use --follow-links)", True),
        "link.txt": ("symbolic link to a file outside the given folders, not followed (use --follow-links)", True),
        "page.txt": (None, False)}
    followed = {os.path.relpath(e.path, root) for e in walk(root, follow_links=True) if e.problem is None}
    assert followed == {"page.txt", "link.txt", "folder-link/secret.txt"}


def test_a_name_that_is_not_utf8_is_skipped_with_a_reason(tmp_path: pathlib.Path) -> None:
    root = tree(tmp_path / "pages", "page.txt")
    (root / os.fsdecode(b"caf\xe9.txt")).write_text("x", encoding="utf-8")
    problems = [(e.problem, e.skipped) for e in walk(root) if e.problem]
    assert problems == [("name is not valid UTF-8, not read (rename it)", True)]
