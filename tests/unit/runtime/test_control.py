"""The control channel and log forwarding between an instance and its server."""

from __future__ import annotations

import logging
import multiprocessing

from camserver.runtime.control import (
    ConfigCommand,
    LogReport,
    PipeChannel,
    Report,
    StartedReport,
    StopCommand,
)
from camserver.runtime.log_forwarder import LogForwarder


def test_commands_arrive_and_reports_leave() -> None:
    server, instance = multiprocessing.Pipe(duplex=True)
    channel = PipeChannel(instance)
    assert channel.commands() == []
    server.send(ConfigCommand({"camera_name": "x"}, {"background_file": None}))
    server.send(StopCommand("bye"))
    commands = channel.commands()
    assert commands == [ConfigCommand({"camera_name": "x"}, {"background_file": None}), StopCommand("bye")]
    channel.send(StartedReport("tcp://127.0.0.1:1", 42))
    assert server.recv() == StartedReport("tcp://127.0.0.1:1", 42)


def test_a_lost_server_means_stop() -> None:
    server, instance = multiprocessing.Pipe(duplex=True)
    channel = PipeChannel(instance)
    server.close()
    commands = channel.commands()
    assert len(commands) == 1
    assert isinstance(commands[0], StopCommand)
    channel.send(StartedReport("x", 1))  # does not raise
    assert isinstance(channel.commands()[0], StopCommand)


class Recorder:
    def __init__(self) -> None:
        self.reports: list[Report] = []

    def commands(self) -> list[object]:
        return []

    def send(self, report: Report) -> None:
        self.reports.append(report)


def test_log_forwarder_sends_records_and_limits_bursts() -> None:
    recorder = Recorder()
    handler = LogForwarder(recorder, burst=3)  # type: ignore[arg-type]
    logger = logging.getLogger("camserver.test.forwarder")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for index in range(10):
            logger.warning("frame %d failed", index)
    finally:
        logger.removeHandler(handler)
    records = [report.record for report in recorder.reports if isinstance(report, LogReport)]
    assert len(records) == 3
    assert records[0][1:] == ["camserver.test.forwarder", "WARNING", "frame 0 failed"]
