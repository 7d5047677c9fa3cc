"""Both backends in one run: instance start latency, and a camera -> pipeline -> psi-bsread stream
across two nodes of a Ray cluster."""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_instances import _detail, start_latency, stream_figures
from benchmarks.harness import Row

TITLE = "Backends: instance start on one machine and on Ray, a stream across two Ray nodes"
DESCRIPTION = """
Everything runs in a child process of the runner, which becomes the driver of a Ray cluster of
two simulated nodes on this machine (`camserver.testing.ray_cluster`: raylets on 127.0.0.2 and
127.0.0.3, called srv1 and srv2, 10000 Mbit/s each), after the same figures on the local backend.
*Start*: from the REST request for a 640x480 camera (or for a pipeline on that running camera) to
the first message a subscriber receives from it, median of the starts (as in the instances
benchmark). On Ray every start is a new actor process that imports camserver's runtime before its
instance starts: the figure is that cold start. *Across nodes*: a 1280x960 simulated camera at
100 Hz fixed on srv1 and a pipeline with the default processing fixed on srv2 (servers.json
`instances`), so the camera -> pipeline hop is TCP between the nodes' addresses rather than
shared memory; psi-bsread's `Source` in a process of its own receives the pipeline's stream and
counts pulse-id gaps for the stated time, from 2 s after its first message. Targets (issue 13):
start <= 0.3 s on the local backend, <= 1 s on Ray; 100 Hz across two nodes with zero gaps.
"""


def _starts(url: str, repeats: int) -> tuple[float, float]:
    with httpx.Client(base_url=url, timeout=120) as client:
        small = {"source": "", "source_type": "simulation", "size_x": 640, "size_y": 480, "frame_rate": 100}
        client.post("/api/v1/cam/bench_start/config", json=small).raise_for_status()
        return start_latency(client, repeats)


def _across_nodes(url: str, seconds: float, size: tuple[int, int]) -> dict[str, Any]:
    width, height = size
    with httpx.Client(base_url=url, timeout=120) as client:
        camera = {"source": "", "source_type": "simulation", "size_x": width, "size_y": height, "frame_rate": 100}
        client.post("/api/v1/cam/across/config", json=camera).raise_for_status()
        client.post("/api/v1/proxy/config", json={"srv1": {"instances": ["across"]}}).raise_for_status()
        nodes: dict[str, str] = {}

        def start() -> str:
            created = client.post("/api/v1/pipeline?instance_id=across_sp", json={"camera_name": "across"})
            created.raise_for_status()
            info = client.get("/api/v1/proxy/info").json()["info"]["active_instances"]
            nodes["camera"] = info["across"]["host"]
            address: str = created.json()["stream"]
            return address

        def counters() -> dict[str, int]:
            pipeline = _detail(client, "pipeline", "across_sp")
            return {
                "camera_overruns": _detail(client, "camera", "across")["input_drops"],
                "input_drops": pipeline["input_drops"],
            }

        figures: dict[str, Any] = stream_figures(start, seconds, counters=counters)
        pipeline_info = client.get("/api/v1/pipeline/instance/across_sp/info").json()["info"]
        figures["pipeline_node"] = pipeline_info["node"]
        figures["camera_node"] = nodes["camera"]
        figures["pipeline_cpu"] = pipeline_info["detail"]["cpu"]
        client.delete("/api/v1/pipeline/across_sp")
        client.delete("/api/v1/cam/across")
    return figures


def _measure(smoke: bool, results: Any) -> None:
    from camserver.testing.ray_cluster import RayTestCluster
    from camserver.testing.server import running_server

    repeats = 2 if smoke else 5
    seconds = 1.0 if smoke else 20.0
    size = (320, 240) if smoke else (1280, 960)
    with tempfile.TemporaryDirectory() as folder, running_server(Path(folder)) as server:
        local = _starts(server.url, repeats)
    cluster = RayTestCluster.start(("srv1", "srv2"), bandwidth=10000.0)
    try:
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "pipeline_config").mkdir()
            (Path(folder) / "pipeline_config" / "servers.json").write_text('{"srv2": {"instances": ["across_sp"]}}')
            with running_server(Path(folder), backend="ray", ray_namespace="bench") as server:
                try:
                    ray = _starts(server.url, repeats)
                    figures = _across_nodes(server.url, seconds, size)
                finally:
                    server.services.backend.stop_all()  # type: ignore[attr-defined]
    finally:
        cluster.shutdown()
    results.put((local, ray, figures))


def run(smoke: bool = False) -> list[Row]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_measure, args=(smoke, results), name="camserver-bench-cluster")
    child.start()
    try:
        (local_camera, local_pipeline), (ray_camera, ray_pipeline), figures = results.get(timeout=900)
    finally:
        child.join(timeout=120)
        if child.is_alive():
            child.kill()
    width, height = (320, 240) if smoke else (1280, 960)
    seconds = 1.0 if smoke else 20.0
    label = f"{width}x{height} camera (srv1) -> pipeline (srv2) -> psi-bsread at 100 Hz, {seconds:g} s"
    lost = figures["camera_overruns"] + figures["input_drops"]
    note = (
        f"camera on {figures['camera_node']}, pipeline on {figures['pipeline_node']}; p50 {figures['p50']:.1f} ms, "
        f"p99 {figures['p99']:.1f} ms latency; CPU: pipeline {figures['pipeline_cpu']:.0f} %, psi-bsread receiver "
        f"{figures['cpu']:.0f} %; frames lost: camera overruns {figures['camera_overruns']:.0f}, pipeline input "
        f"drops {figures['input_drops']:.0f}, at the pipeline's queue {max(figures['gaps'] - lost, 0):.0f}; in the "
        f"first 2 s, not counted: {figures['start_gaps']:.0f}"
    )
    return [
        Row("local: camera start, request -> first message", local_camera, "s", target="<= 0.3 s",
            passed=local_camera <= 0.3, lower_is_better=True),
        Row("local: pipeline start on a running camera", local_pipeline, "s", target="<= 0.3 s",
            passed=local_pipeline <= 0.3, lower_is_better=True),
        Row("ray: camera start, request -> first message", ray_camera, "s", "local backend", local_camera,
            "<= 1 s", ray_camera <= 1.0, note="a new actor process per start (cold)", lower_is_better=True),
        Row("ray: pipeline start on a running camera", ray_pipeline, "s", "local backend", local_pipeline,
            "<= 1 s", ray_pipeline <= 1.0, lower_is_better=True),
        Row(f"{label}: delivered", figures["rate"], "Hz", "camera rate", 100.0, "100 Hz", figures["rate"] >= 99.0,
            note=note),
        Row(f"{label}: pulse-id gaps", figures["gaps"], "frames", target="0", passed=figures["gaps"] == 0,
            lower_is_better=True),
    ]  # fmt: skip
