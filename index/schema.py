"""The Whoosh schema over records, and the analyzers behind it.

A hit is a question page. Fields a person's words are matched against: the question
(strongest), the question's detail, the answers' text, the expert roles (as words),
the topic (MedQuAD's focus), the focus synonyms and the related questions. Exact
values for filters and facets: ``role``, ``topic_exact``, ``source``. Stored fields
are enough to show a hit, answers included, without reading the record store.
"""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemmingAnalyzer, StopFilter
from whoosh.analysis import STOP_WORDS
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

# Bump when fields or analyzers change: an index of another version must be rebuilt.
SCHEMA_VERSION = 4  # 4: the page key column and the answer index (index/answers.py)

# Words in templated and consumer questions that say nothing about the subject.
EXTRA_STOP_WORDS = frozenset({"what", "which", "how", "who", "whom", "why", "does", "did", "do", "i", "my", "me", "am", "are", "is", "s"})
STOP = frozenset(STOP_WORDS) | EXTRA_STOP_WORDS

# Fields searched by plain words, each normalised by its own length (BM25F).
TEXT_FIELDS = ("question", "detail", "answer", "role_text", "topic", "synonyms", "related")


def text_analyzer():
    """English text: words, lower case, stop words out, accents folded, stemmed."""
    return StemmingAnalyzer(stoplist=STOP, minsize=1, cachesize=200_000) | CharsetFilter(accent_map)


ROLE_SEPARATOR = "\x1f"  # roles may hold commas ("Obstetrics, Gynecology"): a separator no text has


def role_analyzer():
    """Each expert role whole, as written: one exact value for filters and facets."""
    return RegexTokenizer(r"[^\x1f]+")


def spelling_analyzer():
    """Whole words for did-you-mean: no stemming, so suggestions are real words."""
    return RegexTokenizer(r"[^\W\d_]{3,}") | LowercaseFilter() | StopFilter(stoplist=STOP) | CharsetFilter(accent_map)


def key_column():
    """The page's numeric key (:func:`healthqa.index.answers.page_key`), which the answer index shares."""
    from healthqa.index.answers import key_column as column  # answers imports this module

    return column()


def build_schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        question=TEXT(analyzer=analyzer, stored=True, phrase=True),
        detail=TEXT(analyzer=analyzer, phrase=True),
        answer=TEXT(analyzer=analyzer, phrase=True),
        role_text=TEXT(analyzer=analyzer),
        topic=TEXT(analyzer=analyzer, stored=True, phrase=True),
        synonyms=TEXT(analyzer=analyzer, phrase=True),
        related=TEXT(analyzer=analyzer, phrase=True),
        role=TEXT(analyzer=role_analyzer(), phrase=False),
        topic_exact=ID(sortable=True),
        source=ID(stored=True, sortable=True),
        qtype=ID(stored=True),
        spell=TEXT(analyzer=spelling_analyzer()),
        url=STORED(),
        answers=STORED(),
        related_stored=STORED(),
        key=key_column(),
        signal=ID(),  # "1": an answer is accepted or has votes (expert signals, search/answers.py)
    )
