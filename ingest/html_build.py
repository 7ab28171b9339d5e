"""Build BeautifulSoup's tree from lxml's, several times faster than bs4's own lxml builder.

bs4 builds its tree from lxml's parser events, one Python call (and a generic
``handle_starttag`` / ``endData`` / ``object_was_parsed`` round) per tag and string: on
forum pages that is about 40 ms a page, twenty times what lxml takes to parse the same
markup into its own tree. Here lxml parses the page once (the same libxml2 HTML parser
bs4 drives) and the tree is copied into bs4 objects directly: each tag starts as a copy
of a tag bs4 itself made for that name, so it carries whatever bs4 sets up, and only its
name, attributes and links to its neighbours are filled in.

The copy follows what bs4 does with the same events: whitespace-only text outside
``<pre>`` / ``<textarea>`` becomes one space or newline, text in ``<script>``,
``<style>``, ``<template>`` gets bs4's string class for it, comments stay comments. When
lxml gives no tree (an empty or odd document) :func:`build_soup` falls back to bs4's
own builder, so the result is never worse than before.
"""

from __future__ import annotations

import re

from lxml import etree
from bs4 import BeautifulSoup
from bs4.element import Comment, Doctype, NavigableString, PageElement, ProcessingInstruction, Tag

# huge_tree: past 256 levels libxml2 would stop building the tree where bs4's events go on (the
# caller rejects pages nested too deep, and needs to see them whole to say so).
_PARSER = etree.HTMLParser(recover=True, remove_comments=False, remove_pis=False, huge_tree=True)
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
# Group 1: the comments before the doctype; 2: its name as written (the tree lowercases it).
_DOCTYPE = re.compile(r"\s*((?:<!--.*?-->\s*)*)<!doctype\s+([^\s>]+)", re.I | re.S)
# Space after the closing </html> stays outside the document element, as bs4 has it.
_TRAILING_SPACE = re.compile(r"</html\s*>([\x20\x0a\x09\x0c\x0d]+)$", re.I)


def build_soup(markup: str) -> BeautifulSoup:
    """The page as bs4 would build it with ``BeautifulSoup(markup, "lxml", multi_valued_attributes=None)``.

    >>> soup = build_soup('<p class="a b">Hi <b>there</b></p>')
    >>> soup.p["class"], soup.p.get_text(), soup.b.previous_element
    ('a b', 'Hi there', 'Hi ')
    """
    return build_tree(markup)[0]


def build_tree(markup: str) -> tuple[BeautifulSoup, list[Tag] | None]:
    """The page as :func:`build_soup` builds it, and its elements in page order (``None`` when
    bs4's own builder made the tree): a list made while copying saves later walks over the tree.

    >>> soup, tags = build_tree('<p class="a b">Hi <b>there</b></p>')
    >>> [tag.name for tag in tags]
    ['html', 'body', 'p', 'b']
    """
    soup = BeautifulSoup("", "lxml", multi_valued_attributes=None)
    try:
        root = etree.fromstring(markup, _PARSER) if markup.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return BeautifulSoup(markup, "lxml", multi_valued_attributes=None), None
    copier = _Copier(soup)
    copier.document(root, markup)
    return soup, copier.tags


# What bs4 sets on every tag of a name (its builder's settings: whitespace, string classes, ...),
# held once by a subclass of Tag instead of in each tag's own dict: a tag then carries only its
# name, attributes and links, which makes it quicker to build and to free. Names with the same
# settings share one subclass (a handful in all: plain, void, script, style...), so that the
# readers' attribute look-ups meet few classes, which Python's specialising interpreter needs
# to keep them quick (a class per name, ~40 on a page, made them all generic look-ups).
_PER_TAG = frozenset({"name", "attrs", "contents", "parent", "previous_sibling", "next_sibling",
                      "previous_element", "next_element"})
_TAG_KINDS: dict[str, type] = {}  # tag name -> its subclass
_KINDS_BY_SETTINGS: dict[str, type] = {}
_EVENTS = ("start", "end", "comment", "pi")


def _tag_kind(made: Tag) -> type:
    """A subclass of Tag whose class attributes are the settings bs4 gave ``made`` (a tag it built)."""
    shared = {key: value for key, value in made.__dict__.items() if key not in _PER_TAG}
    key = repr(sorted(shared.items()))  # (some settings are sets and dicts: their text tells them apart)
    kind = _KINDS_BY_SETTINGS.get(key)
    if kind is None:
        kind = _KINDS_BY_SETTINGS[key] = type("Tag", (Tag,), {"__module__": Tag.__module__, **shared})
    return kind


class _Copier:
    """Copies one lxml tree into ``soup``, keeping bs4's element chain (``next_element``) in page order."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.builder = soup.builder
        self.containers = self.builder.string_containers
        self.keep_space = self.builder.preserve_whitespace_tags
        self.attrs_class = self.builder.attribute_dict_class
        self.last: PageElement | None = None
        self.tags: list[Tag] = []  # every element made, in page order

    def document(self, root: etree._Element, markup: str) -> None:
        info = root.getroottree().docinfo
        doctype = _DOCTYPE.match(markup)
        before = list(root.itersiblings(preceding=True))[::-1]
        if doctype:
            ahead = doctype.group(1).count("<!--")
            for node in before[:ahead]:
                self._node(self.soup, node, NavigableString, False)
            self._link(self.soup, Doctype.for_name_and_ids(doctype.group(2), info.public_id or None,
                                                         info.system_url or None))
            before = before[ahead:]
        for node in before:
            self._node(self.soup, node, NavigableString, False)
        self._node(self.soup, root, NavigableString, False)
        for node in root.itersiblings():
            self._node(self.soup, node, NavigableString, False)
        trailing = _TRAILING_SPACE.search(markup[-200:])
        if trailing:
            self._text(self.soup, trailing.group(1), NavigableString, False)

    def _node(self, parent: Tag, node: etree._Element, container: type, keep: bool) -> None:
        """Copy ``node`` (and its subtree) under ``parent``, then its tail. lxml walks the subtree
        in C (``iterwalk``); this loop runs for every node of every page: nodes are made and
        linked inline (as _append links them), with local names."""
        if node.tag.__class__ is not str:
            self._special(parent, node, container, keep)
            return
        containers, keep_space, new_string, copy_tag = self.containers, self.keep_space, str.__new__, self._tag
        kinds, attrs_class = _TAG_KINDS.get, self.attrs_class
        last, made = self.last, self.tags.append
        outer: list[tuple] = []  # (parent, container, keep) of each element being copied
        for event, source in etree.iterwalk(node, events=_EVENTS):
            if event == "start":
                tag = source.tag
                kind = kinds(tag)
                element = copy_tag(tag, source) if kind is None else kind.__new__(kind)
                if kind is not None:  # (items() is quicker than attrib)
                    element.name, element.attrs, element.contents = tag, attrs_class(source.items()), []
                made(element)
                outer.append((parent, container, keep))
                new, into, text, parent = element, parent, source.text, element
                container, keep = containers.get(tag, container), keep or tag in keep_space
            elif event == "end":
                parent, container, keep = outer.pop()
                new, into, text = None, parent, source.tail
            else:
                self.last = last
                self._special(parent, source, container, keep)
                last = self.last
                continue
            while True:  # link ``new`` (an element, or the text in or after one) at the end of ``into``
                if new is not None:
                    contents = into.contents
                    previous = contents[-1] if contents else None
                    new.parent, new.previous_sibling, new.next_sibling = into, previous, None
                    if previous is not None:
                        previous.next_sibling = new
                    new.previous_element, new.next_element = last, None
                    if last is not None:
                        last.next_element = new
                    contents.append(new)
                    last = new
                if not text:
                    break
                # bs4's whitespace rule (not ``hidden = False`` as bs4 sets it: the class says so)
                new = new_string(container, text if keep or text.strip(_ASCII_SPACES) else
                                 "\n" if "\n" in text else " ")
                into, text = parent, None
        self.last = last

    @staticmethod
    def _append(parent: Tag, element: PageElement, last: PageElement | None) -> None:
        """Append ``element`` to ``parent`` after ``last`` in page order (as _link does)."""
        contents = parent.contents
        previous_sibling = contents[-1] if contents else None
        element.parent = parent
        element.previous_sibling = previous_sibling
        element.next_sibling = None
        if previous_sibling is not None:
            previous_sibling.next_sibling = element
        element.previous_element = last
        element.next_element = None
        if last is not None:
            last.next_element = element
        contents.append(element)

    def _special(self, parent: Tag, node: etree._Element, container: type, keep: bool) -> None:
        """A comment or processing instruction, then the text after it."""
        if node.tag is etree.Comment:
            self._link(parent, Comment(node.text or ""))
        elif node.tag is etree.ProcessingInstruction:
            self._link(parent, ProcessingInstruction(f"{node.target} {node.text or ''}".rstrip()))
        self._text(parent, node.tail, container, keep)

    def _tag(self, name: str, node: etree._Element) -> Tag:
        """A tag of a name not seen before, or a meta tag, made by bs4 itself: its settings for
        the name (and a meta tag's charset handling). Later tags of the name copy these settings."""
        made = Tag(self.soup, self.builder, name, attrs=self.attrs_class(node.attrib))
        if name != "meta":
            _TAG_KINDS[name] = _tag_kind(made)
        return made

    def _text(self, parent: Tag, text: str | None, container: type, keep: bool) -> None:
        if not text:
            return
        if not keep and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        string = str.__new__(container, text)  # what NavigableString() does, less the links _link sets
        self._link(parent, string)

    def _link(self, parent: Tag, element: PageElement) -> None:
        """Append ``element`` to ``parent``: parent, siblings and the page-order chain."""
        self._append(parent, element, self.last)
        self.last = element
