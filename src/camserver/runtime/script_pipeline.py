"""``script`` pipelines: a user module's ``run(...)`` replaces the pipeline loop (CamServer's interface).

The module named by ``pipeline_script`` (in the user-scripts folder) defines::

    run(stop_event, statistics, parameter_queue, logs_queue, cam_client, pipeline_config,
        output_stream_port, background_manager, user_scripts_manager)

as CamServer calls it. camserver hands it equivalents: a ``threading.Event`` set when the instance
is stopped, a namespace whose ``rx``/``tx``/``total_bytes``/``clients`` fields it may update, a
queue receiving each new config, a list whose appended entries are logged, a client that resolves
camera streams through the server, the config dict, the port to bind, and read-only access to
backgrounds and scripts. It runs only where the server allows user scripts.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from camserver.client import Client
from camserver.errors import BackgroundNotFound, CamServerError, ConfigError, PermissionDenied
from camserver.models.instance import ExitCode, InstanceSpec, InstanceStatistics
from camserver.models.pipeline import PipelineConfig
from camserver.processing.function_loader import load_module
from camserver.runtime.control import (
    ConfigAppliedReport,
    ConfigCommand,
    ControlChannel,
    ExitedReport,
    StartedReport,
    StatisticsReport,
    StopCommand,
)

__all__ = ["ScriptPipeline"]

logger = logging.getLogger("camserver.pipeline")
_POLL = 0.1


class _LoggedList(list[Any]):
    """CamServer's ``logs_queue``: what a script appends is logged."""

    def append(self, entry: Any) -> None:
        logger.info("%s", entry)


class _CameraStreams:
    """The part of CamServer's ``CamClient`` scripts use: camera streams and geometry."""

    def __init__(self, server_url: str | None) -> None:
        self._url = server_url

    def _client(self) -> Client:
        if not self._url:
            raise ConfigError("this instance has no server to ask for camera streams")
        return Client(self._url, timeout=30)

    def get_instance_stream(self, camera: str) -> str:
        with self._client() as client:
            return client.cameras.stream(camera)

    def get_camera_geometry(self, camera: str) -> list[int]:
        with self._client() as client:
            return list(client.cameras.geometry(camera))


class _Backgrounds:
    """Read-only backgrounds, CamServer's ``background_manager``."""

    def __init__(self, folder: str | None) -> None:
        self._folder = Path(folder) if folder else None

    def get_background(self, background_id: str) -> np.ndarray[Any, Any]:
        path = self._folder / f"{background_id}.npy" if self._folder else None
        if path is None or not path.is_file():
            raise BackgroundNotFound(f"Background '{background_id}' does not exist.")
        array: np.ndarray[Any, Any] = np.load(path, allow_pickle=False)
        return array


class _Scripts:
    """Read-only user scripts, CamServer's ``user_scripts_manager``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_path(self, name: str) -> str:
        return str(self.folder / name)


class ScriptPipeline:
    """Runs a ``script`` pipeline; :meth:`run` returns the process exit code."""

    def __init__(self, spec: InstanceSpec, channel: ControlChannel) -> None:
        self.spec = spec
        self.channel = channel
        self.config = PipelineConfig.load(spec.config)

    def run(self) -> int:
        """Load the script, run it on a thread, relay stop and config changes until it returns."""
        folder = self.spec.user_scripts_dir
        if folder is None:
            raise PermissionDenied("script pipelines run user code; user scripts are not allowed on this server")
        name = self.config.pipeline_script or ""
        module = load_module(name, search_paths=[Path(folder)], reload=self.config.reload)
        if not callable(getattr(module, "run", None)):
            raise ConfigError(f"pipeline script '{name}' does not define run(...)")
        stop_event = threading.Event()
        statistics = SimpleNamespace(total_bytes=0, clients=0, throughput=0, rx=0, tx=0)
        parameters: queue.Queue[dict[str, Any]] = queue.Queue()
        failure: list[BaseException] = []

        def target() -> None:
            try:
                module.run(
                    stop_event, statistics, parameters, _LoggedList(), _CameraStreams(self.spec.server_url),
                    self.config.parameters(), self.spec.port, _Backgrounds(self.spec.background_dir),
                    _Scripts(Path(folder)),
                )  # fmt: skip
            except Exception as error:
                logger.exception("pipeline script %s failed", name)
                failure.append(error)

        thread = threading.Thread(target=target, name="camserver-script-pipeline", daemon=True)
        thread.start()
        port = self.spec.port
        self.channel.send(StartedReport(stream=f"tcp://{self.spec.advertised_host}:{port}", pid=os.getpid()))
        reason = "the script returned"
        next_report = time.monotonic() + 1.0
        while thread.is_alive():
            for command in self.channel.commands():
                if isinstance(command, StopCommand):
                    reason = command.reason
                    stop_event.set()
                elif isinstance(command, ConfigCommand):
                    parameters.put(command.config)
                    self.channel.send(ConfigAppliedReport(command.sequence))
            if time.monotonic() >= next_report:
                self.channel.send(StatisticsReport(_statistics(statistics)))
                next_report += 1.0
            thread.join(_POLL)
        code = ExitCode.PROCESSING_ERROR if failure else ExitCode.OK
        if failure:
            reason = f"the script failed: {failure[0]!r}"
        self.channel.send(ExitedReport(int(code), reason))
        return int(code)


def _statistics(namespace: SimpleNamespace) -> InstanceStatistics:
    def number(value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return 0

    try:
        return InstanceStatistics(
            pid=os.getpid(),
            rx_count=number(namespace.rx),
            tx_count=number(namespace.tx),
            bytes_received=number(namespace.total_bytes),
            clients=number(namespace.clients),
        )
    except CamServerError:
        return InstanceStatistics(pid=os.getpid())
