"""The index a server searches, kept current: the one place a worker notices a new generation.

Each request asks :meth:`LiveIndex.get` for the searcher. It checks, cheaply (the index
link and Whoosh's table of contents, no file read), whether ``ingest``, ``index`` or
``reindex`` has changed the index since it was opened, and if so opens the new one. A
worker therefore never needs a restart, and a request that failed in an unforeseen way
drops the searcher it used (:meth:`LiveIndex.discard`), so the next request starts afresh.

Searches run on the worker's event-loop thread, one at a time, so a searcher that is
replaced can be closed at once: no other request is using it.

Reading Whoosh's table of contents lists the generation's folder, which costs more than some
searches' snippets. So, once the generation's folder has not changed for a few seconds, the
link's target and the folder's time (:func:`_stamp`) stand for them: the full check runs
again only when either differs. A change made since has a later time than the one kept,
however coarse the file system's clock, since the time kept is seconds old.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from healthqa.index.store import link_path
from healthqa.ingest.errors import HealthQAError
from healthqa.search.backend import open_searcher, related_finder
from healthqa.search.related import RelatedFinder, Suggestion
from healthqa.search.results import Results
from healthqa.search.searcher import Filters, Searcher
from healthqa.search.settings import SearchSettings

log = logging.getLogger("healthqa.serve")
_RELATED_CACHE = 4096  # related lists remembered per generation (the search page shows one per hit)


@dataclass
class Opened:
    """One opened index generation (or search cluster): its searcher, related finder, a cache
    of related lists and one of search results (``search_cache`` of them; 0: none)."""

    searcher: Searcher
    search_cache: int = 0
    finder: RelatedFinder = field(init=False)
    stamp: tuple | None = field(default=None, init=False)  # of the index when last found current, if settled
    _related: OrderedDict = field(default_factory=OrderedDict, init=False)
    _searches: OrderedDict = field(default_factory=OrderedDict, init=False)

    def __post_init__(self) -> None:
        self.finder = related_finder(self.searcher)

    @property
    def generation(self) -> str:
        return os.path.basename(self.searcher.generation)

    def search(self, text: str, filters: Filters, limit: int, page: int) -> Results:
        """The searcher's results, the last ``search_cache`` distinct searches remembered: popular
        queries repeat, and the results of one generation never change (a new one is a new
        :class:`Opened`, with an empty cache)."""
        return self._search(text, filters, limit, page)[0]

    def search_body(self, text: str, filters: Filters, limit: int, page: int,
                    render: Callable[[Results], bytes]) -> bytes:
        """:meth:`search`'s results rendered by ``render``, the rendering remembered with them."""
        entry = self._search(text, filters, limit, page)
        if entry[1] is None:
            entry[1] = render(entry[0])
        return entry[1]

    def _search(self, text: str, filters: Filters, limit: int, page: int) -> list:
        """``[results, rendered or None]``, from the cache or searched (and kept)."""
        if not self.search_cache:
            return [self.searcher.search(text, filters, limit=limit, page=page), None]
        key = (text, filters, limit, page)
        found = self._searches.get(key)
        if found is None:
            found = [self.searcher.search(text, filters, limit=limit, page=page), None]
            if found[0].missing_shards:  # partial (a cluster's shard down): searched again next time
                return found
            self._searches[key] = found
            if len(self._searches) > self.search_cache:
                self._searches.popitem(last=False)
        else:
            self._searches.move_to_end(key)
        return found

    def warm(self) -> None:
        """Search once, for the question of the index's first page: the tables a search reads
        from the index (spelling, topics, lay names; about a second for MedQuAD) are built on
        first use, so the first request need not wait for them."""
        searcher = self.searcher
        if not isinstance(searcher, Searcher):
            return
        live = np.flatnonzero(searcher.postings.live)
        if not len(live):
            return
        try:
            searcher.search(searcher.page(int(live[0])).question)
        except Exception:  # why: a page the warm-up cannot search must not stop the server starting
            log.exception("the warm-up search failed; serving anyway")

    def related(self, record_id: str, k: int) -> list[Suggestion]:
        """Related questions of an indexed page, remembered for this generation."""
        key = (record_id, k)
        found = self._related.get(key)
        if found is not None:
            self.finder.missing_shards = ()  # only complete lists are remembered
        else:
            found = self.finder.for_id(record_id, k)
            if self.finder.missing_shards:  # partial: asked again while a shard is down
                return found
            self._related[key] = found
            if len(self._related) > _RELATED_CACHE:
                self._related.popitem(last=False)
        return found


class LiveIndex:
    """The current index generation of one data directory, reopened when it changes.

    >>> LiveIndex("/nonexistent").get()
    Traceback (most recent call last):
    ...
    healthqa.ingest.errors.IndexMissingError: no search index in '/nonexistent': run 'healthqa index' (after 'healthqa ingest')
    """

    def __init__(self, data_dir: str, settings: SearchSettings = SearchSettings(), search_cache: int = 0,
                 backend: str = "whoosh", cluster_dir: str = ""):
        self.data_dir = data_dir
        self.settings = settings
        self.search_cache = search_cache
        self.backend, self.cluster_dir = backend, cluster_dir
        self._opened: Opened | None = None
        self._lock = threading.Lock()

    def get(self) -> Opened:
        """The searcher over the index as it is now.

        When the index changed and the new one cannot be opened (a damaged segment), the
        one already open goes on serving; with none open, the error says what to do.
        """
        opened = self._opened
        if opened is not None and self._is_current(opened):
            return opened
        with self._lock:
            opened = self._opened
            if opened is not None and opened.searcher.is_current():
                return opened
            try:
                fresh = Opened(open_searcher(self.data_dir, self.backend, self.cluster_dir, self.settings),
                               self.search_cache)
            except (HealthQAError, OSError):  # OSError: a file gone between the link and the open
                if opened is not None:
                    return opened
                raise
            self._opened = fresh
        if opened is not None:
            opened.searcher.close()
        return fresh

    def _is_current(self, opened: Opened) -> bool:
        """``opened.searcher.is_current()``, answered from the index's file status while that
        stays what it was the last time the index was found current, seconds after its change."""
        stamp = _stamp(self.data_dir, opened.searcher) if isinstance(opened.searcher, Searcher) else None
        if stamp is not None and stamp == opened.stamp:
            return True
        if not opened.searcher.is_current():
            return False
        settled = stamp is not None and time.time_ns() - stamp[1] > _SETTLED_NS
        opened.stamp = stamp if settled else None
        return True

    def discard(self, opened: Opened) -> None:
        """Drop ``opened`` after a request failed with it: the next request opens the index afresh."""
        with self._lock:
            if self._opened is opened:
                self._opened = None
        try:
            opened.searcher.close()
        except Exception:  # why: it is being dropped because something in it is already wrong
            pass

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, None
        if opened is not None:
            opened.searcher.close()


_SETTLED_NS = 3_000_000_000  # changed this long ago: a later change shows as a later time


def _stamp(data_dir: str, searcher: Searcher) -> tuple[str, int] | None:
    """Where the index link points (each generation has a name of its own) and when the
    generation's folder last changed (a Whoosh commit writes a table of contents there)."""
    try:
        return os.readlink(link_path(data_dir)), os.stat(searcher.generation).st_mtime_ns
    except OSError:
        return None
