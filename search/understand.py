"""What a question asks about (its focus) and what it asks (its type).

The focus is found as the longest phrases of the question that name an indexed topic, a
focus synonym of an indexed page, or an entry of the disease and drug vocabularies
(:mod:`healthqa.index.vocabulary`). A vocabulary entry that is a lay or brand name
("pink eye", "tylenol") also brings its clinical name ("conjunctivitis",
"acetaminophen") as an expansion, which ranking searches at its own weight. The type
comes from the classifier of :mod:`healthqa.search.qtype`.

>>> reader.understand("can i take tylenol for pink eye").expansions   # doctest: +SKIP
('acetaminophen', 'conjunctivitis')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

from healthqa.index.lay_names import LayNames, loose_key
from healthqa.index.schema import STOP
from healthqa.index.vocabulary import Term, Vocabulary, phrase_key, word_key
from healthqa.search.consumer_types import asking_words, consumer_type
from healthqa.search.qtype import Prediction, classifier, features

_WORD = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
MAX_PHRASE = 6
# A word this common in the English list's source is everyday language ("naturally" is
# counted 17,595 times there, "headache" 7,368, "ibuprofen" 284).
COMMON_WORD_COUNT = 10_000
# A word this rare in everyday English ("ablation" 125, "mthfr" 0) that some indexed topic
# holds names what the question is about even when it is only part of that topic
# ("heart ablation" -> Cardiac ablation procedures); a commoner word ("urine") does so
# only when nothing else in the question names a focus.
RARE_WORD_COUNT = 1_000
TOPIC, SYNONYM, TOPIC_WORD = "index topic", "index synonym", "index topic word"
LAY_NAME = "index lay name"  # a name the indexed text pairs with a clinical one (index/lay_names.py)
_UNSEEN = object()
# A focus phrase's key, remembered: focus phrases and their clinical names recur across questions.
_phrase_key = lru_cache(maxsize=50_000)(phrase_key)
_VOCABULARY = {"disease": "disease vocabulary", "drug": "drug vocabulary"}


@dataclass(frozen=True)
class Focus:
    """A phrase of the question that names what it is about, and where it was found."""

    text: str                    # as written in the question
    source: str                  # index topic, index synonym, disease vocabulary, drug vocabulary
    topic: str | None = None     # the indexed topic it names, if any
    canonical: str | None = None  # the clinical name a vocabulary gives a lay or brand name
    kind: str | None = None  # "drug" or "disease" when a vocabulary names it so

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "source": self.source, "topic": self.topic, "canonical": self.canonical,
                "kind": self.kind}


@dataclass(frozen=True)
class Understanding:
    """What was understood of one question."""

    question: str
    focus: tuple[Focus, ...]
    expansions: tuple[str, ...]
    qtype: Prediction | None
    # What a consumer asks, in the consumer types (SIDE_EFFECT, INGREDIENT, ...; see
    # search/consumer_types.py): the types people ask in, beside MedQuAD's page types.
    asks: Prediction | None = None
    # The words the question asks with ("side effects", "bad for"): not what it is about.
    asking: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "focus": [f.to_dict() for f in self.focus],
                "expansions": list(self.expansions), "type": self.qtype.to_dict() if self.qtype else None,
                "asks": self.asks.to_dict() if self.asks else None, "asking_words": list(self.asking)}


class QuestionReader:
    """Reads questions against one index: its topics, its synonyms and the vocabularies.

    ``topics`` is the topic names, or a function giving the topic a phrase names (or
    ``None``); ``synonym_phrase`` says whether some page's focus synonyms hold a phrase (given as
    its words), ``topic_word`` whether some topic holds it among other words; ``cache_dir`` is
    where the vocabularies are kept (the data directory).
    ``word_fields``, if given, says of one word whether some topic holds every index term of it
    and whether some page's synonyms do: a phrase with a word in no topic and a word in no
    synonyms can name neither, and most phrases of a question are rejected so, word by word,
    without the look-ups above.
    """

    def __init__(self, topics: Iterable[str] | Callable[[str], str | None],
                 synonym_phrase: Callable[[str], bool] | None = None, cache_dir: str | None = None,
                 topic_word: Callable[[str], bool] | None = None,
                 word_fields: Callable[[str], tuple[bool, bool]] | None = None, lay_names: LayNames | None = None):
        self._synonym_phrase = synonym_phrase
        self._topic_word = topic_word
        self._word_fields = word_fields
        self._lay_names = lay_names
        self._lay_found: dict[str, object] = {}  # loose key -> its Term, or None
        self._phrases: dict[tuple[str, int], object] = {}  # (phrase, topic word count) -> its Focus, or None
        # Phrase key -> its vocabulary entry and the clinical name the indexed text pairs it with
        # (None: none): every phrase of a question is keyed, and phrases recur across questions
        # (50,000 keys: about 8 MB). Replaced when full, never cleared: a search may be reading it.
        self._keys: dict[str, tuple[Term | None, Term | None]] = {"": (None, None)}
        self.vocabulary = Vocabulary(cache_dir)
        if callable(topics):  # an index looks its topics up itself: no table to build at start
            self._topic_named = topics
        else:
            table: dict[str, str] = {}
            for topic in topics:
                table.setdefault(phrase_key(topic), topic)
            self._topic_named = lambda text: table.get(phrase_key(text))

    def understand(self, text: str, with_type: bool = True, medquad_type: bool = True) -> Understanding:
        """What ``text`` asks about and asks; without ``with_type`` its focus only, without
        ``medquad_type`` no MedQuAD type (``qtype`` None: a search ranking by the consumer type
        reads none)."""
        focus = self.focus(text)
        expansions = [f.canonical for f in focus
                      if f.canonical and _phrase_key(f.canonical) != _phrase_key(f.text)]
        names = tuple(f.text for f in focus)
        qtype = classifier().predict(text, names) if with_type and medquad_type else None
        asks = consumer_type(text, names, drug=any(f.kind == "drug" for f in focus)) if with_type else None
        named = {w.lower() for f in focus for w in _WORD.findall(f.text)}
        asking = tuple(sorted(asking_words(text[:2000]) - named)) if with_type else ()
        return Understanding(text, tuple(focus), tuple(dict.fromkeys(expansions)), qtype, asks, asking)

    def focus(self, text: str) -> list[Focus]:
        """The focus phrases of ``text``, longest first at each position, left to right."""
        words = _WORD.findall(text[:2000])
        starts = _span_keys(words)
        named = self._named({key for phrases in starts for _, key in phrases})
        # Each position's phrases that may match, longest first: a vocabulary or lay name, or
        # one that some topic or synonyms may hold (the rest would be looked up in vain).
        spans: list[list[tuple[int, str, Term | None]]] = []
        longer = None  # the keys of phrases of two or more words: a lay name is one of them
        for phrases, reach in zip(starts, self._may_name(words)):
            kept = []
            for n, key in phrases:
                term, lay = named[key]
                if term is None and lay is not None:
                    if longer is None and n == 1:
                        longer = {key for phrases in starts for n, key in phrases if n > 1}
                    term = lay if n > 1 or key in longer else None
                if term is not None or n <= reach:
                    kept.append((n, key, term))
            spans.append(kept)
        found = self._scan(words, spans, RARE_WORD_COUNT)
        # Nothing named: a less rare word that a topic holds ("how much urine ...").
        return found or self._scan(words, spans, COMMON_WORD_COUNT)

    def _may_name(self, words: list[str]) -> list[int]:
        """Per position, the most words a phrase starting there may have and still name a
        topic or synonyms (every word in some topic, or every word in some synonyms)."""
        if self._word_fields is None:
            return [MAX_PHRASE] * len(words)
        fields = [self._word_fields(w) for w in words]
        return [max(a, b) for a, b in zip(_runs([t for t, _ in fields]), _runs([s for _, s in fields]))]

    def _named(self, keys: set[str]) -> dict[str, tuple[Term | None, Term | None]]:
        """Phrase key -> its vocabulary entry, and the clinical name the indexed text pairs it
        with (:meth:`_lay_named`) when no vocabulary holds it; remembered per index: the memo
        itself is returned when it holds every key (a question's phrases recur)."""
        memo = self._keys
        new = [key for key in keys if key not in memo]
        if not new:
            return memo
        if len(memo) + len(new) > 50_000:  # a new memo: the full one may be read by another search
            memo = {key: memo[key] for key in keys if key in memo}
            memo[""] = (None, None)
        terms = self.vocabulary.terms(new)
        # A name's key is its stems, stop words out: a phrase key's words (both stem alike).
        # "much urine" leaves one: no two-word name.
        stems = {key: frozenset(key.split()) for key in new if " " in key and key not in terms}
        stems = {key: s for key, s in stems.items() if len(s) > 1}
        pairable = set(self._lay_names.pairable(list(stems.values()))) if self._lay_names is not None else set()
        loose = {key: " ".join(sorted(s)) for key, s in stems.items() if s in pairable}
        lay = self._lay_named(set(loose.values()))
        memo.update({key: (terms.get(key), lay.get(loose.get(key))) for key in new})
        self._keys = memo
        return memo

    def _lay_named(self, names: set[str]) -> dict[str, Term | None]:
        """Loose key (:func:`loose_key`) -> the clinical name the indexed text pairs it with
        (see :func:`lay_term`), for phrases of two or more words no vocabulary holds."""
        # What a name stands for is read once per index (names recur across questions).
        found = {name: self._lay_found.get(name, _UNSEEN) for name in names}
        new = [name for name, term in found.items() if term is _UNSEEN]
        if new:
            paired = self._lay_names.others(new)
            if len(self._lay_found) >= 50_000:
                self._lay_found.clear()
            for name in new:
                found[name] = self._lay_found[name] = lay_term(paired.get(name, ()), self.vocabulary,
                                                               self._topic_named)
        return found

    def _scan(self, words: list[str], spans: list[list[tuple[int, str, Term | None]]],
              topic_word_count: int) -> list[Focus]:
        """Longest matching phrase at each position, left to right; a single word rarer
        than ``topic_word_count`` may be a focus because some topic holds it."""
        found: list[Focus] = []
        i = 0
        while i < len(words):
            for n, key, term in spans[i]:
                match = self._phrase(words[i:i + n], key, term, topic_word_count)
                if match:
                    found.append(match)
                    i += n
                    break
            else:
                i += 1
        return found

    def _phrase(self, words: list[str], key: str, term: Term | None, topic_word_count: int) -> Focus | None:
        """:meth:`_match`, remembered per index: what a phrase names depends on its words only
        (its key and term are theirs), and phrases recur across questions."""
        memo = (" ".join(words), topic_word_count)
        found = self._phrases.get(memo, _UNSEEN)
        if found is _UNSEEN:
            if len(self._phrases) >= 50_000:
                self._phrases.clear()
            found = self._phrases[memo] = self._match(words, key, term, topic_word_count)
        return found

    def _match(self, words: list[str], key: str, term: Term | None, topic_word_count: int = 0) -> Focus | None:
        lowered = [w.lower() for w in words]
        if not key or lowered[0] in STOP or lowered[-1] in STOP:
            return None  # "of asthma" is found as "asthma"
        stems = key.split()
        if _names_what_is_asked(words) or len(set(stems)) < len(stems):
            return None  # "side effects": what is asked, not what about; "nph nph": two mentions
        if not any(c.isalpha() for c in lowered[0]) or (len(words) == 1 and len(lowered[0]) < 3):
            return None  # "20 mg" starts with a number; "mg", "bp": too short to tell
        text = " ".join(words)
        canonical = term.canonical if term else None
        kind = term.source if term else None
        topic = self._topic_named(text)
        if topic:
            return Focus(text, TOPIC, topic, canonical, kind)
        # A single everyday word ("he", "general", "ring") that a brand name or some page's
        # synonyms happen to use is no focus: only an indexed topic of that name is.
        if len(words) == 1 and self.vocabulary.english_count(lowered[0]) >= COMMON_WORD_COUNT:
            return None
        if term:  # a vocabulary or lay name; its clinical name may be an indexed topic
            topic = self._topic_named(canonical) if canonical else None
            return Focus(text, _VOCABULARY.get(term.source, LAY_NAME), topic, canonical,
                         kind if kind in _VOCABULARY else None)
        count = self.vocabulary.english_count(lowered[0]) if len(words) == 1 else 0
        if len(words) == 1 and count < topic_word_count and self._topic_word and self._topic_word(text):
            return Focus(text, TOPIC_WORD)
        if count:
            return None  # some page's synonyms hold "salts" or "cycles": not enough to be a focus
        if self._synonym_phrase and self._synonym_phrase(text):
            return Focus(text, SYNONYM)
        return None


def _span_keys(words: list[str]) -> list[list[tuple[int, str]]]:
    """Per position, ``(words, phrase key)`` of each phrase starting there of up to
    :data:`MAX_PHRASE` words that neither starts nor ends with a stop word ("of asthma" is
    found as "asthma"), longest first. A phrase's key is its words' keys joined: each word is
    keyed once."""
    parts = [_word_part(w) for w in words]
    starts: list[list[tuple[int, str]]] = []
    for i, (stop, _) in enumerate(parts):
        grown: list[tuple[int, str]] = []
        if not stop:
            key = ""
            for n, (last_stop, part) in enumerate(parts[i:i + MAX_PHRASE], 1):
                if part:
                    key = f"{key} {part}" if key else part
                if not last_stop:
                    grown.append((n, key))
            grown.reverse()
        starts.append(grown)
    return starts


@lru_cache(maxsize=100_000)
def _word_part(word: str) -> tuple[bool, str]:
    """Whether ``word`` is a stop word, and its key (:func:`word_key`)."""
    return word.lower() in STOP, word_key(word)


def _runs(flags: list[bool]) -> list[int]:
    """Per position, how many flags in a row are true from there on.

    >>> _runs([True, True, False, True])
    [2, 1, 0, 1]
    """
    runs = [0] * (len(flags) + 1)
    for i in range(len(flags) - 1, -1, -1):
        runs[i] = runs[i + 1] + 1 if flags[i] else 0
    return runs[:-1]


def _names_what_is_asked(words: list[str]) -> bool:
    """True when every word of the phrase ``words`` the type model reads is one saying what is asked."""
    read = [_asking_word(w) for w in words]
    return any(some for some, _ in read) and all(asking for _, asking in read)


@lru_cache(maxsize=100_000)
def _asking_word(word: str) -> tuple[bool, bool]:
    """Whether the type model reads some of ``word`` (a word of a phrase: the model's words do
    not cross a space), and whether all it reads of it says what is asked."""
    asked = [f for f in features(word) if " " not in f]
    return bool(asked), all(f in _type_words() for f in asked)


def lay_term(pairs: Iterable[tuple[str, str, int]], vocabulary: Vocabulary,
             topic_named: Callable[[str], str | None]) -> Term | None:
    """The clinical name of a lay phrase, from the names the indexed text pairs it with:
    the name it is paired with most (at least twice, and in at least half of its pairings:
    "blood pressure" goes with too many names to stand for one), rarer in everyday English
    (its rarest word rarer than :data:`RARE_WORD_COUNT` and than the phrase's rarest word),
    naming an indexed topic or a vocabulary entry ("water pills" -> diuretics, "ringing in
    the ears" -> tinnitus; never "tinnitus" -> ringing in the ears)."""
    counts: dict[str, int] = {}
    names: dict[str, tuple[str, str]] = {}
    for phrase, other, count in pairs:
        key = loose_key(other)
        counts[key] = counts.get(key, 0) + count
        names.setdefault(key, (phrase, other))
    if not counts:
        return None
    best = max(counts, key=counts.__getitem__)
    if counts[best] < 2 or counts[best] * 2 < sum(counts.values()):
        return None
    phrase, other = names[best]
    other_words = [w for w in _WORD.findall(other.lower()) if w not in STOP]
    lay_words = [w for w in _WORD.findall(phrase.lower()) if w not in STOP]
    if not other_words or not lay_words:
        return None
    rarest_other = min(vocabulary.english_count(w) for w in other_words)
    if rarest_other >= RARE_WORD_COUNT or min(vocabulary.english_count(w) for w in lay_words) < RARE_WORD_COUNT:
        return None
    known = vocabulary.terms([phrase_key(other)]).get(phrase_key(other))
    topic = topic_named(other)
    return Term(phrase.lower(), topic or known.canonical, "lay") if topic or known else None


@lru_cache(maxsize=1)
def _type_words() -> frozenset[str]:
    """The stems the question-type model reads as saying what is asked."""
    return frozenset(f for f in classifier().index if " " not in f)
