"""The engine's configuration files: one per ``searchd`` of a :class:`~.layout.Layout`.

A shard replica serves two plain indexes built by ``indexer`` from xmlpipe2 feeds: ``s<k>_main``
(every record of shard k when it was last built) and ``s<k>_delta`` (records changed since,
with a kill-list that hides their older copies in main). The head serves one
``type = distributed`` index, ``head``, whose ``agent`` lines list each shard's mirrors.
Text arrives already analysed by healthqa's own analyzer (stemmed, stop words out), so the
engine only splits on spaces: the engine's terms are the Whoosh index's terms.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

from healthqa.index.cluster.layout import Layout, Node

FIELDS = ("question", "detail", "answer", "role_text", "topic", "synonyms", "related")
# What reranking needs of a candidate travels with it: its topic and synonyms as index terms,
# its duplicate key, its answer count (a page with none is a stub), whether any answer has an
# expert signal (accepted, votes: such pages are read from the store for their factor).
STRING_ATTRS = ("rid", "source", "topic_name", "topic_key", "qtype", "topic_terms", "synonym_terms", "qkey")
UINT_ATTRS = ("answers", "shard", "signals")
MULTI_ATTRS = ("roles",)
HEAD_INDEX = "head"
PARTS = ("main", "delta")
# Analysed terms are lower case letters and digits; the rest of the table keeps non-Latin words whole.
CHARSET = "0..9, a..z, _, U+00C0..U+024F, U+0370..U+03FF, U+0400..U+04FF, U+0590..U+06FF, U+3040..U+30FF, U+4E00..U+9FFF"


def index_name(shard: int, part: str) -> str:
    return f"s{shard}_{part}"


@dataclass(frozen=True)
class Paths:
    """Where a cluster directory keeps its configs, feeds and each node's files."""

    root: str

    def conf(self, node: Node) -> str:
        return os.path.join(self.root, "conf", f"{node.name}.conf")

    def node_dir(self, node: Node) -> str:
        return os.path.join(self.root, "nodes", node.name)

    def feed(self, shard: int, part: str) -> str:
        return os.path.join(self.root, "feed", f"{index_name(shard, part)}.xml")

    def pid_file(self, node: Node) -> str:
        return os.path.join(self.node_dir(node), "searchd.pid")

    @property
    def state(self) -> str:
        return os.path.join(self.root, "state.json")

    @property
    def vocabulary(self) -> str:
        return os.path.join(self.root, "vocabulary.json")


def _searchd(node: Node, paths: Paths) -> str:
    where = paths.node_dir(node)
    # No watchdog: it would restart a killed daemon behind healthqa's back (supervision is the host's job).
    return (f"searchd\n{{\n    listen = {node.host}:{node.api}\n    listen = {node.host}:{node.sql}:mysql41\n"
            f"    log = {where}/searchd.log\n    pid_file = {paths.pid_file(node)}\n    binlog_path =\n"
            f"    seamless_rotate = 1\n    watchdog = 0\n    preopen_indexes = 1\n    unlink_old = 1\n    max_matches = 10000\n"
            f"    read_timeout = 5\n    client_timeout = 300\n}}\n")


def _schema_lines() -> str:
    lines = [f"    xmlpipe_field = {name}" for name in FIELDS]
    lines += [f"    xmlpipe_attr_string = {name}" for name in STRING_ATTRS]
    lines += [f"    xmlpipe_attr_uint = {name}" for name in UINT_ATTRS]
    lines += [f"    xmlpipe_attr_multi = {name}" for name in MULTI_ATTRS]
    return "\n".join(lines) + "\n"


def _shard_indexes(node: Node, paths: Paths) -> str:
    out = []
    for part in PARTS:
        name = index_name(node.shard, part)
        out.append(f"source {name}\n{{\n    type = xmlpipe2\n"
                   f"    xmlpipe_command = cat {shlex.quote(paths.feed(node.shard, part))}\n"
                   f"{_schema_lines()}}}\n")
        out.append(f"index {name}\n{{\n    source = {name}\n    path = {paths.node_dir(node)}/{name}\n"
                   f"    docinfo = extern\n    morphology = none\n    min_word_len = 1\n"
                   f"    index_field_lengths = 1\n    charset_table = {CHARSET}\n}}\n")
    return "\n".join(out)


def _head_index(layout: Layout) -> str:
    indexes = ",".join(index_name(0, part) for part in PARTS)
    agents = "".join(
        f"    agent = {'|'.join(n.agent for n in replicas)}:{indexes.replace('s0_', f's{s}_')}\n"
        for s, replicas in enumerate(layout.shards))
    return (f"index {HEAD_INDEX}\n{{\n    type = distributed\n{agents}    ha_strategy = {layout.ha_strategy}\n"
            f"    agent_connect_timeout = {layout.agent_connect_timeout_ms}\n"
            f"    agent_query_timeout = {layout.agent_query_timeout_ms}\n}}\n")


def node_config(layout: Layout, node: Node, paths: Paths) -> str:
    """The whole configuration file of one ``searchd``."""
    body = _head_index(layout) if node.shard is None else _shard_indexes(node, paths)
    return f"# written by 'healthqa cluster config': edit the nodes file, not this\n\n{body}\n{_searchd(node, paths)}"


def write_configs(layout: Layout, paths: Paths) -> list[str]:
    """Write every node's configuration (and make its directory); returns the files written."""
    written = []
    for node in layout.nodes():
        os.makedirs(paths.node_dir(node), exist_ok=True)
        target = paths.conf(node)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(node_config(layout, node, paths))
        os.replace(target + ".tmp", target)
        written.append(target)
    os.makedirs(os.path.join(paths.root, "feed"), exist_ok=True)
    return written
