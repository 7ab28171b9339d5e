"""Related questions for every page at once, for a site to load, and keeping that file fresh.

``precompute`` writes one JSON line per indexed page (``{"id", "question", "related":
[...]}``) and, beside it, ``<file>.meta.json`` with the record-store sequence number the
index was in step with. After a later ingest, ``stale`` says which pages' lines are
out of date (the page changed or went, or one of its suggestions did), and
``update`` recomputes only those and the new pages. A page added later is suggested
to older pages only when they are recomputed; ``precompute`` again to catch all.

With ``backend="cluster"`` the pages are the records the search cluster was last synced
with, each related through the cluster's head (:mod:`healthqa.search.cluster_related`);
the file's sequence number is the cluster's, so ``stale`` and ``update`` work alike.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from healthqa.ingest.defaults import WORKERS
from healthqa.ingest.errors import HealthQAError
from healthqa.ingest.files import replacing
from healthqa.ingest.lock import worker_start
from healthqa.ingest.store import Store
from healthqa.search.backend import open_searcher, related_finder
from healthqa.search.related import RelatedFinder
from healthqa.search.safe_json import json_safe
from healthqa.search.searcher import Searcher

_CHUNK = 400
_worker: RelatedFinder | None = None


@dataclass(frozen=True)
class Staleness:
    """Which lines of a precomputed file no longer match the store."""

    stale: tuple[str, ...]      # lines to recompute
    gone: tuple[str, ...]       # lines whose page no longer exists
    new: tuple[str, ...]        # pages with no line yet
    file_seq: int
    store_seq: int


def meta_path(path: str) -> str:
    return f"{path}.meta.json"


def _line(finder: RelatedFinder, docnum: int, k: int) -> str:
    brief = finder.brief(docnum)
    related = [s.to_dict() for s in finder.for_docnum(docnum, k)]
    return json_safe(json.dumps({"id": brief.id, "question": brief.question, "related": related},
                                ensure_ascii=False))


def _open(data_dir: str, backend: str, where: str):
    """A searcher of ``backend``: the Whoosh generation ``where``, or the cluster directory ``where``."""
    if backend == "cluster":
        from healthqa.search.cluster import ClusterSearcher

        return ClusterSearcher(data_dir, where)
    return Searcher(data_dir, generation=where)


def _backend(searcher) -> str:
    return "whoosh" if isinstance(searcher, Searcher) else "cluster"


def _init(data_dir: str, backend: str, where: str, parent: int) -> None:
    global _worker
    worker_start(parent)  # ends with its parent, even a killed one
    _worker = related_finder(_open(data_dir, backend, where))


def _chunk(job: tuple[list[int], int], finder: RelatedFinder | None = None) -> list[str]:
    docnums, k = job
    finder = finder or _worker
    assert finder is not None
    return [_line(finder, d, k) for d in docnums]


def _lines(searcher: Searcher, docnums: list[int], k: int, workers: int) -> Iterator[str]:
    """The lines of ``docnums``, read from the generation ``searcher`` holds (workers open the same one:
    document numbers are only valid there, and the lease keeps it while they run)."""
    jobs = [(docnums[i:i + _CHUNK], k) for i in range(0, len(docnums), _CHUNK)]
    if workers > 1 and len(jobs) > 1:
        pool = multiprocessing.Pool(workers, initializer=_init,
                                    initargs=(searcher.data_dir, _backend(searcher), searcher.generation, os.getpid()))
        try:
            for lines in pool.imap(_chunk, jobs):
                yield from lines
            pool.close()
        except BaseException:
            # Interrupted (Ctrl-C, or the output failed): the file is discarded, so the chunks
            # being computed are not waited for (a chunk takes seconds).
            pool.terminate()
            raise
        finally:
            pool.join()
    else:
        finder = related_finder(searcher)
        for job in jobs:
            yield from _chunk(job, finder)


def _temporary(path: str) -> str:
    """One temporary name per output file: the next run reuses what a killed one left."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.healthqa-tmp")


def _write_atomically(path: str, lines: Iterator[str], progress: Callable[[int], None] | None) -> int:
    tmp = _temporary(path)
    try:
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise HealthQAError(f"cannot write {tmp!r} ({exc.strerror or exc})") from None
    count = 0
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise HealthQAError(f"another healthqa is writing {path!r} (temporary file {tmp!r})") from None
        os.ftruncate(fd, 0)  # what a killed run left
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
                count += 1
                if progress:
                    progress(1)
            out.flush()
            os.replace(tmp, path)  # still locked: no other run writes into it meanwhile
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return count


def _write_meta(path: str, store_seq: int, k: int, pages: int) -> None:
    with replacing(meta_path(path)) as tmp, open(tmp, "w", encoding="utf-8") as out:
        json.dump({"store_seq": store_seq, "k": k, "pages": pages, "written_at": time.time()}, out)


def _indexed(searcher) -> tuple[list, int]:
    """What ``searcher`` finds pages by (document numbers, or a cluster's record ids) and the
    record sequence it is in step with."""
    if isinstance(searcher, Searcher):
        return [int(d) for d in searcher.postings.live.nonzero()[0]], searcher.meta.store_seq
    return searcher.record_ids(), searcher.synced_seq


def precompute(data_dir: str, path: str, k: int = 5, workers: int = WORKERS,
               progress: Callable[[int], None] | None = None,
               total: Callable[[int], None] | None = None, backend: str = "whoosh",
               cluster_dir: str = "") -> tuple[int, float]:
    """Write related questions for every indexed page; returns ``(pages, seconds)``.

    ``total`` is told the number of pages before the work starts, ``progress`` of each page done.
    """
    with open_searcher(data_dir, backend, cluster_dir) as searcher:  # held: its workers read the same generation
        docnums, seq = _indexed(searcher)
        if total:
            total(len(docnums))
        started = time.perf_counter()
        pages = _write_atomically(path, _lines(searcher, docnums, k, workers), progress)
    _write_meta(path, seq, k, pages)
    return pages, time.perf_counter() - started


def _read_lines(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise HealthQAError(f"{path}: cannot read precomputed related questions ({exc})") from None


def stale(data_dir: str, path: str) -> Staleness:
    """Compare a precomputed file with the record store."""
    try:
        with open(meta_path(path), encoding="utf-8") as handle:
            meta = json.load(handle)
    except (OSError, ValueError):
        raise HealthQAError(f"{meta_path(path)} is missing or unreadable: run 'healthqa related --all --out {path}'") from None
    lines = _read_lines(path)
    with Store.open(data_dir, readonly=True) as store:
        changed = {p.id for p in store.pages(since=meta["store_seq"])}
        deleted = set(store.deleted_since(meta["store_seq"]))
        store_seq = store.seq()
    have = {line["id"] for line in lines}
    touched = changed | deleted
    out_of_date = [line["id"] for line in lines if line["id"] in changed
                   or any(r.get("id") in touched for r in line["related"])]
    return Staleness(tuple(i for i in out_of_date if i not in deleted), tuple(sorted(have & deleted)),
                     tuple(sorted(changed - have)), meta["store_seq"], store_seq)


def update(data_dir: str, path: str, workers: int = WORKERS, backend: str = "whoosh",
           cluster_dir: str = "") -> Staleness:
    """Recompute the stale and new pages' lines and drop the gone ones, in place."""
    report = stale(data_dir, path)
    with open(meta_path(path), encoding="utf-8") as handle:
        k = json.load(handle).get("k", 5)
    with open_searcher(data_dir, backend, cluster_dir) as searcher:
        if _indexed(searcher)[1] != report.store_seq:
            raise HealthQAError("the index is behind the records: run 'healthqa index' first" if backend == "whoosh"
                                else "the cluster is behind the records: run 'healthqa cluster sync' first")
        redo = set(report.stale) | set(report.new)
        docnums = [d for d in (searcher.docnum(i) for i in sorted(redo)) if d is not None]
        fresh = {json.loads(line)["id"]: line for line in _lines(searcher, docnums, k, workers)} if docnums else {}
    gone = set(report.gone)
    kept = [fresh.pop(line["id"], None) or json_safe(json.dumps(line, ensure_ascii=False))
            for line in _read_lines(path) if line["id"] not in gone]
    pages = _write_atomically(path, iter(kept + list(fresh.values())), None)
    _write_meta(path, report.store_seq, k, pages)
    return report
