"""How long the test suite takes, test by test, in CPU seconds as well as wall seconds.

    .venv/bin/python bench/suite.py                   # the suite as CI runs it
    .venv/bin/python bench/suite.py --top 20 -- tests/cli   # some tests; arguments after -- go to pytest

On a machine shared with other work, wall times swing with the load; the CPU seconds a test
costs (this process and the child processes it waited for) do not, so both are printed.
Prints the load average before and after, the run's wall and CPU totals, and the ``--top``
tests by CPU seconds (setup, call and teardown together).
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


class CpuTimes:
    """A pytest plugin: CPU and wall seconds of each test, from setup to teardown."""

    def __init__(self) -> None:
        self.times: dict[str, tuple[float, float]] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        cpu, wall = _cpu(), time.monotonic()
        yield
        self.times[item.nodeid] = (_cpu() - cpu, time.monotonic() - wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=30, help="how many of the costliest tests to list")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args()
    plugin = CpuTimes()
    load_before = os.getloadavg()
    cpu, wall = _cpu(), time.monotonic()
    code = pytest.main(list(args.pytest_args), plugins=[plugin])
    cpu, wall = _cpu() - cpu, time.monotonic() - wall
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.1f}, after {load_after[0]:.1f} (1 min)")
    print(f"{len(plugin.times)} tests: wall {wall:.1f} s, CPU {cpu:.1f} s (pytest exit {int(code)})")
    print(f"{'CPU s':>7s} {'wall s':>7s}  test")
    for nodeid, (test_cpu, test_wall) in sorted(plugin.times.items(), key=lambda kv: -kv[1][0])[:args.top]:
        print(f"{test_cpu:7.2f} {test_wall:7.2f}  {nodeid}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
