"""How long the test suite takes, test by test, in CPU seconds as well as wall seconds.

    .venv/bin/python bench/suite.py                   # the suite as CI runs it
    .venv/bin/python bench/suite.py --top 20 -- tests/cli   # some tests; arguments after -- go to pytest
    .venv/bin/python bench/suite.py --modules 30 -- -n 0    # the costliest modules, in one process

On a machine shared with other work, wall times swing with the load; the CPU seconds a test
costs (this process and the child processes it waited for) do not, so both are printed.
Prints the load average before and after, the run's wall and CPU totals, and the ``--top``
tests by CPU seconds (setup, call and teardown together; a module's fixtures count in its
first test). Under pytest-xdist (the default, two workers) each worker measures the tests it
runs; the total counts the workers once they have ended. ``-- -n 0`` measures one process.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import resource
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and its search.py / ingest.py would
# hide the packages of the same name: search the repository root instead.
if sys.path and pathlib.Path(sys.path[0] or ".").resolve() == REPO / "bench":
    sys.path[0] = str(REPO)

import pytest  # noqa: E402


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# This module is also the pytest plugin (``-p bench.suite``), loaded in the pytest process and,
# under pytest-xdist, in every worker: the process that runs a test measures its CPU seconds
# and sends them with the test's reports; the process that prints gathers them here.
_STARTED = pytest.StashKey[float]()
TIMES: dict[str, tuple[float, float]] = {}  # test id -> (CPU s, wall s), setup to teardown
WORKERS: dict[str, float] = {}  # worker id -> CPU seconds of the tests it ran


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    item.stash[_STARTED] = _cpu()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    outcome.get_result().user_properties.append(("cpu_seconds", _cpu() - item.stash[_STARTED]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    cpu = dict(report.user_properties).get("cpu_seconds", 0.0)
    wall = TIMES.get(report.nodeid, (0.0, 0.0))[1] + report.duration
    TIMES[report.nodeid] = (cpu, wall)  # the last phase's CPU covers the earlier ones
    if report.when == "teardown":
        worker = getattr(getattr(report, "node", None), "gateway", None)
        WORKERS[worker.id if worker else "main"] = WORKERS.get(worker.id if worker else "main", 0.0) + cpu


def by_module(times: dict[str, tuple[float, float]]) -> list[tuple[str, float, float, int]]:
    """CPU and wall seconds and test count of each test module, costliest first."""
    modules: dict[str, list[float]] = {}
    for nodeid, (cpu, wall) in times.items():
        total = modules.setdefault(nodeid.split("::", 1)[0], [0.0, 0.0, 0])
        total[0] += cpu
        total[1] += wall
        total[2] += 1
    return sorted(((name, cpu, wall, int(n)) for name, (cpu, wall, n) in modules.items()), key=lambda m: -m[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=30, help="how many of the costliest tests to list")
    parser.add_argument("--modules", type=int, default=0, help="how many of the costliest test modules to list")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    cpu, wall = _cpu(), time.monotonic()
    code = pytest.main(["-p", "bench.suite", *args.pytest_args])
    cpu, wall = _cpu() - cpu, time.monotonic() - wall
    load_after = os.getloadavg()
    times = sys.modules["bench.suite"].TIMES
    print(f"\nload average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    print(f"{len(times)} tests: wall {wall:.1f} s, CPU {cpu:.1f} s (pytest exit {int(code)}); "
          f"the tests' own CPU {sum(c for c, _ in times.values()):.1f} s")
    workers = sys.modules["bench.suite"].WORKERS
    print("the tests' CPU seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(workers.items())))
    print(f"{'CPU s':>7s} {'wall s':>7s}  test")
    for nodeid, (test_cpu, test_wall) in sorted(times.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{test_cpu:7.2f} {test_wall:7.2f}  {nodeid}")
    if args.modules:
        print(f"\n{'CPU s':>7s} {'wall s':>7s} {'tests':>5s}  module")
        for name, module_cpu, module_wall, count in by_module(times)[:args.modules]:
            print(f"{module_cpu:7.2f} {module_wall:7.2f} {count:5d}  {name}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
