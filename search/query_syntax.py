"""Words, "phrases", parentheses, operators (AND, OR, NOT, ANDNOT, ANDMAYBE, REQUIRE), ``+``/``-``
and ``field:value`` read as Whoosh's query parser reads them, into the very query objects it
builds (normalised), without its parser: Whoosh's tags each character against fourteen patterns,
copies every word once per field and deep-copies each term as it normalises, 5-15 ms for a
long question with "AND OR" or a bracket; this reading costs a tenth of that.

:class:`SyntaxReader` follows the steps of Whoosh's ``MultifieldParser`` with the plugins
:class:`~healthqa.search.query.QueryReader` adds (fuzzy terms, plus/minus), one function a step,
in its order: tag, group by parentheses, apply field names, copy unfielded words to each
weighted field, drop spaces, sort ``+``/``-``, apply operators, then build the normalised query.
A question holding any other syntax (``* ? ~ ^ [ ] { } \\``), a field that parses itself, or a
shape Whoosh's parser fails on (an operator left inside a group it cannot use, ``NOT`` alone in
brackets) is left to Whoosh's parser: :meth:`SyntaxReader.parse` returns None.
"""

from __future__ import annotations

import re

from whoosh import query as wq

from healthqa.search.memo import Memo

# Whoosh's taggers that may match once the syntax below is ruled out, in the order its parser
# tries them at each character (their priorities, then the order the plugins were added).
_TAGS = re.compile("|".join([
    r"(?P<andnot>(?<=\s)ANDNOT(?=\s))", r"(?P<andmaybe>(?<=\s)ANDMAYBE(?=\s))",
    r"(?:^|(?<=\W))'(?P<quote>.*?)'(?=\s|\]|[)}]|$)",
    r"(?P<field>(?P<name>\w+|[*]):)",
    r'"(?P<phrase>.*?)"',
    r"(?P<open>[(])", r"(?P<close>[)])",
    r"(?P<not>(?:^|(?<=[\s()]))NOT(?=\s))", r"(?P<and>(?<=\s)AND(?=\s))", r"(?P<or>(?<=\s)OR(?=\s))",
    r"(?P<require>(?:^|(?<=\s))REQUIRE(?=\s))",
    r"(?P<plus>\+)", r"(?P<minus>-)", r"(?P<ws>\s+)",
]))
# What other plugins of the parser read (wildcards and Whoosh's question marks, boosts, fuzzy
# terms, ranges, every document): such questions go to Whoosh's parser.
_OTHER = re.compile("[*?~^\\[\\]{}\\\\\u055e\u061f\u1367]")
_MARKS = ("ws", "plus", "minus", "open", "close")
_OPERATORS = ("not", "and", "or", "andnot", "andmaybe", "require")  # the order Whoosh applies them in
_BINARY = {"andnot": wq.AndNot, "andmaybe": wq.AndMaybe, "require": wq.Require}


class Unsupported(Exception):
    """A shape Whoosh's parser reads some other way, or fails on: left to it."""


class Leaf:
    """A word or a phrase (``kind``), as Whoosh's WordNode and PhraseNode."""

    __slots__ = ("kind", "text", "start", "end", "field", "boost", "textstart")

    def __init__(self, kind: str, text: str, start: int, end: int, textstart: int = 0):
        self.kind, self.text, self.start, self.end, self.textstart = kind, text, start, end, textstart
        self.field, self.boost = None, 1.0

    def copy_to(self, field: str, boost: float) -> "Leaf":
        leaf = Leaf(self.kind, self.text, self.start, self.end, self.textstart)
        leaf.field, leaf.boost = field, boost
        return leaf


class Mark:
    """Space, ``+``, ``-``, a bracket, an operator (``kind``) or a field name (kind "field")."""

    __slots__ = ("kind", "start", "end", "name", "original")

    def __init__(self, kind: str, start: int, end: int, name: str = "", original: str = ""):
        self.kind, self.start, self.end, self.name, self.original = kind, start, end, name, original

    def as_word(self) -> Leaf:
        return Leaf("word", self.original, self.start, self.end)


class Group:
    """A group of nodes: "scaled" (the parser's own OR, with its bonus for more words matched),
    "or", "and", "not", or a binary "andnot", "andmaybe", "require"."""

    __slots__ = ("kind", "nodes", "boost")

    def __init__(self, kind: str, nodes: list | None = None):
        self.kind, self.nodes, self.boost = kind, nodes if nodes is not None else [], 1.0

    def is_or(self) -> bool:
        return self.kind in ("scaled", "or")

    def set_field(self, field: str) -> None:
        for node in self.nodes:
            if isinstance(node, Group):
                node.set_field(field)
            elif isinstance(node, Leaf) and node.field is None:
                node.field = field


class SyntaxReader:
    """Reads query text as Whoosh's ``MultifieldParser`` over ``fields`` (``[(name, boost)]``) of
    ``schema`` does, with plain words OR-ed at ``scale`` (see the module's docstring)."""

    def __init__(self, schema, fields: list[tuple[str, float]], boosts: dict[str, float], scale: float):
        self._schema = schema
        self._fields = [(name, boosts.get(name, 1.0)) for name, _ in fields]
        self._scale = scale
        analyzer = schema[fields[0][0]].analyzer if fields else None
        # The analysed words and phrase tokens of a text, remembered, for the fields that share
        # the weighted fields' analyzer (4,096 texts: under 2 MB).
        self._shared = analyzer
        self._known: dict[str, tuple] = {}
        self._words = Memo(4096, lambda text: tuple(
            schema[fields[0][0]].process_text(text, mode="query", tokenize=True, removestops=True)))
        self._tokens = Memo(4096, lambda text: tuple(
            (t.text, t.startchar, t.endchar) for t in schema[fields[0][0]].tokenize(text, mode="query", chars=True)))

    def parse(self, text: str) -> wq.Query | None:
        """The normalised query Whoosh's parser makes of ``text``, or None: left to that parser."""
        if _OTHER.search(text):
            return None
        try:
            top = self._tree(text)
            built = self._build(top)
        except Unsupported:
            return None
        return built[1] if built and built[0] else wq.NullQuery

    def _tree(self, text: str) -> Group:
        """Whoosh's syntax tree of ``text``: its filters, in their order."""
        top = _grouped(_tagged(text))
        _fieldnames(top, self._schema)
        self._multifield(top)
        _without_spaces(top)
        top = _plus_minus(top)
        _operators(top)
        return top

    def _field(self, name: str):
        """A field and whether it shares the weighted fields' analyzer (a field parsing its own
        values, such as a number, is left to Whoosh's parser)."""
        found = self._known.get(name)
        if found is None:
            field = self._schema[name]
            if field.self_parsing() or not field.analyzer:
                raise Unsupported
            found = self._known[name] = (field, field.analyzer is self._shared)
        return found

    def _multifield(self, group: Group) -> None:
        """Each word or phrase with no field becomes an OR of itself in each weighted field."""
        for i, node in enumerate(group.nodes):
            if isinstance(node, Group):
                self._multifield(node)
            elif isinstance(node, Leaf) and node.field is None:
                group.nodes[i] = Group("or", [node.copy_to(name, boost) for name, boost in self._fields])

    def _build(self, node) -> tuple[bool, wq.Query] | None:
        """What Whoosh's ``node.query(parser).normalize()`` gives: None where its query is None,
        else (whether that query is true, its normalised form)."""
        if isinstance(node, Leaf):
            return self._leaf(node)
        if not isinstance(node, Group):
            raise Unsupported  # a marker or an operator left over: Whoosh's parser fails on it
        if node.kind in _BINARY:
            return self._binary(node)
        if node.kind == "not":
            if not node.nodes:
                raise Unsupported
            inner = self._build(node.nodes[0])
            if inner is None or not inner[0]:
                return None
            return True, wq.NullQuery if inner[1] is wq.NullQuery else wq.Not(inner[1])
        parts = [part for part in map(self._build, node.nodes) if part is not None]
        cls = wq.And if node.kind == "and" else wq.Or
        scale = self._scale if node.kind == "scaled" else None
        return bool(parts), normalised(cls, [q for _, q in parts], node.boost, scale)

    def _binary(self, node: Group) -> tuple[bool, wq.Query]:
        if len(node.nodes) != 2:
            raise Unsupported
        a, b = self._build(node.nodes[0]), self._build(node.nodes[1])
        if a is None or b is None:
            if a is None and b is None:
                return True, wq.NullQuery
            kept, leaf = (b, node.nodes[1]) if a is None else (a, node.nodes[0])
            if isinstance(leaf, Leaf) and type(kept[1]) is wq.Term:  # the group's span is stamped on it
                kept[1].startchar, kept[1].endchar = _start(node), _end(node)
            return kept
        cls = _BINARY[node.kind]
        if a[1] is wq.NullQuery or (b[1] is wq.NullQuery and cls is wq.Require):
            return True, wq.NullQuery
        return True, a[1] if b[1] is wq.NullQuery else cls(a[1], b[1])

    def _leaf(self, leaf: Leaf) -> tuple[bool, wq.Query] | None:
        field, shared = self._field(leaf.field)
        if leaf.kind == "phrase":
            tokens = self._tokens[leaf.text] if shared else tuple(
                (t.text, t.startchar, t.endchar) for t in field.tokenize(leaf.text, mode="query", chars=True))
            return True, _phrase(leaf, tokens)
        texts = self._words[leaf.text] if shared else tuple(
            field.process_text(leaf.text, mode="query", tokenize=True, removestops=True))
        if not texts:
            return None
        if len(texts) > 1:  # a word the analyzer splits: an OR of its parts, as Whoosh makes it
            return True, normalised(wq.Or, [wq.Term(leaf.field, t, boost=leaf.boost) for t in texts])
        term = wq.Term(leaf.field, texts[0], boost=leaf.boost)
        term.startchar, term.endchar = leaf.start, leaf.end
        return True, term


def has_sign(text: str, word_after: bool = True) -> bool:
    r"""Whether a "+" or "-" starts ``text`` or follows a space (and, with ``word_after``, comes
    before something other than a space): what ``(?:^|\s)[+-]\S`` finds, read from the signs'
    places (a regular expression tries each character of a long question in turn).

    >>> has_sign("covid-19 -fever"), has_sign("covid-19 - fever"), has_sign("a -", word_after=False)
    (True, False, True)
    """
    for sign in "+-":
        at = text.find(sign)
        while at >= 0:
            if (not at or text[at - 1].isspace()) and (not word_after or text[at + 1:at + 2].strip()):
                return True
            at = text.find(sign, at + 1)
    return False


def _phrase(leaf: Leaf, tokens: tuple[tuple[str, int, int], ...]) -> wq.Query:
    """Whoosh's normalised phrase: nothing, a term at no boost (one word), or a phrase."""
    if not tokens:
        return wq.NullQuery
    at = leaf.textstart
    if len(tokens) == 1:
        term = wq.Term(leaf.field, tokens[0][0])
        term.startchar, term.endchar = at + tokens[0][1], at + tokens[0][2]
        return term
    return wq.Phrase(leaf.field, [w for w, _, _ in tokens], slop=1, boost=leaf.boost,
                     char_ranges=[(at + a, at + b) for _, a, b in tokens])


def normalised(cls, subs: list[wq.Query], boost: float = 1.0, scale: float | None = None) -> wq.Query:
    """Whoosh's ``cls(subs, boost, scale).normalize()`` for ``subs`` already normalised and no
    ranges or every-document queries among them: nested groups of the same kind flattened (their
    boost multiplied in), repeats and nothing dropped, one left alone as itself."""
    flat: list[wq.Query] = []
    for sub in subs:
        if isinstance(sub, cls):
            flat += [_with_boost(inner, inner.boost * sub.boost) for inner in sub.subqueries]
        else:
            flat.append(sub)
    unique = [q for q in dict.fromkeys(flat) if q is not wq.NullQuery]
    if not unique:
        return wq.NullQuery
    if len(unique) == 1:
        result = unique[0]
        inner_boost = getattr(result, "boost", 1.0)
        if not (boost == 1.0 and inner_boost == 1.0):
            result = _with_boost(result, inner_boost * boost)
    else:
        result = cls(unique, boost=boost)
    if cls is wq.Or and result.__class__ is wq.Or:
        result.minmatch, result.scale = 0, scale
    return result


def _with_boost(q: wq.Query, boost: float) -> wq.Query:
    """``q.with_boost(boost)``, which deep-copies ``q`` first: no copy needed for a term or a
    phrase here, each query object being built for one place in one query."""
    if type(q) is not wq.Term and type(q) is not wq.Phrase:
        return q.with_boost(boost)
    q.boost = boost
    return q


def _tagged(text: str) -> list:
    """Whoosh's tagging: at each character the first tag that matches; text between tags a word."""
    nodes: list = []
    prev = 0
    for match in _TAGS.finditer(text):
        start, end, kind = match.start(), match.end(), match.lastgroup
        if prev < start:
            nodes.append(Leaf("word", text[prev:start], prev, start))
        if kind == "quote":
            nodes.append(Leaf("word", match.group("quote"), start, end))
        elif kind == "phrase":
            nodes.append(Leaf("phrase", match.group("phrase"), start, end, match.start("phrase")))
        elif kind in ("field", "name"):
            nodes.append(Mark("field", start, end, match.group("name"), match.group()))
        else:
            nodes.append(Mark(kind, start, end))
        prev = end
    if prev < len(text):
        nodes.append(Leaf("word", text[prev:], prev, len(text)))
    return nodes


def _grouped(nodes: list) -> Group:
    """Whoosh's ``do_groups``: brackets make nested groups; a stray ')' is dropped, an unclosed
    '(' leaves its words at the top."""
    stack = [Group("scaled")]
    for node in nodes:
        kind = node.kind if isinstance(node, Mark) else ""
        if kind == "open":
            stack.append(Group("scaled"))
        elif kind == "close":
            if len(stack) > 1:
                last = stack.pop()
                stack[-1].nodes.append(last)
        else:
            stack[-1].nodes.append(node)
    top = stack[0]
    for level in stack[1:]:
        top.nodes.extend(level.nodes)
    if len(top.nodes) == 1 and isinstance(top.nodes[0], Group):
        top = top.nodes[0]
        top.boost = 1.0
    return top


def _is_field(node) -> bool:
    return isinstance(node, Mark) and node.kind == "field"


def _fieldnames(group: Group, schema) -> None:
    """Whoosh's ``do_fieldnames``: an unknown field name is read as text (joined to the word after
    it); a known one applies to the node after it, unless a space follows; else it is a word."""
    nodes: list = []
    pending = None
    for node in group.nodes:
        if _is_field(node) and node.name not in schema:
            pending = node
            continue
        if pending is not None:
            if isinstance(node, Leaf):
                node.text = pending.original + node.text
            else:
                nodes.append(pending.as_word())
            pending = None
        nodes.append(node)
    if pending is not None:
        nodes.append(pending.as_word())
    out = []
    i = len(nodes)
    while i > 0:
        i -= 1
        node = nodes[i]
        if _is_field(node):
            node = node.as_word()
        elif isinstance(node, Group):
            _fieldnames(node, schema)
        if i > 0 and not (isinstance(node, Mark) and node.kind == "ws") and _is_field(nodes[i - 1]):
            if isinstance(node, Group):
                node.set_field(nodes[i - 1].name)
            elif isinstance(node, Leaf) and node.field is None:
                node.field = nodes[i - 1].name
            i -= 1
        out.append(node)
    out.reverse()
    group.nodes = out


def _without_spaces(group: Group) -> None:
    group.nodes = [node for node in group.nodes if not (isinstance(node, Mark) and node.kind == "ws")]
    for node in group.nodes:
        if isinstance(node, Group):
            _without_spaces(node)


def _plus_minus(top: Group) -> Group:
    """Whoosh's ``do_plusminus`` (the top level only): '+' makes the next node required, '-'
    banned; the rest is an OR (without the parser's bonus)."""
    required, optional, banned = Group("and"), Group("or"), Group("or")
    into = optional
    for node in top.nodes:
        kind = node.kind if isinstance(node, Mark) else ""
        if kind == "plus":
            into = required
        elif kind == "minus":
            into = banned
        else:
            into.nodes.append(node)
            into = optional
    group = optional
    if required.nodes:
        group = Group("andmaybe", [required, group])
    if banned.nodes:
        group = Group("andnot", [group, banned])
    return group


def _operators(group: Group) -> None:
    """Whoosh's ``do_operators``: each operator in turn, left to right, then inside each group."""
    nodes = group.nodes
    for kind in _OPERATORS if any(type(node) is Mark for node in nodes) else ():
        i = 0
        while i < len(nodes):
            node = nodes[i]
            if not (isinstance(node, Mark) and node.kind == kind):
                i += 1
            elif kind == "not":
                length = len(nodes)
                del nodes[i]
                if i < length - 1:
                    nodes[i] = Group("not", [nodes[i]])
            elif 0 < i < len(nodes) - 1:
                left, right = nodes[i - 1], nodes[i + 1]
                if isinstance(left, Group) and (left.is_or() if kind == "or" else kind == left.kind == "and"):
                    left.nodes.append(right)  # "a OR b OR c" joins one group
                    del nodes[i:i + 2]
                else:
                    nodes[i - 1:i + 2] = [Group(kind, [left, right])]
            else:
                del nodes[i]  # an operator with nothing on one side
    for node in nodes:
        if isinstance(node, Group):
            _operators(node)


def _start(node) -> int | None:
    if isinstance(node, Group):
        return _start(node.nodes[0]) if node.nodes else None
    return node.start


def _end(node) -> int | None:
    if isinstance(node, Group):
        return _end(node.nodes[-1]) if node.nodes else None
    return node.end
