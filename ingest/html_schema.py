"""schema.org Q&A markup, from JSON-LD or microdata, read into a :class:`Thread`.

Both syntaxes are first turned into the same plain dicts (``{"@type": [...], prop:
value}``, as extruct does), so one reader handles ``QAPage`` / ``Question`` with
``acceptedAnswer`` / ``suggestedAnswer``, and ``DiscussionForumPosting`` with its
``comment`` s. Microdata dicts keep their element under ``"@element"`` so that a role
printed beside the author, outside the markup, can still be found.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Iterable, Iterator

from bs4 import Tag

from healthqa.ingest.html_tree import PageIndex, Thread, attribute_value, block_text, clean_role, markup_to_text, role_near
from healthqa.ingest.normalise import clean_optional, clean_text
from healthqa.ingest.record import Answer

_MAX_DEPTH = 12


def load_jsonld(index: PageIndex) -> tuple[list[dict], int]:
    """The JSON-LD nodes of the page (lists and ``@graph`` flattened) and how many blocks were invalid."""
    nodes: list[dict] = []
    invalid = 0
    for script in index.by_name.get("script", ()):
        if "ld+json" not in str(script.get("type", "")).lower():
            continue
        try:
            data = json.loads(script.get_text(), strict=False)
        except (ValueError, RecursionError):
            invalid += 1
            continue
        nodes.extend(_flatten(data))
    return _resolve_references(nodes), invalid


def _flatten(data: Any) -> Iterator[dict]:
    for item in data if isinstance(data, list) else [data]:
        if isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                yield from (node for node in graph if isinstance(node, dict))
            else:
                yield item


def _resolve_references(nodes: list[dict]) -> list[dict]:
    """Replace ``{"@id": ...}`` stubs one level down by the node they name, as ``@graph`` pages need."""
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str) and len(node) > 1}
    if not by_id:
        return nodes

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return by_id.get(value["@id"], value)
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return [{key: resolve(value) for key, value in node.items()} for node in nodes]


def microdata_items(index: PageIndex) -> list[dict]:
    """The page's top-level microdata items as JSON-LD-like dicts."""
    props: dict[int, list[Tag]] = {}
    orphans: set[int] = set()  # items marked as a property of no item: top-level after all
    scopes: dict[int, Tag | None] = {}
    for tag in index.itemprops:
        owner = _owner(tag, scopes)
        if owner is not None:
            props.setdefault(id(owner), []).append(tag)
        else:
            orphans.add(id(tag))
    _add_referenced(index, props, orphans, scopes)
    top = [tag for tag in index.itemscopes if not tag.has_attr("itemprop") or id(tag) in orphans]
    return [_item(tag, props, 0) for tag in top]


def _add_referenced(index: PageIndex, props: dict[int, list[Tag]], orphans: set[int],
                    scopes: dict[int, Tag | None]) -> None:
    """Properties an item takes from elsewhere in the page by ``itemref="id ..."``.

    A referenced element's properties that no item of their own holds belong to the
    referring item (an answer list printed apart from its question).
    """
    referring = [tag for tag in index.itemscopes if isinstance(tag.get("itemref"), str)]
    if not referring:
        return
    by_id = {tag.get("id"): tag for tags in index.by_name.values() for tag in tags if isinstance(tag.get("id"), str)}
    for scope in referring:
        for ref in scope["itemref"].split()[:50]:
            target = by_id.get(ref)
            if target is None:
                continue
            owned = [target] if target.has_attr("itemprop") else []
            owned += [t for t in target.find_all(itemprop=True, limit=2000) if _owner(t, scopes) is None]
            for tag in owned:
                if id(tag) in orphans:
                    orphans.discard(id(tag))
                    props.setdefault(id(scope), []).append(tag)


def _owner(tag: Tag, scopes: dict[int, Tag | None]) -> Tag | None:
    """The nearest ``itemscope`` above ``tag``; ``scopes`` remembers each ancestor's answer.

    Without the memo, deeply nested properties would cost quadratic time.
    """
    path: list[int] = []
    node, owner = tag.parent, None
    while node is not None:
        if id(node) in scopes:
            owner = scopes[id(node)]
            break
        if node.has_attr("itemscope"):
            owner = node
            break
        path.append(id(node))
        node = node.parent
    for key in path:
        scopes[key] = owner
    return owner


def _item(tag: Tag, props: dict[int, list[Tag]], depth: int) -> dict:
    item: dict[str, Any] = {"@type": [_local(t) for t in str(tag.get("itemtype", "")).split()], "@element": tag}
    for prop in props.get(id(tag), ()):
        if prop.has_attr("itemscope"):
            value: Any = _item(prop, props, depth + 1) if depth < _MAX_DEPTH else None
        else:
            value = attribute_value(prop) or _Shown(block_text(prop))
        for name in str(prop.get("itemprop", "")).split():
            item.setdefault(name, []).append(value)
    return item


class _Shown(str):
    """Text already laid out from the page (microdata), as opposed to a JSON-LD string."""


def _local(type_name: str) -> str:
    """``http://schema.org/Question`` and ``schema:Question`` both become ``Question``."""
    return type_name.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]


def types_of(node: dict) -> set[str]:
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {_local(name) for name in names if isinstance(name, str)}


def find_thread(nodes: list[dict], fmt: str) -> Thread | None:
    """The first ``Question`` (alone or as a ``QAPage``'s main entity), else the first forum posting."""
    candidates = list(_with_main_entities(nodes))
    questions = [node for node in candidates if "Question" in types_of(node)]
    # A named Question first: pages nest stray, empty Question scopes around the real one.
    named = [node for node in questions if _text(node, "name", "headline")]
    if named or questions:
        question = (named or questions)[0]
        return _with_orphan_answers(_question_thread(question, fmt), candidates, question)
    postings = [node for node in candidates if "DiscussionForumPosting" in types_of(node)]
    if postings:
        return _with_sibling_postings(_posting_thread(postings[0]), postings[1:])
    return None


def _with_orphan_answers(thread: Thread, candidates: list[dict], question: dict) -> Thread:
    """Answers marked up outside the ``Question``'s scope (a sibling item, not a property) belong to it too."""
    inside = {id(a) for key in ("acceptedAnswer", "suggestedAnswer") for a in _all(question.get(key))}
    orphans = [_answer(node, False) for node in candidates
               if "Answer" in types_of(node) and id(node) not in inside]
    orphans = [a for a in orphans if a is not None]
    return replace(thread, answers=thread.answers + tuple(orphans)) if orphans else thread


def _with_sibling_postings(thread: Thread, siblings: list[dict]) -> Thread:
    """A thread marked up as one top-level posting per post: the first is the question, the others its replies.

    A comment that repeats the opening post (same author, same text) is not a reply.
    """
    replies = [a for a in (_answer(node, False) for node in siblings) if a is not None]
    answers = [a for a in thread.answers + tuple(replies)
               if not (a.text == thread.detail and a.author == thread.asked_by)]
    return replace(thread, answers=tuple(answers))


def _with_main_entities(nodes: Iterable[dict]) -> Iterator[dict]:
    for node in nodes:
        yield node
        for entity in _all(node.get("mainEntity")):
            if isinstance(entity, dict):
                yield entity


def _question_thread(node: dict, fmt: str) -> Thread:
    accepted = [_answer(a, True) for a in _all(node.get("acceptedAnswer"))]
    suggested = [_answer(a, False) for a in _all(node.get("suggestedAnswer"))]
    return Thread(
        question=clean_optional(_text(node, "name", "headline")),
        format=fmt,
        detail=clean_text(_text(node, "text", "description") or "") or None,
        asked_by=_name(_first(node.get("author"))),
        date=clean_optional(_text(node, "dateCreated", "datePublished")),
        answers=tuple(a for a in accepted + suggested if a is not None),
        url=_url(node),
    )


def _posting_thread(node: dict) -> Thread:
    comments = [_answer(c, False) for c in _all(node.get("comment"))]
    return Thread(
        question=clean_optional(_text(node, "headline", "name")),
        format="html-forum",
        detail=clean_text(_text(node, "text", "articleBody", "description") or "") or None,
        asked_by=_name(_first(node.get("author"))),
        date=clean_optional(_text(node, "dateCreated", "datePublished")),
        answers=tuple(c for c in comments if c is not None),
        url=_url(node),
    )


def _answer(node: Any, accepted: bool) -> Answer | None:
    if not isinstance(node, dict):
        return None
    text = clean_text(_text(node, "text", "articleBody", "description") or "")
    if not text:
        return None
    author = _first(node.get("author"))
    return Answer(
        text=text,
        author=_name(author),
        role=_role(author, node.get("@element")),
        date=clean_optional(_text(node, "dateCreated", "datePublished")),
        votes=_int(_first(node.get("upvoteCount"))),
        accepted=accepted,
    )


def _role(author: Any, element: Any) -> str | None:
    """The job title in the markup, else the member title printed near the post."""
    role = clean_role(_text(author, "jobTitle")) if isinstance(author, dict) else None
    if role is None and isinstance(element, Tag):
        role = role_near(element)
    return role


def _name(author: Any) -> str | None:
    if isinstance(author, str):
        return clean_optional(author)
    if not isinstance(author, dict):
        return None
    name = _text(author, "name", "alternateName", "givenName")
    element = author.get("@element")
    if name is None and isinstance(element, Tag):
        # A Person item without a name property (as some themes print it) still shows the name as its text.
        name = element.get_text(" ")
    return clean_optional(name)


def _url(node: dict) -> str | None:
    for key in ("url", "mainEntityOfPage", "discussionUrl", "@id"):
        value = _first(node.get(key))
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and value.startswith(("http://", "https://", "/")):
            return value
    return None


def _text(node: dict, *keys: str) -> str | None:
    """The first of ``keys`` that holds text; JSON-LD may carry HTML snippets, so tags are dropped."""
    for key in keys:
        value = _first(node.get(key))
        if isinstance(value, dict):
            value = value.get("@value") or value.get("text")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value if isinstance(value, _Shown) else markup_to_text(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(float(str(value).strip()))
    except (TypeError, ValueError, OverflowError):
        return None


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if v is not None), None)
    return value


def _all(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
