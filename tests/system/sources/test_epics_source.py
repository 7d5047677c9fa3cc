"""EpicsSource and AreaDetectorSource against a real Channel Access server (caproto) on loopback."""

from __future__ import annotations

import time

import numpy as np
import pytest

from camserver.errors import SourceError
from camserver.sources import AreaDetectorSource, EpicsSource, Frame
from camserver.testing import IocProcess, ca_environment, free_ca_ports
from camserver.testing.epics_ioc import ad_marker, caput

pytestmark = pytest.mark.system


def _next_frame(source: EpicsSource | AreaDetectorSource, deadline_s: float = 20.0) -> Frame:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        frame = source.read(0.2)
        if frame is not None:
            return frame
    raise AssertionError(f"no frame within {deadline_s} s")


def test_an_online_camera_streams_frames_of_its_geometry_with_epics_timestamps(ioc: IocProcess) -> None:
    source = EpicsSource("SIM:CAM")
    source.open()
    try:
        assert source.geometry == (64, 48)
        frames = [_next_frame(source) for _ in range(3)]
        for frame in frames:
            assert frame.image.shape == (48, 64)
            assert frame.image.dtype == np.int16 and frame.image.dtype.isnative
            assert frame.image.max() > 1000  # the beam
            assert frame.pulse_id is None
            assert frame.timestamp is not None and abs(frame.timestamp.seconds - time.time()) < 600
        stamps = [frame.timestamp for frame in frames if frame.timestamp]
        assert stamps == sorted(stamps) and len(set(stamps)) == 3
    finally:
        source.close()


def test_a_camera_that_does_not_answer_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ca_environment(*free_ca_ports()).items():
        monkeypatch.setenv(name, value)
    source = EpicsSource("NO:SUCH:CAM", connect_timeout=0.5)
    with pytest.raises(SourceError, match="^Camera with prefix NO:SUCH:CAM is offline$"):
        source.open()
    assert source.geometry is None


def test_a_camera_whose_init_is_not_init_is_not_initialized(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("OFF:CAM", rate=5, status="OFFLINE")
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)
    expected = "^Camera with prefix OFF:CAM is not initialized - Status OFFLINE$"
    with process, pytest.raises(SourceError, match=expected):
        EpicsSource("OFF:CAM").open()


def test_a_geometry_change_while_streaming_applies_from_the_next_frame(ioc: IocProcess) -> None:
    source = EpicsSource("SIM:CAM")
    source.open()
    try:
        assert _next_frame(source).image.shape == (48, 64)
        caput("SIM:CAM:WIDTH", 40)
        caput("SIM:CAM:HEIGHT", 30)
        images = []
        deadline = time.monotonic() + 20.0
        while (not images or images[-1].shape != (30, 40)) and time.monotonic() < deadline:
            frame = source.read(0.2)
            if frame is not None:
                images.append(frame.image)
        assert images[-1].shape == (30, 40)
        # The IOC may apply the two puts in two frame periods, so a 40 x 48 picture can come between.
        assert {image.shape for image in images} <= {(48, 64), (48, 40), (30, 40)}
        for image in images:  # each one a whole picture of its size: the beam centred, not sheared
            height, width = image.shape
            assert abs(int(np.argmax(image.sum(axis=0))) - width / 2) <= 6
            assert abs(int(np.argmax(image.sum(axis=1))) - height / 2) <= 6
        assert source.geometry == (40, 30)
    finally:
        source.close()


def test_frames_resume_by_themselves_when_the_ioc_restarts(ioc: IocProcess) -> None:
    source = EpicsSource("SIM:CAM")
    source.open()
    try:
        _next_frame(source)
        ioc.stop()
        deadline = time.monotonic() + 20.0
        while source.connected and time.monotonic() < deadline:
            source.read(0.1)
        assert not source.connected
        while source.read(0.1) is not None and time.monotonic() < deadline:
            pass  # frames queued before the IOC went away
        assert source.read(0.3) is None
        ioc.start()
        frame = _next_frame(source, 30.0)
        assert frame.image.shape == (48, 64)
        assert source.connected
    finally:
        source.close()


def test_area_detector_unsigned_data_are_reinterpreted_exactly_with_pulse_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    process = IocProcess("AD:CAM", rate=20, width=32, height=24, ad_data_type="UInt16")
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)
    with process:
        source = AreaDetectorSource("AD:CAM")
        source.open()
        try:
            assert source.geometry == (32, 24) and source.data_type == "UInt16"
            frames = [_next_frame(source) for _ in range(4)]
            for frame in frames:
                assert frame.image.dtype == np.uint16 and frame.image.shape == (24, 32)
                assert frame.pulse_id is not None
                assert int(frame.image[0, 0]) == ad_marker("UInt16", frame.pulse_id)  # > 32767: exact
                assert frame.image.max() > 32767
            pulse_ids = [frame.pulse_id for frame in frames if frame.pulse_id is not None]
            assert pulse_ids == sorted(set(pulse_ids))
        finally:
            source.close()


def test_area_detector_pairs_arrays_that_come_before_the_first_counter_update(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter read at open carries the IOC's time stamp, so an array whose counter update has not
    arrived yet is paired by time from the very first frame (it was paired with the old counter)."""
    from camserver.sources.epics_client import ChannelAccessClient

    process = IocProcess("AD:CAM", rate=20, width=32, height=24, ad_data_type="UInt16")
    for name, value in process.environment.items():
        monkeypatch.setenv(name, value)
    with process:
        client = ChannelAccessClient(timeout=3.0)
        try:
            assert client.connect(["AD:CAM:cam1:ArrayCounter_RBV"]) == []
            counter, stamped = client.read_stamped_number("AD:CAM:cam1:ArrayCounter_RBV")
        finally:
            client.close()
        assert stamped is not None and abs(stamped.sec - time.time()) < 3600
        source = AreaDetectorSource("AD:CAM")
        source._width, source._height = 32, 24
        source._on_counter([counter], stamped)  # what open() now does with the stamped read
        later = type(stamped)(stamped.sec + 1, stamped.ns)
        source._on_picture(np.zeros(32 * 24, dtype=np.int16), later)  # its counter update not yet here
        frame = source._queue.get(0)
        assert frame is not None and frame.pulse_id == int(counter) + 1


def test_area_detector_offline_message(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ca_environment(*free_ca_ports()).items():
        monkeypatch.setenv(name, value)
    source = AreaDetectorSource("NO:AD", connect_timeout=0.3)
    with pytest.raises(SourceError, match="^Camera with prefix NO:AD is offline$"):
        source.open()
