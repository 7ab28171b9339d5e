"""The nodes file and the engine configs written from it (no daemons needed)."""

from __future__ import annotations

import pathlib

import pytest
from click.testing import CliRunner

from healthqa.cli import cli
from healthqa.index.cluster.engine_config import Paths, node_config
from healthqa.index.cluster.layout import Layout, read_layout
from healthqa.ingest.errors import ClusterError


def test_init_then_config_writes_a_head_whose_agents_list_each_shards_mirrors(tmp_path: pathlib.Path) -> None:
    runner = CliRunner()
    data = tmp_path / "data"
    made = runner.invoke(cli, ["--data-dir", str(data), "cluster", "init", "--shards", "3", "--replicas", "2",
                               "--port", "20000"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(cli, ["--data-dir", str(data), "cluster", "config"]).exit_code == 0
    head = (data / "cluster" / "conf" / "head.conf").read_text()
    assert "type = distributed" in head and "ha_strategy = nodeads" in head
    assert [line.strip() for line in head.splitlines() if "agent =" in line] == [
        "agent = 127.0.0.1:20000|127.0.0.1:20002:s0_main,s0_delta",
        "agent = 127.0.0.1:20004|127.0.0.1:20006:s1_main,s1_delta",
        "agent = 127.0.0.1:20008|127.0.0.1:20010:s2_main,s2_delta"]
    replica = (data / "cluster" / "conf" / "s1r1.conf").read_text()
    assert "listen = 127.0.0.1:20006\n" in replica and "listen = 127.0.0.1:20007:mysql41" in replica
    assert "index s1_main" in replica and "index s0_main" not in replica
    again = runner.invoke(cli, ["--data-dir", str(data), "cluster", "init"])
    assert again.exit_code == 1 and "already there" in again.output


def test_a_bad_nodes_file_is_named_with_what_is_wrong(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "nodes.toml"
    path.write_text(Layout.planned(2, 2).to_toml().replace("9313", "9312"))
    with pytest.raises(ClusterError, match=r"nodes.toml: not a valid nodes file: two nodes share a host and port"):
        read_layout(str(path))
    path.write_text('head = { host = "h", api = 1, sql = 2 }\nshards = []\n')
    with pytest.raises(ClusterError, match="at least one shard"):
        read_layout(str(path))
    path.write_text(Layout.planned(1, 1).to_toml().replace("delta_limit = 0.1", "delta_limit = 2"))
    with pytest.raises(ClusterError, match="delta_limit 2 must be between 0 and 1"):
        read_layout(str(path))
    with pytest.raises(ClusterError, match="no nodes file: run 'healthqa cluster init'"):
        read_layout(str(tmp_path / "missing.toml"))


def test_status_of_a_cluster_not_started_reports_every_node_down(tmp_path: pathlib.Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    runner.invoke(cli, ["--data-dir", data, "cluster", "init", "--shards", "1", "--replicas", "1", "--port", "1"])
    status = runner.invoke(cli, ["--data-dir", data, "cluster", "status"])
    assert status.exit_code == 1
    assert [line.split()[2] for line in status.output.splitlines()] == ["DOWN", "DOWN"]


def test_the_planned_layout_round_trips_through_its_file(tmp_path: pathlib.Path) -> None:
    layout = Layout.planned(3, 2, "127.0.0.1", 9400)
    path = tmp_path / "nodes.toml"
    path.write_text(layout.to_toml())
    assert read_layout(str(path)) == layout
    assert "agent_query_timeout = 5000" in node_config(layout, layout.head, Paths(str(tmp_path)))
