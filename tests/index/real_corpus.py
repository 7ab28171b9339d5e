"""The real test corpus the index checks run on, and everything a reader can tell about an index.

241 MedQuAD files (so common terms span several posting blocks), the real forum pages, the
seed page and the hand-written search corpus, as the Whoosh documents the writer makes.
"""

from __future__ import annotations

import pathlib

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.formats import Positions

from healthqa.index import bulk
from healthqa.index.writer import document
from healthqa.ingest.pipeline import Options, ingest
from healthqa.ingest.store import Store

TESTS = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = [TESTS / "search" / "data" / "relevance" / "medquad", TESTS / "ingest" / "data" / "html",
           TESTS.parent / "raw"]


def real_documents(data_dir: pathlib.Path) -> list[dict[str, object]]:
    """The corpus ingested into a store in ``data_dir`` (unchanged files are not read again),
    as index documents."""
    from tests.search.corpus_index import corpus_pages

    with Store.open(str(data_dir)) as store:
        ingest([str(folder) for folder in FOLDERS], store, Options(workers=1))
        with store.transaction():
            for page in corpus_pages():
                store.put(page)
        return [document(page) for page in store.pages()]


def build(folder: pathlib.Path, schema: Schema, documents: list[dict[str, object]], use_bulk: bool):
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), schema)
    writer = ix.writer()
    if use_bulk:
        bulk.write_documents(writer, documents)
    else:
        for fields in documents:
            writer.add_document(**fields)
    writer.commit()
    return whoosh_index.open_dir(str(folder))


def snapshot(ix) -> dict[str, object]:
    """Everything a reader can tell about an index, with posting values decoded."""
    seen: dict[str, object] = {}
    with ix.reader() as reader:
        seen["docs"] = reader.doc_count_all()
        seen["stored"] = list(reader.all_stored_fields())
        for name, field in ix.schema.items():
            if field.column_type:
                seen[f"column {name}"] = list(reader.column_reader(name))
            if not field.indexed:
                continue
            seen[f"length {name}"] = reader.field_length(name)
            seen[f"lengths {name}"] = [reader.doc_field_length(d, name) for d in range(reader.doc_count_all())]
            decode = "positions" if isinstance(field.format, Positions) else "frequency"
            for text in reader.lexicon(name):
                info = reader.term_info(name, text)
                matcher = reader.postings(name, text)
                seen[f"{name}:{text!r}"] = (
                    info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(),
                    info.min_id(), info.max_id(), _postings(matcher, decode))
    return seen


def _postings(matcher, decode: str) -> list[tuple[int, float, object]]:
    out = []
    while matcher.is_active():
        out.append((matcher.id(), matcher.weight(), matcher.value_as(decode)))
        matcher.next()
    return out
