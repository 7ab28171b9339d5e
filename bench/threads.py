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

Authors are given four ways: as this bench matches them, also matching a display name to a
profile link that writes it as a slug, as ``score-threads`` counts them (its export gives
no author for the first post, and no display name can match a numeric profile link), and
"shown": a gold profile link is looked up among the page's own links and the name that
link shows is the gold name (so ``memberlist.php?u=81`` becomes "Naivetry"); a gold user
that is no link is taken as it is. "shown" is the measure of the name a reader sees;
``ceiling`` is the best rate ``score-threads`` can give a display name (matched posts less
first posts and numeric profile links, over all matched posts with a gold user).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from healthqa.ingest.errors import RejectedInput  # noqa: E402
from healthqa.ingest.html import parse_html  # noqa: E402

_SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
_DEFAULT = [_SHARED / "forums-dev", _SHARED / "realpages-dev"]
_TEST_PAGES = Path(__file__).resolve().parents[1] / "tests" / "ingest" / "data"
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


_HREF = re.compile(r"<a\b[^>]*?\bhref=[\"']([^\"']+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def shown_names(html: str, base: str) -> dict[str, str]:
    """Every link of the page (address made absolute, fragment dropped) -> the first name it shows."""
    import html as entities
    names: dict[str, str] = {}
    for href, inner in _HREF.findall(html):
        text = " ".join(entities.unescape(_TAG.sub(" ", inner)).split())
        key = _link_key(entities.unescape(href), base)
        if len(text) >= 2 and key not in names:
            names[key] = text
    return names


def _link_key(href: str, base: str) -> str:
    return urldefrag(urljoin(base, href.strip()))[0].rstrip("/").lower()


def shown_ok(gold: str, found: str | None, names: dict[str, str], base: str) -> bool:
    """The author is the name the page shows for the gold user (its link's text, else the gold as given)."""
    urlish = gold.startswith("http") or any(c in gold for c in "/?=")
    name = names.get(_link_key(gold, base)) if urlish else gold
    return author_ok(gold, found) or (bool(found) and name is not None
                                      and " ".join(name.split()).lower() == " ".join(found.split()).lower())


def scorer_reachable(gold: str) -> bool:
    """Whether a display name can ever match this gold user in ``score-threads`` (not a numeric profile link)."""
    urlish = gold.startswith("http") or any(c in gold for c in "/?=")
    if not urlish:
        return True
    path = re.sub(r"[?&;](?:s|sid|phpsessid)=[0-9a-f]{16,}", "", unquote(gold))
    path = re.sub(r"^\w+://[^/]+", "", path).split("#")[0]
    # The last path segment or query value that is no number: a numeric link ends in digits.
    last = re.split(r"[/?&;=]", path.rstrip("/"))[-1]
    return not re.fullmatch(r"[\d.-]*|top", last)


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
        pages.append((name, html, gold, data.get("url") or ""))
    return pages


def extract(name: str, html: str) -> tuple[list[dict], str]:
    try:
        page = parse_html(html, name)[0]
    except RejectedInput as exc:
        return [], f"rejected: {exc.reason}"
    posts = [{"text": page.detail or page.question, "user": page.asked_by}]
    posts += [{"text": a.text, "user": a.author} for a in page.answers]
    return posts, page.method or page.format


_COLUMNS = ("pages", "gold", "found", "matched", "with_user", "authors", "rejected", "slugs", "scorer", "reachable",
            "shown")


def score_page(name: str, html: str, gold: list[dict], url: str) -> tuple[Counter, str]:
    """One page's counts (see :data:`_COLUMNS`) and how it was read."""
    found, how = extract(name, html)
    pairs = match(gold, found)
    with_user = [(i, j) for i, j in pairs if gold[i]["user"]]
    names = shown_names(html, url)
    counts = Counter(pages=1, gold=len(gold), found=len(found), matched=len(pairs), with_user=len(with_user),
                     rejected=int(not found))
    for i, j in with_user:
        user, author = gold[i]["user"], found[j]["user"]
        counts["authors"] += author_ok(user, author)
        counts["slugs"] += slug_ok(user, author)
        counts["shown"] += shown_ok(user, author, names, url)
        # score-threads exports no author for the first post; a numeric profile link matches no name
        counts["scorer"] += j > 0 and author_ok(user, author)
        counts["reachable"] += j > 0 and scorer_reachable(user)
    return counts, how


def report(totals: dict[str, Counter]) -> None:
    print(f"{'engine':12} {'pages':>5} {'gold':>5} {'found':>5} {'P':>6} {'R':>6} {'F1':>6} {'authors':>8} {'rejected':>8}"
          f" {'by slug':>8} {'shown':>6} {'scorer':>7} {'ceiling':>7}")
    for engine in sorted(totals, key=lambda e: (e == "ALL", e)):
        t = totals[engine]
        p = t["matched"] / t["found"] if t["found"] else 0.0
        r = t["matched"] / t["gold"] if t["gold"] else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        share = {k: t[k] / t["with_user"] if t["with_user"] else 0.0
                 for k in ("authors", "slugs", "shown", "scorer", "reachable")}
        print(f"{engine:12} {t['pages']:5} {t['gold']:5} {t['found']:5} {p:6.3f} {r:6.3f} {f:6.3f} {share['authors']:8.3f}"
              f" {t['rejected']:8} {share['slugs']:8.3f} {share['shown']:6.3f} {share['scorer']:7.3f}"
              f" {share['reachable']:7.3f}")
    print("authors: matched posts whose author is the gold user or named by its profile link; by slug: also"
          " when the link writes the name as a slug; shown: the name the gold profile link shows on the page;"
          " scorer: as score-threads counts (no author for first posts); ceiling: the best scorer rate for display"
          " names (first posts and numeric profile links can never match)")


def every_page(folders: list[Path]) -> list[tuple[str, str]]:
    """Every page of the folders (a gold JSON's ``html`` or a loose ``.html``) and of the tests' page folders."""
    pages = []
    for folder in [*folders, *sorted(p for p in _TEST_PAGES.iterdir() if p.is_dir())]:
        for path in sorted(folder.glob("*.json")):
            html = json.loads(path.read_text()).get("html")
            if isinstance(html, str):
                pages.append((f"{folder.name}/{path.name}", html))
        for path in sorted(folder.glob("*.html")):
            pages.append((f"{folder.name}/{path.name}", path.read_text(errors="replace")))
    return pages


def records_of(pages: list[tuple[str, str]]) -> dict[str, object]:
    """Each page's record as plain data, or the reason it was rejected."""
    out: dict[str, object] = {}
    for name, html in pages:
        try:
            out[name] = parse_html(html, name)[0].to_dict()
        except RejectedInput as exc:
            out[name] = f"{type(exc).__name__}: {exc.reason}"
    return out


def check_records(pages: list[tuple[str, str]], path: Path, save: bool) -> int:
    """Save every page's record to ``path``, or compare them with those saved there (0 when identical)."""
    records = records_of(pages)
    if save:
        path.write_text(json.dumps(records, indent=1, sort_keys=True, ensure_ascii=False))
        print(f"saved the records of {len(records)} pages to {path}")
        return 0
    saved = json.loads(path.read_text())
    differ = sorted(name for name in saved.keys() | records.keys()
                    if json.dumps(saved.get(name), sort_keys=True) != json.dumps(records.get(name), sort_keys=True))
    for name in differ:
        print(f"differs: {name}")
    print(f"{len(records) - len(differ)} of {len(records)} pages give the saved records ({len(differ)} differ)")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, default=_DEFAULT)
    parser.add_argument("-v", action="store_true", help="one line per page")
    parser.add_argument("--repeat", type=int, default=3, help="parses of every page for the rate")
    parser.add_argument("--save-records", type=Path, metavar="FILE",
                        help="save every page's record (or rejection) as JSON, then stop")
    parser.add_argument("--check-records", type=Path, metavar="FILE",
                        help="compare every page's record with those saved by --save-records, then stop")
    args = parser.parse_args(argv)
    if args.save_records or args.check_records:
        return check_records(every_page(args.folders), args.save_records or args.check_records,
                             save=bool(args.save_records))
    totals: dict[str, Counter] = defaultdict(Counter)
    pages = [page for folder in args.folders for page in load(folder)]
    for name, html, gold, url in pages:
        counts, how = score_page(name, html, gold, url)
        engine = engine_of(html)
        totals[engine].update(counts)
        totals["ALL"].update(counts)
        if args.v:
            print(f"{name[:60]:60} {engine:10} {counts['gold']:3} {counts['found']:3} {counts['matched']:3} "
                  f"authors {counts['authors']}/{counts['with_user']} shown {counts['shown']}  {how}")
    report(totals)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        for name, html, _gold, _url in pages:
            extract(name, html)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = args.repeat * len(pages)
    print(f"parse rate: {count} parses in {wall:.1f} s = {count / wall:.1f} pages/s wall, {count / cpu:.1f} pages/s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
