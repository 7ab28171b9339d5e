"""The one seam between the commands and a search backend: this data directory's Whoosh index,
or a search cluster (:mod:`healthqa.search.cluster`), chosen by the ``backend`` setting."""

from __future__ import annotations

import os

from healthqa.search.settings import SearchSettings

BACKENDS = ("whoosh", "cluster")


def cluster_dir(data_dir: str, configured: str = "") -> str:
    """Where a data directory's search cluster lives (``cluster_dir`` setting, else ``<data dir>/cluster``)."""
    return configured or os.path.join(data_dir, "cluster")


def open_searcher(data_dir: str, backend: str = "whoosh", configured_cluster_dir: str = "",
                  settings: SearchSettings | None = None):
    """A searcher of ``backend``; both answer ``search``, ``ranked_ids``, ``is_current`` and ``close`` alike.

    >>> open_searcher("/nonexistent", "elastic")
    Traceback (most recent call last):
    ValueError: backend 'elastic' is not one of whoosh, cluster
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "cluster":
        from healthqa.search.cluster import ClusterSearcher

        return ClusterSearcher(data_dir, cluster_dir(data_dir, configured_cluster_dir), settings)
    from healthqa.search.searcher import Searcher

    # Settings only when given: otherwise the searcher's own defaults stand.
    return Searcher(data_dir, **({"settings": settings} if settings is not None else {}))


def related_finder(searcher):
    """The related-question finder over a searcher that :func:`open_searcher` opened."""
    from healthqa.search.cluster import ClusterSearcher

    if isinstance(searcher, ClusterSearcher):
        from healthqa.search.cluster_related import ClusterRelatedFinder

        return ClusterRelatedFinder(searcher)
    from healthqa.search.related import RelatedFinder

    return RelatedFinder(searcher)
