"""A bsread camera without ``url`` reads its stream address from ``<prefix>:BSREADCONFIG`` (caproto IOC on loopback)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from camserver.errors import SourceError
from camserver.models import CameraConfig
from camserver.protocol import Timestamp
from camserver.sources import BsreadCameraSource, create_source, read_stream_address
from camserver.testing import IocProcess, ca_environment, free_ca_ports
from camserver.transport import Publisher

pytestmark = pytest.mark.system


def _environment(monkeypatch: pytest.MonkeyPatch, process: IocProcess) -> None:
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)


def test_the_stream_announced_in_bsreadconfig_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    with Publisher("tcp://127.0.0.1:0", mode="PUSH", block=True, send_timeout=10.0) as publisher:
        process = IocProcess("BS:CAM", rate=2, bsread_address=publisher.address)
        _environment(monkeypatch, process)
        with process:
            assert read_stream_address("BS:CAM") == publisher.address
            source = create_source(CameraConfig.load({"source": "BS:CAM", "source_type": "bsread"}))
            assert isinstance(source, BsreadCameraSource)
            source.open()
            try:
                assert source.address == publisher.address
                image = np.arange(20, dtype=np.uint16).reshape(4, 5)
                publisher.send({"BS:CAM:FPICTURE": image}, pulse_id=77, timestamp=Timestamp(1_700_000_000, 77))
                deadline = time.monotonic() + 20.0
                frame = None
                while frame is None and time.monotonic() < deadline:
                    frame = source.read(0.2)
                assert frame is not None and frame.pulse_id == 77
                np.testing.assert_array_equal(frame.image, image)
            finally:
                source.close()


def test_a_camera_announcing_no_stream_cannot_open(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("EMPTY:CAM", rate=2, bsread_address="")
    _environment(monkeypatch, process)
    with process, pytest.raises(SourceError, match=r"^Could not fetch bsread stream address for cam_server:EMPTY:CAM"):
        create_source(CameraConfig.load({"source": "EMPTY:CAM", "source_type": "bsread"})).open()


def test_a_camera_without_bsreadconfig_cannot_open(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("PLAIN:CAM", rate=2)
    _environment(monkeypatch, process)
    with process, pytest.raises(SourceError, match=r"no answer from PLAIN:CAM:BSREADCONFIG"):
        read_stream_address("PLAIN:CAM", timeout=1.0)


def test_an_offline_camera_is_offline_as_camserver_says(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ca_environment(*free_ca_ports()).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SourceError, match="^Camera with prefix GONE:CAM is offline$"):
        read_stream_address("GONE:CAM", timeout=0.5)


def test_a_camera_not_initialized_is_refused_as_camserver_says(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("OFF:BS", rate=2, status="OFFLINE", bsread_address="tcp://127.0.0.1:9")
    _environment(monkeypatch, process)
    with process, pytest.raises(SourceError, match="^Camera with prefix OFF:BS is not initialized - Status OFFLINE$"):
        read_stream_address("OFF:BS")
