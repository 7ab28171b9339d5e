"""Running the server: one uvicorn process, or several workers that share the port fairly.

With several workers each listens on its own socket bound with ``SO_REUSEPORT``, so the
kernel spreads connections over them. (Sharing one listening socket, as uvicorn's own
workers do, lets whichever worker wakes first accept every connection that is waiting:
ten keep-alive clients all landed on one worker while the other sat idle.) A worker that
dies is started again; Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

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


def serve(host: str, port: int, workers: int) -> None:
    """Serve the app (built from the environment by each worker) on ``host:port``."""
    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **UVICORN_OPTIONS)
        return
    # Bound, never listening: claims the port (a clear error if it is taken, the real number
    # if 0 was asked) for the workers' sockets to join.
    claim = _socket(host, port)
    port = claim.getsockname()[1]
    import healthqa.serve.app  # noqa: F401  imported once here, shared by the forked workers

    context = multiprocessing.get_context("fork")
    running = {n: _start(context, host, port) for n in range(workers)}
    where = f"[{host}]" if ":" in host else host
    print(f"healthqa serving on http://{where}:{port} with {workers} workers (Ctrl-C stops)", file=sys.stderr, flush=True)
    stopping = []
    previous = {sig: signal.signal(sig, lambda *_: stopping.append(True)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping:
            wait([p.sentinel for p in running.values()], timeout=0.5)
            for n, process in list(running.items()):
                if not process.is_alive() and not stopping:
                    print(f"healthqa: worker {n} (pid {process.pid}) ended with status {process.exitcode}: "
                          "starting another", file=sys.stderr, flush=True)
                    running[n] = _start(context, host, port)
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        claim.close()


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


def _start(context, host: str, port: int):
    process = context.Process(target=_worker, args=(host, port), daemon=True)
    process.start()
    return process


def _worker(host: str, port: int) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own while it runs
    sock = _socket(host, port)
    uvicorn.Server(uvicorn.Config(APP, host=host, port=port, **UVICORN_OPTIONS)).run(sockets=[sock])
