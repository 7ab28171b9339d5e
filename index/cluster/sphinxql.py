"""SphinxQL over the MySQL protocol (PyMySQL, pure Python), the one way healthqa talks to ``searchd``."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from healthqa.index.cluster.layout import Node
from healthqa.ingest.errors import ClusterError


def connect(node: Node, timeout: float = 5.0):
    """A SphinxQL connection to ``node``; a :class:`ClusterError` names the node when it cannot be reached."""
    import pymysql
    from pymysql.constants import CLIENT

    try:  # several statements a round trip: a query, its SHOW META and its facets
        return pymysql.connect(host=node.host, port=node.sql, user="", password="", connect_timeout=timeout,
                               read_timeout=max(timeout, 30.0), autocommit=True, charset="utf8",
                               client_flag=CLIENT.MULTI_STATEMENTS)
    except pymysql.err.Error as exc:
        raise ClusterError(f"searchd {node.name} at {node.host}:{node.sql} cannot be reached ({exc.args[-1]})") from None


@contextmanager
def cursor(node: Node, timeout: float = 5.0) -> Iterator[object]:
    connection = connect(node, timeout)
    try:
        yield connection.cursor()
    finally:
        connection.close()


def quoted(text: str) -> str:
    """A SphinxQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_up(node: Node, timeout: float = 1.0) -> bool:
    try:
        with cursor(node, timeout) as cur:
            cur.execute("SHOW STATUS LIKE 'uptime'")
            return True
    except ClusterError:
        return False
    except Exception:  # a node that accepts and then fails the protocol is not serving
        return False
