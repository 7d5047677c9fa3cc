"""BsreadSource settings by source type (no socket is opened here)."""

from __future__ import annotations

from typing import Any

from camserver.models import BsreadCamera
from camserver.sources import BsreadSource
from camserver.transport import SocketMode


def _source(**config: Any) -> BsreadSource:
    return BsreadSource(BsreadCamera.load(config))


def test_bsread_reads_url_with_pull_and_the_fpicture_channel_of_its_prefix() -> None:
    source = _source(source="CAM1", source_type="bsread", url="tcp://127.0.0.1:9000")
    assert (source.address, source.mode, source.channel) == ("tcp://127.0.0.1:9000", SocketMode.PULL, "CAM1:FPICTURE")
    assert source.checks == {"enforce_pid": True, "enforce_timestamp": True, "check_timestamp": True}


def test_bsread_simulation_listens_on_the_fixed_stream_unless_url_is_given() -> None:
    assert _source(source="SIM", source_type="bsread_simulation").address == "tcp://127.0.0.1:9999"
    given = _source(source="SIM", source_type="bsread_simulation", url="tcp://127.0.0.1:9100")
    assert given.address == "tcp://127.0.0.1:9100"


def test_channel_streams_subscribe_to_source_and_find_the_image_themselves() -> None:
    source = _source(source="tcp://127.0.0.1:9001", source_type="bschannel")
    assert (source.address, source.mode, source.channel) == ("tcp://127.0.0.1:9001", SocketMode.SUB, None)
    assert not any(source.checks.values())
    assert source.timeout is None


def test_channel_streams_run_the_checks_the_config_sets_and_take_mode_and_timeout() -> None:
    source = _source(source="tcp://127.0.0.1:9001", source_type="bschannel", mode="pull", enforce_pid=True, timeout=2.5)
    assert source.mode is SocketMode.PULL
    assert source.checks == {"enforce_pid": True, "enforce_timestamp": False, "check_timestamp": False}
    assert source.timeout == 2.5
