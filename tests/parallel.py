"""How the suite runs on two processes (pytest-xdist), used by the hooks in tests/conftest.py.

``pytest`` alone runs on ``min(2, CPUs)`` worker processes; ``pytest -n 0`` (or
``-p no:xdist``) runs in one process, as a debugger needs; ``-n N`` picks another count.

Work goes to the workers a test module at a time, never test by test: a module's
module-scoped fixtures (an index built from the real corpus, a running server) are then built
once, by the one worker that runs the module. The modules of a folder in ``ONE_WORKER`` go
to one worker together, after one another: they share expensive session fixtures, or start
processes that must not run twice at once.
"""

from __future__ import annotations

import fcntl
import os
import pathlib

import pytest

# Folder (as in a test id) -> why its modules run on one worker together.
ONE_WORKER = {
    "tests/cluster/": "each test starts real searchd processes (5 of them, 10 ports); one cluster at a time "
                      "keeps two workers' clusters from racing for the free ports they picked, and the "
                      "session's cluster corpus is built once",
}

WORKERS = 2  # the CI machine's cores; more workers than cores only adds fixture builds
# From this many tests on (the suite, a package of it) nearly every worker writes an index, and
# so needs the run's vocabulary: built at the start by one worker while the others wait,
# rather than by each worker at once (~10 CPU seconds each). A few modules may never need it.
EAGER_VOCABULARY = 200


def default_workers(config: pytest.Config) -> None:
    """Give ``config`` the default distribution unless the command line chose one (``-n``)."""
    option = config.option
    if not hasattr(option, "numprocesses") or hasattr(config, "workerinput"):
        return  # pytest-xdist is not loaded (-p no:xdist), or this is a worker
    if option.numprocesses is None and option.dist == "no" and not option.usepdb:
        option.numprocesses = min(WORKERS, os.cpu_count() or 1)
        option.dist = "loadscope"


def module_scope(nodeid: str) -> str:
    """The unit of work a test id belongs to: its module, or its folder in ``ONE_WORKER``."""
    module = nodeid.split("::", 1)[0]
    return next((folder for folder in ONE_WORKER if module.startswith(folder)), module)


def make_scheduler(config: pytest.Config, log: object) -> object | None:
    """For ``--dist loadscope``: xdist's scheduler of whole scopes, scoped by :func:`module_scope`
    (xdist's own splits a module's test classes apart, which builds its fixtures twice)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return module_scope(nodeid)

    return ModuleScheduling(config, log)


def build_once(shared: pathlib.Path) -> None:
    """Build the run's vocabulary in ``shared`` unless another worker has: the first worker to
    take the lock builds it, the others wait and then find it current."""
    from healthqa.index import vocabulary

    with open(shared.parent / "vocabulary.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        vocabulary.provide(str(shared))
