"""How placements read in Ray, and the ``ray start`` line of a node (no Ray needed)."""

from __future__ import annotations

import json

from camserver.backends.placement import Placement
from camserver.backends.ray_node import ray_start_command
from camserver.backends.ray_options import actor_options, head_options


def test_every_actor_is_detached_named_restartable_and_claims_no_cpu() -> None:
    options = actor_options("camera/cam", "ns", None)
    assert options == {
        "name": "camera/cam",
        "namespace": "ns",
        "lifetime": "detached",
        "max_restarts": -1,
        "max_task_retries": 0,
        "num_cpus": 0,
        "max_concurrency": 8,
    }


def test_a_pinned_instance_has_no_fallback() -> None:
    options = actor_options("camera/cam", "ns", Placement(node="srv2", pinned=True, bandwidth=200.5))
    assert options["label_selector"] == {"camserver/server": "srv2"}
    assert "fallback_strategy" not in options
    assert options["resources"] == {"camserver_bandwidth": 200.5}


def test_an_unpinned_instance_falls_back_to_the_rest_of_its_pool() -> None:
    options = actor_options("pipeline/p", "ns", Placement(node="srv2", pool=("srv1", "srv2", "srv3")))
    assert options["label_selector"] == {"camserver/server": "srv2"}
    assert options["fallback_strategy"] == [{"label_selector": {"camserver/server": "in(srv1,srv3)"}}]
    assert "resources" not in options  # it claims no bandwidth
    anywhere = actor_options("pipeline/p", "ns", Placement(node="srv2", pool=None))
    assert anywhere["fallback_strategy"] == [{"label_selector": {}}]
    alone = actor_options("pipeline/p", "ns", Placement(node="srv2", pool=("srv2",)))
    assert "fallback_strategy" not in alone


def test_a_head_started_by_the_server() -> None:
    options = head_options("vm", 2500.0, "127.0.0.1")
    assert options["labels"] == {"camserver/server": "vm"}
    assert options["resources"] == {"camserver_bandwidth": 2500.0}
    assert options["_node_ip_address"] == "127.0.0.1"
    assert options["include_dashboard"] is False
    assert "_node_ip_address" not in head_options("vm", 1.0, None)


def test_ray_start_lines_of_a_head_and_a_worker() -> None:
    head = ray_start_command(server="srv1", bandwidth=10000, head=True, node_ip="10.0.0.1", block=False)
    assert head[1:4] == ["start", "--head", "--port=6379"]
    assert "--num-cpus=0" in head
    assert "--labels=camserver/server=srv1" in head
    assert "--node-ip-address=10.0.0.1" in head
    assert "--block" not in head
    resources = next(arg for arg in head if arg.startswith("--resources="))
    assert json.loads(resources.split("=", 1)[1]) == {"camserver_bandwidth": 10000}
    worker = ray_start_command(
        server="srv2", bandwidth=25000, address="10.0.0.1:6379", labels={"rack": "a"}, worker_ports=(20000, 20999)
    )
    assert "--address=10.0.0.1:6379" in worker
    assert "--labels=camserver/server=srv2,rack=a" in worker
    assert worker[-3:-1] == ["--min-worker-port=20000", "--max-worker-port=20999"]
    assert worker[-1] == "--block"
