"""The placement rules, as values: servers.json's rules, the nodes there are, their capacity."""

from __future__ import annotations

import pytest

from camserver.errors import PlacementError
from camserver.models.node import NodeInfo
from camserver.service.placement import PlacementRequest, place
from camserver.service.server_pool import ServerPool

NONE = ServerPool()


def node(name: str, *, instances: int = 0, used: float = 0.0, alive: bool = True, capacity: float = 1000.0) -> NodeInfo:
    return NodeInfo(
        name=name,
        address=f"10.0.0.{name[-1]}",
        alive=alive,
        bandwidth=capacity,
        bandwidth_used=used,
        instances=instances,
    )


NODES = [node("srv1"), node("srv2"), node("srv3")]


def camera(name: str = "cam", **fields: object) -> PlacementRequest:
    return PlacementRequest(kind="camera", instance_id=name, config_name=name, **fields)  # type: ignore[arg-type]


def pipeline(name: str = "pipe", **fields: object) -> PlacementRequest:
    return PlacementRequest(kind="pipeline", instance_id=name, config_name=name, **fields)  # type: ignore[arg-type]


def test_load_placement_takes_the_least_loaded_node() -> None:
    nodes = [node("srv1", instances=2), node("srv2", instances=1), node("srv3", instances=1, used=500)]
    placed = place(camera(bandwidth=100), NONE, nodes)
    assert (placed.node, placed.pinned, placed.pool, placed.bandwidth) == ("srv2", False, ("srv1", "srv2", "srv3"), 100)
    assert "by load" in placed.reason


def test_load_placement_skips_servers_that_do_not_expand_and_disabled_ones() -> None:
    rules = ServerPool.from_json({"srv1": {"expanding": False}, "srv2": {"enabled": False}, "srv3": {}})
    placed = place(camera(), rules, [node("srv1"), node("srv2"), node("srv3", instances=5)])
    assert placed.node == "srv3"
    assert placed.pool == ("srv3",)


def test_fixed_instance_is_pinned_with_its_port() -> None:
    rules = ServerPool.from_json({"srv3": {"expanding": False, "instances": ["cam:5554"]}})
    placed = place(camera(bandwidth=10), rules, NODES)
    assert (placed.node, placed.pinned, placed.port) == ("srv3", True, 5554)


def test_pipelines_of_a_listed_camera_go_to_its_server() -> None:
    rules = ServerPool.from_json({"srv1": {}, "srv2": {"cameras": ["cam"]}})
    placed = place(pipeline(camera_name="cam", near="srv1"), rules, NODES)
    assert (placed.node, placed.pinned) == ("srv2", True)


def test_a_pipeline_prefers_its_cameras_node() -> None:
    nodes = [node("srv1"), node("srv2", instances=9), node("srv3")]
    placed = place(pipeline(camera_name="cam", near="srv2", bandwidth=100), NONE, nodes)
    assert (placed.node, placed.pinned) == ("srv2", False)
    assert "beside" in placed.reason


def test_a_pipeline_whose_cameras_node_is_full_goes_elsewhere() -> None:
    nodes = [node("srv1", instances=3), node("srv2", used=950), node("srv3", instances=1)]
    placed = place(pipeline(camera_name="cam", near="srv2", bandwidth=100), NONE, nodes)
    assert placed.node == "srv3"


def test_the_cameras_node_outside_the_pipelines_pool_is_not_preferred() -> None:
    rules = ServerPool.from_json({"srv1": {}, "srv3": {}})
    placed = place(pipeline(near="srv2"), rules, NODES)
    assert placed.node == "srv1"


def test_no_capacity_left_names_the_figures() -> None:
    nodes = [node("srv1", used=900), node("srv2", used=1000), node("srv3", alive=False)]
    with pytest.raises(PlacementError) as raised:
        place(camera(bandwidth=200), NONE, nodes)
    message = str(raised.value)
    assert "no node has 200 Mbit/s of network capacity left for camera 'cam'" in message
    assert "srv1: 100 of 1000 Mbit/s free" in message
    assert "srv2: 0 of 1000 Mbit/s free" in message
    assert "srv3" not in message  # lost nodes are not candidates


def test_a_fixed_server_without_capacity_is_an_error_not_a_move() -> None:
    rules = ServerPool.from_json({"srv1": {"instances": ["cam"]}})
    with pytest.raises(PlacementError, match=r"needs 300 Mbit/s .* fixed on server 'srv1' .* 200 of 1000"):
        place(camera(bandwidth=300), rules, [node("srv1", used=800), node("srv2")])


def test_a_lost_fixed_server_fails_an_on_demand_instance_and_keeps_a_permanent_one_waiting() -> None:
    rules = ServerPool.from_json({"srv2": {"instances": ["cam:5554"]}})
    nodes = [node("srv1"), node("srv2", alive=False)]
    with pytest.raises(PlacementError, match="no node 'srv2' is in the cluster now"):
        place(camera(), rules, nodes)
    waiting = place(camera(permanent=True), rules, nodes)
    assert (waiting.node, waiting.pinned, waiting.port) == ("srv2", True, 5554)
    assert "waiting" in waiting.reason


def test_no_load_targets_says_why() -> None:
    rules = ServerPool.from_json({"srv1": {"expanding": False}})
    with pytest.raises(PlacementError, match="names no enabled server that takes instances by load"):
        place(camera(), rules, NODES)
    with pytest.raises(PlacementError, match=r"none of the servers .* is in the cluster now \(srv1\)"):
        place(camera(), ServerPool.from_json({"srv1": {}}), [node("srv1", alive=False)])


def test_unlimited_nodes_take_any_bandwidth() -> None:
    placed = place(camera(bandwidth=1e6), NONE, [node("local", capacity=1.0).model_copy(update={"bandwidth": None})])
    assert placed.node == "local"
