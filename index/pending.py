"""How much an index update will write: the length of its progress bar."""

from __future__ import annotations

from healthqa.index.writer import _rebuild_is_faster, index_status
from healthqa.ingest.errors import HealthQAError
from healthqa.ingest.store import Store


def documents_to_write(data_dir: str, store: Store, rebuild: bool = False) -> int:
    """The number of documents ``sync`` (or, with ``rebuild``, ``rebuild``) will write now."""
    everything = store.count()
    if rebuild:
        return everything
    try:
        status = index_status(data_dir, store)
    except HealthQAError:
        return everything  # an index it cannot read is rebuilt
    if status["index"] == "missing" or int(status["index_seq"]) > int(status["store_seq"]):
        return everything
    since = int(status["index_seq"])
    changed = store.count(since=since)
    return everything if _rebuild_is_faster(changed + len(store.deleted_since(since)), everything) else changed
