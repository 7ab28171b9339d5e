"""The search cluster against one Whoosh index on the same records: relevance and latency.

Usage: python bench/cluster.py DATA_DIR [--shards 2] [--replicas 2] [--rounds 3] [--reuse]

Builds a cluster (its own directory under DATA_DIR/cluster-bench, free ports on 127.0.0.1)
from DATA_DIR's store, starts it, and prints for the LiveQA dev questions (both query forms):
top-10 overlap with the Whoosh index (|both| / 10, uncollapsed, as `eval` ranks), nDCG@10 of
each (overall and per annotated question type), and query latency p50/p95 of a full
`search` (snippets and facets) alternating Whoosh and cluster query by query, wall and CPU
time of this process, plus the head's own query time (the engine alone). Stops every searchd
it started, even on failure. Use a copy of a data directory: nothing is written to its store.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import socket
import statistics
import sys
import time
from collections import defaultdict
from contextlib import ExitStack

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [os.path.dirname(HERE)] + [p for p in sys.path if os.path.abspath(p or ".") != HERE]

from healthqa.index.cluster import daemons  # noqa: E402
from healthqa.index.cluster.build import build, read_state  # noqa: E402
from healthqa.index.cluster.engine_config import Paths, write_configs  # noqa: E402
from healthqa.index.cluster.layout import NODES_FILE, Layout, read_layout, write_layout  # noqa: E402
from healthqa.ingest.store import Store  # noqa: E402
from healthqa.search.cluster import ClusterSearcher  # noqa: E402
from healthqa.search.evaluate import measure, read_qrels, read_queries  # noqa: E402
from healthqa.search.searcher import Searcher  # noqa: E402
from healthqa.search.settings import SearchSettings  # noqa: E402

DEV = os.path.join(HERE, "..", "..", "shared", "data", "liveqa-med-dev")
sys.path.insert(0, HERE)
from relevance import read_types  # noqa: E402


def free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def relevance(whoosh: Searcher, cluster: ClusterSearcher, plain: ClusterSearcher, queries, judged, types) -> None:
    """Per group: top-10 overlap with Whoosh and nDCG@10, for the cluster with its did-you-mean
    corrections and for one without them (``plain``), so their effect shows."""
    per_type: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    corrected = 0
    for query in queries:
        theirs = [i for i, _ in whoosh.ranked_ids(query.text, 10)]
        row = [measure(theirs, judged.get(query.qid, {}))["nDCG@10"]]
        for searcher in (plain, cluster):
            ours = [i for i, _ in searcher.ranked_ids(query.text, 10)]
            row += [len(set(ours) & set(theirs)) / 10, measure(ours, judged.get(query.qid, {}))["nDCG@10"]]
        corrected += row[1:3] != row[3:5]
        per_type["ALL"].append(tuple(row))
        for qtype in types.get(query.qid, ()):
            per_type[qtype].append(tuple(row))
    print(f"questions whose cluster top 10 the corrections changed: {corrected}")
    print(f"{'group':<22} {'n':>3}  nDCG whoosh | no fuzzy: overlap  nDCG | fuzzy: overlap  nDCG")
    for name, rows in sorted(per_type.items(), key=lambda item: (item[0] != "ALL", -len(item[1]), item[0])):
        m = [statistics.mean(r[i] for r in rows) for i in range(5)]
        print(f"{name:<22} {len(rows):>3}  {m[0]:11.3f} | {m[1]:17.3f} {m[2]:5.3f} | {m[3]:14.3f} {m[4]:5.3f}")


def searchd_cpu(pids: list[int]) -> float:
    """CPU seconds the ``searchd`` processes have used (user + system, from /proc)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def latency(whoosh: Searcher, cluster: ClusterSearcher, texts: list[str], rounds: int, pids: list[int]) -> None:
    """Wall time, and CPU time of this process plus every searchd (the machine is shared: CPU is the steadier figure)."""
    times: dict[str, list[tuple[float, float, float]]] = {"whoosh": [], "cluster": [], "head only": []}
    for text in texts:  # warm both
        whoosh.search(text), cluster.search(text)
    for _ in range(rounds):
        for text in texts:
            for name, run in (("whoosh", whoosh.search), ("cluster", cluster.search), ("head only", cluster.engine)):
                wall, cpu, engine = time.perf_counter(), time.process_time(), searchd_cpu(pids)
                run(text)
                own, searchd = time.process_time() - cpu, searchd_cpu(pids) - engine
                times[name].append((time.perf_counter() - wall, own + searchd, searchd))
    print(f"\nquery latency, {len(texts)} questions x {rounds} rounds, alternating (ms; cpu: this process + searchd,"
          " searchd counted in 10 ms ticks)")
    print(f"{'backend':<10} {'p50 wall':>9} {'p95 wall':>9} {'p50 cpu':>8} {'p95 cpu':>8} {'mean cpu':>9} "
          f"{'of it searchd':>14}")
    for name, rows in times.items():
        wall, cpu = [1000 * w for w, _, _ in rows], [1000 * c for _, c, _ in rows]
        print(f"{name:<10} {percentile(wall, .5):9.1f} {percentile(wall, .95):9.1f} {percentile(cpu, .5):8.1f} "
              f"{percentile(cpu, .95):8.1f} {statistics.mean(cpu):9.1f} {1000 * statistics.mean(r[2] for r in rows):14.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", default=os.path.join(DEV, "queries.tsv"))
    parser.add_argument("--qrels", default=os.path.join(DEV, "qrels.txt"))
    parser.add_argument("--annotations", default=os.path.join(DEV, "annotations.jsonl"))
    parser.add_argument("--reuse", action="store_true", help="use the cluster a previous run built (no build)")
    args = parser.parse_args()
    root = os.path.join(args.data_dir, "cluster-bench")
    paths = Paths(root)
    if args.reuse:
        layout = read_layout(os.path.join(root, NODES_FILE))
    else:
        shutil.rmtree(root, ignore_errors=True)
        layout = Layout.on_ports(args.shards, args.replicas, free_ports(2 * (args.shards * args.replicas + 1)))
        write_layout(os.path.join(root, NODES_FILE), layout)
        write_configs(layout, paths)
    try:
        if not args.reuse:
            with Store.open(args.data_dir, readonly=True) as store:
                report = build(layout, paths, store)
            print(f"build: {sum(report.per_shard)} records, per shard {report.per_shard}, {report.seconds:.1f} s "
                  f"({args.shards} x {args.replicas}: every replica indexes its shard)")
        sizes = {n.name: sum(os.path.getsize(os.path.join(paths.node_dir(n), f))
                             for f in os.listdir(paths.node_dir(n)) if f.startswith("s")) for n in layout.shards[0]}
        records = read_state(paths)["per_shard"][0]
        print(f"shard 0 index bytes per replica: {sizes} ({min(sizes.values()) / records:.0f} B/record)")
        daemons.start_all(layout, paths)
        no_fuzzy = SearchSettings(ranking=dataclasses.replace(SearchSettings().ranking, fuzzy_weight=0.0))
        with Searcher(args.data_dir) as whoosh, ClusterSearcher(args.data_dir, root) as cluster, \
                ClusterSearcher(args.data_dir, root, no_fuzzy) as plain:
            judged, types = read_qrels(args.qrels), read_types(args.annotations)
            for form in ("paraphrase", "subject+message"):
                print(f"\nLiveQA dev, {form}")
                relevance(whoosh, cluster, plain, read_queries(args.queries, form), judged, types)
            pids = [daemons.pid_of(node, paths) for node in layout.nodes()]
            latency(whoosh, cluster, [q.text for q in read_queries(args.queries, "paraphrase")], args.rounds, pids)
    finally:
        daemons.stop_all(layout, paths)


if __name__ == "__main__":
    main()
