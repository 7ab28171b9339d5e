"""The nodes file: which ``searchd`` serves what, read once into a frozen :class:`Layout`.

A nodes file is TOML::

    head = { host = "127.0.0.1", api = 9412, sql = 9306 }
    ha_strategy = "nodeads"
    agent_connect_timeout_ms = 500
    agent_query_timeout_ms = 5000
    delta_limit = 0.1
    shards = [
        [{ host = "127.0.0.1", api = 9312, sql = 9313 }, { host = "127.0.0.1", api = 9314, sql = 9315 }],
        [{ host = "127.0.0.1", api = 9316, sql = 9317 }, { host = "127.0.0.1", api = 9318, sql = 9319 }],
    ]

Each shard is a list of its mirrored replicas; ``api`` is the port agents talk on (the
engine's binary protocol), ``sql`` the SphinxQL (MySQL protocol) port. ``delta_limit``: a
``sync`` whose changes since the last build pass this share of the records rebuilds the
shards' mains (:mod:`healthqa.index.cluster.build`).

>>> layout = Layout.planned(2, 2, "127.0.0.1", 9400)
>>> [n.name for n in layout.nodes()], layout.shard_of("medquad/0001")
(['s0r0', 's0r1', 's1r0', 's1r1', 'head'], 1)
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from typing import Iterable

from healthqa.ingest.errors import ClusterError

HA_STRATEGIES = ("random", "roundrobin", "nodeads", "noerrors")
NODES_FILE = "nodes.toml"


@dataclass(frozen=True)
class Node:
    """One ``searchd``: ``shard`` is None for the head."""

    name: str
    host: str
    api: int
    sql: int
    shard: int | None = None

    @property
    def agent(self) -> str:
        return f"{self.host}:{self.api}"


@dataclass(frozen=True)
class Layout:
    """N shards x R replicas and a head, with the head's failover settings."""

    head: Node
    shards: tuple[tuple[Node, ...], ...]
    ha_strategy: str = "nodeads"
    agent_connect_timeout_ms: int = 500
    agent_query_timeout_ms: int = 5000
    delta_limit: float = 0.1

    @classmethod
    def planned(cls, shards: int, replicas: int, host: str = "127.0.0.1", first_port: int = 9312) -> "Layout":
        """Consecutive ports from ``first_port``: two per node (api, sql), the head last."""
        return cls.on_ports(shards, replicas, range(first_port, first_port + 2 * (shards * replicas + 1)), host)

    @classmethod
    def on_ports(cls, shards: int, replicas: int, ports: Iterable[int], host: str = "127.0.0.1") -> "Layout":
        """Nodes on ``ports`` taken two at a time (api, sql), shard by shard, the head last."""
        if not (1 <= shards <= 256 and 1 <= replicas <= 16):
            raise ClusterError(f"shards must be 1 to 256 and replicas 1 to 16 (got {shards} x {replicas})")
        port = iter(ports)
        grid = tuple(tuple(Node(f"s{s}r{r}", host, next(port), next(port), s) for r in range(replicas))
                     for s in range(shards))
        return cls(Node("head", host, next(port), next(port)), grid)

    def nodes(self) -> list[Node]:
        return [node for replicas in self.shards for node in replicas] + [self.head]

    def shard_of(self, record_id: str) -> int:
        """The shard a record lives on: ``crc32(id) % N``."""
        return zlib.crc32(record_id.encode("utf-8")) % len(self.shards)

    def to_toml(self) -> str:
        def node(n: Node) -> str:
            return f'{{ host = "{n.host}", api = {n.api}, sql = {n.sql} }}'

        rows = "".join(f"    [{', '.join(node(n) for n in replicas)}],\n" for replicas in self.shards)
        return (f"# healthqa cluster nodes: each shard lists its mirrored replicas\n"
                f"head = {node(self.head)}\n"
                f'ha_strategy = "{self.ha_strategy}"\n'
                f"agent_connect_timeout_ms = {self.agent_connect_timeout_ms}\n"
                f"agent_query_timeout_ms = {self.agent_query_timeout_ms}\n"
                f"delta_limit = {self.delta_limit:g}\n"
                f"shards = [\n{rows}]\n")


def read_layout(path: str) -> Layout:
    """Read and check a nodes file; a :class:`ClusterError` names the file and what is wrong."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ClusterError(f"{path}: no nodes file: run 'healthqa cluster init'") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ClusterError(f"{path}: cannot read it: {exc}") from None
    try:
        return _layout(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ClusterError(f"{path}: not a valid nodes file: {exc}") from None


def _layout(data: dict) -> Layout:
    def node(raw: dict, name: str, shard: int | None) -> Node:
        found = Node(name, str(raw["host"]), int(raw["api"]), int(raw["sql"]), shard)
        if not all(0 < port < 65536 for port in (found.api, found.sql)):
            raise ValueError(f"node {name}: ports must be 1 to 65535")
        return found

    shards = tuple(tuple(node(raw, f"s{s}r{r}", s) for r, raw in enumerate(replicas))
                   for s, replicas in enumerate(data["shards"]))
    if not shards or not all(shards):
        raise ValueError("'shards' must list at least one shard, each with at least one replica")
    layout = Layout(node(data["head"], "head", None), shards, str(data.get("ha_strategy", "nodeads")),
                    int(data.get("agent_connect_timeout_ms", 500)), int(data.get("agent_query_timeout_ms", 5000)),
                    float(data.get("delta_limit", 0.1)))
    if not 0 <= layout.delta_limit <= 1:
        raise ValueError(f"delta_limit {layout.delta_limit:g} must be between 0 and 1 (a share of the records)")
    if layout.ha_strategy not in HA_STRATEGIES:
        raise ValueError(f"ha_strategy {layout.ha_strategy!r} is not one of {', '.join(HA_STRATEGIES)}")
    addresses = [(n.host, p) for n in layout.nodes() for p in (n.api, n.sql)]
    if len(set(addresses)) != len(addresses):
        raise ValueError("two nodes share a host and port")
    return layout


def write_layout(path: str, layout: Layout, force: bool = False) -> None:
    if os.path.exists(path) and not force:
        raise ClusterError(f"{path}: a nodes file is already there (--force replaces it)")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(layout.to_toml())
