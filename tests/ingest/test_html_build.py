"""The tree copied from lxml's (ingest/html_build.py) is the tree bs4's own lxml builder makes."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from healthqa.ingest.html_build import build_soup, build_tree
from healthqa.ingest.html_prune import prune
from healthqa.ingest.html_tree import PageIndex

DATA = Path(__file__).parent / "data"
PAGES = sorted(p for folder in ("html", "threads", "not-threads") for p in (DATA / folder).glob("*.html"))


def _shape(soup: BeautifulSoup) -> list[tuple]:
    """Every tag in page order: name, attributes (a boolean attribute's value aside), parent's position."""
    tags = soup.find_all(True)
    position = {id(tag): i for i, tag in enumerate(tags)}
    return [(tag.name, {k: "" if v == k else v for k, v in tag.attrs.items()}, position.get(id(tag.parent)))
            for tag in tags]


def _chain_is_consistent(soup: BeautifulSoup) -> bool:
    """``next_element`` walks the tree in document order and ``previous_element`` walks it back."""
    def in_order(node: Tag):
        for child in node.contents:
            yield child
            if isinstance(child, Tag):
                yield from in_order(child)

    ordered = list(in_order(soup))
    chained = list(soup.descendants)
    backwards = all(b.previous_element is a for a, b in zip(ordered, ordered[1:]))
    return [id(n) for n in ordered] == [id(n) for n in chained] and backwards


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_copied_tree_is_bs4s_tree(path: Path) -> None:
    for markup in (path.read_text(errors="replace"), prune(path.read_text(errors="replace"))):
        expected, built = BeautifulSoup(markup, "lxml", multi_valued_attributes=None), build_soup(markup)
        assert _shape(built) == _shape(expected)
        # (a stray doctype inside the page splits bs4's whitespace in two; lxml keeps one)
        assert built.get_text().split() == expected.get_text().split()
        assert _chain_is_consistent(built)


@pytest.mark.parametrize("path", PAGES[::4], ids=[p.name for p in PAGES[::4]])
def test_listed_elements_are_the_trees_in_page_order(path: Path) -> None:
    """The elements listed while copying, and a subtree cut from them, are those a walk finds."""
    soup, tags = build_tree(prune(path.read_text(errors="replace")))
    assert [id(t) for t in tags] == [id(t) for t in soup.find_all(True)]
    index = PageIndex(soup, tags)
    for root in (soup, soup.body, *soup.find_all("div")[:20]):
        assert [id(t) for t in index.subtree(root)] == [id(root)] + [id(t) for t in root.find_all(True)]


@pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
@pytest.mark.parametrize("markup", ["", "   ", "plain text, no tag", "<p>unclosed <b>bold", "<?xml version='1.0' encoding='utf-8'?><p>x</p>",
                                    "<pre>  \n  </pre>  \n  <script> </script>", "<!--only a comment-->",
                                    "<div>" * 600 + "<p>deep</p>"])
def test_odd_documents_build_as_bs4_builds_them(markup: str) -> None:
    expected, built = BeautifulSoup(markup, "lxml", multi_valued_attributes=None), build_soup(markup)
    assert _shape(built) == _shape(expected)
    assert built.get_text() == expected.get_text()
    assert [type(s) for s in built.find_all(string=True)] == [type(s) for s in expected.find_all(string=True)]


def test_prune_drops_select_menus_but_not_what_an_extractor_reads() -> None:
    menu = '<select name="f"><option value="1">Jump to: General health</option><option>Diet</option></select>'
    assert "Jump to" not in prune(f"<p>Post</p>{menu}<p>Reply</p>")
    marked = '<select itemprop="category"><option>Diet</option></select>'
    assert marked in prune(f"<p>Post</p>{marked}")


def test_a_look_alike_tag_name_is_text_not_a_script() -> None:
    """HTML tag names are ASCII-case-insensitive: "<ſcript>" (a long s) is no script, and the page is read."""
    from healthqa.ingest.html import parse_html
    question = ('<div itemscope itemtype="https://schema.org/Question"><h1 itemprop="name">Why &lt;ſcript&gt;?</h1>'
                '<div itemprop="suggestedAnswer" itemscope itemtype="https://schema.org/Answer">'
                '<span itemprop="text">Because <ſcript>long s</ſcript> is a letter.</span></div></div>')
    page = parse_html(question, "long-s.html")[0]
    assert "long s" in page.answers[0].text
    assert "<ſcript>" in prune("<p>a</p><ſcript>x</ſcript>")
