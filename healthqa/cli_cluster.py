"""``healthqa cluster``: set up, build, sync, start, stop and check a distributed search cluster."""

from __future__ import annotations

import os
import time

import click

from healthqa.cli_common import Context, domain_errors, json_text, one_line


def _where(obj: Context):
    from healthqa.index.cluster.engine_config import Paths
    from healthqa.index.cluster.layout import NODES_FILE
    from healthqa.search.backend import cluster_dir

    root = cluster_dir(obj.data_dir, obj.config.get("cluster_dir"))
    return Paths(root), os.path.join(root, NODES_FILE)


def _layout(obj: Context):
    from healthqa.index.cluster.layout import read_layout

    paths, nodes = _where(obj)
    return read_layout(nodes), paths


@click.group("cluster")
def cluster_group() -> None:
    """A distributed search backend on Sphinx-family searchd processes (see README, 'Past one machine').

    Typical use: init, config, build, start; then sync after each ingest, status to check.
    Searching it: 'healthqa search --backend cluster' (or backend = "cluster" in healthqa.toml).
    """


@cluster_group.command("init")
@click.option("--shards", type=click.IntRange(1, 256), default=2, show_default=True, help="Shards (N).")
@click.option("--replicas", type=click.IntRange(1, 16), default=2, show_default=True, help="Mirrors of each shard (R).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address every searchd listens on.")
@click.option("--port", type=click.IntRange(1, 65000), default=9312, show_default=True,
              help="First port: two per node (agent, SphinxQL), the head last.")
@click.option("--force", is_flag=True, help="Replace an existing nodes file.")
@click.pass_obj
@domain_errors
def init_command(obj: Context, shards: int, replicas: int, host: str, port: int, force: bool) -> None:
    """Write a nodes file for SHARDS x REPLICAS searchd and a head (edit it for other hosts)."""
    from healthqa.index.cluster.layout import Layout, write_layout
    from healthqa.ingest import datadir

    paths, nodes = _where(obj)
    if os.path.abspath(paths.root).startswith(os.path.abspath(obj.data_dir) + os.sep):
        datadir.claim(obj.data_dir)  # the cluster lives inside: the data directory is made healthqa's first
    write_layout(nodes, Layout.planned(shards, replicas, host, port), force)
    click.echo(f"wrote {nodes}: {shards} shards x {replicas} replicas and a head; next: 'healthqa cluster config'")


@cluster_group.command("config")
@click.pass_obj
@domain_errors
def config_command(obj: Context) -> None:
    """Write each searchd's configuration from the nodes file."""
    from healthqa.index.cluster.engine_config import write_configs

    layout, paths = _layout(obj)
    for path in write_configs(layout, paths):
        click.echo(f"wrote {path}")


def _print_build(obj: Context, report) -> None:
    if obj.json:
        click.echo(json_text(report.__dict__))
        return
    if report.reason:
        click.echo(f"rebuilt every shard's main: {report.reason}")
    click.echo(f"{report.part}: {sum(report.per_shard)} records (per shard: {', '.join(map(str, report.per_shard))})"
               f" in {report.seconds:.1f} s; rotated into {len(report.rotated)} running replicas"
               + (f"; built for {len(report.offline)} stopped ones ({', '.join(report.offline)})" if report.offline else ""))


def _from_store(obj: Context, part: str) -> None:
    from healthqa.index.cluster import build
    from healthqa.ingest.store import Store

    layout, paths = _layout(obj)
    with Store.open(obj.data_dir, readonly=True) as store:
        _print_build(obj, (build.build if part == "main" else build.sync)(layout, paths, store))


@cluster_group.command("build")
@click.pass_obj
@domain_errors
def build_command(obj: Context) -> None:
    """Rebuild every shard from the record store and rotate it into every replica."""
    _from_store(obj, "main")


@cluster_group.command("sync")
@click.pass_obj
@domain_errors
def sync_command(obj: Context) -> None:
    """Push the records changed since the last build to every replica (the shards' deltas).

    When the changes since the last build pass the nodes file's delta_limit (a share of the
    records, default 0.1), every shard's main is rebuilt instead, as 'build' does.
    """
    _from_store(obj, "delta")


@cluster_group.command("start")
@click.pass_obj
@domain_errors
def start_command(obj: Context) -> None:
    """Start every searchd (replicas, then the head) and wait until each answers."""
    from healthqa.index.cluster.daemons import start_all

    layout, paths = _layout(obj)
    start_all(layout, paths)
    click.echo(f"{len(layout.nodes())} searchd running")


@cluster_group.command("stop")
@click.pass_obj
@domain_errors
def stop_command(obj: Context) -> None:
    """Stop every running searchd of the cluster."""
    from healthqa.index.cluster.daemons import stop_all

    layout, paths = _layout(obj)
    stopped = stop_all(layout, paths)
    click.echo(f"stopped {', '.join(stopped)}" if stopped else "no searchd was running")


@cluster_group.command("status")
@click.pass_obj
@domain_errors
def status_command(obj: Context) -> None:
    """Each node: up or down, records served, the store sequence it last got and when.

    Exits 1 when a shard has no live replica or the head is down.
    """
    from healthqa.index.cluster.status import health

    layout, paths = _layout(obj)
    nodes = health(layout, paths)
    if obj.json:
        click.echo(json_text([n.to_dict() for n in nodes]))
    else:
        for n in nodes:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(n.synced_at)) if n.synced_at else "never"
            state = "up" if n.up else "DOWN"
            click.echo(f"{n.name:<6} {n.address:<21} {state:<4} docs {n.docs if n.docs is not None else '-':<8} "
                       f"synced seq {n.synced_seq if n.synced_seq is not None else '-'} at {when}"
                       + (f"  ({one_line(n.error)})" if n.error and n.up else ""))
    shards_down = [s for s in range(len(layout.shards)) if not any(n.up for n in nodes if n.shard == s)]
    if shards_down or not nodes[-1].up:
        raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    group.add_command(cluster_group)
