"""Facet and filter values folded: one entry per role or topic whatever its case or spacing.

A site writes "Bell's palsy" on one page and "Bell's Palsy" on another. Folded
(:func:`healthqa.index.answers.fold`), they are one value, shown in its most common
spelling; a filter names any spelling and reaches them all.
"""

from __future__ import annotations

import numpy as np

from healthqa.index.answers import fold
from healthqa.search.columns import Values


def folded(values: Values) -> Values:
    """``values`` with spellings that fold alike merged, each named by its most common spelling.

    >>> v = folded(Values(["Bell's Palsy", "Bell's palsy", "Asthma"], np.array([1, 1, 0, 2], dtype=np.int32)))
    >>> v.names, v.ids.tolist()
    (["Bell's palsy", 'Asthma'], [0, 0, 0, 1])
    """
    if not values.names:
        return values
    if values.multi is not None:
        counts = [len(docs) for docs in values.multi]
    else:
        counts = np.bincount(values.ids[values.ids >= 0], minlength=len(values.names)).tolist()
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(values.names):
        groups.setdefault(fold(name), []).append(i)
    if len(groups) == len(values.names):
        return values
    # Most documents first, then the earliest in sort order (capitals sort first): deterministic.
    members = [sorted(group, key=lambda i: (-counts[i], values.names[i])) for group in groups.values()]
    names = [values.names[group[0]] for group in members]
    remap = np.full(len(values.names), -1, dtype=np.int32)
    for new, group in enumerate(members):
        remap[group] = new
    ids = np.where(values.ids >= 0, remap[values.ids.clip(0)], -1).astype(np.int32)
    multi = None
    if values.multi is not None:
        multi = [np.unique(np.concatenate([values.multi[i] for i in group])) for group in members]
    return Values(names, ids, multi)


def counts(values: Values, matched: np.ndarray | None, limit: int,
           docs: np.ndarray | None = None) -> tuple[dict[str, int], int]:
    """The ``limit`` most common values among ``matched`` documents (numbered ``docs``, when
    given; ``matched`` may then be None), and how many more there are.

    >>> counts(Values(["a", "b", "c"], np.array([0, 0, 1, 2], dtype=np.int32)), np.ones(4, bool), 2)
    ({'a': 2, 'b': 1}, 1)
    """
    return values.top_counts(matched, limit, docs)


def names_for(values: Values, value: str) -> str | None:
    """The name ``values`` shows for a value typed in any case or spacing (None: no such value)."""
    wanted = fold(value)
    return next((name for name in values.names if fold(name) == wanted), None)
