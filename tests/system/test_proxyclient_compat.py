"""psi-camserver-client's ProxyClient, unchanged: every call it has, against camserver's cameras'
proxy (the main port) and pipelines' proxy (the second port), plus the routes CamServer's
management GUI calls. The cluster tests run this module again on a Ray backend."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from cam_server_client import CamClient, PipelineClient, ProxyClient

from camserver.testing.server import RunningServer, running_server
from tests.system.conftest import SIMULATION
from tests.system.waiting import wait_for

pytestmark = pytest.mark.system


def populate(running: RunningServer) -> None:
    """The configs every test of this module uses."""
    running.services.camera_store.set("proxied", {**SIMULATION, "frame_rate": 20})
    running.services.camera_store.set("spare", {**SIMULATION, "frame_rate": 20})
    running.services.pipeline_store.set("proxied_sp", {"camera_name": "proxied"})
    running.services.pipeline_store.set("other_sp", {"camera_name": "proxied", "image_threshold": 1})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with running_server(tmp_path_factory.mktemp("proxy-data"), pipeline_port=0) as running:
        populate(running)
        yield running


@pytest.fixture
def cameras(server: RunningServer) -> ProxyClient:
    return ProxyClient(server.url)


@pytest.fixture
def pipelines(server: RunningServer) -> ProxyClient:
    assert server.pipeline_url is not None
    return ProxyClient(server.pipeline_url)


@pytest.fixture
def running(server: RunningServer) -> Iterator[tuple[str, str]]:
    """The camera ``proxied`` and the pipeline ``proxied_sp`` running; (their node names)."""
    CamClient(server.url).get_instance_stream("proxied")
    assert server.pipeline_url is not None
    PipelineClient(server.pipeline_url).create_instance_from_name("proxied_sp", instance_id="proxied_sp")
    camera = server.services.cameras.instance("proxied")
    pipeline = server.services.pipelines.info("proxied_sp")
    yield camera.node, pipeline.node
    server.services.pipelines.stop_all()
    server.services.cameras.stop_all()


def node_names(server: RunningServer) -> list[str]:
    return [node.name for node in server.services.backend.nodes() if node.alive]


def test_servers_status_and_info_answer_per_kind(
    server: RunningServer, cameras: ProxyClient, pipelines: ProxyClient, running: tuple[str, str]
) -> None:
    camera_node, pipeline_node = running
    servers = cameras.get_servers_info()
    assert sorted(servers) == sorted(node_names(server))
    assert servers[camera_node]["instances"] == ["proxied"]
    assert servers[camera_node]["load"] == 1
    assert servers[camera_node]["version"] == cameras.get_version()
    assert pipelines.get_servers_info()[pipeline_node]["instances"] == ["proxied_sp"]
    status = cameras.get_status_info()
    assert list(status[camera_node]) == ["proxied"]
    assert status[camera_node]["proxied"]["camera_name"] == "proxied"
    assert list(pipelines.get_status_info()[pipeline_node]) == ["proxied_sp"]  # pipelines only
    instances = pipelines.get_instances_info()
    assert list(instances) == ["proxied_sp"]
    assert instances["proxied_sp"]["host"] == pipeline_node
    assert instances["proxied_sp"]["stream_address"].startswith("tcp://")
    info = cameras.get_server_info()
    assert info["servers"][camera_node]["load"] == 1
    assert cameras.get_address() == server.url


def test_logs_of_servers_and_instances(pipelines: ProxyClient, running: tuple[str, str]) -> None:
    _, node = running
    records = pipelines.get_server_logs(node)
    assert any("proxied_sp" in record[3] for record in records)
    index = list(pipelines.get_servers_info()).index(node)  # CamServer's GUI names servers by index
    assert any("proxied_sp" in record[3] for record in pipelines.get_server_logs(index))
    assert "proxied_sp" in pipelines.get_server_logs(node, txt=True)
    own = pipelines.get_instance_logs(node, "proxied_sp")
    assert any("proxied_sp" in record[3] for record in own)
    assert " - " in pipelines.get_instance_logs(node, "proxied_sp", txt=True)
    assert isinstance(pipelines.get_logs(), list)
    assert isinstance(pipelines.get_logs(txt=True), str)
    with pytest.raises(ValueError, match="does not exist"):
        pipelines.get_server_logs("no_such_server")


def test_servers_json_round_trip(server: RunningServer, cameras: ProxyClient, pipelines: ProxyClient) -> None:
    rules = {node: {"expanding": True, "instances": []} for node in node_names(server)}
    assert cameras.set_config(rules) == rules
    assert cameras.get_config() == rules
    assert pipelines.get_config() == {}  # the pipelines' servers.json is another file
    saved = json.loads((server.settings.data_dir / "camera_config" / "servers.json").read_text())
    assert saved == rules
    with pytest.raises(ValueError, match="servers.json not changed: .*unknown keys expandng"):
        cameras.set_config({"srv": {"expandng": False}})
    assert cameras.set_config({}) == {}


def test_permanent_instances_are_started_and_stopped(server: RunningServer, pipelines: ProxyClient) -> None:
    assert pipelines.get_permanent_instances() == {}
    chosen = {"kept_sp": "other_sp", "#off": "other_sp", "ghost": "no_such_pipeline"}
    assert pipelines.set_permanent_instances(chosen) == {"kept_sp": "other_sp", "#off": "other_sp"}
    info = wait_for(pipelines.get_instances_info, lambda found: "kept_sp" in found, "the permanent instance to run")
    assert info["kept_sp"]["permanent"] is True
    assert info["kept_sp"]["config"]["no_client_timeout"] == 0
    assert pipelines.get_permanent_instances() == {"kept_sp": "other_sp", "#off": "other_sp"}
    assert pipelines.set_permanent_instances({}) == {}
    assert "kept_sp" not in pipelines.get_instances_info()
    server.services.cameras.stop_all()


def test_gui_routes_named_configs_diag_and_stops(
    server: RunningServer, pipelines: ProxyClient, running: tuple[str, str]
) -> None:
    _, node = running
    assert server.pipeline_url is not None
    base = f"{server.pipeline_url}/api/v1/proxy"
    with httpx.Client(timeout=30) as http:
        assert "proxied_sp" in http.get(f"{base}/config_names").json()["config_names"]
        text = http.get(f"{base}/proxied_sp/config").json()["config"]
        assert isinstance(text, str)
        assert json.loads(text)["camera_name"] == "proxied"
        saved = http.post(f"{base}/new_sp/config", json={"camera_name": "proxied"}).json()
        assert saved["state"] == "ok"
        assert saved["config"]["camera_name"] == "proxied"
        refused = http.post(f"{base}/bad_sp/config", json={"pipeline_type": "processing"})
        assert refused.status_code == 400
        assert http.delete(f"{base}/new_sp/config").json()["state"] == "ok"
        diag = http.get(f"{base}/diag/proxied_sp").json()["diag"]
        assert (diag["status"], diag["mode"], diag["permanent"], diag["databuffer"]) == (
            "active",
            "PUB",
            False,
            "invalid",
        )
        assert http.get(f"{base}/diag/other_sp").json()["diag"]["status"] == "inactive"
        assert http.get(f"{base}/diag/nothing").json()["diag"]["status"] == "invalid"
        assert list(http.get(f"{base}/diag/camera:proxied").json()["diag"]["pipelines"]) == ["proxied_sp"]
        assert http.get(f"{base}/diag/proxied_sp/status").json()["ret"] == "active"
        assert http.get(f"{base}/info/active_instances/_keys").json()["ret"] == ["proxied_sp"]
        assert http.get(f"{base}/heartbeat").json()["version"] == pipelines.get_version()
        assert http.get(f"{base}/info/nothing").status_code == 404
        stopped = http.delete(f"{base}/server/{node}").json()
        assert stopped["status"] == f"All instances stopped in '{node}'."
        assert "proxied_sp" not in pipelines.get_instances_info()
        camera_base = f"{server.url}/api/v1/proxy"
        assert http.delete(f"{camera_base}/proxied").json()["state"] == "ok"
        assert "proxied" not in ProxyClient(server.url).get_instances_info()
        assert http.delete(f"{camera_base}/proxied/del").json()["state"] == "ok"


def test_nodes_are_listed_with_their_load(server: RunningServer, running: tuple[str, str]) -> None:
    camera_node, _ = running
    body = httpx.get(f"{server.url}/api/v1/nodes", timeout=10).json()
    assert body["backend"] == server.services.backend.name
    nodes = {node["name"]: node for node in body["nodes"]}
    assert "proxied" in nodes[camera_node]["cameras"]
    assert nodes[camera_node]["instances"] >= 1


def test_the_camera_and_pipeline_routes_answer_on_both_ports(server: RunningServer) -> None:
    assert server.pipeline_url is not None
    assert PipelineClient(server.pipeline_url).get_pipelines() == PipelineClient(server.url).get_pipelines()
    assert CamClient(server.pipeline_url).get_cameras() == CamClient(server.url).get_cameras()
