"""Every client method: the request it builds and how it reads the reply, sync and async alike."""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from camserver.client import AsyncClient, Client, InstanceReport, LogRecord, NodeList, ServerReport, StartedInstance
from camserver.models import CameraConfig, PipelineConfig, SimulationCamera
from camserver.models.instance import InstanceKind, InstanceState
from tests.unit.client.scripted_server import ScriptedServer

IMAGE = np.arange(6, dtype=np.uint16).reshape(2, 3)
IMAGE_REPLY = {"bytes": base64.b64encode(IMAGE.tobytes()).decode(), "shape": [2, 3], "dtype": "<u2"}
CAMERA = {"name": "sim", "source": "", "source_type": "simulation", "size_x": 64, "extra_key": 1}
PIPELINE = {"name": "sim_sp", "camera_name": "sim", "image_threshold": 2.0}
REPORT = {
    "stream_address": "tcp://127.0.0.1:10100",
    "is_stream_active": True,
    "state": "running",
    "statistics": {"rx": "1.00Hz - 3"},
    "detail": {"rx_rate": 1.0, "output_drops": 2},
    "config": CAMERA,
    "camera_name": "sim",
}
STARTED = {"instance_id": "p1", "stream": "tcp://127.0.0.1:11100", "config": PIPELINE}
LOGS = [["2024-01-01 00:00:00", "camserver.camera", "INFO", "started"]]
NODE = {"name": "srv1", "address": "127.0.0.2", "bandwidth": 25000.0, "bandwidth_used": 1000.0, "cameras": ["sim"]}
SERVER_INFO = {"version": "1.0", "active_instances": {"sim": REPORT}, "cpu": 3.0, "memory": 10, "tx": None, "rx": None}


@dataclass
class Case:
    """One method: how to call it, what it must send, what the server answers, what it returns."""

    id: str
    invoke: Callable[[Any], Any]
    method: str
    path: str
    reply: Any
    check: Callable[[Any], bool]
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None
    content_type: str = "application/json"


def _ok(**fields: Any) -> dict[str, Any]:
    return {"state": "ok", "status": "ok", **fields}


def _npy(content: bytes) -> np.ndarray[Any, Any]:
    return np.load(io.BytesIO(content), allow_pickle=False)


CASES = [
    # cameras
    Case("cameras.list", lambda c: c.cameras.list(), "GET", "/api/v1/cam", _ok(cameras=["a", "b"]),
         lambda r: r == ["a", "b"]),
    Case("cameras.aliases", lambda c: c.cameras.aliases(), "GET", "/api/v1/cam/aliases", _ok(aliases={"c1": "a"}),
         lambda r: r == {"c1": "a"}),
    Case("cameras.groups", lambda c: c.cameras.groups(), "GET", "/api/v1/cam/groups", _ok(groups={"g": ["a"]}),
         lambda r: r == {"g": ["a"]}),
    Case("cameras.config", lambda c: c.cameras.config("sim"), "GET", "/api/v1/cam/sim/config",
         _ok(config=CAMERA, unknown_keys=["extra_key"]),
         lambda r: isinstance(r, SimulationCamera) and r.size_x == 64 and r.unknown_keys() == ["extra_key"]),
    Case("cameras.set_config", lambda c: c.cameras.set_config("sim", CAMERA), "POST", "/api/v1/cam/sim/config",
         _ok(config=CAMERA), lambda r: isinstance(r, CameraConfig) and r.name == "sim", body=CAMERA),
    Case("cameras.set_config(model)", lambda c: c.cameras.set_config("sim", CameraConfig.load(CAMERA)), "POST",
         "/api/v1/cam/sim/config", _ok(config=CAMERA), lambda r: r.source_type == "simulation", body=CAMERA),
    Case("cameras.delete_config", lambda c: c.cameras.delete_config("sim"), "DELETE", "/api/v1/cam/sim/config",
         _ok(), lambda r: r is None),
    Case("cameras.stream", lambda c: c.cameras.stream("sim"), "GET", "/api/v1/cam/sim",
         _ok(stream="tcp://h:1"), lambda r: r == "tcp://h:1"),
    Case("cameras.stream_addresses", lambda c: c.cameras.stream_addresses("sim"), "GET", "/api/v1/cam/sim",
         _ok(stream="tcp://h:1", local_stream="local://a"),
         lambda r: (r.stream, r.local_stream) == ("tcp://h:1", "local://a")),
    Case("cameras.is_online", lambda c: c.cameras.is_online("sim"), "GET", "/api/v1/cam/sim/is_online",
         {"state": "ok", "status": "offline: no IOC", "online": False}, lambda r: r is False),
    Case("cameras.geometry", lambda c: c.cameras.geometry("sim"), "GET", "/api/v1/cam/sim/geometry",
         _ok(geometry=[640, 480]), lambda r: r == (640, 480)),
    Case("cameras.image", lambda c: c.cameras.image("sim", raw=True, scale=0.5, colormap="gray"), "GET",
         "/api/v1/cam/sim/image", b"\x89PNG...", lambda r: r == b"\x89PNG...",
         params={"raw": "true", "scale": "0.5", "colormap": "gray"}, content_type="image/png"),
    Case("cameras.image(defaults)", lambda c: c.cameras.image("sim"), "GET", "/api/v1/cam/sim/image", b"\x89PNG",
         lambda r: r == b"\x89PNG", content_type="image/png"),
    Case("cameras.array", lambda c: c.cameras.array("sim"), "GET", "/api/v1/cam/sim/image_bytes",
         _ok(image=IMAGE_REPLY), lambda r: np.array_equal(r, IMAGE) and r.dtype == np.uint16),
    Case("cameras.stop", lambda c: c.cameras.stop("sim"), "DELETE", "/api/v1/cam/sim", _ok(), lambda r: r is None),
    Case("cameras.delete", lambda c: c.cameras.delete("sim"), "DELETE", "/api/v1/cam/sim/del", _ok(),
         lambda r: r is None),
    Case("cameras.stop_all", lambda c: c.cameras.stop_all(), "DELETE", "/api/v1/cam", _ok(), lambda r: r is None),
    Case("cameras.info", lambda c: c.cameras.info("sim"), "GET", "/api/v1/cam/sim/info", _ok(info=REPORT),
         lambda r: isinstance(r, InstanceReport) and r.instance_id == "sim" and r.kind is InstanceKind.CAMERA
         and r.state is InstanceState.RUNNING and r.detail.output_drops == 2 and r.active),
    Case("cameras.instances", lambda c: c.cameras.instances(), "GET", "/api/v1/cam/info", _ok(info=SERVER_INFO),
         lambda r: list(r) == ["sim"] and r["sim"].kind is InstanceKind.CAMERA),
    Case("cameras.logs", lambda c: c.cameras.logs("sim"), "GET", "/api/v1/logs/instance/sim", _ok(logs=LOGS),
         lambda r: r == [LogRecord("2024-01-01 00:00:00", "camserver.camera", "INFO", "started")]),
    # pipelines
    Case("pipelines.list", lambda c: c.pipelines.list(), "GET", "/api/v1/pipeline", _ok(pipelines=["p"]),
         lambda r: r == ["p"]),
    Case("pipelines.groups", lambda c: c.pipelines.groups(), "GET", "/api/v1/pipeline/groups", _ok(groups={}),
         lambda r: r == {}),
    Case("pipelines.config", lambda c: c.pipelines.config("sim_sp"), "GET", "/api/v1/pipeline/sim_sp/config",
         _ok(config=PIPELINE), lambda r: isinstance(r, PipelineConfig) and r.image_threshold == 2.0),
    Case("pipelines.set_config", lambda c: c.pipelines.set_config("sim_sp", PIPELINE), "POST",
         "/api/v1/pipeline/sim_sp/config", _ok(config=PIPELINE), lambda r: r.camera_name == "sim", body=PIPELINE),
    Case("pipelines.delete_config", lambda c: c.pipelines.delete_config("sim_sp"), "DELETE",
         "/api/v1/pipeline/sim_sp/config", _ok(), lambda r: r is None),
    Case("pipelines.create_from_name",
         lambda c: c.pipelines.create_from_name("sim_sp", instance_id="p1", additional_config={"pause": True}),
         "POST", "/api/v1/pipeline/sim_sp", _ok(**STARTED),
         lambda r: r == StartedInstance(instance_id="p1", stream="tcp://127.0.0.1:11100", config=PIPELINE),
         params={"instance_id": "p1", "additional_config": '{"pause": true}'}),
    Case("pipelines.create_from_name(bare)", lambda c: c.pipelines.create_from_name("sim_sp"), "POST",
         "/api/v1/pipeline/sim_sp", _ok(**STARTED), lambda r: r.instance_id == "p1"),
    Case("pipelines.create_from_config", lambda c: c.pipelines.create_from_config(PIPELINE, instance_id="p1"),
         "POST", "/api/v1/pipeline", _ok(**STARTED), lambda r: r.stream == "tcp://127.0.0.1:11100",
         params={"instance_id": "p1"}, body=PIPELINE),
    Case("pipelines.stream", lambda c: c.pipelines.stream("p1"), "GET", "/api/v1/pipeline/instance/p1",
         _ok(stream="tcp://h:2"), lambda r: r == "tcp://h:2"),
    Case("pipelines.stream_from_config", lambda c: c.pipelines.stream_from_config(PIPELINE), "POST",
         "/api/v1/pipeline/instance", _ok(**STARTED), lambda r: r.instance_id == "p1", body=PIPELINE),
    Case("pipelines.info", lambda c: c.pipelines.info("p1"), "GET", "/api/v1/pipeline/instance/p1/info",
         _ok(info={**REPORT, "instance_id": "p1", "read_only": True}),
         lambda r: r.instance_id == "p1" and r.kind is InstanceKind.PIPELINE and r.read_only),
    Case("pipelines.instance_config", lambda c: c.pipelines.instance_config("p1"), "GET",
         "/api/v1/pipeline/instance/p1/config", _ok(config=PIPELINE), lambda r: r.name == "sim_sp"),
    Case("pipelines.update_config", lambda c: c.pipelines.update_config("p1", {"image_threshold": 5}), "POST",
         "/api/v1/pipeline/instance/p1/config", _ok(config={**PIPELINE, "image_threshold": 5}),
         lambda r: r.image_threshold == 5, body={"image_threshold": 5}),
    Case("pipelines.exit_code", lambda c: c.pipelines.exit_code("p1"), "GET", "/api/v1/pipeline/instance/p1/exitcode",
         _ok(exitcode=2), lambda r: r == 2),
    Case("pipelines.exit_code(running)", lambda c: c.pipelines.exit_code("p1"), "GET",
         "/api/v1/pipeline/instance/p1/exitcode", _ok(exitcode=None), lambda r: r is None),
    Case("pipelines.stop", lambda c: c.pipelines.stop("p1"), "DELETE", "/api/v1/pipeline/p1", _ok(),
         lambda r: r is None),
    Case("pipelines.delete", lambda c: c.pipelines.delete("p1"), "DELETE", "/api/v1/pipeline/p1/del", _ok(),
         lambda r: r is None),
    Case("pipelines.stop_all", lambda c: c.pipelines.stop_all(), "DELETE", "/api/v1/pipeline", _ok(),
         lambda r: r is None),
    Case("pipelines.instances", lambda c: c.pipelines.instances(), "GET", "/api/v1/pipeline/info",
         _ok(info=SERVER_INFO), lambda r: r["sim"].kind is InstanceKind.PIPELINE),
    Case("pipelines.logs", lambda c: c.pipelines.logs("p1"), "GET", "/api/v1/logs/instance/p1", _ok(logs=LOGS),
         lambda r: r[0].level == "INFO"),
    # backgrounds
    Case("backgrounds.collect", lambda c: c.backgrounds.collect("sim", 5), "POST",
         "/api/v1/pipeline/camera/sim/background", _ok(background_id="sim_1"), lambda r: r == "sim_1",
         params={"n_images": "5"}),
    Case("backgrounds.latest", lambda c: c.backgrounds.latest("sim"), "GET", "/api/v1/pipeline/camera/sim/background",
         _ok(background_id="sim_2"), lambda r: r == "sim_2"),
    Case("backgrounds.list", lambda c: c.backgrounds.list("sim"), "GET", "/api/v1/pipeline/camera/sim/backgrounds",
         _ok(background_ids=["sim_1", "sim_2"]), lambda r: r == ["sim_1", "sim_2"]),
    Case("backgrounds.image", lambda c: c.backgrounds.image("sim_1", min_value=0, max_value=10), "GET",
         "/api/v1/pipeline/background/sim_1/image", b"\x89PNG", lambda r: r == b"\x89PNG",
         params={"min_value": "0", "max_value": "10"}, content_type="image/png"),
    Case("backgrounds.array", lambda c: c.backgrounds.array("sim_1"), "GET",
         "/api/v1/pipeline/background/sim_1/image_bytes", _ok(image=IMAGE_REPLY), lambda r: r.shape == (2, 3)),
    Case("backgrounds.upload", lambda c: c.backgrounds.upload("bg", IMAGE), "PUT",
         "/api/v1/pipeline/background/bg/image_bytes", _ok(), lambda r: r is None,
         body=lambda content: np.array_equal(_npy(content), IMAGE)),
    # scripts
    Case("scripts.list", lambda c: c.scripts.list(), "GET", "/api/v1/pipeline/script", _ok(scripts=["f.py"]),
         lambda r: r == ["f.py"]),
    Case("scripts.get", lambda c: c.scripts.get("f.py"), "GET", "/api/v1/pipeline/script/f.py/script_bytes",
         _ok(script="def process_image(): ..."), lambda r: r.startswith("def")),
    Case("scripts.set", lambda c: c.scripts.set("f.py", "x = 1\n"), "PUT", "/api/v1/pipeline/script/f.py/script_bytes",
         _ok(), lambda r: r is None, body=lambda content: content == b"x = 1\n"),
    Case("scripts.delete", lambda c: c.scripts.delete("f.py"), "DELETE", "/api/v1/pipeline/script/f.py/script_bytes",
         _ok(), lambda r: r is None),
    Case("scripts.libs", lambda c: c.scripts.libs(), "GET", "/api/v1/pipeline/lib", _ok(libs=["l.so"]),
         lambda r: r == ["l.so"]),
    Case("scripts.get_lib(text)", lambda c: c.scripts.get_lib("l.txt"), "GET", "/api/v1/pipeline/lib/l.txt/lib_bytes",
         _ok(lib="text"), lambda r: r == b"text"),
    Case("scripts.get_lib(binary)", lambda c: c.scripts.get_lib("l.so"), "GET", "/api/v1/pipeline/lib/l.so/lib_bytes",
         _ok(lib=base64.b64encode(b"\x00\xff").decode(), base64=True), lambda r: r == b"\x00\xff"),
    Case("scripts.set_lib", lambda c: c.scripts.set_lib("l.so", b"\x00\xff"), "PUT",
         "/api/v1/pipeline/lib/l.so/lib_bytes", _ok(), lambda r: r is None,
         body=lambda content: content == b"\x00\xff"),
    Case("scripts.delete_lib", lambda c: c.scripts.delete_lib("l.so"), "DELETE", "/api/v1/pipeline/lib/l.so/lib_bytes",
         _ok(), lambda r: r is None),
    # the server
    Case("server.version", lambda c: c.server.version(), "GET", "/api/v1/cam/version", _ok(version="1.0"),
         lambda r: r == "1.0"),
    Case("server.info", lambda c: c.server.info(), "GET", "/api/v1/cam/info", _ok(info=SERVER_INFO),
         lambda r: isinstance(r, ServerReport) and r.cpu == 3.0 and r.active_instances["sim"].stream_address),
    Case("server.info(pipeline)", lambda c: c.server.info("pipeline"), "GET", "/api/v1/pipeline/info",
         _ok(info=SERVER_INFO), lambda r: r.active_instances["sim"].kind is InstanceKind.PIPELINE),
    Case("server.heartbeat", lambda c: c.server.heartbeat(InstanceKind.PIPELINE), "GET",
         "/api/v1/pipeline/heartbeat", _ok(version="1.0", instances={"p1": {"rx": 1.0}}),
         lambda r: r["p1"].rx == 1.0 and r["p1"].state is None),
    Case("server.logs", lambda c: c.server.logs(), "GET", "/api/v1/logs", _ok(logs=LOGS),
         lambda r: str(r[0]) == "2024-01-01 00:00:00 INFO    camserver.camera: started"),
    Case("server.logs_text", lambda c: c.server.logs_text(), "GET", "/api/v1/logs/txt", b"a - b - c - d\n",
         lambda r: r == "a - b - c - d\n", content_type="text/plain; charset=utf-8"),
    Case("server.nodes", lambda c: c.server.nodes(), "GET", "/api/v1/nodes", _ok(backend="ray", nodes=[NODE]),
         lambda r: isinstance(r, NodeList) and r.backend == "ray" and r.nodes[0].bandwidth_free == 24000.0),
]  # fmt: skip


def _assert_request(server: ScriptedServer, case: Case) -> None:
    request = server.last
    assert request.method == case.method
    assert request.url.path == case.path
    assert dict(request.url.params) == case.params
    if callable(case.body):
        assert case.body(request.content)
    elif case.body is not None:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == case.body
    else:
        assert request.content == b""


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_sync_call(case: Case, server: ScriptedServer) -> None:
    server.answer(case.reply, content_type=case.content_type)
    with Client("http://127.0.0.1:8888", transport=server.transport()) as client:
        result = case.invoke(client)
    _assert_request(server, case)
    assert case.check(result), result


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_async_call(case: Case, server: ScriptedServer) -> None:
    server.answer(case.reply, content_type=case.content_type)

    async def run() -> Any:
        async with AsyncClient("http://127.0.0.1:8888", transport=server.transport()) as client:
            pending = case.invoke(client)
            assert inspect.isawaitable(pending)
            return await pending

    result = asyncio.run(run())
    _assert_request(server, case)
    assert case.check(result), result


def _public_methods(noun: object) -> set[str]:
    return {name for name in dir(noun) if not name.startswith("_") and callable(getattr(noun, name))}


def test_every_method_is_covered_and_the_twins_match(server: ScriptedServer) -> None:
    sync_client = Client(transport=server.transport())
    async_client = AsyncClient(transport=server.transport())
    covered = {case.id.split("(")[0] for case in CASES}
    for noun in ("cameras", "pipelines", "backgrounds", "scripts", "server"):
        sync_methods = _public_methods(getattr(sync_client, noun))
        assert sync_methods == _public_methods(getattr(async_client, noun)), noun
        assert {f"{noun}.{name}" for name in sync_methods} <= covered, noun
        for name in sync_methods:
            sync_signature = inspect.signature(getattr(getattr(sync_client, noun), name))
            async_signature = inspect.signature(getattr(getattr(async_client, noun), name))
            assert sync_signature.parameters == async_signature.parameters, f"{noun}.{name}"
    sync_client.close()
    asyncio.run(async_client.close())
