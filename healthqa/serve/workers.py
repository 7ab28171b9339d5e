"""Running the server: one uvicorn process, or several workers that share the port fairly.

With several workers all accept from one listening socket, and a worker takes a waiting
connection only while no other worker has fewer open: each keeps its count of open
connections in a small table in shared memory and, while it holds more than another, leaves
new connections to the others (looking again every few milliseconds). Keep-alive clients
therefore end up spread evenly. (Left to themselves, workers split them unevenly: with one
shared socket whichever wakes first accepts every connection waiting, and with a socket each
bound with ``SO_REUSEPORT`` the kernel spreads them by a hash of the address, so ten clients
split 8/2 as often as 5/5, and the busier worker queues requests while the other idles.)
A worker that dies is started again; Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import select
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import wait
from typing import Any

import uvicorn

APP = "healthqa.serve.app:app_from_env"

# Keep-alive connections idle this long are closed; at most this many connections per worker
# are served at once (more get a 503), so a flood of slow clients cannot exhaust memory.
UVICORN_OPTIONS: dict[str, Any] = {"factory": True, "log_level": "info", "access_log": False,
                                   "timeout_keep_alive": 5, "limit_concurrency": 1000, "server_header": False}
BACKLOG = 2048  # connections the kernel holds for the workers to accept
NOT_SERVING = 2**31 - 1  # the open-connection count of a worker not (or no longer) accepting
LOOK_AGAIN = 0.002  # seconds a worker with more connections than another waits before looking again
REFRESH = 0.25  # seconds the accepting thread waits for a connection before looking at its count again

log = logging.getLogger("healthqa.serve")


def serve(host: str, port: int, workers: int) -> None:
    """Serve the app (built from the environment by each worker) on ``host:port``."""
    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **UVICORN_OPTIONS)
        return
    listener = _socket(host, port)  # a clear error if the port is taken; the real number if 0 was asked
    listener.listen(BACKLOG)
    port = listener.getsockname()[1]
    import healthqa.serve.app  # noqa: F401  imported once here, shared by the forked workers

    context = multiprocessing.get_context("fork")
    counts = context.RawArray("i", [NOT_SERVING] * workers)  # open connections, by worker
    running = {n: _start(context, listener, counts, n) for n in range(workers)}
    where = f"[{host}]" if ":" in host else host
    print(f"healthqa serving on http://{where}:{port} with {workers} workers (Ctrl-C stops)", file=sys.stderr, flush=True)
    stopping = []
    previous = {sig: signal.signal(sig, lambda *_: stopping.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            wait([p.sentinel for p in running.values()], timeout=0.5)
            for n, process in list(running.items()):
                if not process.is_alive() and not stopping:
                    counts[n] = NOT_SERVING  # its connections died with it: the others must not wait for it
                    print(f"healthqa: worker {n} (pid {process.pid}) ended with status {process.exitcode}: "
                          "starting another", file=sys.stderr, flush=True)
                    running[n] = _start(context, listener, counts, n)
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        listener.close()


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


def _start(context, listener: socket.socket, counts, slot: int):
    process = context.Process(target=_worker, args=(listener, counts, slot), daemon=True)
    process.start()
    return process


def _worker(listener: socket.socket, counts, slot: int) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own while it runs
    host, port = listener.getsockname()[:2]
    FairWorker(uvicorn.Config(APP, host=host, port=port, **UVICORN_OPTIONS), listener, counts, slot).run()


class FairWorker(uvicorn.Server):
    """A uvicorn server that accepts from a shared ``listener`` only while no other worker has
    fewer open connections; ``counts[slot]`` is its own count, the others' are theirs.

    Connections are accepted by a thread of their own, not by the event loop: the loop runs
    each search to its end before it looks at anything else, so a loop that also accepted
    would take one new connection per round of the searches it holds. A burst of fifty
    clients then waited seconds in the kernel's queue while the first few were served again
    and again. The thread blocks (without the interpreter lock) until a connection waits,
    takes it as soon as it is this worker's turn (the lock changes hands every few
    milliseconds even while a search runs) and hands it to the loop.
    """

    def __init__(self, config: uvicorn.Config, listener: socket.socket, counts, slot: int):
        super().__init__(config)
        self.listener, self.counts, self.slot = listener, counts, slot
        # Connections the thread accepted, and those that reached the loop's set of open
        # connections or failed on the way: each counter has one writer.
        self._accepted = self._arrived = 0
        self._connecting: set[asyncio.Task] = set()
        # The loop's set of open connections, counted into ``counts`` as connections open and
        # close: a count left at a closed connection would make the others take a burst's first.
        self._serving = False
        self.server_state.connections = _Counted(self._joined, self._publish)
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()  # wakes the thread's select to stop it

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan; no listening socket of its own
        if not self.started:
            return
        self.listener.setblocking(False)
        thread = threading.Thread(target=self._accept, args=(asyncio.get_running_loop(),),
                                  name="healthqa-accept", daemon=True)
        thread.start()
        self.servers.append(_Accepting(self, thread))

    def _protocol(self) -> asyncio.Protocol:
        config = self.config
        return config.http_protocol_class(config=config, server_state=self.server_state,
                                          app_state=self.lifespan.state)

    def _open(self) -> int:
        """Connections open or on their way to the loop. A connection leaves the way in the
        same step as it joins the set, so that no count ever holds it twice: one counted
        twice for a moment let the other worker take a burst's last connection (6/4)."""
        return len(self.server_state.connections) + self._accepted - self._arrived

    def _joined(self) -> None:
        """A connection joined the loop's set: it is no longer on its way."""
        self._arrived += 1

    def _publish(self) -> None:
        if self._serving:
            self.counts[self.slot] = self._open()

    def _accept(self, loop: asyncio.AbstractEventLoop) -> None:
        """The accepting thread: wait for a connection, take it in this worker's turn, hand it over."""
        try:
            self._serving = True
            self.counts[self.slot] = self._open()  # serving from now on: the others leave it its turn
            while not self._stop.is_set():
                waiting, _, _ = select.select([self.listener, self._wake_r], [], [], REFRESH)
                self.counts[self.slot] = mine = self._open()
                if self.listener not in waiting or self._stop.is_set():
                    continue
                if mine > min(self.counts):  # another worker holds fewer: it takes this one
                    time.sleep(LOOK_AGAIN)
                    continue
                try:
                    connection, _ = self.listener.accept()
                except BlockingIOError:  # another worker took it first
                    continue
                except OSError as exc:  # out of file descriptors, say: the connection waits in the queue
                    log.warning("cannot accept a connection (%s); trying again", exc)
                    time.sleep(0.1)
                    continue
                self._accepted += 1
                self.counts[self.slot] = mine + 1
                loop.call_soon_threadsafe(self._connect, connection)
        except RuntimeError:  # the loop closed under it: the worker is ending
            pass
        finally:
            self._serving = False
            self.counts[self.slot] = NOT_SERVING

    def stop_accepting(self) -> None:
        """Tell the accepting thread to end (it wakes at once)."""
        self._stop.set()
        self._wake_w.send(b"x")

    def _connect(self, connection: socket.socket) -> None:
        """In the loop: serve a connection the thread accepted."""
        async def connect() -> None:
            try:
                await asyncio.get_running_loop().connect_accepted_socket(self._protocol, connection)
            except OSError:  # the client went away before it was served (it never joined the set)
                connection.close()
                self._arrived += 1
                self._publish()
        task = asyncio.ensure_future(connect())
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)


class _Counted(set):
    """A set that calls ``added`` as an item is added, and ``changed`` after each item added
    or removed."""

    def __init__(self, added, changed):
        super().__init__()
        self.added, self.changed = added, changed

    def add(self, item) -> None:
        super().add(item)
        self.added()
        self.changed()

    def discard(self, item) -> None:
        super().discard(item)
        self.changed()

    def remove(self, item) -> None:
        super().remove(item)
        self.changed()


class _Accepting:
    """What uvicorn's shutdown closes and waits for in place of an asyncio server: the accepting thread."""

    def __init__(self, worker: FairWorker, thread: threading.Thread):
        self.worker, self.thread = worker, thread

    def close(self) -> None:
        self.worker.stop_accepting()

    async def wait_closed(self) -> None:
        await asyncio.to_thread(self.thread.join)
