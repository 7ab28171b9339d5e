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
import signal
import socket
import sys
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
LOOK_AGAIN = 0.005  # seconds a worker with more connections than another waits before looking again

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
    fewer open connections; ``counts[slot]`` is its own count, the others' are theirs."""

    def __init__(self, config: uvicorn.Config, listener: socket.socket, counts, slot: int):
        super().__init__(config)
        self.listener, self.counts, self.slot = listener, counts, slot

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan; no listening socket of its own
        if not self.started:
            return
        self.listener.setblocking(False)
        self.servers.append(_Accepting(asyncio.create_task(self._accept())))

    def _protocol(self) -> asyncio.Protocol:
        config = self.config
        return config.http_protocol_class(config=config, server_state=self.server_state,
                                          app_state=self.lifespan.state)

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                await self._my_turn()
                try:
                    connection, _ = await loop.sock_accept(self.listener)
                except OSError as exc:  # out of file descriptors, say: the connection waits in the queue
                    log.warning("cannot accept a connection (%s); trying again", exc)
                    await asyncio.sleep(0.1)
                    continue
                self.counts[self.slot] = len(self.server_state.connections) + 1
                await loop.connect_accepted_socket(self._protocol, connection)
        finally:
            self.counts[self.slot] = NOT_SERVING

    async def _my_turn(self) -> None:
        """Return once no other worker has fewer open connections than this one."""
        while True:
            mine = len(self.server_state.connections)
            self.counts[self.slot] = mine
            if mine <= min(self.counts):
                return
            await asyncio.sleep(LOOK_AGAIN)


class _Accepting:
    """What uvicorn's shutdown closes and waits for in place of an asyncio server: the accept loop."""

    def __init__(self, task: asyncio.Task):
        self.task = task

    def close(self) -> None:
        self.task.cancel()

    async def wait_closed(self) -> None:
        try:
            await self.task
        except asyncio.CancelledError:
            pass
