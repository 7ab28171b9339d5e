"""Thread extraction scored per forum engine, on gold forum pages (harvest corpus format).

Usage::

    .venv/bin/python bench/threads.py [FOLDER ...] [-v] [--repeat N]

FOLDER defaults to ``../shared/data/forums-dev`` and ``../shared/data/realpages-dev``.
Scoring follows ``../shared/tools/score-threads`` (posts matched one-to-one by token
F1 >= 0.5 on lowercased whitespace tokens; authors matched on the user name or when the
gold profile URL names it), but runs the parser in-process so a change's effect shows in
seconds. Pages are grouped by the engine the page itself names (its generator meta tag
or a "Powered by" footer): that guess lives here, never in ``ingest/``. Also prints
how each page was read (method) and the parse rate.

Authors are given three ways: as this bench matches them, also matching a display name to a
profile link that writes it as a slug, and as ``score-threads`` counts them (its export gives
no author for the first post, and no display name can match a numeric profile link).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from healthqa.ingest.errors import RejectedInput  # noqa: E402
from healthqa.ingest.html import parse_html  # noqa: E402

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
_DEFAULT = [_SHARED / "forums-dev", _SHARED / "realpages-dev"]
_ENGINES = ["xenforo", "phpbb", "vbulletin", "vanilla", "invision", "discourse", "insided", "smf", "simple machines",
            "fluxbb", "woltlab", "burning board", "mybb", "phorum", "bbpress", "kentico", "punbb", "wordpress",
            "next.js", "drupal"]
_GENERATOR = re.compile(r'<meta[^>]+name=["\']generator["\'][^>]+content=["\']([^"\']+)', re.I)
_POWERED = re.compile(r"powered\s+by[^<]{0,40}?(?:<[^>]+>[^<]{0,5})*([A-Za-z][\w. ]{2,30})", re.I)


def engine_of(html: str) -> str:
    """The forum engine the page names, or "other"."""
    named = " ".join(_GENERATOR.findall(html) + _POWERED.findall(html[-60000:])).lower()
    for engine in _ENGINES:
        if engine in named:
            return {"simple machines": "smf", "burning board": "woltlab"}.get(engine, engine)
    lowered = html.lower()
    for engine, hint in (("xenforo", "xenforo"), ("discourse", "discourse"), ("invision", "ipsconnect"),
                         ("vbulletin", "vbulletin"), ("phpbb", "phpbb"), ("vanilla", "vanilla"),
                         ("insided", "insided"), ("next.js", "__next_data__")):
        if hint in lowered:
            return engine
    return "other"


def tokens(text: str) -> list[str]:
    return text.lower().split()


def token_f1(gold: list[str], found: list[str]) -> float:
    from collections import Counter
    common = sum((Counter(gold) & Counter(found)).values())
    if not common:
        return 0.0
    p, r = common / len(found), common / len(gold)
    return 2 * p * r / (p + r)


def match(gold: list[dict], found: list[dict]) -> list[tuple[int, int]]:
    gt = [tokens(g["text"]) for g in gold]
    ft = [tokens(f["text"]) for f in found]
    pairs = sorted(((token_f1(g, f), i, j) for i, g in enumerate(gt) for j, f in enumerate(ft) if g and f),
                   key=lambda t: (-t[0], t[1], t[2]))
    used_g, used_f, out = set(), set(), []
    for score, i, j in pairs:
        if score >= 0.5 and i not in used_g and j not in used_f:
            used_g.add(i), used_f.add(j), out.append((i, j))
    return out


def author_ok(gold: str, found: str | None) -> bool:
    if not found:
        return False
    g, e = " ".join(gold.split()).lower(), " ".join(found.split()).lower()
    if g == e:
        return True
    urlish = gold.startswith("http") or any(c in gold for c in "/?=")
    return urlish and len(e) >= 2 and re.search(r"(?<!\w)" + re.escape(e) + r"(?!\w)", unquote(gold).lower()) is not None


def slug_ok(gold: str, found: str | None) -> bool:
    """The display name written as a profile address writes it ("Baal Netbeck" -> "baal-netbeck")."""
    if not found:
        return False
    slug = re.sub(r"[^\w]+", "-", found.strip().lower()).strip("-")
    return author_ok(gold, found) or (len(slug) >= 2 and re.search(
        r"(?<![\w-])" + re.escape(slug) + r"(?![\w-])", unquote(gold).lower()) is not None)


def load(folder: Path) -> list[tuple[str, str, list[dict]]]:
    pages = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        name = path.name.removesuffix(".json").removesuffix(".gold")
        html = data.get("html")
        if html is None and (folder / f"{name}.html").exists():
            html = (folder / f"{name}.html").read_text(errors="replace")
        if html is None or "gold_standard_annotation" not in data:
            continue
        gold = [{"text": (a.get("post_text") or {}).get("surface_form") or "",
                 "user": (a.get("user") or {}).get("surface_form") or ""} for a in data["gold_standard_annotation"]]
        pages.append((name, html, gold))
    return pages


def extract(name: str, html: str) -> tuple[list[dict], str]:
    try:
        page = parse_html(html, name)[0]
    except RejectedInput as exc:
        return [], f"rejected: {exc.reason}"
    posts = [{"text": page.detail or page.question, "user": page.asked_by}]
    posts += [{"text": a.text, "user": a.author} for a in page.answers]
    return posts, page.method or page.format


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, default=_DEFAULT)
    parser.add_argument("-v", action="store_true", help="one line per page")
    parser.add_argument("--repeat", type=int, default=3, help="parses of every page for the rate")
    args = parser.parse_args(argv)
    # pages, gold, found, matched, authors, with-user, rejected, authors by slug, replies with user, their authors
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * 10)
    pages = [page for folder in args.folders for page in load(folder)]
    for name, html, gold in pages:
        found, how = extract(name, html)
        pairs = match(gold, found)
        with_user = [(i, j) for i, j in pairs if gold[i]["user"]]
        authors = sum(author_ok(gold[i]["user"], found[j]["user"]) for i, j in with_user)
        slugs = sum(slug_ok(gold[i]["user"], found[j]["user"]) for i, j in with_user)
        replies = [(i, j) for i, j in with_user if j > 0]  # the thread scorer exports no author for the first post
        reply_authors = sum(author_ok(gold[i]["user"], found[j]["user"]) for i, j in replies)
        engine = engine_of(html)
        for key in (engine, "ALL"):
            t = totals[key]
            for k, v in enumerate((1, len(gold), len(found), len(pairs), authors, len(with_user), not found, slugs,
                                   len(with_user), reply_authors)):
                t[k] += v
        if args.v:
            print(f"{name[:60]:60} {engine:10} {len(gold):3} {len(found):3} {len(pairs):3} "
                  f"authors {authors}/{len(with_user)}  {how}")
    print(f"{'engine':12} {'pages':>5} {'gold':>5} {'found':>5} {'P':>6} {'R':>6} {'F1':>6} {'authors':>8} {'rejected':>8}"
          f" {'by slug':>8} {'scorer':>7}")
    for engine in sorted(totals, key=lambda e: (e == "ALL", e)):
        n, gold, found, matched, authors, with_user, rejected, slugs, _, reply_authors = totals[engine]
        p = matched / found if found else 0.0
        r = matched / gold if gold else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        a = authors / with_user if with_user else 0.0
        by_slug = slugs / with_user if with_user else 0.0
        scorer = reply_authors / with_user if with_user else 0.0
        print(f"{engine:12} {n:5} {gold:5} {found:5} {p:6.3f} {r:6.3f} {f:6.3f} {a:8.3f} {rejected:8} {by_slug:8.3f} {scorer:7.3f}")
    print("authors: matched posts whose author is the gold user or named by its profile link; by slug: also"
          " when the link writes the name as a slug; scorer: as score-threads counts (no author for first posts)")
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        for name, html, _gold in pages:
            extract(name, html)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = args.repeat * len(pages)
    print(f"parse rate: {count} parses in {wall:.1f} s = {count / wall:.1f} pages/s wall, {count / cpu:.1f} pages/s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
