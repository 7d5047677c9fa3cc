"""The entry point of every instance process: run one camera or pipeline from its spec."""

from __future__ import annotations

import logging
import os
import signal
import sys
from multiprocessing.connection import Connection
from types import FrameType

from camserver.errors import CamServerError, PortInUse
from camserver.models.instance import ExitCode, InstanceKind, InstanceSpec
from camserver.runtime.control import (
    Command,
    ControlChannel,
    ExitedReport,
    FailedReport,
    PipeChannel,
    Report,
    StartedReport,
)
from camserver.runtime.log_forwarder import LogForwarder
from camserver.runtime.memory import keep_frame_memory
from camserver.transport import shutdown_context

__all__ = ["main", "run_instance"]


class _Watched:
    """Remembers whether the instance reported that it started."""

    def __init__(self, channel: ControlChannel) -> None:
        self.channel = channel
        self.started = False
        self.exited = False

    def commands(self) -> list[Command]:
        return self.channel.commands()

    def send(self, report: Report) -> None:
        if isinstance(report, StartedReport):
            self.started = True
        if isinstance(report, ExitedReport):
            self.exited = True
        self.channel.send(report)


def run_instance(spec: InstanceSpec, channel: ControlChannel) -> int:
    """Run the instance described by ``spec`` until it stops; return its exit code.

    A failure before the instance is streaming is reported as :class:`FailedReport` with the
    reason; a failure later as :class:`ExitedReport`. Nothing escapes as a traceback only.
    """
    watched = _Watched(channel)
    forwarder = LogForwarder(watched, level=getattr(logging, spec.log_level.upper(), logging.INFO))
    root = logging.getLogger()
    root.addHandler(forwarder)
    root.setLevel(forwarder.level)
    logger = logging.getLogger(f"camserver.{spec.kind.value}")
    code: int
    try:
        if spec.kind is InstanceKind.CAMERA:
            from camserver.runtime.camera_loop import CameraLoop

            code = CameraLoop(spec, watched).run()
        else:
            from camserver.runtime.pipeline_loop import PipelineLoop

            code = PipelineLoop(spec, watched).run()
    except PortInUse as error:
        code = _failed(watched, str(error), logger, ExitCode.PORT_IN_USE)
    except CamServerError as error:
        code = _failed(watched, str(error), logger)
    except Exception as error:
        logger.exception("instance %s crashed", spec.instance_id)
        code = _failed(watched, f"{type(error).__name__}: {error}", logger)
    finally:
        root.removeHandler(forwarder)
        shutdown_context()
    return code


def _failed(watched: _Watched, reason: str, logger: logging.Logger, code: ExitCode = ExitCode.STARTUP_FAILED) -> int:
    if watched.started:
        logger.error("instance failed: %s", reason)
        if not watched.exited:
            watched.send(ExitedReport(int(code), reason))
    else:
        watched.send(FailedReport(reason, int(code)))
    return int(code)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(int(ExitCode.OK))


def main(spec_json: str, connection: Connection) -> None:
    """Process target of the local backend: run the instance, exit with its code."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops instances; Ctrl-C is its own
    signal.signal(signal.SIGTERM, _terminate)
    keep_frame_memory()
    spec = InstanceSpec.model_validate_json(spec_json)
    code = run_instance(spec, PipeChannel(connection))
    connection.close()
    sys.exit(code)
