"""Soak: the demo plus four pipelines at 100 Hz for ten minutes, a client reconnecting every few
seconds; memory, file descriptors, threads and drops at the start and at the end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from benchmarks.harness import Row

TITLE = "Soak: the demo plus four pipelines at 100 Hz, a client reconnecting every 3 s"
DESCRIPTION = """
`camserver serve --demo` runs in a process of its own (two simulated cameras, 640x480 at 100 Hz and
2560x2160 at 10 Hz, each with its standard pipeline), plus four more pipelines on the 100 Hz camera
(the standard config: threshold, good region, 5 slices; no client timeout). A client asks the REST
API for a pipeline's stream, connects, takes 10 messages and disconnects, every 3 s, going round the
pipelines. After a minute of warm-up (every process touches its memory, the client has connected to
each pipeline) the server and every instance process are measured: resident memory, open file
descriptors and threads (summed over the server, its fork server and its instances), and the drops
the instances count (input drops, output drops, processing errors); again half-way and at the end.
Instance memory is counted as private memory (USS): resident memory counts the pages each process
shares with the fork server in every process, and grows as a process first writes to a shared page
(copy-on-write), which is no leak. The reference of each row is its value at the start; the target
bounds the growth: a leak of a few kB per frame or per client connection would pass each bound many
times over in ten minutes.
"""

_LISTENING = re.compile(r"listening on (http://\S+)")
_STANDARD = {
    "image_threshold": 150,
    "image_good_region": {"threshold": 0.3, "gfscale": 1.8},
    "image_slices": {"number_of_slices": 5, "scale": 2.0, "orientation": "vertical"},
    "no_client_timeout": 0,
}
_MB = 1 << 20


@dataclass(frozen=True)
class Snapshot:
    """The figures of the server and its processes at one moment."""

    server_memory: float
    instances_memory: float
    private_memory: float
    descriptors: int
    threads: int
    processes: int
    drops: dict[str, int]
    frames_out: int
    by_instance: dict[str, float]


def _camserver() -> str:
    return str(Path(sys.executable).parent / "camserver")


class _Server:
    """``camserver serve --demo`` in a child process."""

    def __init__(self, data: Path) -> None:
        self.process = subprocess.Popen(
            [_camserver(), "serve", "--demo", "--port", "0", "--data-dir", str(data), "--log-level", "WARNING"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)

    def url(self, timeout: float = 300.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _LISTENING.search("".join(self.lines))
            if found:
                return found[1]
            if self.process.poll() is not None:
                raise RuntimeError(f"the server ended: {''.join(self.lines)}")
            time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


def _snapshot(server: psutil.Process, http: httpx.Client) -> Snapshot:
    listed = http.get("/api/v1/instances").json()["instances"]
    names = {entry["statistics"]["pid"]: entry["instance_id"] for entry in listed if entry["statistics"]["pid"]}
    instances_memory = private_memory = 0.0
    by_instance: dict[str, float] = {}
    descriptors = server.num_fds()
    threads = server.num_threads()
    children = server.children(recursive=True)
    for child in children:
        try:
            memory = child.memory_full_info()
            descriptors += child.num_fds()
            threads += child.num_threads()
        except psutil.NoSuchProcess:
            continue
        instances_memory += memory.rss
        private_memory += memory.uss
        by_instance[names.get(child.pid, f"process {child.pid}")] = memory.uss / _MB
    counters = ("input_drops", "output_drops", "processing_errors")
    drops = {counter: sum(entry["statistics"][counter] for entry in listed) for counter in counters}
    frames_out = sum(entry["statistics"]["tx_count"] for entry in listed if entry["kind"] == "pipeline")
    return Snapshot(
        server_memory=server.memory_info().rss / _MB,
        instances_memory=instances_memory / _MB,
        private_memory=private_memory / _MB,
        descriptors=descriptors,
        threads=threads,
        processes=len(children),
        drops=drops,
        frames_out=frames_out,
        by_instance=by_instance,
    )


def _reconnecting_client(
    url: str, pipelines: list[str], stop: threading.Event, period: float, counts: dict[str, int]
) -> None:
    from camserver.transport import Subscriber

    with httpx.Client(base_url=url, timeout=60) as http:
        turn = 0
        while not stop.is_set():
            pipeline = pipelines[turn % len(pipelines)]
            turn += 1
            stream = http.get(f"/api/v1/pipeline/instance/{pipeline}").json()["stream"]
            with Subscriber(stream, receive_timeout=5.0) as subscriber:
                for _ in range(10):
                    if subscriber.receive() is None:
                        counts["silent"] += 1
                        break
            counts["connections"] += 1
            stop.wait(period)


def _start_pipeline(http: httpx.Client, instance_id: str, attempts: int = 3) -> str:
    """Start a pipeline on the demo's 100 Hz camera; a start that fails (a stream port taken by
    another program meanwhile, a start timeout on a busy machine) is tried again."""
    text = ""
    for _ in range(attempts):
        answer = http.post(
            "/api/v1/pipeline", params={"instance_id": instance_id}, json={"camera_name": "simulation", **_STANDARD}
        )
        if answer.status_code == 200:
            return instance_id
        text = answer.text
    raise RuntimeError(f"pipeline {instance_id} did not start: {text}")


def soak(seconds: float, warm_up: float, period: float) -> tuple[Snapshot, Snapshot, Snapshot, dict[str, Any]]:
    """Run the soak; the snapshots at the start, half-way and at the end, and what the client saw."""
    with tempfile.TemporaryDirectory(prefix="camserver-soak-") as folder:
        server = _Server(Path(folder))
        stop = threading.Event()
        counts = {"connections": 0, "silent": 0}
        client: threading.Thread | None = None
        try:
            url = server.url()
            with httpx.Client(base_url=url, timeout=120) as http:
                deadline = time.monotonic() + 300
                while http.get("/api/v1/pipeline/instance/simulation_sp").status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the demo did not start")
                    time.sleep(0.5)
                pipelines = ["simulation_sp"]
                for index in range(4):
                    pipelines.append(_start_pipeline(http, f"soak_{index}"))
                client = threading.Thread(
                    target=_reconnecting_client, args=(url, pipelines, stop, period, counts), daemon=True
                )
                client.start()
                time.sleep(warm_up)
                process = psutil.Process(server.process.pid)
                load_start = os.getloadavg()
                start = _snapshot(process, http)
                time.sleep(seconds / 2)
                middle = _snapshot(process, http)
                time.sleep(seconds / 2)
                end = _snapshot(process, http)
                load_end = os.getloadavg()
        finally:
            stop.set()
            if client is not None:
                client.join(timeout=30)
            server.close()
    return start, middle, end, {**counts, "load_start": load_start, "load_end": load_end, "seconds": seconds}


def run(smoke: bool = False) -> list[Row]:
    seconds, warm_up, period = (4.0, 2.0, 0.5) if smoke else (600.0, 60.0, 3.0)
    start, middle, end, seen = soak(seconds, warm_up, period)
    minutes = seen["seconds"] / 60
    load = f"load average {seen['load_start'][0]:.1f} at the start, {seen['load_end'][0]:.1f} at the end"

    def growth(case: str, before: float, half: float, after: float, unit: str, limit: float) -> Row:
        return Row(
            case,
            after,
            unit,
            reference="at the start",
            reference_value=before,
            target=f"growth <= {limit:g} {unit}",
            passed=after - before <= limit,
            note=f"half-way: {half:,.0f}",
            lower_is_better=True,
        )

    grown = {name: end.by_instance[name] - start.by_instance.get(name, 0.0) for name in end.by_instance}
    most = max(grown, key=lambda name: grown[name], default="")
    drops = {counter: end.drops[counter] - start.drops[counter] for counter in end.drops}
    return [
        growth("server resident memory", start.server_memory, middle.server_memory, end.server_memory, "MB", 20),
        growth(
            f"instance processes' private memory (USS, {end.processes} processes; most: {most} "
            f"{grown.get(most, 0.0):+.0f} MB)",
            start.private_memory,
            middle.private_memory,
            end.private_memory,
            "MB",
            60,
        ),
        Row(
            "instance processes' resident memory (shared pages counted in each)",
            end.instances_memory,
            "MB",
            reference="at the start",
            reference_value=start.instances_memory,
            note=f"half-way: {middle.instances_memory:,.0f}",
            lower_is_better=True,
        ),
        growth(
            "open file descriptors, all processes", start.descriptors, middle.descriptors, end.descriptors, "fds", 10
        ),
        growth("threads, all processes", start.threads, middle.threads, end.threads, "threads", 4),
        Row(
            f"frames dropped or failed in {minutes:.1f} min",
            float(sum(drops.values())),
            "frames",
            note=f"input {drops['input_drops']}, output {drops['output_drops']}, processing errors "
            f"{drops['processing_errors']}, of {end.frames_out - start.frames_out} pipeline messages out; {load}",
            lower_is_better=True,
        ),
        Row(
            "client connections",
            float(seen["connections"]),
            "connections",
            note=f"each took 10 messages; {seen['silent']} got no message within 5 s",
        ),
    ]
