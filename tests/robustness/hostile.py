"""Hostile input for the parsers and the query reader (Hypothesis strategies).

Shared by ``test_fuzz.py`` (a few hundred inputs a target, in CI) and ``bench/faults.py``
(ten thousand and more, by hand). Inputs: random bytes and text, mutations of the real
pages in ``tests/ingest/data`` (driven by a drawn seed, so that a big page costs Hypothesis
a few bytes to describe), deeply nested markup, huge attributes, JSON-LD bombs (deep, wide,
huge, self-referencing), XML entity bombs, control characters, and query syntax soup.
What each target must do with them is in ``contracts.py``.
"""

from __future__ import annotations

import json
import pathlib
import random

from hypothesis import strategies as st

DATA = pathlib.Path(__file__).resolve().parents[1] / "ingest" / "data"


def _samples(pattern: str) -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8") for p in sorted(DATA.glob(pattern)))


HTML_PAGES = _samples("html/*.html")
TEXT_PAGES = _samples("text/*.txt")
MEDQUAD_DOCS = _samples("medquad/*/*.xml")
ALL_PAGES = HTML_PAGES + TEXT_PAGES + MEDQUAD_DOCS

# Characters and short strings that break naive parsers or reach terminals and browsers.
NASTY = ("\x00", "\x1b[2J", "\x1b]0;title\x07", "\x9b31m", "\x85", "\x07", "\x08", "\r", "\x0c", "\x7f", "\u2028",
         "\u202e", "\ufeff", "\ufffe", "\ud800", "\udfff", "\U0010ffff", "&#0;", "&#x1b;", "&#xd800;", "&#1114112;",
         "&#x9b;", "&amp;amp;lt;", "&", "&;", "&#;", "&#x;", "<", ">", "<!--", "-->", "<![CDATA[", "]]>", "<?", "?>",
         "<!DOCTYPE html>", "</script>", "<script>", "<script type='application/ld+json'>", "{", "}", "[", "]", '"',
         "'", "\\", "\\u0000", "\\ud800", "•", "Answers (9)", "• A , Role, answered", "answered", "?\n", "\n\n",
         "Did You See?", "<Document>", "<QAPair>", "<Question>", "</Answer>", "itemscope", "itemprop=\"text\"",
         "ï»¿", "Ã©", "\x92", "é", "ﬁ", "𝔘", "\u0301", "\t", " " * 50)


def _mutate(text: str, seed: int, rounds: int) -> str:
    """``text`` with ``rounds`` random edits: cuts, copies, swaps, truncation, nasty insertions."""
    rng = random.Random(seed)
    for _ in range(rounds):
        n = len(text)
        at = rng.randint(0, n)
        span = rng.choice((1, 3, 10, 100, 1000))
        action = rng.randrange(8)
        if action == 0:
            text = text[:at] + text[at + span:]
        elif action == 1:
            text = text[:at] + rng.choice(NASTY) * rng.choice((1, 1, 2, 50)) + text[at:]
        elif action == 2:
            text = text[:at]
        elif action == 3:
            text = text[:at] + text[at:at + span] * rng.choice((2, 10, 100)) + text[at:]
        elif action == 4:
            other = rng.randint(0, n)
            a, b = sorted((at, other))
            text = text[:a] + text[b:b + span] + text[a + span:b] + text[a:a + span] + text[b + span:]
        elif action == 5:
            lines = text.split("\n")
            rng.shuffle(lines)
            text = "\n".join(lines)
        elif action == 6:
            donor = rng.choice(ALL_PAGES)
            start = rng.randint(0, len(donor))
            text = text[:at] + donor[start:start + span * 5] + text[at:]
        else:
            text = "".join(ch.upper() if rng.random() < 0.3 else ch for ch in text[:at]) + text[at:]
    return text


def mutated(samples: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A real page from ``samples`` with a few random edits."""
    return st.builds(_mutate, st.sampled_from(samples), st.integers(0, 2**32 - 1), st.integers(1, 8))


def with_controls(samples: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A real page with control characters, surrogates and entities for them sprinkled through it."""

    def sprinkle(text: str, seed: int, count: int) -> str:
        rng = random.Random(seed)
        for _ in range(count):
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(NASTY[:22]) + text[at:]
        return text

    return st.builds(sprinkle, st.sampled_from(samples), st.integers(0, 2**32 - 1), st.integers(1, 200))


_TAGS = ("div", "b", "p", "li", "ul", "table", "td", "tr", "span", "a", "section", "article", "font", "i", "em",
         'div itemscope itemtype="https://schema.org/Question"', 'div itemprop="suggestedAnswer" itemscope',
         'span itemprop="text"', "svg", "template", "select", "nav", "aside")
_QUESTION_LD = ('<script type="application/ld+json">{"@type": "Question", "name": "Why deep?", '
                '"acceptedAnswer": {"@type": "Answer", "text": "Because."}}</script>')


@st.composite
def nested_html(draw: st.DrawFn) -> str:
    """Markup nested from a few to thousands of levels, closed, unclosed or half-closed."""
    tag = draw(st.sampled_from(_TAGS))
    depth = draw(st.one_of(st.integers(1, 600), st.sampled_from([511, 512, 513, 1000, 5000, 20000])))
    name = tag.split()[0]
    inner = draw(st.sampled_from(["Why?", _QUESTION_LD, "• A , Fitness, answered", "<h1>Why?</h1>", ""]))
    closing = draw(st.sampled_from(["all", "none", "half", "wrong"]))
    close = {"all": f"</{name}>" * depth, "none": "", "half": f"</{name}>" * (depth // 2),
             "wrong": "</x>" * depth}[closing]
    return f"<html><body>{f'<{tag}>' * depth}{inner}{close}</body></html>"


@st.composite
def huge_attributes(draw: st.DrawFn) -> str:
    """An element with an enormous attribute value, very many attributes, or a huge class or itemtype."""
    size = draw(st.sampled_from([10, 1000, 65_536, 200_000, 1_000_000]))  # characters, about
    unit = draw(st.sampled_from(["a", "x ", "&amp;", "\"", "'", "<", "é", "\x00", "itemprop ", "http://schema.org/"]))
    filler = (unit * (size // len(unit) + 1))[:size]
    kind = draw(st.sampled_from(["value", "many", "class", "itemtype", "href", "name"]))
    body = "<h1>Why?</h1>" + _QUESTION_LD
    if kind == "value":
        return f'<html><body><div title="{filler}">{body}</div></body></html>'
    if kind == "many":
        attributes = " ".join(f"a{i}=\"{i}\"" for i in range(min(size, 50_000)))
        return f"<html><body><div {attributes}>{body}</div></body></html>"
    if kind == "class":
        return f'<html><body><div class="{"user_title breadcrumb " * (size // 20)}">{body}</div></body></html>'
    if kind == "itemtype":
        return (f'<html><body><div itemscope itemtype="{filler}"><h1 itemprop="name">Why?</h1>'
                f'<div itemprop="{"suggestedAnswer " * (size // 16)}">x</div></div></body></html>')
    if kind == "href":
        return f'<html><head><link rel="canonical" href="https://x.org/{filler}"></head><body>{body}</body></html>'
    return f'<html><body><{"d" * min(size, 100_000)}>{body}</body></html>'


def _json_bomb(kind: str, size: int) -> str:
    if kind == "deep-list":
        return "[" * size + "]" * size
    if kind == "deep-dict":
        return '{"mainEntity": ' * size + '{"@type": "Question", "name": "Deep?"}' + "}" * size
    if kind == "deep-unclosed":
        return '{"a": [' * size
    if kind == "wide":
        item = '{"@type": "Question", "name": "Why %d?", "suggestedAnswer": [{"text": "x"}, {"text": "y"}]}'
        return "[" + ",".join(item % i for i in range(size)) + "]"
    if kind == "huge-string":
        return json.dumps({"@type": "Question", "name": "Big?", "acceptedAnswer": {"text": "word " * size}})
    if kind == "references":
        nodes = [{"@id": f"n{i}", "@type": "Answer", "text": "x", "author": [{"@id": f"n{j}"} for j in range(50)]}
                 for i in range(min(size, 2000))]
        answers = [{"@id": f"n{i}"} for i in range(len(nodes))]
        nodes.append({"@type": "Question", "name": "Refs?", "suggestedAnswer": answers})
        return json.dumps({"@graph": nodes})
    if kind == "numbers":
        return ('{"@type": "Question", "name": 1e999, "acceptedAnswer": {"text": -0, "upvoteCount": %s, '
                '"dateCreated": NaN, "author": Infinity}}' % ("9" * min(size, 10_000)))
    if kind == "types":
        return json.dumps({"@type": [["Question"] * 3, None, 5], "name": {"@value": ["x"]}, "mainEntity": "x",
                           "acceptedAnswer": [None, 1, "text", [], {"text": {"text": {"@value": "v"}}}]})
    return '{"@type": "Question", "name": "' + "\\ud800" * size + '"}'  # lone surrogates, escaped


@st.composite
def jsonld_bombs(draw: st.DrawFn) -> str:
    """JSON-LD (or Next.js data) that is deep, wide, huge, self-referencing or oddly typed."""
    kind = draw(st.sampled_from(["deep-list", "deep-dict", "deep-unclosed", "wide", "huge-string", "references",
                                 "numbers", "types", "surrogates"]))
    size = draw(st.sampled_from([1, 10, 100, 1000, 5000, 20_000, 100_000]))
    if kind in ("wide", "references", "huge-string") and size > 20_000:
        size = 20_000
    blob = _json_bomb(kind, size)
    if draw(st.booleans()):
        script = f'<script type="application/ld+json">{blob}</script>'
    else:
        script = f'<script id="__NEXT_DATA__" type="application/json">{{"props": {blob}}}</script>'
    return f"<html><head>{script * draw(st.integers(1, 3))}</head><body><h1>Why?</h1></body></html>"


def _entity_bomb(depth: int, width: int) -> str:
    entities = '<!ENTITY e0 "lol">' + "".join(
        f'<!ENTITY e{i} "{f"&e{i - 1};" * width}">' for i in range(1, depth))
    return (f'<?xml version="1.0"?><!DOCTYPE Document [{entities}]><Document id="1" source="X"><QAPairs>'
            f'<QAPair pid="1"><Question qid="1">Why &e{depth - 1}; ?</Question><Answer>&e{depth - 1};</Answer>'
            "</QAPair></QAPairs></Document>")


@st.composite
def xml_bombs(draw: st.DrawFn) -> str:
    """MedQuAD-shaped XML with entity expansion, external entities, deep nesting or very many pairs."""
    kind = draw(st.sampled_from(["laughs", "external", "deep", "pairs", "attributes", "namespaces"]))
    if kind == "laughs":
        return _entity_bomb(draw(st.integers(2, 12)), draw(st.integers(2, 12)))
    if kind == "external":
        target = draw(st.sampled_from(["file:///etc/passwd", "http://127.0.0.1:9/x", "/dev/zero", "file:///dev/random"]))
        return (f'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "{target}">]><Document id="1" '
                f'source="X"><QAPairs><QAPair pid="1"><Question qid="1">Why &x; ?</Question><Answer>&x;</Answer>'
                "</QAPair></QAPairs></Document>")
    count = draw(st.sampled_from([1, 10, 300, 3000, 30_000]))
    if kind == "deep":
        return ('<?xml version="1.0"?><Document id="1" source="X"><QAPairs><QAPair pid="1"><Question qid="1">Why?'
                f'</Question><Answer>{"<b>" * count}x{"</b>" * count}</Answer></QAPair></QAPairs></Document>')
    if kind == "pairs":
        pair = '<QAPair pid="{0}"><Question qid="{0}">Why {0}?</Question><Answer>x</Answer></QAPair>'
        return ('<?xml version="1.0"?><Document id="1" source="X"><QAPairs>'
                + "".join(pair.format(i) for i in range(min(count, 5000))) + "</QAPairs></Document>")
    if kind == "attributes":
        return (f'<?xml version="1.0"?><Document id="1" source="{"S" * count * 10}" url="https://x.org/{"u" * count}">'
                '<QAPairs><QAPair pid="1"><Question qid="1" qtype="' + "t" * count + '">Why?</Question>'
                "<Answer>x</Answer></QAPair></QAPairs></Document>")
    return ('<?xml version="1.0"?><d:Document xmlns:d="urn:x" id="1" source="X"><d:QAPairs><d:QAPair pid="1">'
            "<d:Question>Why?</d:Question><d:Answer>x</d:Answer></d:QAPair></d:QAPairs></d:Document>")


_MARKUP_BITS = st.sampled_from(["<div>", "</div>", "<p>", "<br>", "<h1>", "</h1>", "<script>", "</script>",
                                '<script type="application/ld+json">', "<!--", "-->", "<![CDATA[", "]]>", "&amp;",
                                "&#x1b;", '<div itemscope itemtype="https://schema.org/Question">', 'itemprop="name"',
                                '<div class="Message">', '<div class="ItemComment">', "<html>", "<body>", "<nav>",
                                "</nav>", "• A , Fitness, answered", "Answers (2)", "Why?", "{", "}", '"@type"', ":",
                                '"Question"', ",", "\n", " "])

HTML = st.one_of(mutated(HTML_PAGES), with_controls(HTML_PAGES), nested_html(), huge_attributes(), jsonld_bombs(),
                 st.lists(st.one_of(_MARKUP_BITS, st.text(max_size=10)), max_size=80).map("".join), st.text())
TEXT = st.one_of(mutated(TEXT_PAGES), with_controls(TEXT_PAGES), st.text(),
                 st.builds(lambda line, n: "Topic\nWhy?\nAnswers (1)\n" + line * n,
                           st.sampled_from(["• A , Role, answered\n  x\n", "  word word\n", "x" * 1000 + "\n",
                                            "• " + "a," * 500 + " answered\n", "?\n", "\n"]),
                           st.sampled_from([1, 10, 100, 1000])))  # up to a megabyte; bigger: bench/faults.py bombs
MEDQUAD = st.one_of(mutated(MEDQUAD_DOCS), with_controls(MEDQUAD_DOCS), xml_bombs(), st.text())
DOCUMENT = st.one_of(HTML, TEXT, MEDQUAD)


def _as_bytes(text: str, encoding: str, bom: bool) -> bytes:
    data = text.encode(encoding, errors="replace")
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def _mutate_bytes(data: bytes, seed: int, rounds: int) -> bytes:
    rng = random.Random(seed)
    buffer = bytearray(data)
    for _ in range(rounds):
        at = rng.randint(0, len(buffer))
        action = rng.randrange(4)
        if action == 0 and buffer:
            buffer[min(at, len(buffer) - 1)] = rng.randrange(256)
        elif action == 1:
            buffer[at:at] = bytes(rng.randrange(256) for _ in range(rng.choice((1, 2, 4, 16))))
        elif action == 2:
            del buffer[at:at + rng.choice((1, 10, 100))]
        else:
            buffer[at:at] = rng.choice((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff",
                                        b'<meta charset="utf-16">', b'<?xml version="1.0" encoding="ebcdic-cp-us"?>',
                                        b'<meta charset="x-unknown">', b"\xc0\x80", b"\xed\xa0\x80", b"\x00"))
    return bytes(buffer)


BYTES = st.one_of(
    st.binary(max_size=2000),
    st.builds(_as_bytes, DOCUMENT, st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16", "utf-16-be", "utf-32",
                                                    "shift_jis", "koi8-r"]), st.booleans()),
    st.builds(_mutate_bytes, st.builds(_as_bytes, st.sampled_from(ALL_PAGES), st.sampled_from(["utf-8", "cp1252"]),
                                       st.booleans()), st.integers(0, 2**32 - 1), st.integers(1, 30)),
)

# -- queries ----------------------------------------------------------------------------------------

_QUERY_BITS = st.sampled_from(["pain", "heart", "attack", "pneumonia", "diab", "asthma", "exercise", "case00001",
                               "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "TO", "(", ")", '"', "*", "~", "~2",
                               "^", "^3", "^-1", "^1e400", "+", "-", ":", "[", "]", "{", "}", "\\", "/", "?", "'", ",",
                               "question:", "topic:", "role:", "source:", "type:", "id:", "foo:", "q:", "answer:",
                               "related:", "*ain", "pa*", "p?in", "pain~", "[a TO z]", "{a TO }", "\x00", "\x1b[2J",
                               "\x9b", "\ud800", "é", "ß", "İ", "ﬁ", "\u202e", "日本", " ", "  ", "\t"])
QUERY = st.one_of(
    st.text(max_size=200),
    st.lists(_QUERY_BITS, max_size=40).map(" ".join),
    st.lists(st.one_of(_QUERY_BITS, st.text(max_size=4)), max_size=40).map("".join),
    st.builds(lambda bit, n: bit * n, _QUERY_BITS, st.sampled_from([10, 300, 1000, 3000])),
)
ROLE = st.sampled_from(["", "Fitness", "fitness", "Pulmonology", "\x1b[2J", "nope", "a" * 500])
