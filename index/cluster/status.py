"""Each node's health: up or down, the documents it serves, the store sequence it last got."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from healthqa.index.cluster.build import read_state
from healthqa.index.cluster.engine_config import HEAD_INDEX, Paths, index_name
from healthqa.index.cluster.layout import Layout, Node
from healthqa.index.cluster.sphinxql import cursor
from healthqa.ingest.errors import ClusterError


@dataclass(frozen=True)
class NodeHealth:
    """One node: ``docs`` is the live records it serves (through the head: the cluster's total)."""

    name: str
    address: str
    shard: int | None
    up: bool
    docs: int | None
    synced_seq: int | None
    synced_at: float | None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def live_docs(node: Node, timeout: float = 2.0) -> int:
    """Records the node serves: main and delta counted together, the delta's kill-list applied."""
    indexes = HEAD_INDEX if node.shard is None else f"{index_name(node.shard, 'main')}, {index_name(node.shard, 'delta')}"
    with cursor(node, timeout) as cur:
        cur.execute(f"SELECT COUNT(*) FROM {indexes}")
        return int(cur.fetchall()[0][0])


def health(layout: Layout, paths: Paths) -> list[NodeHealth]:
    """Every node's health, the shard replicas first and the head last."""
    synced = read_state(paths).get("nodes", {})
    out = []
    for node in layout.nodes():
        got = synced.get(node.name, {})
        try:
            docs, up, error = live_docs(node), True, None
        except ClusterError as exc:
            docs, up, error = None, False, str(exc)
        except Exception as exc:  # the node answers but cannot count: it is up, its indexes are not
            docs, up, error = None, True, f"{type(exc).__name__}: {exc}"
        out.append(NodeHealth(node.name, f"{node.host}:{node.sql}", node.shard, up, docs,
                              got.get("seq"), got.get("at"), error))
    return out
