"""The loop inside a pipeline instance: receive, gate, process (on threads if asked), send.

One thread receives and sends; processing runs on ``processing_threads`` threads with results sent
in arrival order. Every message that does not leave the pipeline is counted: input drops (pulse-id
gaps, out of order, unmatched second-stream partners), skipped (pause, pid_range, downsampling,
rate limit, a function returning None), processing errors, and output drops at the high-water mark.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from camserver.errors import CamServerError, ConfigError, TransportError
from camserver.models.instance import ExitCode, InstanceSpec
from camserver.models.pipeline import PipelineConfig
from camserver.protocol import Compression, CompressionPolicy, HeaderStrategy, Message, Timestamp
from camserver.runtime.camera_resolver import CameraResolver
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
from camserver.runtime.custom_source import CustomSource
from camserver.runtime.frame_gate import FrameGate, Verdict
from camserver.runtime.input_log import InputLog
from camserver.runtime.local_output import open_publisher
from camserver.runtime.ordered_executor import Completed, OrderedExecutor
from camserver.runtime.pipeline_stage import ProcessingStage, Resources, Stage, create_stage
from camserver.runtime.pulse_aligner import PulseAligner
from camserver.runtime.pulse_reorder import PulseReorder
from camserver.runtime.recorder import open_recorder
from camserver.runtime.script_pipeline import ScriptPipeline
from camserver.runtime.statistics import StatisticsCollector
from camserver.sources import DECODE_ERRORS, RESYNCS, InputCounter
from camserver.sources.dispatcher import DispatcherClient
from camserver.transport import Lease, LocalSubscriber, Publisher, Subscriber

__all__ = ["PipelineLoop"]

logger = logging.getLogger("camserver.pipeline")

_RECEIVE_TIMEOUT = 0.05
_SEND_RETRY = 0.25
#: a pipeline that processes each frame (``processing``, ``stream``) of a subscribed (SUB) input and
#: falls this many messages behind takes the newest and counts the others as input drops: under
#: overload it keeps its own full rate on fresh frames (where ZMQ would drop the newest at the
#: high-water mark); a shorter backlog (a pause of 300 ms at 100 Hz) is worked off in order. A
#: local stream lowers the limit to what its ring holds. A PULL input is lossless (its sender
#: waits), so nothing is passed over there.
_BACKLOG_LIMIT = 30
_NEWEST_FIRST = frozenset({"processing", "stream"})
#: a received message, what a second stream added to it, and the lease of a frame lent from a ring
Item = tuple[Message, Mapping[str, Any] | None, Lease | None]


def _compression(config: PipelineConfig) -> tuple[CompressionPolicy, Compression]:
    return CompressionPolicy(arrays=Compression(config.data_compression)), Compression(config.data_header_compression)


class PipelineLoop:
    """One pipeline instance. :meth:`run` returns the process exit code."""

    def __init__(self, spec: InstanceSpec, channel: ControlChannel) -> None:
        self.spec = spec
        self.channel = channel
        self.config = PipelineConfig.load(spec.config)
        self.resources = Resources(spec.background_file, spec.user_scripts_dir)
        self.statistics = StatisticsCollector()
        self.gate = FrameGate(self.config)
        self._stop_reason: str | None = None
        self._exit_code = ExitCode.OK
        self._sent = 0
        self._last_message = time.monotonic()
        self._input_misses = 0
        self._input_decode_errors = 0
        self._reported_misses = 0
        self._aligner: PulseAligner[Message] | None = None
        self._deferred: list[ConfigCommand] = []
        self._send_retries = 0
        self._reported_unpaired = 0
        self._input: Subscriber | None = None
        self._second: Subscriber | None = None
        self.input_log = InputLog(logger)
        self._decode_errors = InputCounter()
        self._fallback: str | None = None  # the bsread address of an input read through its local stream
        self._stage: Stage | None = None
        self._dispatcher: DispatcherClient | None = None
        self._dispatched: dict[str, str] = {}  # input key -> stream the dispatcher made for it
        buffer = self.config.pid_buffer or 0
        self._reorder: PulseReorder[tuple[dict[str, Any], Timestamp]] | None = (
            PulseReorder(buffer) if self.config.pipeline_type == "fanin" and buffer > 1 else None
        )

    # -- opening and closing ------------------------------------------------------------------

    def _limits(self) -> dict[str, Any]:
        """What every input subscriber is given: the server's limit on one message."""
        size = self.spec.max_message_size
        return {"max_message_bytes": size} if size else {}

    def _input_address(self) -> str | None:
        config, streams = self.config, self.spec.input_streams
        address = streams.get("input") or config.input_stream or self.spec.camera_stream or config.bsread_address
        return address or self._dispatched_stream("input", config.effective_input_mode)

    def _dispatched_stream(self, key: str, mode: str) -> str | None:
        """The dispatcher's stream of the channels of input ``key`` (requested once), or None."""
        channels = self.config.dispatcher_requests().get(key)
        if not channels or not self.spec.dispatcher_url:
            return None
        if key not in self._dispatched:
            config = self.config
            self._dispatcher = self._dispatcher or DispatcherClient(
                self.spec.dispatcher_url,
                verify=config.dispatcher_verify_request,
                disable_compression=config.dispatcher_disable_compression,
            )
            self._dispatched[key] = self._dispatcher.request_stream(channels, mode=mode)
        return self._dispatched[key]

    def _release_dispatched(self) -> None:
        dispatched, self._dispatched = self._dispatched, {}
        if self._dispatcher is not None:
            for address in dispatched.values():
                self._dispatcher.remove_stream(address)

    def _open_input(self) -> Subscriber | None:
        if self.config.pipeline_type == "custom":
            return None
        address = self._input_address()
        if not address:
            raise ConfigError("the pipeline has no input: give camera_name, input_stream or input_pipeline")
        bind = self.config.pipeline_type == "fanin"
        if not bind and address == self.spec.camera_stream and self.spec.camera_local_stream:
            return self._subscribe(address, self.spec.camera_local_stream)
        local = self.spec.input_local_streams.get("input")
        if not bind and local and address == self.spec.input_streams.get("input"):
            return self._subscribe(address, local)
        return Subscriber(
            address,
            mode=self.config.effective_input_mode,
            bind=bind,
            queue_size=max(self.config.queue_size, 10),
            receive_timeout=_RECEIVE_TIMEOUT,
            backlog_limit=self._backlog_limit(),
            **self._limits(),
        )

    def _backlog_limit(self) -> int | None:
        config = self.config
        newest_first = config.pipeline_type in _NEWEST_FIRST and config.effective_input_mode.upper() == "SUB"
        return _BACKLOG_LIMIT if newest_first else None

    def _subscribe(self, address: str, local: str | None) -> Subscriber:
        """A subscriber of the input (a camera or a pipeline): its local stream (shared memory) when
        it has one, and the pipeline reads it as a subscriber (a PULL input keeps the bsread socket).
        ``address`` is where to turn if the local stream fails later."""
        mode = self.config.effective_input_mode
        self._fallback = address
        if local and mode == "SUB":
            try:
                return LocalSubscriber(
                    local, receive_timeout=_RECEIVE_TIMEOUT, backlog_limit=self._backlog_limit(), **self._limits()
                )
            except CamServerError as error:
                logger.warning("cannot read the input's local stream %s (%s): reading %s", local, error, address)
        return Subscriber(
            address,
            mode=mode,
            queue_size=max(self.config.queue_size, 10),
            receive_timeout=_RECEIVE_TIMEOUT,
            backlog_limit=self._backlog_limit(),
            **self._limits(),
        )

    def _receive(self, source: Subscriber) -> Message | None:
        """The next message; a local stream whose shared memory cannot be read is replaced by the
        input's bsread stream (the frames lost meanwhile show as a pulse-id gap)."""
        try:
            return source.receive()
        except TransportError as error:
            if not isinstance(source, LocalSubscriber) or not self._fallback:
                raise
            logger.warning("the input's local stream failed (%s): reading %s instead", error, self._fallback)
            self._replace_input(source, self._fallback, None)
            return None

    def _replace_input(self, source: Subscriber, address: str, local: str | None) -> None:
        """Close ``source``, keeping its counts, and read the input at ``address`` (or ``local``)."""
        self._input_misses += source.statistics.missed_pulses + source.statistics.backlog_skips
        self._input_decode_errors += source.statistics.decode_errors
        source.close()
        self._input = self._subscribe(address, local)
        self._update_lending()

    def _update_lending(self) -> None:
        """Let a local-stream input lend its frames (no copy out of the ring) when nothing keeps a
        frame beyond processing it: the built-in function without averaging, processed at once
        (no processing threads, no second stream to wait for)."""
        source, stage = self._input, self._stage
        if isinstance(source, LocalSubscriber):
            source.lend = (
                isinstance(stage, ProcessingStage)
                and stage.takes_lent_frames
                and self.config.processing_threads == 0
                and self._second is None
            )

    def _open_second_input(self) -> Subscriber | None:
        config = self.config
        address = self.spec.input_streams.get("input2") or config.input_stream2
        mode = config.input_mode2 or "SUB"
        if not address and config.bsread_address and config.pipeline_type == "processing" and config.camera_name:
            address, mode = config.bsread_address, config.input_mode2 or "PULL"
        if not address:
            mode = config.input_mode2 or "SUB"
            address = self._dispatched_stream("input2", mode)
        if not address:
            return None
        return Subscriber(address, mode=mode, queue_size=config.merge_queue_size, receive_timeout=0, **self._limits())

    def _open_output(self) -> Any:
        config = self.config
        if config.effective_mode == "FILE":
            return open_recorder(config)
        policy, header_compression = _compression(config)
        target = self.spec.input_streams.get("output") or config.output_stream
        address = target or f"tcp://{self.spec.bind_host}:{self.spec.port or config.port or 0}"
        # a store never holds its camera back for a slow reader (CamServer's store sends non-blocking)
        block = config.block and config.effective_mode == "PUSH" and config.pipeline_type != "store"
        # readers on this host get a local stream from a pipeline that publishes on a port of its own
        local = self.spec.local_stream if target is None and config.effective_mode == "PUB" else None
        return open_publisher(
            address,
            local,
            self.spec.instance_id,
            mode=config.effective_mode,
            bind=target is None,
            queue_size=config.queue_size,
            block=block,
            send_timeout=_SEND_RETRY if block else None,
            header_strategy=HeaderStrategy.parse(config.create_header),
            allow_type_changes=config.allow_type_changes,
            allow_shape_changes=config.allow_shape_changes,
            compression=policy,
            header_compression=header_compression,
        )

    def _stream_address(self, output: Any) -> str:
        address = getattr(output, "address", None)
        if address is None:
            return f"file://{self.config.file}"
        if self.spec.input_streams.get("output") or self.config.output_stream:
            return str(address)
        return f"tcp://{self.spec.advertised_host}:{str(address).rsplit(':', 1)[1]}"

    def run(self) -> int:
        """Open input, output and stage, report started, loop until stopped or finished."""
        config = self.config
        log_config_notes(config, logger)
        if config.pipeline_type == "script":
            return ScriptPipeline(self.spec, self.channel).run()
        custom = CustomSource(config, self.resources) if config.pipeline_type == "custom" else None
        stage = None if custom else create_stage(config, self.resources)
        self._stage = stage
        source = self._open_input()
        second = self._second = self._open_second_input()
        try:
            output = self._open_output()
        except CamServerError:
            for subscriber in (source, second):
                if subscriber is not None:
                    subscriber.close()
            raise
        executor: OrderedExecutor[Item] = OrderedExecutor(
            lambda item: self._process(stage, item),
            threads=config.processing_threads,
            capacity=config.thread_buffer_size,
        )
        aligner: PulseAligner[Message] | None = None
        if second is not None:
            aligner = PulseAligner(primary_size=config.bsread_image_buf, secondary_size=config.merge_buffer_size)
        self._aligner = aligner
        local = output.local_address if isinstance(output, Publisher) else None
        self.channel.send(StartedReport(stream=self._stream_address(output), pid=os.getpid(), local_stream=local))
        logger.info("pipeline %s (%s) running", self.spec.instance_id, config.pipeline_type)
        self._input, self._second = source, second
        self._update_lending()
        try:
            resolver = CameraResolver(self.spec)
            self._loop(stage, custom, second, aligner, executor, output, resolver)
            for completed in executor.drain():
                self._emit(completed, output)
            if self._reorder is not None:
                for pulse_id, (data, timestamp) in self._reorder.flush():
                    self._deliver(data, pulse_id, timestamp, output)
        finally:
            executor.close()
            close_stage = getattr(stage, "close", None)
            if close_stage is not None:
                close_stage()  # e.g. the EPICS link of psss
            self._release_dispatched()
            for subscriber in (self._input, second):  # the input may have been replaced on the way
                if subscriber is not None:
                    subscriber.close()
            self.channel.send(StatisticsReport(self._report(output, self._input)))
            output.close()
        reason = self._stop_reason or "stopped"
        self.channel.send(ExitedReport(int(self._exit_code), reason))
        return int(self._exit_code)

    # -- the loop ------------------------------------------------------------------------------

    def _loop(
        self,
        stage: Stage | None,
        custom: CustomSource | None,
        second: Subscriber | None,
        aligner: PulseAligner[Message] | None,
        executor: OrderedExecutor[Item],
        output: Any,
        resolver: CameraResolver,
    ) -> None:
        """Until stopped: read ``self._input`` (replaced when the camera moves) or the custom source."""
        while self._stop_reason is None:
            if not self._take_commands(stage, custom, output):
                break
            if custom is not None:
                try:
                    produced = custom.produce()
                except CamServerError as error:
                    self._failed_frame(None, error)
                    continue
                if produced is not None:
                    data, pulse_id, timestamp = produced
                    self.statistics.received()
                    self._send(data, pulse_id, timestamp, output)
            else:
                assert self._input is not None
                message = self._receive(self._input)
                if message is not None:
                    # a config update that returned before this frame was sent applies to it
                    self._take_commands(stage, custom, output)
                if second is not None and aligner is not None:
                    self._take_second(second, aligner, executor, output)
                if message is not None:
                    self._received(message, aligner, executor, output)
                else:
                    self._idle(self._input, resolver)
            for completed in executor.ready():
                self._emit(completed, output)
            if self.statistics.due():
                self.channel.send(StatisticsReport(self._report(output, self._input)))
                self._check_clients(output)

    def _take_commands(self, stage: Stage | None, custom: CustomSource | None, output: Any) -> bool:
        """Apply the commands that arrived; False once the pipeline is to stop."""
        commands, self._deferred = [*self._deferred, *self.channel.commands()], []
        for command in commands:
            if isinstance(command, StopCommand):
                self._stop_reason = command.reason
            elif isinstance(command, ConfigCommand):
                self._apply(command, stage, custom, output)
        return self._stop_reason is None

    def _received(
        self,
        message: Message,
        aligner: PulseAligner[Message] | None,
        executor: OrderedExecutor[Item],
        output: Any,
    ) -> None:
        statistics = self.statistics
        statistics.received(message.nbytes)
        self._last_message = time.monotonic()
        verdict = self.gate.check(message.pulse_id, message.timestamp)
        if verdict is Verdict.SKIP:
            statistics.skipped += 1
            return
        if verdict is Verdict.OUT_OF_ORDER:
            statistics.input_drops += 1
            return
        if verdict is Verdict.FINISH:
            self._stop_reason = "pid_range complete"
            return
        if aligner is None:
            lease = self._input.lease if self._input is not None else None
            if lease is not None:  # only the image may be lent: it is written out, never sent as received
                for name, value in message.data.items():
                    if name != "image" and lease.holds(value):
                        message.data[name] = value.copy()
            for completed in executor.submit((message, None, lease)):
                self._emit(completed, output)
            return
        for pair in aligner.add_primary(message.pulse_id, message):
            for completed in executor.submit((pair.primary, pair.secondary, None)):
                self._emit(completed, output)

    def _take_second(
        self, second: Subscriber, aligner: PulseAligner[Message], executor: OrderedExecutor[Item], output: Any
    ) -> None:
        wanted = self.config.bsread_channels2 or self.config.bsread_channels
        while (message := second.receive(timeout=0)) is not None:
            data = message.data if not wanted else {name: message.data.get(name) for name in wanted}
            for pair in aligner.add_secondary(message.pulse_id, data):
                for completed in executor.submit((pair.primary, pair.secondary, None)):
                    self._emit(completed, output)

    def _idle(self, source: Subscriber, resolver: CameraResolver) -> None:
        silent = time.monotonic() - self._last_message
        config = self.config
        if config.abort_on_timeout and silent > config.stream_timeout:
            self._stop_reason = f"no message for {config.stream_timeout:g} s"
            self._exit_code = ExitCode.INPUT_LOST
            return
        if resolver.is_camera_input and silent > config.camera_timeout > 0:
            self._last_message = time.monotonic()
            address, local = resolver.resolve(config.camera_name or "", self.spec.camera_stream or source.address)
            logger.warning("no camera message for %.3g s: reconnecting to %s", silent, local or address)
            self.spec = self.spec.model_copy(update={"camera_stream": address, "camera_local_stream": local})
            self._replace_input(source, address, local)

    def _process(self, stage: Stage | None, item: Item) -> tuple[dict[str, Any] | None, float, bool]:
        """The stage's result, the time it took, and whether the frame was lent and overwritten
        meanwhile (then the result may come of a mix of two frames and is thrown away)."""
        message, extra, lease = item
        assert stage is not None
        started = time.perf_counter()
        if lease is None:
            result = stage.process(message, extra)
        else:
            assert isinstance(stage, ProcessingStage)
            result = stage.process(message, extra, lent=True)
        return result, time.perf_counter() - started, lease is not None and not lease.valid()

    def _emit(self, completed: Completed[Item], output: Any) -> None:
        message, _, _ = completed.item
        statistics = self.statistics
        if completed.error is not None:
            self._failed_frame(message.pulse_id, completed.error)
            return
        result, elapsed, lapsed = completed.result
        statistics.processing_time(elapsed)
        if lapsed:
            statistics.input_drops += 1
            logger.debug("pulse %s was overwritten in the camera's ring while it was processed", message.pulse_id)
            return
        if result is None:
            statistics.skipped += 1
            return
        self._send(result, message.pulse_id, message.timestamp, output)

    def _failed_frame(self, pulse_id: int | None, error: BaseException) -> None:
        self.statistics.processing_errors += 1
        logger.warning("pulse %s not processed: %s", pulse_id, error)
        if self.config.abort_on_error:
            self._stop_reason = f"processing error (abort_on_error): {error}"
            self._exit_code = ExitCode.PROCESSING_ERROR

    def _send(self, data: dict[str, Any], pulse_id: int, timestamp: Timestamp, output: Any) -> None:
        """Send, through the pulse-id reorder buffer of a fan-in."""
        if self._reorder is None:
            self._deliver(data, pulse_id, timestamp, output)
            return
        for released, (held, stamp) in self._reorder.push(pulse_id, (data, timestamp)):
            self._deliver(held, released, stamp, output)

    def _deliver(self, data: dict[str, Any], pulse_id: int, timestamp: Timestamp, output: Any) -> None:
        statistics = self.statistics
        try:
            sent = output.send(data, pulse_id=pulse_id, timestamp=timestamp)
            while not sent and getattr(output, "block", False) and self._stop_reason is None:
                if not self._wait_for_receiver(output):
                    break  # the message is dropped, and counted by the publisher
                self._send_retries += 1  # the attempt that timed out was no drop: it is retried
                sent = output.send(data, pulse_id=pulse_id, timestamp=timestamp)
        except CamServerError as error:
            statistics.processing_errors += 1
            logger.warning("pulse %s not sent: %s", pulse_id, error)
            return
        if not sent:
            return
        statistics.sent()
        statistics.latency(max(0.0, time.time() - timestamp.seconds))
        image = data.get("image")
        if image is not None and getattr(image, "ndim", 0) == 2:
            statistics.frame_shape = [image.shape[1], image.shape[0], image.dtype.itemsize]
        self._sent += 1
        records = self.config.records
        if records and self._sent >= records:
            self._stop_reason = f"{records} records sent"

    def _wait_for_receiver(self, output: Any) -> bool:
        """While a blocking send waits: stop when asked or when nobody is connected for
        ``no_client_timeout``, keep config updates for after the send, keep reporting.
        False once the pipeline is to stop."""
        for command in self.channel.commands():
            if isinstance(command, StopCommand):
                self._stop_reason = "stopped while waiting for a receiver"
            else:
                self._deferred.append(command)
        if self.statistics.due():
            self.channel.send(StatisticsReport(self._report(output, None)))
            self._check_clients(output)
        return self._stop_reason is None

    def _check_clients(self, output: Any) -> None:
        timeout = self.config.no_client_timeout
        without = getattr(output, "seconds_without_clients", None)
        if timeout > 0 and without is not None and without() > timeout:
            self._stop_reason = f"no client connected for {timeout:g} s"

    def _apply(self, command: ConfigCommand, stage: Stage | None, custom: CustomSource | None, output: Any) -> None:
        try:
            config = PipelineConfig.load(command.config)
            resources = Resources(command.resources.get("background_file"), self.resources.user_scripts_dir)
            if stage is not None:
                stage.update(config, resources)
            if custom is not None:
                custom.update(config, resources)
        except CamServerError as error:
            logger.error("config update refused: %s", error)
            self.channel.send(ConfigAppliedReport(command.sequence, str(error)))
            return
        self.channel.send(ConfigAppliedReport(command.sequence))
        if config.processing_threads != self.config.processing_threads:
            logger.warning("processing_threads takes effect when the pipeline restarts")
        if config.records != self.config.records:
            self._sent = 0  # records set on a running instance count from the change
        self.config, self.resources = config, resources
        self._update_lending()
        self.gate.update(config)
        if isinstance(output, Publisher):
            output.set_compression(*_compression(config))
        logger.info("config updated")

    def _report(self, output: Any, source: Subscriber | None) -> Any:
        statistics = self.statistics
        publisher_statistics = getattr(output, "statistics", None)
        if publisher_statistics is not None:
            statistics.output_drops = publisher_statistics.dropped - self._send_retries
            statistics.subscriber_overflows = getattr(publisher_statistics, "subscriber_overflows", 0)
            statistics.bytes_sent = publisher_statistics.bytes_sent
            statistics.header_changes = publisher_statistics.header_changes
            statistics.withheld_values = getattr(publisher_statistics, "withheld_values", 0)
        if self._reorder is not None:
            statistics.late_messages = self._reorder.late
        clients = getattr(output, "clients", None)
        statistics.clients = int(clients) if clients is not None else 0
        if source is not None:
            missed = self._input_misses + source.statistics.missed_pulses + source.statistics.backlog_skips
            decode = self._decode_errors
            decode.count = self._input_decode_errors + source.statistics.decode_errors
            decode.last_reason = source.statistics.last_decode_error or decode.last_reason
            second = self._second
            if second is not None:
                decode.count += second.statistics.decode_errors
                decode.last_reason = second.statistics.last_decode_error or decode.last_reason
            statistics.decode_errors = decode.count
            statistics.input_drops += missed - self._reported_misses
            self._reported_misses = missed
        statistics.pulse_resyncs = self.gate.counters[RESYNCS].count
        self.input_log.update({**self.gate.counters, DECODE_ERRORS: self._decode_errors})
        if self._aligner is not None:  # frames whose second-stream partner never came
            unpaired = self._aligner.unmatched + self._aligner.overflowed
            statistics.input_drops += unpaired - self._reported_unpaired
            self._reported_unpaired = unpaired
        return statistics.report()
