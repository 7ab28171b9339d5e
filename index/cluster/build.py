"""Build and sync: feeds from the store, the engine's ``indexer`` on every replica, atomic rotation.

``build`` writes every record to its shard's main feed (and an empty delta), then each replica's
``indexer`` builds both indexes; a running ``searchd`` gets them by ``indexer --rotate`` (new files
beside the old, swapped in by SIGHUP with ``seamless_rotate``: queries never see a half-built
index). ``sync`` rebuilds only the deltas: every record changed since main was built, with a
kill-list that hides the older copies of those records (and deleted ones) in main. A replica
whose ``searchd`` is down gets its files all the same and serves them when it starts.

The delta and its kill-list only grow between builds (each sync sends every change since the
build, and the engine keeps a killed id's old copy in main until main is rebuilt), so a sync
whose delta would pass ``delta_limit`` (a share of the records in main, in the nodes file)
rebuilds every shard's main instead: its delta and kill-list start empty again. Shards fill
evenly (``crc32(id) % N``), so they reach the limit together; the whole rebuild costs what a
``build`` does, once every ``delta_limit`` x records changes.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator

from healthqa.index.cluster.daemons import engine_binary, pid_of, wait_until
from healthqa.index.cluster.engine_config import PARTS, Paths, index_name
from healthqa.index.cluster.feed import Vocabulary, write_feeds
from healthqa.index.cluster.layout import Layout, Node
from healthqa.ingest.errors import ClusterError
from healthqa.ingest.record import QAPage
from healthqa.ingest.store import Store


@dataclass(frozen=True)
class BuildReport:
    """What a build or sync sent: records per shard, ids killed in main, replicas rotated live."""

    part: str
    per_shard: tuple[int, ...]
    killed: int
    rotated: tuple[str, ...]
    offline: tuple[str, ...]
    seconds: float
    reason: str = ""  # why a sync rebuilt the mains


def read_state(paths: Paths) -> dict:
    try:
        with open(paths.state, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ClusterError(f"{paths.state}: cannot read the cluster state ({exc}): run 'healthqa cluster build'") from None


def _write_json(path: str, data: dict) -> None:
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def run_indexer(node: Node, paths: Paths, parts: Iterable[str], wait: float = 120.0) -> bool:
    """Build ``parts`` of the node's shard; rotate them in if its ``searchd`` runs (then True)."""
    names = [index_name(node.shard, part) for part in parts]
    live = pid_of(node, paths) is not None
    command = [engine_binary("indexer"), "--config", paths.conf(node), "--quiet", *(["--rotate"] if live else []), *names]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0 or "ERROR:" in done.stdout or "FATAL:" in done.stdout:
        reason = next((line for line in (done.stdout + done.stderr).splitlines() if "ERROR" in line or "FATAL" in line),
                      f"exit status {done.returncode}")
        raise ClusterError(f"indexer for {node.name} ({', '.join(names)}) failed: {reason.strip()}")
    if live:  # the new files are renamed in place once searchd has loaded them
        pending = os.path.join(paths.node_dir(node), f"s{node.shard}_*.new.*")
        wait_until(lambda: not glob.glob(pending), wait, f"rotating {', '.join(names)} into searchd {node.name}")
    return live


def _index_everywhere(layout: Layout, paths: Paths, parts: tuple[str, ...], state: dict) -> tuple[list[str], list[str]]:
    rotated, offline = [], []
    for replicas in layout.shards:
        for node in replicas:
            (rotated if run_indexer(node, paths, parts) else offline).append(node.name)
            state.setdefault("nodes", {})[node.name] = {"seq": state["delta_seq"], "at": time.time()}
    return rotated, offline


def build(layout: Layout, paths: Paths, store: Store) -> BuildReport:
    """Rebuild every shard from the whole store and rotate it into every replica."""
    started = time.monotonic()
    seq = store.seq()  # read first: a change made while building is picked up by the next sync
    vocabulary = Vocabulary()
    counts = write_feeds(store.pages(), layout, paths, "main", vocabulary=vocabulary)
    write_feeds([], layout, paths, "delta")
    _write_json(paths.vocabulary, vocabulary.to_dict())
    _provide_word_lists(paths, store)
    state = {"main_seq": seq, "delta_seq": seq, "built_at": time.time(), "synced_at": time.time(),
             "shards": len(layout.shards), "per_shard": counts}
    rotated, offline = _index_everywhere(layout, paths, PARTS, state)
    _write_json(paths.state, state)
    return BuildReport("main", tuple(counts), 0, tuple(rotated), tuple(offline), time.monotonic() - started)


def sync(layout: Layout, paths: Paths, store: Store) -> BuildReport:
    """Push every change since the last build to every replica, as the shards' deltas; past the
    nodes file's ``delta_limit``, rebuild the mains instead (see the module's docstring)."""
    started = time.monotonic()
    state = read_state(paths)
    if "main_seq" not in state or state.get("shards") != len(layout.shards):
        raise ClusterError(f"{paths.root}: the shards were not built for this nodes file: run 'healthqa cluster build'")
    pending = delta_size(store, state["main_seq"])
    in_main = sum(state.get("per_shard", ()))
    if pending > layout.delta_limit * in_main:
        report = build(layout, paths, store)
        return dataclasses.replace(report, reason=f"the delta ({pending} records changed or deleted since the "
                                   f"build) passed delta_limit = {layout.delta_limit:g} of main ({in_main} records)")
    seq = store.seq()
    changed: list[str] = []
    vocabulary = Vocabulary()
    # The kill-list is written after the documents, so it can take the ids the pages pass on the way.
    counts = write_feeds(_noting_ids(store.pages(since=state["main_seq"]), changed), layout, paths, "delta",
                         killed=_then(changed, store.deleted_since(state["main_seq"])), vocabulary=vocabulary)
    _merge_vocabulary(paths, vocabulary)
    state.update(delta_seq=seq, synced_at=time.time())
    rotated, offline = _index_everywhere(layout, paths, ("delta",), state)
    _write_json(paths.state, state)
    return BuildReport("delta", tuple(counts), len(changed), tuple(rotated), tuple(offline), time.monotonic() - started)


def delta_size(store: Store, main_seq: int) -> int:
    """Records a sync would put in the deltas and their kill-lists: changed plus deleted since main."""
    return store.count(since=main_seq) + len(store.deleted_since(main_seq))


def _provide_word_lists(paths: Paths, store: Store) -> None:
    """The word lists did-you-mean reads (English, medical), linked from the data directory's
    current index generation when it has them (else built, a few seconds)."""
    from healthqa.index import vocabulary
    from healthqa.index.store import current_generation

    try:
        source = current_generation(os.path.dirname(os.path.abspath(store.path)))
    except Exception:  # no Whoosh index beside the store: the lists are built
        source = None
    vocabulary.provide(paths.root, [source])


def _noting_ids(pages: Iterable[QAPage], ids: list[str]) -> Iterator[QAPage]:
    for page in pages:
        ids.append(page.id)
        yield page


def _then(first: list[str], second: list[str]) -> Iterator[str]:
    yield from first
    yield from second


def _merge_vocabulary(paths: Paths, added: Vocabulary) -> None:
    """Names new since the build join the vocabulary; names already there keep their spelling."""
    try:
        with open(paths.vocabulary, encoding="utf-8") as handle:
            known = json.load(handle)
    except (OSError, ValueError):
        known = {"topics": {}, "roles": {}, "synonyms": []}
    new = added.to_dict()
    for kind in ("topics", "roles"):
        known[kind] = {**new[kind], **known[kind]}
    known["synonyms"] = sorted(set(known["synonyms"]) | set(new["synonyms"]))
    # A changed page's words count again (and a deleted page's still count) until the next
    # build: a word's page count can only be too high, so a sync never makes a word look rare.
    spell = Counter(known.get("spell", {}))
    spell.update(new["spell"])
    known["spell"] = dict(sorted(spell.items()))
    known.setdefault("average_answer", new["average_answer"])
    _write_json(paths.vocabulary, known)
