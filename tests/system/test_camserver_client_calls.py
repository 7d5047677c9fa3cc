"""Every call of psi-camserver-client's ``CamClient`` and ``PipelineClient``, unchanged, against
``camserver serve`` running in its own process (the table in docs/how-to/migrate-from-camserver.md
lists them). Each test names the calls it exercises; a proxy records the calls made, and the last
checks make sure every public call of both classes is named by some test and in the table."""

from __future__ import annotations

import inspect
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bsread import SUB, Source
from cam_server_client import CamClient, PipelineClient
from PIL import Image

from camserver.transport import host_port
from tests.system.server_process import ServerProcess

pytestmark = pytest.mark.system

MIGRATION = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "migrate-from-camserver.md"
SIMULATION = {"source": "", "source_type": "simulation", "size_x": 64, "size_y": 48, "frame_rate": 20}
FUNCTION = """
import numpy as np

def process_image(image, pulse_id, timestamp, x_axis, y_axis, parameters, bsdata=None):
    return {"image": image, "pixel_sum": float(np.sum(image)), "width": image.shape[1], "height": image.shape[0]}
"""

#: the calls each test makes: {test: (CamClient calls, PipelineClient calls)}
EXERCISES: dict[str, tuple[set[str], set[str]]] = {}


def exercises(cam: set[str] | None = None, pipeline: set[str] | None = None) -> Callable[[Any], Any]:
    def named(test: Any) -> Any:
        EXERCISES[test.__name__] = (cam or set(), pipeline or set())
        return test

    return named


def public_calls(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


class Recording:
    """A client whose calls are recorded by name (calls made inside other calls too)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.called: set[str] = set()
        for name in public_calls(type(client)):
            method = getattr(client, name)
            setattr(client, name, self._recorded(name, method))

    def _recorded(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*arguments: Any, **options: Any) -> Any:
            self.called.add(name)
            return method(*arguments, **options)

        return call

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``camserver serve`` with user scripts allowed, a simulated camera and a saved pipeline."""
    data = tmp_path_factory.mktemp("served")
    server = ServerProcess("--port", "0", "--data-dir", str(data), "--allow-user-scripts")
    try:
        address = server.url()
        cameras = CamClient(address)
        cameras.set_camera_config("simulation", {**SIMULATION, "alias": ["sim"], "group": "test"})
        PipelineClient(address).save_pipeline_config("simulation_sp", {"camera_name": "simulation", "group": "test"})
        yield address
    finally:
        server.kill()


@pytest.fixture
def cam(url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    recording = Recording(CamClient(url))
    yield recording
    wanted = EXERCISES[request.node.originalname][0]
    assert wanted <= recording.called, f"not called: {wanted - recording.called}"


@pytest.fixture
def pipe(url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    recording = Recording(PipelineClient(url))
    yield recording
    wanted = EXERCISES[request.node.originalname][1]
    assert wanted <= recording.called, f"not called: {wanted - recording.called}"


# -- CamClient ---------------------------------------------------------------------------------


@exercises(cam={"get_address", "get_version", "get_cameras", "get_camera_aliases", "get_camera_groups",
                "get_config_names", "get_server_info", "validate_response"})  # fmt: skip
def test_camclient_server_and_names(cam: Any, url: str) -> None:
    assert cam.get_address() == url
    assert re.fullmatch(r"\d+\.\d+.*", cam.get_version())
    assert cam.get_cameras() == ["simulation"]
    assert cam.get_camera_aliases() == {"sim": "simulation"}
    assert cam.get_camera_groups() == {"test": ["simulation"]}
    assert cam.get_config_names() == ["simulation"]
    info = cam.get_server_info(timeout=30)
    assert set(info) >= {"version", "active_instances", "cpu", "memory", "tx", "rx"}


@exercises(cam={"get_camera_config", "set_camera_config", "delete_camera_config", "get_config", "set_config",
                "delete_config"})  # fmt: skip
def test_camclient_configs(cam: Any) -> None:
    config = cam.get_camera_config("simulation")
    assert (config["size_x"], config["mirror_x"]) == (64, False)  # every default filled in
    assert cam.set_camera_config("second", {**SIMULATION, "rotate": 1})["rotate"] == 1
    assert cam.get_config("second")["source_type"] == "simulation"
    assert cam.set_config("third", SIMULATION)["name"] == "third"
    cam.delete_config("third")
    cam.delete_camera_config("second")
    with pytest.raises(ValueError, match="Camera 'second' does not exist"):
        cam.get_camera_config("second")


@exercises(cam={"get_instance_stream", "is_instance_running", "get_camera_geometry", "is_camera_online",
                "get_camera_image", "get_camera_image_bytes", "get_camera_array"})  # fmt: skip
def test_camclient_stream_and_images(cam: Any) -> None:
    address = cam.get_instance_stream("simulation")
    assert cam.get_instance_stream("sim") == address  # the alias names the same instance
    assert cam.is_instance_running("simulation")
    host, port = host_port(address)
    with Source(host=host, port=port, mode=SUB, receive_timeout=20_000) as source:
        message = source.receive()
    assert message.data.data["image"].value.shape == (48, 64)
    assert cam.get_camera_geometry("simulation") == [64, 48]
    assert cam.is_camera_online("simulation") is True
    png = cam.get_camera_image("simulation")
    assert png.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png.content)).size == (64, 48)
    payload = cam.get_camera_image_bytes("simulation")
    assert (payload["shape"], payload["dtype"]) == ([48, 64], "<u2")
    array = cam.get_camera_array("simulation")
    assert (array.shape, array.dtype) == ((48, 64), np.uint16)


@exercises(cam={"stop_instance", "delete_instance", "stop_all_instances", "wait_instance_completed",
                "get_logs", "get_instance_logs"})  # fmt: skip
def test_camclient_instances_and_logs(cam: Any) -> None:
    cam.get_instance_stream("simulation")
    cam.stop_instance("simulation")
    cam.wait_instance_completed("simulation", timeout=30)
    assert not cam.is_instance_running("simulation")
    assert any("started process" in record[3] for record in cam.get_instance_logs("simulation"))
    assert "started process" in cam.get_instance_logs("simulation", txt=True)
    cam.get_instance_stream("simulation")
    cam.delete_instance("simulation")
    assert not cam.is_instance_running("simulation")
    cam.get_instance_stream("simulation")
    cam.stop_all_instances()
    assert cam.get_server_info()["active_instances"] == {}
    logs = cam.get_logs()
    assert all(len(record) == 4 for record in logs)
    assert isinstance(cam.get_logs(txt=True), str)


@exercises(cam={"set_background_image_array"})
def test_camclient_pickled_background_is_stored(cam: Any, pipe: Any) -> None:
    image = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
    cam.set_background_image_array("uploaded_by_camclient", image)
    np.testing.assert_array_equal(pipe.get_background_image_array("uploaded_by_camclient"), image)


@exercises(cam={"set_user_script", "get_user_script", "get_user_scripts", "delete_script", "upload_user_script",
                "download_user_script"})  # fmt: skip
def test_camclient_user_scripts(cam: Any, tmp_path: Path) -> None:
    cam.set_user_script("cam_function.py", FUNCTION)
    assert cam.get_user_script("cam_function.py") == FUNCTION
    assert "cam_function.py" in cam.get_user_scripts()
    local = tmp_path / "uploaded.py"
    local.write_text(FUNCTION)
    cam.upload_user_script(str(local))
    local.unlink()
    assert cam.download_user_script(str(local)) == str(local)
    assert local.read_text() == FUNCTION
    cam.delete_script("uploaded.py")
    cam.delete_script("cam_function.py")
    assert "uploaded.py" not in cam.get_user_scripts()


# -- PipelineClient ----------------------------------------------------------------------------


@exercises(pipeline={"get_pipelines", "get_pipeline_groups", "get_cameras", "get_pipeline_config",
                     "save_pipeline_config", "delete_pipeline_config", "get_config_names",
                     "get_config", "set_config", "delete_config", "validate_response"})  # fmt: skip
def test_pipelineclient_configs(pipe: Any) -> None:
    assert pipe.get_pipelines() == ["simulation_sp"]
    assert pipe.get_pipeline_groups() == {"test": ["simulation_sp"]}
    assert pipe.get_cameras() == ["simulation"]
    assert pipe.get_pipeline_config("simulation_sp")["pipeline_type"] == "processing"
    saved = pipe.save_pipeline_config(
        "roi_sp", {"camera_name": "simulation", "image_region_of_interest": [0, 32, 0, 24]}
    )
    assert saved["image_region_of_interest"] == [0, 32, 0, 24]
    assert "roi_sp" in pipe.get_config_names()
    pipe.delete_pipeline_config("roi_sp")
    with pytest.raises(ValueError, match="does not exist"):
        pipe.get_pipeline_config("roi_sp")


# psi-camserver-client's get_instance_message calls psi-bsread's deprecated source()
@pytest.mark.filterwarnings(r"ignore:source\(\) is deprecated:DeprecationWarning")
@exercises(pipeline={"create_instance_from_name", "create_instance_from_config", "get_instance_stream",
                     "get_instance_stream_from_config", "get_instance_config", "get_instance_info",
                     "set_instance_config", "get_instance_message", "stop_instance",
                     "is_instance_running"})  # fmt: skip
def test_pipelineclient_instances(pipe: Any) -> None:
    instance_id, address = pipe.create_instance_from_name(
        "simulation_sp", instance_id="named", additional_config={"image_threshold": 3}
    )
    assert (instance_id, pipe.get_instance_stream("named")) == ("named", address)
    assert pipe.get_instance_config("named")["image_threshold"] == 3
    assert pipe.set_instance_config("named", {"image_threshold": 4})["image_threshold"] == 4
    info = pipe.get_instance_info("named")
    assert (info["instance_id"], info["camera_name"], info["is_stream_active"]) == ("named", "simulation", True)
    message = pipe.get_instance_message("named")
    assert message.data.data["image"].value.shape == (48, 64)
    assert "x_center_of_mass" in message.data.data
    pipe.stop_instance("named")
    created_id, _ = pipe.create_instance_from_config({"camera_name": "simulation"})
    assert len(created_id) == 36 and pipe.is_instance_running(created_id)
    pipe.stop_instance(created_id)
    shared = pipe.get_instance_stream_from_config({"camera_name": "simulation", "image_threshold": 2})
    assert pipe.get_instance_stream_from_config({"camera_name": "simulation", "image_threshold": 2}) == shared
    with pytest.raises(ValueError, match="read only"):
        pipe.set_instance_config(shared[0], {"image_threshold": 6})
    pipe.stop_instance(shared[0])
    started = pipe.get_instance_stream("simulation_sp")  # a saved pipeline is started under its name
    assert pipe.is_instance_running("simulation_sp") and started.startswith("tcp://")
    pipe.stop_instance("simulation_sp")


@exercises(pipeline={"wait_instance_completed", "get_instance_exit_code", "delete_instance", "stop_all_instances",
                     "get_server_info", "get_instance_logs", "get_logs", "get_version", "get_address"})  # fmt: skip
def test_pipelineclient_exit_codes_and_logs(pipe: Any, url: str) -> None:
    instance_id, _ = pipe.create_instance_from_config({"camera_name": "simulation", "pid_range": [1, 2]})
    pipe.wait_instance_completed(instance_id, timeout=30)
    assert pipe.get_instance_exit_code(instance_id) == 0
    assert any("pid_range" in record[3] or "stopped" in record[3] for record in pipe.get_instance_logs(instance_id))
    assert pipe.get_instance_exit_code("never_existed") is None
    other, _ = pipe.create_instance_from_config({"camera_name": "simulation"})
    pipe.delete_instance(other)
    assert not pipe.is_instance_running(other)
    pipe.create_instance_from_config({"camera_name": "simulation"})
    pipe.stop_all_instances()
    assert pipe.get_server_info(timeout=30)["active_instances"] == {}
    assert isinstance(pipe.get_logs(txt=True), str) and isinstance(pipe.get_logs(), list)
    assert pipe.get_version() and pipe.get_address() == url


@exercises(pipeline={"collect_background", "get_latest_background", "get_backgrounds", "get_background_image",
                     "get_background_image_bytes", "get_background_image_array", "set_background_image_array",
                     "set_background_image_bytes", "set_background"})  # fmt: skip
def test_pipelineclient_backgrounds(pipe: Any) -> None:
    background_id = pipe.collect_background("simulation", n_images=3)
    assert re.fullmatch(r"simulation_\d{8}_\d{6}_\d{6}", background_id)
    assert pipe.get_latest_background("simulation") == background_id
    assert background_id in pipe.get_backgrounds("simulation")
    assert pipe.get_background_image(background_id).headers["content-type"] == "image/png"
    assert pipe.get_background_image_bytes(background_id)["shape"] == [48, 64]
    assert pipe.get_background_image_array(background_id).shape == (48, 64)
    image = np.full((48, 64), 5, np.uint16)
    pipe.set_background_image_array("pickled", image)
    np.testing.assert_array_equal(pipe.get_background_image_array("pickled"), image)
    pipe.set_background_image_bytes("pickled_too", image * 2)  # the deprecated name of the same call
    assert pipe.get_background_image_array("pickled_too").max() == 10
    assert pipe.set_background("from_list", np.full((48, 64), 7)) == "ok"
    assert pipe.get_background_image_array("from_list").max() == 7
    with pytest.raises(ValueError, match="'filename' must name the background"):
        pipe.set_background()  # CamServer fails here too (numpy.array(None, dtype='uint16'))


@exercises(pipeline={"set_function_script", "upload_user_script", "set_user_script", "get_user_script",
                     "get_user_scripts", "delete_script", "download_user_script", "set_lib", "get_user_lib",
                     "get_libs", "delete_lib"})  # fmt: skip
def test_pipelineclient_scripts_and_libs(pipe: Any, tmp_path: Path) -> None:
    script = tmp_path / "pixel_sum.py"
    script.write_text(FUNCTION)
    instance_id, address = pipe.create_instance_from_config({"camera_name": "simulation", "no_client_timeout": 0})
    assert pipe.set_function_script(instance_id, str(script)) == "pixel_sum.py"
    host, port = host_port(address)
    with Source(host=host, port=port, mode=SUB, receive_timeout=20_000) as source:
        for _ in range(100):  # the function applies from the next frame; bounded wait for it
            message = source.receive()
            if "pixel_sum" in message.data.data:
                break
    assert message.data.data["pixel_sum"].value > 0
    pipe.stop_instance(instance_id)
    assert "pixel_sum.py" in pipe.get_user_scripts()
    assert pipe.get_user_script("pixel_sum.py") == FUNCTION
    pipe.set_user_script("other.py", "x = 1\n")
    script.unlink()
    pipe.download_user_script(str(script))
    assert script.read_text() == FUNCTION
    pipe.delete_script("other.py")
    pipe.delete_script("pixel_sum.py")
    pipe.set_lib("table.csv", b"a,b\n1,2\n")
    pipe.set_lib("blob.bin", bytes(range(256)))
    assert set(pipe.get_libs()) >= {"table.csv", "blob.bin"}
    assert pipe.get_user_lib("table.csv") == "a,b\n1,2\n"
    pipe.delete_lib("table.csv")
    pipe.delete_lib("blob.bin")
    assert "table.csv" not in pipe.get_libs()


# -- every call is exercised and listed --------------------------------------------------------


def test_every_public_call_is_exercised_by_a_test() -> None:
    cam_calls = set().union(*(cam for cam, _ in EXERCISES.values()))
    pipeline_calls = set().union(*(pipeline for _, pipeline in EXERCISES.values()))
    assert public_calls(CamClient) - cam_calls == set()
    assert public_calls(PipelineClient) - pipeline_calls == set()


def test_the_migration_table_lists_every_call() -> None:
    table = MIGRATION.read_text()
    listed = set(re.findall(r"^\| `(\w+)\(", table, flags=re.MULTILINE))
    assert (public_calls(CamClient) | public_calls(PipelineClient)) - listed == set()
    rows = json.dumps(sorted(listed))
    assert "set_background_image_array" in rows
