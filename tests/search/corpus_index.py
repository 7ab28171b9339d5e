"""The small search corpus (``data/corpus.jsonl``) and how to index records for a test.

The corpus holds 24 hand-written records, one JSON object a line in the ``QAPage`` shape:
five pages each on pneumonia, diabetes and heart attack (so that did-you-mean has a
vocabulary to correct towards), a page with "heart" and "attack" apart (for phrases),
pages with expert roles, several sources, a page whose answer holds HTML and one whose
text holds terminal escape sequences.
"""

from __future__ import annotations

import pathlib

from healthqa.index.writer import sync
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import Store

DATA = pathlib.Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus.jsonl"


def corpus_pages() -> list[QAPage]:
    return [QAPage.from_json(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


def build_index(data_dir: pathlib.Path, pages: list[QAPage]) -> pathlib.Path:
    """Store ``pages`` in a record store in ``data_dir`` and index them."""
    with Store.open(str(data_dir)) as store:
        with store.transaction():
            for page in pages:
                store.put(page)
        sync(str(data_dir), store)
    return data_dir
