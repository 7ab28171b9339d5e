"""Starting and stopping the ``searchd`` of each node, and waiting (bounded) until it serves."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

from healthqa.index.cluster.engine_config import Paths
from healthqa.index.cluster.layout import Layout, Node
from healthqa.index.cluster.sphinxql import is_up
from healthqa.ingest.errors import ClusterError


def engine_binary(name: str) -> str:
    """The path of ``searchd`` or ``indexer`` (Debian's ``sphinxsearch`` package installs both)."""
    found = shutil.which(name)
    if found is None:
        raise ClusterError(f"'{name}' is not installed: install Debian's sphinxsearch package "
                           "(apt-get install sphinxsearch) or Manticore Search")
    return found


def pid_of(node: Node, paths: Paths) -> int | None:
    """The process id of the node's ``searchd`` if it is running, else None."""
    try:
        with open(paths.pid_file(node), encoding="ascii") as handle:
            pid = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return None if _zombie(pid) else pid


def _zombie(pid: int) -> bool:
    """A killed daemon whose parent has not reaped it yet (no init in a container) is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except OSError:
        return False


def wait_until(check, seconds: float, what: str) -> None:
    """Poll ``check()`` until it is true; a :class:`ClusterError` saying ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    pause = 0.02
    while not check():
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: still not done after {seconds:g} s")
        time.sleep(pause)
        pause = min(pause * 1.5, 0.5)


def start(node: Node, paths: Paths, wait: float = 30.0) -> None:
    """Start the node's ``searchd`` (unless it runs) and wait until it answers SphinxQL."""
    if pid_of(node, paths) is not None and is_up(node):
        return
    done = subprocess.run([engine_binary("searchd"), "--config", paths.conf(node)], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise ClusterError(f"searchd {node.name} did not start: {last[0]} (see {paths.node_dir(node)}/searchd.log)")
    wait_until(lambda: is_up(node), wait, f"searchd {node.name} at {node.host}:{node.sql}")


def stop(node: Node, paths: Paths, wait: float = 30.0) -> bool:
    """Stop the node's ``searchd`` if it runs; True when one was stopped."""
    pid = pid_of(node, paths)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: pid_of(node, paths) != pid, wait, f"stopping searchd {node.name} (pid {pid})")
    return True


def kill(node: Node, paths: Paths) -> None:
    """Kill the node's ``searchd`` at once (a crash, for failover tests and drills)."""
    pid = pid_of(node, paths)
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: pid_of(node, paths) != pid, 10.0, f"killing searchd {node.name} (pid {pid})")


def start_all(layout: Layout, paths: Paths, wait: float = 30.0) -> None:
    """Start the shard replicas, then the head."""
    for node in layout.nodes():
        start(node, paths, wait)


def stop_all(layout: Layout, paths: Paths, wait: float = 30.0) -> list[str]:
    """Stop every running node (the head first); returns the names stopped."""
    return [node.name for node in reversed(layout.nodes()) if stop(node, paths, wait)]
