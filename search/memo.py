"""Answers worked out once and remembered, in a bounded dict (per index: a searcher's word,
phrase and page look-ups recur across questions, and the index does not change under it)."""

from __future__ import annotations

from typing import Callable, Hashable


class Memo(dict):
    """``memo[key]`` is ``make(key)``, worked out on the first ask and remembered (``None``
    too); once ``limit`` answers are held the memo is emptied, not tracked by use, so a
    long-lived server meeting ever new words stays bounded. Hits cost a dict look-up only.

    >>> squares = Memo(2, lambda n: n * n)
    >>> [squares[n] for n in (3, 3, 4, 5)]
    [9, 9, 16, 25]
    >>> len(squares)  # emptied when full, before 5
    1
    """

    def __init__(self, limit: int, make: Callable[[Hashable], object]):
        super().__init__()
        self.limit = limit
        self.make = make

    def __missing__(self, key: Hashable):
        if len(self) >= self.limit:
            self.clear()
        found = self[key] = self.make(key)
        return found
