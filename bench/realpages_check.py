"""Check the HTML parser against the hand-annotated real pages, and time it.

Usage::

    python bench/realpages_check.py [FOLDER] [--repeat N]

FOLDER defaults to ``../shared/data/realpages-dev`` beside the repository. For every
``*.html`` page with a ``*.gold.json`` beside it, prints:

- posts found (question post + answers) against posts annotated;
- authors matched: distinct annotated users whose user name equals an extracted
  author or asker, ignoring case. The annotation holds a profile link; its user name
  is the link's last path segment (``/user/kaypeeoh`` -> ``kaypeeoh``). Sites whose
  links carry a number or a script (MedHelp, MS Connection) are also matched on the
  name the page links there, read from the annotated text ("by link text");
- text overlap: mean over annotated posts of the best token F1 between the annotated
  post text and any extracted post text (question detail or answer).

Then the throughput over the whole folder, parsing every page ``--repeat`` times,
as wall-clock and as CPU time (the machine is shared; CPU time is steadier), and for
reference the rate of building the BeautifulSoup tree alone, which bounds the parser.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bs4 import BeautifulSoup  # noqa: E402

from healthqa.ingest.errors import RejectedInput  # noqa: E402
from healthqa.ingest.html import parse_html  # noqa: E402
from healthqa.ingest.html_prune import prune  # noqa: E402
from healthqa.ingest.record import QAPage  # noqa: E402

_TOKEN = re.compile(r"\w+")
_DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "realpages-dev"


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.casefold()))


def f1(gold: Counter, found: Counter) -> float:
    common = sum((gold & found).values())
    if not common:
        return 0.0
    precision, recall = common / sum(found.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def username(link: str) -> str:
    """``https://shift.ms/members/diaflash/`` -> ``diaflash``."""
    parts = [p for p in urlsplit(link).path.split("/") if p]
    return parts[-1] if parts else link


def linked_name(text: str, link: str, start: int) -> str | None:
    """The first non-empty link text pointing at ``link`` from ``start`` on, in the annotated text."""
    pattern = re.compile(r"\[\s*([^\]]+?)\s*\]\(" + re.escape(link) + r"\)")
    match = pattern.search(text, start, start + 400)
    return match.group(1) if match else None


def page_posts(page: QAPage) -> list[str]:
    return [page.detail or page.question] + [a.text for a in page.answers]


def check(page: QAPage, gold: dict) -> dict:
    posts = gold["gold_standard_annotation"]
    authors = {a.casefold() for a in [page.asked_by, *(x.author for x in page.answers)] if a}
    users = {}
    for post in posts:
        user = post.get("user") or {}
        link = user.get("surface_form") or ""
        shown = linked_name(gold.get("text", ""), link, user.get("start", 0)) if link else None
        users.setdefault(link, (username(link), shown))
    by_name = sum(1 for name, _ in users.values() if name.casefold() in authors)
    by_link = sum(1 for name, shown in users.values()
                  if name.casefold() in authors or (shown and shown.casefold() in authors))
    found = [tokens(t) for t in page_posts(page)]
    overlaps = [max((f1(tokens(p["post_text"]["surface_form"]), f) for f in found), default=0.0) for p in posts]
    return {
        "found": len(page_posts(page)),
        "annotated": len(posts),
        "users": len(users),
        "by_name": by_name,
        "by_link": by_link,
        "overlap": sum(overlaps) / len(overlaps) if overlaps else 0.0,
    }


def parse(path: Path) -> QAPage | RejectedInput:
    try:
        return parse_html(path.read_text(encoding="utf-8", errors="replace"), str(path))[0]
    except RejectedInput as error:
        return error


def report(folder: Path) -> None:
    totals = Counter()
    overlaps = []
    for path in sorted(folder.glob("*.html")):
        result = parse(path)
        gold_path = path.with_name(path.stem + ".gold.json")
        if isinstance(result, RejectedInput):
            print(f"{path.name}: rejected ({type(result).__name__}: {result.reason})")
            continue
        if not gold_path.exists():
            print(f"{path.name}: {len(page_posts(result))} posts, no gold ({result.format})")
            continue
        row = check(result, json.loads(gold_path.read_text(encoding="utf-8")))
        overlaps.append(row["overlap"])
        totals.update({k: v for k, v in row.items() if k != "overlap"})
        print(f"{path.name}: posts {row['found']}/{row['annotated']}, "
              f"authors {row['by_name']}/{row['users']} by user name, {row['by_link']}/{row['users']} by link text, "
              f"text F1 {row['overlap']:.3f} ({result.format})")
    if overlaps:
        print(f"ALL GOLD PAGES: posts {totals['found']}/{totals['annotated']}, "
              f"authors {totals['by_name']}/{totals['users']} by user name, "
              f"{totals['by_link']}/{totals['users']} by link text, "
              f"mean text F1 {sum(overlaps) / len(overlaps):.3f}")


def throughput(folder: Path, repeat: int) -> None:
    pages = [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in sorted(folder.glob("*.html"))]
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for origin, text in pages:
            try:
                parse_html(text, origin)
            except RejectedInput:
                pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    count = len(pages) * repeat
    print(f"throughput: {count} parses of {len(pages)} pages in {wall:.2f} s wall "
          f"= {count / wall:.1f} pages/s wall, {count / cpu:.1f} pages/s CPU")
    # The floor under the same load: building the bs4 tree alone, extraction left out.
    cpu = time.process_time()
    for _ in range(repeat):
        for _, text in pages:
            BeautifulSoup(prune(text), "lxml", multi_valued_attributes=None)
    print(f"reference: bs4 tree building alone = {count / (time.process_time() - cpu):.1f} pages/s CPU")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=_DEFAULT)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"no such folder: {args.folder}")
    report(args.folder)
    throughput(args.folder, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
