"""What runs inside one instance's Ray actor: the same runtime entry as a local instance process
(:func:`camserver.runtime.entry.run_instance`), fed and watched through the actor's methods.

The actor runs on the node Ray placed it on. There it binds the instance's streams to the node's
address and advertises that address (never loopback to other nodes), and it keeps the local
streams (shared memory) it was handed only when it runs on the node they are on. The instance runs
in a thread; the server calls the actor for its figures, logs and state, to stop it or to update
its config. When the instance ends by itself it stays in its ended state until the server reaps
it, except a permanent instance: its process exits, and Ray starts the actor again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

import psutil
import ray

from camserver.backends.ray_options import LABEL_SERVER
from camserver.models.instance import ExitCode, InstanceInfo, InstanceSpec, InstanceState, InstanceStatistics
from camserver.runtime.control import (
    Command,
    ConfigAppliedReport,
    ConfigCommand,
    ExitedReport,
    FailedReport,
    LogReport,
    Report,
    StartedReport,
    StatisticsReport,
    StopCommand,
)
from camserver.transport import remove_stale_rings

__all__ = ["InstanceActor"]

logger = logging.getLogger("camserver.backend")

#: seconds a permanent instance that ended by itself waits before its process exits to be restarted
_RESTART_DELAY = 1.0


def _now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC%z")


class _Channel:
    """The instance's :class:`ControlChannel`: commands from the actor's methods, reports into the
    actor's record of the instance."""

    def __init__(self, actor: InstanceActor) -> None:
        self._actor = actor
        self._commands: deque[Command] = deque()

    def put(self, command: Command) -> None:
        self._commands.append(command)

    def commands(self) -> list[Command]:
        received: list[Command] = []
        while self._commands:
            received.append(self._commands.popleft())
        return received

    def send(self, report: Report) -> None:
        self._actor.handle(report)


class InstanceActor:
    """One camera or pipeline instance on a Ray node (created as a detached named actor)."""

    def __init__(self, spec_json: str, bandwidth: float = 0.0, log_size: int = 1000) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # before bitshuffle's OpenMP starts
        from camserver.runtime.memory import keep_frame_memory

        keep_frame_memory()
        remove_stale_rings()  # shared memory of instances that died on this node
        context = ray.get_runtime_context()
        self.node_id = context.get_node_id()
        address: str = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        self.node = context.get_node_labels().get(LABEL_SERVER) or address
        self.bandwidth = bandwidth
        spec = InstanceSpec.model_validate_json(spec_json)
        update: dict[str, Any] = {"bind_host": address, "advertised_host": address, "node": self.node}
        self.reads_local = spec.local_streams_node is None or spec.local_streams_node == self.node
        if not self.reads_local:  # its input's shared memory is on another node: read it over TCP
            update.update(camera_local_stream=None, input_local_streams={})
        self.spec = spec.model_copy(update=update)
        self.logs: deque[list[str]] = deque(maxlen=log_size)
        self.state = InstanceState.STARTING
        self.stream: str | None = None
        self.local_stream: str | None = None
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.statistics = InstanceStatistics()
        self.started = threading.Event()
        self.ended = threading.Event()
        self.stop_requested = False
        self.last_start_time = _now_text()
        self.reconstructed = context.was_current_actor_reconstructed
        self.acknowledgements: dict[int, tuple[threading.Event, list[str | None]]] = {}
        self.sequence = 0
        self.lock = threading.Lock()
        self.channel = _Channel(self)
        psutil.cpu_percent(None)  # the first figure is measured from here
        self.note("INFO", f"started process {os.getpid()} on node {self.node} ({address})")
        self.thread = threading.Thread(target=self._run, name=f"camserver-{spec.key}", daemon=True)
        self.thread.start()

    # -- inside -----------------------------------------------------------------------------

    def note(self, level: str, message: str) -> None:
        self.logs.append([time.strftime("%Y-%m-%d %H:%M:%S"), "camserver.supervisor", level, message])

    def handle(self, report: Report) -> None:
        """A report of the instance (from its thread)."""
        if isinstance(report, StatisticsReport):
            self.statistics = report.statistics
        elif isinstance(report, LogReport):
            self.logs.append(report.record)
        elif isinstance(report, StartedReport):
            self.state, self.stream, self.local_stream = InstanceState.RUNNING, report.stream, report.local_stream
            self.started.set()
        elif isinstance(report, FailedReport):
            self.state, self.reason = InstanceState.FAILED, report.reason
            self.note("ERROR", f"failed to start: {report.reason}")
            self.started.set()
        elif isinstance(report, ConfigAppliedReport):
            waiter = self.acknowledgements.get(report.sequence)
            if waiter is not None:
                waiter[1][0] = report.error
                waiter[0].set()
        elif isinstance(report, ExitedReport):
            self.reason = report.reason

    def _run(self) -> None:
        from camserver.runtime.entry import run_instance

        try:
            code = run_instance(self.spec, self.channel)
        except Exception as error:  # run_instance reports its errors; this is the last safety net
            logger.exception("instance %s crashed", self.spec.key)
            code, self.reason = int(ExitCode.STARTUP_FAILED), f"{type(error).__name__}: {error}"
        self.exit_code = code
        self.local_stream = None
        if self.state is InstanceState.STARTING:
            self.state = InstanceState.FAILED
            self.reason = self.reason or f"ended with code {code} before it started"
        elif self.state is not InstanceState.FAILED:
            clean = self.stop_requested or code == ExitCode.OK
            self.state = InstanceState.STOPPED if clean else InstanceState.FAILED
            if not clean:
                self.reason = self.reason or f"ended with code {code}"
        self.note("INFO", f"instance ended with code {code}: {self.reason}")
        self.started.set()
        self.ended.set()
        for event, answer in list(self.acknowledgements.values()):
            answer[0] = answer[0] or "the instance ended before applying it"
            event.set()
        if self.spec.permanent and not self.stop_requested:
            self.note("WARNING", f"permanent instance: starting again in {_RESTART_DELAY:g} s")
            time.sleep(_RESTART_DELAY)
            logging.shutdown()
            os._exit(1)  # Ray starts the actor again, with the same spec

    # -- what the server calls --------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The instance's :class:`InstanceInfo` (JSON), and what the server needs besides."""
        info = InstanceInfo(
            instance_id=self.spec.instance_id,
            kind=self.spec.kind,
            config_name=self.spec.config_name,
            state=self.state,
            stream_address=self.stream,
            local_stream=self.local_stream,
            pid=os.getpid(),
            exit_code=self.exit_code,
            reason=self.reason,
            last_start_time=self.last_start_time,
            permanent=self.spec.permanent,
            read_only=self.spec.read_only,
            config=self.spec.config,
            statistics=self.statistics,
            node=self.node,
        )
        return {
            "info": info.model_dump_json(),
            "node_id": self.node_id,
            "bandwidth": self.bandwidth,
            "reads_local": self.reads_local,
            "reconstructed": self.reconstructed,
            "port": self.spec.port,
            "host": {"cpu": psutil.cpu_percent(None), "memory": psutil.virtual_memory().used},
        }

    def wait_started(self, timeout: float) -> dict[str, Any]:
        """:meth:`info` once the instance streams or failed (or ``timeout`` passed)."""
        self.started.wait(timeout)
        return self.info()

    def stop(self, reason: str = "stopped") -> None:
        """Ask the instance to stop (it finishes its current frame)."""
        self.stop_requested = True
        self.channel.put(StopCommand(reason))

    def wait_ended(self, timeout: float) -> dict[str, Any]:
        """:meth:`info` once the instance ended (or ``timeout`` passed)."""
        self.ended.wait(timeout)
        return self.info()

    def update_config(self, config: dict[str, Any], resources: dict[str, Any], timeout: float) -> str | None:
        """Hand the instance a new config; its refusal in words, None when applied (or still pending
        after ``timeout``: then it applies later)."""
        if self.ended.is_set():
            return "the instance is not running"
        with self.lock:
            self.sequence += 1
            sequence = self.sequence
        event = threading.Event()
        answer: list[str | None] = [None]
        self.acknowledgements[sequence] = (event, answer)
        try:
            self.channel.put(ConfigCommand(config, dict(resources), sequence))
            if not event.wait(timeout):
                self.note("WARNING", f"config update not acknowledged within {timeout:g} s: it applies later")
            elif answer[0] is not None:
                return answer[0]
        finally:
            self.acknowledgements.pop(sequence, None)
        update: dict[str, Any] = {"config": config}
        if "background_file" in resources:
            update["background_file"] = resources["background_file"]
        self.spec = self.spec.model_copy(update=update)
        return None

    def log_records(self) -> list[list[str]]:
        """The instance's log ring."""
        return list(self.logs)
