"""The local backend: every instance is an OS process on this host, watched by one supervisor.

Processes come from a fork server that imported camserver's runtime (and compiled its numba
kernels) once, so a new instance costs a fork rather than a fresh interpreter: no instance ever
waits on an import or a compiler. One supervisor thread waits on every instance's control pipe and
process sentinel at once; it is the only thread that reaps processes. Permanent instances that end
without being asked to are started again after a growing delay (1 s, 2 s, ... up to 30 s; back to
1 s once one ran for a minute).

Ended instances stay listed, with their exit code, reason and logs, until ``history`` newer ones
have ended (or they are forgotten); every step of an instance's life (start, running, stop, end
with exit code and reason, restart with its delay, a forced stop) is a record of the server's log
under ``camserver.backend`` whose ``instance`` attribute is the instance's key, so it outlives the
instance.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from camserver.backends.placement import Placement
from camserver.errors import ConfigError, Conflict, InstanceNotFound
from camserver.models.instance import (
    ExitCode,
    InstanceInfo,
    InstanceSpec,
    InstanceState,
    InstanceStatistics,
)
from camserver.models.node import NodeInfo
from camserver.runtime import entry
from camserver.runtime.control import (
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

__all__ = ["DEFAULT_PRELOAD", "LocalBackend", "start_fork_server"]

logger = logging.getLogger("camserver.backend")

#: modules the fork server imports once, for every instance it forks
DEFAULT_PRELOAD = ("camserver.runtime.preload",)
#: a permanent instance that ends is restarted at once the first time, then after 1, 2, 4 ... up to
#: 30 s while it keeps failing; once it has run for a minute, the next end restarts it at once again
_FIRST_DELAY, _MAX_DELAY, _STABLE_AFTER = 1.0, 30.0, 60.0
#: multiprocessing's exit code of a process whose fork server ended before telling its status
_STATUS_LOST = 255


def start_fork_server(preload: Sequence[str] = DEFAULT_PRELOAD) -> multiprocessing.context.ForkServerContext:
    """Start the fork server importing ``preload`` (if it does not run yet) without waiting for its
    imports, and return the multiprocessing context that forks from it. ``camserver serve`` calls
    this first, so the fork server imports while the server imports its web stack."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    multiprocessing.forkserver.ensure_running()
    return context


def _await_fork_server_exit(timeout: float = 5.0) -> None:
    """Wait (at most ``timeout`` s) until the fork server's process has exited, without reaping it:
    multiprocessing starts a new one only once it sees the old one gone."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
        except ChildProcessError:
            return  # already reaped
        time.sleep(0.02)


def _nothing() -> None:
    """The warm-up probe's target."""


def _now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC%z")


class _Acknowledgement:
    """A config update waiting for the instance to say it applied it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: str | None = None


class _Instance:
    """What the supervisor knows about one instance."""

    def __init__(self, spec: InstanceSpec, logs: deque[list[str]]) -> None:
        self.spec = spec
        self.logs = logs
        self.process: BaseProcess | None = None
        self.connection: Connection | None = None
        self.send_lock = threading.Lock()
        self.state = InstanceState.STARTING
        self.stream: str | None = None
        self.local_stream: str | None = None
        self.pid: int | None = None
        self.exit_code: int | None = None
        self.reason: str | None = None
        self.last_start_time: str | None = None
        self.end_time: str | None = None
        self.ended_at: float | None = None
        self.restarts = 0
        self.statistics = InstanceStatistics()
        self.started = threading.Event()
        self.ended = threading.Event()
        self.stop_requested = False
        self.restart_at: float | None = None
        self.delay = 0.0
        self.running_since: float | None = None  # when this launch reported running
        self.sequences = itertools.count(1)
        self.acknowledgements: dict[int, _Acknowledgement] = {}

    @property
    def alive(self) -> bool:
        return self.process is not None and not self.ended.is_set()

    def note(self, level: str, message: str) -> None:
        """A record of the instance's life, in its own log and in the server's (which outlives it)."""
        self.logs.append([time.strftime("%Y-%m-%d %H:%M:%S"), "camserver.supervisor", level, message])
        logger.log(logging.getLevelName(level), "%s: %s", self.spec.key, message, extra={"instance": self.spec.key})

    def send(self, command: StopCommand | ConfigCommand) -> bool:
        connection = self.connection
        if connection is None:
            return False
        with self.send_lock:
            try:
                connection.send(command)
            except (OSError, EOFError):
                return False
        return True

    def info(self) -> InstanceInfo:
        config = self.spec.config
        return InstanceInfo(
            instance_id=self.spec.instance_id,
            kind=self.spec.kind,
            config_name=self.spec.config_name,
            state=self.state,
            stream_address=self.stream,
            local_stream=self.local_stream,
            pid=self.pid,
            exit_code=self.exit_code,
            reason=self.reason,
            last_start_time=self.last_start_time,
            end_time=self.end_time,
            restarts=self.restarts,
            permanent=self.spec.permanent,
            read_only=self.spec.read_only,
            config=config,
            statistics=self.statistics,
        )


class LocalBackend:
    """Starts, stops and supervises instance processes on this host (one node: placement rules
    have nothing to choose from)."""

    name = "local"

    def __init__(self, *, preload: Sequence[str] = DEFAULT_PRELOAD, log_size: int = 1000, history: int = 100) -> None:
        # One OpenMP thread per instance: bitshuffle's OpenMP threads would fight over the cores.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        self._context = start_fork_server(preload)
        self._log_size = log_size
        self._history = history
        self._instances: dict[str, _Instance] = {}
        self._lock = threading.Lock()
        self._wake_reader, self._wake_writer = self._context.Pipe(duplex=False)
        self._closing = False
        removed = remove_stale_rings()  # shared memory left behind by instances of a crashed server
        if removed:
            logger.info("removed %d frame rings of ended processes", len(removed))
        self._thread = threading.Thread(target=self._supervise, name="camserver-supervisor", daemon=True)
        self._thread.start()

    def warm_up(self, *, timeout: float = 300.0) -> None:
        """Start the fork server and wait until it has imported (and compiled) everything, by
        forking one child that does nothing: no instance start ever pays for it."""
        multiprocessing.forkserver.ensure_running()
        probe = self._context.Process(target=_nothing, name="camserver-warm-up")
        probe.start()
        probe.join(timeout)
        if probe.exitcode is None:
            probe.kill()
            probe.join()

    # -- the Backend interface ---------------------------------------------------------------

    def start(self, spec: InstanceSpec, *, timeout: float = 30.0, placement: Placement | None = None) -> InstanceInfo:
        with self._lock:
            previous = self._instances.get(spec.key)
        if previous is not None and previous.alive and previous.state is InstanceState.FAILED:
            previous.ended.wait(timeout)  # a start that failed (its report came first) is ending: let it
        with self._lock:
            previous = self._instances.get(spec.key)
            if previous is not None and previous.alive:
                raise Conflict(f"Instance '{spec.instance_id}' is already running.")
            logs = previous.logs if previous is not None else deque(maxlen=self._log_size)
            instance = _Instance(spec, logs)
            self._instances[spec.key] = instance
            try:
                self._launch(instance)
            except OSError as error:
                instance.state, instance.reason = InstanceState.FAILED, str(error)
                instance.note("ERROR", f"start failed: {error}")
                instance.started.set()
                instance.ended.set()
                self._ended_for_good(instance)
                return instance.info()
        if not instance.started.wait(timeout):
            instance.reason = f"did not start within {timeout:g} s"
            instance.note("ERROR", f"{instance.reason}: terminating")
            self._terminate(instance, grace=2.0)
            instance.state = InstanceState.FAILED
        return instance.info()

    def stop(self, key: str, *, timeout: float = 10.0) -> InstanceInfo:
        instance = self._get(key)
        instance.stop_requested = True
        if instance.restart_at is not None:
            instance.restart_at = None
            instance.note("INFO", "stop requested while waiting to restart: not restarted")
            self._ended_for_good(instance)
        if instance.alive:
            instance.note("INFO", "stop requested")
            instance.state = InstanceState.STOPPING
            instance.note("INFO", "stop requested")
            instance.send(StopCommand())
            if not instance.ended.wait(timeout):
                instance.note("WARNING", f"did not stop within {timeout:g} s: terminating")
                self._terminate(instance, grace=2.0)
                instance.reason = f"did not stop within {timeout:g} s: terminated"
                instance.note("WARNING", f"forced stop: {instance.reason} (exit code {instance.exit_code})")
        if instance.state in (InstanceState.RESTARTING, InstanceState.STOPPING):
            instance.state = InstanceState.STOPPED
        return instance.info()

    def update_config(
        self, key: str, config: dict[str, Any], resources: dict[str, Any] | None = None, *, timeout: float = 5.0
    ) -> None:
        instance = self._get(key)
        sequence = next(instance.sequences)
        waiter = _Acknowledgement()
        instance.acknowledgements[sequence] = waiter
        try:
            if not instance.send(ConfigCommand(config, dict(resources or {}), sequence)):
                raise InstanceNotFound(f"Instance '{instance.spec.instance_id}' is not running.")
            if not waiter.event.wait(timeout):
                instance.note("WARNING", f"config update not acknowledged within {timeout:g} s: it applies later")
            elif waiter.error is not None:
                raise ConfigError(f"the instance refused the config: {waiter.error}")
        finally:
            instance.acknowledgements.pop(sequence, None)
        update: dict[str, Any] = {"config": config}
        if resources and "background_file" in resources:
            update["background_file"] = resources["background_file"]
        instance.spec = instance.spec.model_copy(update=update)

    def info(self, key: str) -> InstanceInfo:
        return self._get(key).info()

    def instances(self, *, active_only: bool = True) -> list[InstanceInfo]:
        with self._lock:
            instances = list(self._instances.values())
        return [
            instance.info()
            for instance in instances
            if not active_only or instance.state in (InstanceState.STARTING, InstanceState.RUNNING)
        ]

    def logs(self, key: str) -> list[list[str]]:
        return list(self._get(key).logs)

    def forget(self, key: str) -> None:
        with self._lock:
            instance = self._instances.get(key)
            if instance is not None and not instance.alive and instance.restart_at is None:
                del self._instances[key]
                logger.debug("%s: forgotten", key, extra={"instance": key})

    def nodes(self) -> list[NodeInfo]:
        with self._lock:
            active = [instance.spec for instance in self._instances.values() if instance.alive]
        return [
            NodeInfo(
                name="local",
                address=socket.gethostname(),
                instances=len(active),
                cameras=sorted(spec.instance_id for spec in active if spec.kind.value == "camera"),
                pipelines=sorted(spec.instance_id for spec in active if spec.kind.value == "pipeline"),
            )
        ]

    def close(self, *, timeout: float = 10.0) -> None:
        """Stop every instance (in parallel), then the supervisor."""
        with self._lock:
            instances = list(self._instances.values())
        for instance in instances:
            instance.stop_requested = True
            instance.restart_at = None
            if instance.alive:
                instance.send(StopCommand("the server is shutting down"))
        deadline = time.monotonic() + timeout
        for instance in instances:
            if instance.alive and not instance.ended.wait(max(0.0, deadline - time.monotonic())):
                self._terminate(instance, grace=2.0)
        self._closing = True
        self._wake()
        self._thread.join(timeout=5.0)

    # -- internals ----------------------------------------------------------------------------

    def _get(self, key: str) -> _Instance:
        with self._lock:
            instance = self._instances.get(key)
        if instance is None:
            raise InstanceNotFound(f"Instance '{key.split('/', 1)[-1]}' does not exist.")
        return instance

    def _launch(self, instance: _Instance) -> None:
        """Start the instance's process. A fork server that was killed is noticed by the first start
        after it (which reaches the dying server): that start waits until it has gone and tries
        once more, through a new fork server."""
        instance.started.clear()
        instance.ended.clear()
        instance.state = InstanceState.STARTING
        instance.stream = instance.local_stream = None
        instance.exit_code = None
        instance.reason = None
        instance.last_start_time = _now_text()
        instance.running_since = None
        try:
            process, parent = self._start_process(instance.spec)
        except OSError as error:
            instance.note("WARNING", f"{error}: trying again once it has gone")
            _await_fork_server_exit()
            process, parent = self._start_process(instance.spec)
        instance.process, instance.connection, instance.pid = process, parent, process.pid
        instance.end_time = instance.ended_at = None
        spec = instance.spec
        what = "permanent " if spec.permanent else ""
        again = f" (restart {instance.restarts})" if instance.restarts else ""
        instance.note("INFO", f"started process {process.pid}: {what}{spec.kind.value}{again}")
        self._wake()

    def _start_process(self, spec: InstanceSpec) -> tuple[BaseProcess, Connection]:
        """A started process running ``spec``, and the server's end of its control pipe."""
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=entry.main,
            args=(spec.model_dump_json(), child),
            name=f"camserver-{spec.kind.value}-{spec.instance_id}",
        )
        try:
            process.start()
        except (OSError, EOFError) as error:  # EOFError: the fork server ended before answering
            parent.close()
            raise OSError(f"the fork server did not start the process ({error!r})") from None
        finally:
            child.close()
        return process, parent

    def _terminate(self, instance: _Instance, *, grace: float) -> None:
        process = instance.process
        if process is None or instance.ended.is_set():
            return
        process.terminate()
        if not instance.ended.wait(grace):
            process.kill()
            instance.ended.wait(5.0)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # closing down: nobody waits any more
            self._wake_writer.send_bytes(b"!")

    def _supervise(self) -> None:
        while not self._closing:
            try:
                self._supervise_once()
            except Exception:  # the supervisor must outlive any one instance's trouble
                logger.exception("supervisor: unexpected error (continuing)")
                time.sleep(0.1)

    def _supervise_once(self) -> None:
        """Wait for a report, an instance's end or a due restart, and handle what came."""
        with self._lock:
            waiting: dict[Any, tuple[_Instance, bool]] = {}
            for instance in self._instances.values():
                if instance.connection is not None:
                    waiting[instance.connection] = (instance, True)
                if instance.process is not None and not instance.ended.is_set():
                    waiting[instance.process.sentinel] = (instance, False)
            timeout = self._next_restart_in()
        ready = wait([*waiting, self._wake_reader], timeout=timeout)
        for item in ready:
            if item is self._wake_reader:
                while self._wake_reader.poll():
                    self._wake_reader.recv_bytes()
                continue
            instance, is_connection = waiting[item]
            if is_connection:
                self._drain(instance)
            else:
                self._reap(instance)
        self._restart_due()

    def _next_restart_in(self) -> float:
        due = [instance.restart_at for instance in self._instances.values() if instance.restart_at is not None]
        return max(0.0, min(due) - time.monotonic()) if due else 1.0

    def _drain(self, instance: _Instance) -> None:
        connection = instance.connection
        if connection is None:
            return
        try:
            while connection.poll():
                self._handle(instance, connection.recv())
        except (EOFError, OSError):
            connection.close()
            instance.connection = None

    def _handle(self, instance: _Instance, report: Report) -> None:
        if isinstance(report, StatisticsReport):
            instance.statistics = report.statistics
        elif isinstance(report, LogReport):
            instance.logs.append(report.record)
        elif isinstance(report, StartedReport):
            instance.note("INFO", f"running (process {instance.pid}), streaming on {report.stream}")
            instance.state = InstanceState.RUNNING
            instance.stream = report.stream
            instance.local_stream = report.local_stream
            instance.running_since = time.monotonic()
            instance.note("INFO", f"running, streaming on {report.stream}")
            instance.started.set()
        elif isinstance(report, FailedReport):
            instance.state = InstanceState.FAILED
            instance.reason = report.reason
            instance.exit_code = report.exit_code
            instance.note("ERROR", f"failed to start: {report.reason}")
            instance.started.set()
        elif isinstance(report, ConfigAppliedReport):
            waiter = instance.acknowledgements.get(report.sequence)
            if waiter is not None:
                waiter.error = report.error
                waiter.event.set()
        elif isinstance(report, ExitedReport):
            instance.reason = report.reason

    def _reap(self, instance: _Instance) -> None:
        process = instance.process
        if process is None:
            return
        process.join(0)
        if process.exitcode is None:
            return
        self._drain(instance)
        if instance.connection is not None:
            instance.connection.close()
            instance.connection = None
        instance.exit_code = process.exitcode
        instance.local_stream = None
        if process.pid is not None:
            remove_stale_rings(pid=process.pid)  # a killed camera cannot remove its own
        if instance.exit_code < 0 and instance.exit_code != -15:
            instance.reason = instance.reason or f"killed by signal {-instance.exit_code}"
        if instance.exit_code == _STATUS_LOST and instance.reason is None:
            instance.reason = "its exit status was lost: the fork server that started it ended"
        if instance.state is InstanceState.STARTING:
            instance.state = InstanceState.FAILED
            instance.reason = instance.reason or f"exited with code {instance.exit_code} before it started"
        elif instance.state is not InstanceState.FAILED:
            clean = instance.stop_requested or instance.exit_code == ExitCode.OK
            instance.state = InstanceState.STOPPED if clean else InstanceState.FAILED
            if not clean:
                instance.reason = instance.reason or f"exited with code {instance.exit_code}"
        instance.end_time = _now_text()
        level = "INFO" if instance.state is InstanceState.STOPPED else "WARNING"
        instance.note(
            level,
            f"process {process.pid} ended ({instance.state.value}) with exit code {instance.exit_code}: "
            f"{instance.reason or 'no reason given'}",
        )
        instance.started.set()
        instance.ended.set()
        for waiter in list(instance.acknowledgements.values()):
            waiter.error = waiter.error or "the instance ended before applying it"
            waiter.event.set()
        if instance.spec.permanent and not instance.stop_requested and not self._closing:
            since = instance.running_since
            if since is not None and time.monotonic() - since > _STABLE_AFTER:
                instance.delay = 0.0
            instance.restart_at = time.monotonic() + instance.delay
            delay, count = instance.delay, instance.restarts + 1
            when = f"in {delay:g} s (restart {count}, backoff)" if delay else f"now (restart {count})"
            instance.note("WARNING", f"permanent instance: restarting {when}")
            instance.delay = min(max(instance.delay * 2, _FIRST_DELAY), _MAX_DELAY)
            instance.state = InstanceState.RESTARTING
        else:
            self._ended_for_good(instance)

    def _ended_for_good(self, instance: _Instance) -> None:
        """Keep an ended instance listed among the ``history`` newest ended ones; drop older ones."""
        instance.ended_at = time.monotonic()
        with self._lock:
            ended = sorted(
                (i for i in self._instances.values() if i.ended_at is not None and i.restart_at is None),
                key=lambda i: i.ended_at or 0.0,
            )
            for old in ended[: max(0, len(ended) - self._history)]:
                if self._instances.get(old.spec.key) is old:
                    del self._instances[old.spec.key]

    def _restart_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [i for i in self._instances.values() if i.restart_at is not None and i.restart_at <= now]
            for instance in due:
                instance.restart_at = None
                instance.restarts += 1
                instance.stop_requested = False
                try:
                    self._launch(instance)
                except OSError as error:
                    instance.note("ERROR", f"restart failed: {error}")
                    instance.state = InstanceState.RESTARTING
                    instance.restart_at = now + instance.delay
