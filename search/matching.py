"""Which documents a parsed query matches, as a boolean array, from posting lists.

Whoosh's own matcher tree walks every posting one at a time in Python; a long
consumer question with one quoted phrase or ``-word`` made that cost seconds. Here
each term's posting list (cached) becomes a mask and the query's boolean structure
is applied with numpy. Only nodes that need positions (phrases) ask Whoosh.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from typing import Callable

from healthqa.search.engine import Postings


def match_mask(node: wq.Query, postings: Postings, searcher,
               resolve: Callable[[wq.Query], np.ndarray | None] | None = None) -> np.ndarray:
    """Documents matching ``node`` (live documents only).

    ``resolve`` may answer for a node first (None: not for this one), e.g. a phrase in the
    answers, which the answer index matches inside one answer.
    """
    size = postings.size

    def visit(q: wq.Query) -> np.ndarray:
        if resolve is not None and (resolved := resolve(q)) is not None:
            return resolved
        if isinstance(q, wq.Term):
            out = np.zeros(size, dtype=bool)
            text = q.text.decode("utf-8") if isinstance(q.text, bytes) else q.text
            out[postings.get(q.fieldname, text).docs] = True
            return out
        if isinstance(q, wq.Every):
            return np.ones(size, dtype=bool)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(size, dtype=bool)
        if isinstance(q, wq.Not):
            return ~visit(q.query)
        if isinstance(q, wq.AndNot):
            return visit(q.a) & ~visit(q.b)
        if isinstance(q, wq.Require):
            return visit(q.a) & visit(q.b)
        if isinstance(q, wq.AndMaybe):
            return visit(q.a)
        if isinstance(q, wq.And):
            return _fold(q, visit, np.logical_and, np.ones(size, dtype=bool))
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            return _fold(q, visit, np.logical_or, np.zeros(size, dtype=bool))
        out = np.zeros(size, dtype=bool)  # phrases and anything else position-bound
        out[np.fromiter(searcher.docs_for_query(q), dtype=np.int64)] = True
        return out

    return visit(node) & postings.live


def _fold(q: wq.Query, visit, combine, start: np.ndarray) -> np.ndarray:
    """Combine the masks of a compound query's children; ``Not`` children only subtract."""
    out = start
    negatives = []
    for child in q.children():
        if isinstance(child, wq.Not):
            negatives.append(child.query)
            continue
        out = combine(out, visit(child))
    for negative in negatives:
        out = out & ~visit(negative)
    return out
