"""Per-document values as arrays, for filters, facets and ranking features.

Built lazily, once per searcher, from Whoosh's postings (fields with few values:
source, role, question type) or its columns (topic).
"""

from __future__ import annotations

import contextlib
from functools import cached_property

import numpy as np

from healthqa.ingest.files import replacing
from healthqa.search.engine import Postings


class Values:
    """One field's values: ``names`` and, per document, the values it has."""

    def __init__(self, names: list[str], ids: np.ndarray, multi: list[np.ndarray] | None = None):
        self.names = names
        self.ids = ids          # per document: index into names, or -1 (single-valued fields)
        self.multi = multi      # per name: the documents having it (multi-valued fields)

    def mask(self, name: str) -> np.ndarray:
        size = len(self.ids)
        out = np.zeros(size, dtype=bool)
        if name in self.names:
            i = self.names.index(name)
            if self.multi is not None:
                out[self.multi[i]] = True
            else:
                out = self.ids == i
        return out

    def counts(self, matched: np.ndarray, limit: int) -> dict[str, int]:
        """How many of the ``matched`` documents have each value (the ``limit`` most common)."""
        return self.top_counts(matched, limit)[0]

    def top_counts(self, matched: np.ndarray | None, limit: int,
                   docs: np.ndarray | None = None) -> tuple[dict[str, int], int]:
        """The ``limit`` most common values among ``matched`` documents with their counts,
        and how many other values the matched documents have. ``docs``, when given, are the
        matched documents' numbers (``np.flatnonzero(matched)``, found once for every field);
        ``matched`` may then be None."""
        if not self.names:
            return {}, 0
        if self.multi is not None:
            if matched is None:
                matched = np.zeros(len(self.ids), dtype=bool)
                matched[docs] = True
            having, named = self._flat_multi
            totals = np.bincount(named[matched[having]], minlength=len(self.names))
        else:
            totals = self._single_totals(np.flatnonzero(matched) if docs is None else docs)
        if len(totals) <= _FEW:
            return self._top_few(totals.tolist(), limit)
        present = int(np.count_nonzero(totals))
        # Only the values counted at least as often as the ``limit``-th most common need sorting.
        top = np.flatnonzero(totals >= _cut(totals, limit)) if present > limit else np.flatnonzero(totals)
        order = top[np.lexsort((self._name_order[top], -totals[top]))][:limit]
        return dict(zip([self.names[i] for i in order.tolist()], totals[order].tolist())), present - len(order)

    def _top_few(self, totals: list[int], limit: int) -> tuple[dict[str, int], int]:
        """:meth:`top_counts` of a field with few values, in Python: a numpy call costs more
        than sorting a few dozen counts."""
        names = self.names
        present = sorted((i for i, n in enumerate(totals) if n), key=lambda i: (-totals[i], names[i]))
        return {names[i]: totals[i] for i in present[:limit]}, max(0, len(present) - limit)

    def _single_totals(self, docs: np.ndarray) -> np.ndarray:
        """How many of the documents ``docs`` (ascending) have each value, of a single-valued field."""
        runs = self._runs
        if runs is not None:
            bounds, values = runs
            at = np.searchsorted(docs, bounds)  # the last bound, the document count, is past every document
            within = at[1:] - at[:-1]
            return np.bincount(values, weights=within, minlength=len(self.names) + 1)[1:].astype(np.intp)
        # Picking by document numbers: a boolean mask scattered over the index is slower.
        return np.bincount(self._ids_from_one.take(docs), minlength=len(self.names) + 1)[1:]

    @cached_property
    def _runs(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The first document of each run of documents with the same value (then the document
        count, where the last run ends), and each run's value plus one (0: no value), when the runs are few (an index built source by source has one run a
        source): counting the documents in each run then takes a binary search a run, not a
        look-up a document. None when there are more than one run in 64 documents."""
        if not len(self.ids):
            return None
        starts = np.flatnonzero(np.concatenate(([True], self.ids[1:] != self.ids[:-1])))
        if len(starts) * 64 > len(self.ids):
            return None
        return np.append(starts, len(self.ids)), self._ids_from_one[starts]

    @cached_property
    def _flat_multi(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (document, value) pair of a multi-valued field, as two arrays: the documents
        having each value one after another, and the value of each."""
        having = np.concatenate(self.multi).astype(np.intp) if self.multi else np.empty(0, np.intp)
        return having, np.repeat(np.arange(len(self.multi)), [len(docs) for docs in self.multi])

    @cached_property
    def _ids_from_one(self) -> np.ndarray:
        """``ids`` plus one (0: no value), so counts need no filtering out of -1 (as ``intp``,
        which ``np.bincount`` counts without a converted copy)."""
        return (self.ids + 1).astype(np.intp)

    @cached_property
    def _name_order(self) -> np.ndarray:
        """Each name's place in sorted order (ties in a count are shown by name)."""
        order = np.empty(len(self.names), dtype=np.int64)
        order[sorted(range(len(self.names)), key=self.names.__getitem__)] = np.arange(len(self.names))
        return order


# Fields with at most this many values are counted out in Python (sources, most role lists).
_FEW = 64


def _cut(totals: np.ndarray, limit: int) -> int:
    """The ``limit``-th largest of the counts ``totals`` (more than ``limit`` of them positive),
    read off how many values have each count: counts are small, so this tally is short and
    no pass sorts or partitions the values themselves.

    >>> _cut(np.array([5, 0, 2, 7, 2, 1]), 3)
    2
    """
    at_least = np.cumsum(np.bincount(totals)[::-1])  # values counted at least max, max - 1, ... times
    return len(at_least) - 1 - int(np.searchsorted(at_least, limit))


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def from_postings(postings: Postings, field: str, multi: bool = False) -> Values:
    """Values of a field with few distinct values, read term by term."""
    names = [_text(t) for t in postings.reader.lexicon(field)] if field in postings.reader.schema else []
    ids = np.full(postings.size, -1, dtype=np.int32)
    lists = []
    for i, name in enumerate(names):
        docs = postings.get(field, name).docs
        lists.append(docs)
        ids[docs] = i
    return Values(names, ids, lists if multi else None)


def cached(path: str | None, key: str, build) -> Values:
    """``build()``'s values, kept in ``path`` (an ``.npz``) while ``key`` stays the same.

    Reading a text column costs a third of a second on MedQuAD; loading the arrays
    back costs milliseconds. The file is replaced atomically, so concurrent readers
    and a failed write never see half of it.
    """
    if path:
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["key"]) == key:
                    return Values([str(n) for n in data["names"]], data["ids"])
        except (OSError, KeyError, ValueError):
            pass
    values = build()
    if path:
        # A read-only index still searches, just without the cache.
        with contextlib.suppress(OSError), replacing(path, suffix=".npz") as tmp:
            np.savez(tmp, key=np.array(key), names=np.array(values.names, dtype=str), ids=values.ids)
    return values


def from_column(postings: Postings, field: str) -> Values:
    """Values of a sortable (column) field, one per document."""
    values = [_text(v) for v in postings.reader.column_reader(field)]
    names, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    ids = inverse.astype(np.int32)
    names_list = [str(n) for n in names]
    if "" in names_list:  # documents with no value
        empty = names_list.index("")
        ids = np.where(ids == empty, -1, ids - (ids > empty))
        names_list.pop(empty)
    return Values(names_list, ids)
