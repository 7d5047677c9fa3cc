"""The loop inside a camera instance: read a frame, transform it, publish it.

The camera stream carries CamServer's channels ``image, timestamp, width, height, x_axis,
y_axis`` (plus any extra channels the source delivered with the frame). Config changes arrive over
the control channel and apply from the next frame; a change to the source itself reopens it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from camserver.errors import CamServerError, ConfigError, SourceError
from camserver.models.camera import BsreadCamera, CameraConfig
from camserver.models.instance import ExitCode, InstanceSpec
from camserver.protocol import Compression, CompressionPolicy, Timestamp
from camserver.runtime.camera_transform import CameraTransform
from camserver.runtime.config_notes import log_config_notes
from camserver.runtime.control import (
    ConfigAppliedReport,
    ConfigCommand,
    ControlChannel,
    ExitedReport,
    StartedReport,
    StatisticsReport,
    StopCommand,
)
from camserver.runtime.input_log import InputLog
from camserver.runtime.local_output import open_publisher
from camserver.runtime.statistics import StatisticsCollector
from camserver.sources import DECODE_ERRORS, RESYNCS, Frame, Source, StreamSource, create_source
from camserver.transport import Publisher

__all__ = ["CameraLoop"]

logger = logging.getLogger("camserver.camera")

#: keys that change how frames are transformed or sent, not where they come from
_NOT_SOURCE_KEYS = frozenset(
    {
        "name", "binning_x", "binning_y", "binning_mean", "mirror_x", "mirror_y", "rotate", "roi",
        "image_background", "camera_calibration", "protocol", "port", "no_client_timeout", "queue_size",
        "dtype", "check_data", "simulate_pulse_id", "image_compression", "scalar_compression",
        "data_header_compression", "forwarder_port", "forwarder_compression",
        "forwarder_data_header_compression", "abort_on_error", "debug", "alias", "group",
    }
)  # fmt: skip
_READ_TIMEOUT = 0.05


def _source_part(config: CameraConfig) -> dict[str, Any]:
    return {key: value for key, value in config.to_dict().items() if key not in _NOT_SOURCE_KEYS}


def _compression(config: CameraConfig) -> tuple[CompressionPolicy, Compression]:
    policy = CompressionPolicy(
        arrays=Compression(config.image_compression), scalars=Compression(config.scalar_compression)
    )
    return policy, Compression(config.data_header_compression)


class CameraLoop:
    """One camera instance. :meth:`run` returns the process exit code."""

    def __init__(
        self,
        spec: InstanceSpec,
        channel: ControlChannel,
        *,
        source_factory: Callable[[CameraConfig], Source] | None = None,
    ) -> None:
        self.spec = spec
        self.channel = channel
        self.config = CameraConfig.load(spec.config)
        self._user_scripts = spec.user_scripts_dir
        self._source_factory = source_factory or self._create_source
        self.statistics = StatisticsCollector()
        self.transform = CameraTransform(self.config, spec.background_file)
        self._pulse_id = -1
        self._stop_reason: str | None = None
        self._exit_code = ExitCode.OK
        self.input_log = InputLog(logger)
        # what the current source had counted when last accounted: dropped, decode errors, resyncs
        self._seen = (0, 0, 0)

    def _create_source(self, config: CameraConfig) -> Source:
        if isinstance(config, BsreadCamera) and self.spec.max_message_size:
            # the server's limit on one message; the camera's own max_message_size may only lower it
            limit = min(config.max_message_size or self.spec.max_message_size, self.spec.max_message_size)
            config = config.model_copy(update={"max_message_size": limit})
        return create_source(config, user_scripts=Path(self._user_scripts) if self._user_scripts else None)

    def _account(self, source: Source) -> None:
        """Add what ``source`` dropped since the last call to the statistics: decode errors as
        ``decode_errors``, every other message it did not deliver as ``input_drops``."""
        dropped, decode_errors, resyncs = source.dropped, 0, 0
        if isinstance(source, StreamSource):
            counters = source.input_counters()
            decode_errors, resyncs = counters[DECODE_ERRORS].count, counters[RESYNCS].count
        seen_dropped, seen_decode_errors, seen_resyncs = self._seen
        statistics = self.statistics
        statistics.decode_errors += decode_errors - seen_decode_errors
        statistics.input_drops += (dropped - seen_dropped) - (decode_errors - seen_decode_errors)
        statistics.pulse_resyncs += resyncs - seen_resyncs
        self._seen = (dropped, decode_errors, resyncs)

    # -- life cycle ---------------------------------------------------------------------------

    def run(self) -> int:
        """Open the source, bind the stream, report started, and loop until stopped."""
        log_config_notes(self.config, logger)
        source = self._source_factory(self.config)
        source.open()  # SourceError propagates: the entry point reports the failed start
        try:
            publisher = self._open_publisher()
        except CamServerError:
            source.close()
            raise
        forwarder = self._open_forwarder()
        try:
            stream = publisher.address
            if stream.startswith("tcp://"):
                stream = f"tcp://{self.spec.advertised_host}:{stream.rsplit(':', 1)[1]}"
            self.channel.send(StartedReport(stream=stream, pid=os.getpid(), local_stream=publisher.local_address))
            logger.info("camera %s streaming on %s", self.config.name, stream)
            source = self._loop(source, publisher, forwarder)
        finally:
            source.close()
            publisher.close()
            if forwarder is not None:
                forwarder.close()
        reason = self._stop_reason or "stopped"
        self.channel.send(StatisticsReport(self._report(publisher, source)))
        self.channel.send(ExitedReport(int(self._exit_code), reason))
        return int(self._exit_code)

    def _open_publisher(self) -> Publisher:
        policy, header_compression = _compression(self.config)
        port = self.spec.port or self.config.port or 0
        address = f"tcp://{self.spec.bind_host}:{port}"
        if self.config.protocol == "ipc":
            if not self.spec.ipc_dir:
                raise ConfigError("protocol 'ipc' needs a folder for the socket; this server has none")
            address = f"ipc://{Path(self.spec.ipc_dir) / self.spec.instance_id}.camera"
        options: dict[str, Any] = {
            "mode": "PUB",
            "queue_size": self.config.queue_size,
            "block": False,
            "compression": policy,
            "header_compression": header_compression,
        }
        return open_publisher(address, self.spec.local_stream, self.spec.instance_id, **options)

    def _open_forwarder(self) -> Publisher | None:
        if not self.config.forwarder_port:
            return None
        return Publisher(
            f"tcp://{self.spec.bind_host}:{self.config.forwarder_port}",
            mode="PUSH",
            queue_size=self.config.queue_size,
            block=False,
            compression=CompressionPolicy(arrays=Compression(self.config.forwarder_compression)),
            header_compression=Compression(self.config.forwarder_data_header_compression),
        )

    def _loop(self, source: Source, publisher: Publisher, forwarder: Publisher | None) -> Source:
        self._seen = (0, 0, 0)
        self._account(source)
        while not self._stopping():
            source = self._take_commands(source, publisher)
            if self._stopping():
                break
            frame = source.read(_READ_TIMEOUT)
            self._account(source)
            if frame is not None:
                # an update that returned before this frame arrived applies to it
                source = self._take_commands(source, publisher)
                if self._stopping():
                    break
                self._publish(frame, publisher, forwarder)
            if self.statistics.due():
                self.channel.send(StatisticsReport(self._report(publisher, source)))
                self._check_clients(publisher)
        return source

    def _stopping(self) -> bool:
        return self._stop_reason is not None

    def _take_commands(self, source: Source, publisher: Publisher) -> Source:
        for command in self.channel.commands():
            if isinstance(command, StopCommand):
                self._stop_reason = command.reason
            elif isinstance(command, ConfigCommand):
                source = self._apply(command, source, publisher)
        return source

    def _check_clients(self, publisher: Publisher) -> None:
        timeout = self.config.no_client_timeout
        if timeout > 0 and publisher.seconds_without_clients() > timeout:
            self._stop_reason = f"no client connected for {timeout:g} s"

    def _apply(self, command: ConfigCommand, source: Source, publisher: Publisher) -> Source:
        try:
            config = CameraConfig.load(command.config)
        except CamServerError as error:
            logger.error("config update refused: %s", error)
            self.channel.send(ConfigAppliedReport(command.sequence, str(error)))
            return source
        if config.port != self.config.port and config.port:
            logger.warning("a new port takes effect when the camera restarts")
        reopen = _source_part(config) != _source_part(self.config)
        self.config = config
        self.transform = CameraTransform(config, self.transform.background_file)
        policy, header_compression = _compression(config)
        publisher.set_compression(policy, header_compression)
        if reopen:
            logger.info("source settings changed: reopening the source")
            self._account(source)
            self._report_input(source)
            source.close()
            source = self._source_factory(config)
            self._seen = (0, 0, 0)
            try:
                source.open()
            except SourceError as error:
                self._stop_reason = f"cannot reopen the source: {error}"
                self._exit_code = ExitCode.INPUT_LOST
                self.channel.send(ConfigAppliedReport(command.sequence, self._stop_reason))
                return source
            self._account(source)
        self.channel.send(ConfigAppliedReport(command.sequence))
        logger.info("config updated")
        return source

    # -- per frame ----------------------------------------------------------------------------

    def _next_pulse_id(self, frame: Frame) -> int:
        if self.config.simulate_pulse_id:
            pulse_id = int(time.time() * 100)
        elif frame.pulse_id is not None:
            pulse_id = frame.pulse_id
        else:
            pulse_id = self._pulse_id + 1
        if self.config.simulate_pulse_id and pulse_id <= self._pulse_id:
            pulse_id = self._pulse_id + 1  # simulated pulse ids strictly increase
        self._pulse_id = pulse_id
        return pulse_id

    def _publish(self, frame: Frame, publisher: Publisher, forwarder: Publisher | None) -> None:
        started = time.perf_counter()
        statistics = self.statistics
        statistics.received(frame.image.nbytes)
        timestamp = frame.timestamp or Timestamp.now()
        try:
            image, x_axis, y_axis = self.transform.apply(frame.image)
        except (CamServerError, ValueError) as error:
            statistics.processing_errors += 1
            logger.warning("frame %s not usable: %s", frame.pulse_id, error)
            if self.config.abort_on_error:
                self._stop_reason = f"unusable frame: {error}"
                self._exit_code = ExitCode.FORMAT_ERROR
            return
        height, width = image.shape
        data: dict[str, Any] = dict(frame.extra) if frame.extra else {}
        data.update(
            image=image,
            timestamp=timestamp.seconds,
            width=width,
            height=height,
            x_axis=x_axis,
            y_axis=y_axis,
        )
        pulse_id = self._next_pulse_id(frame)
        statistics.processing_time(time.perf_counter() - started)
        if publisher.send(data, pulse_id=pulse_id, timestamp=timestamp):
            statistics.sent()
        statistics.latency(max(0.0, time.time() - timestamp.seconds))
        statistics.frame_shape = [width, height, image.dtype.itemsize]
        if forwarder is not None:
            forwarder.send({f"{self.config.name}:FPICTURE": image}, pulse_id=pulse_id, timestamp=timestamp)

    def _report_input(self, source: Source) -> None:
        if isinstance(source, StreamSource):
            self.input_log.update(source.input_counters())

    def _report(self, publisher: Publisher, source: Source) -> Any:
        self._report_input(source)
        statistics = self.statistics
        statistics.clients = publisher.clients
        statistics.output_drops = publisher.statistics.dropped
        statistics.subscriber_overflows = publisher.statistics.subscriber_overflows
        statistics.bytes_sent = publisher.statistics.bytes_sent
        statistics.header_changes = publisher.statistics.header_changes
        statistics.withheld_values = publisher.statistics.withheld_values
        return statistics.report()
