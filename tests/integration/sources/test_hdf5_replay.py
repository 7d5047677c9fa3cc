"""Hdf5Source replays a real file from tmp_path, paced by an injected clock."""

from __future__ import annotations

from pathlib import Path

import h5py
import hdf5plugin
import numpy as np
import pytest

from camserver.models import CameraConfig, Hdf5Camera
from camserver.sources import Hdf5Source, create_source
from tests.unit.sources.fake_clock import FakeClock


@pytest.fixture(params=["plain", "bitshuffle_lz4"])
def recording(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, np.ndarray]:
    frames = np.arange(3 * 5 * 7, dtype=np.uint16).reshape(3, 5, 7)
    path = tmp_path / "recording.h5"
    with h5py.File(path, "w") as file:
        options = hdf5plugin.Bitshuffle(cname="lz4") if request.param == "bitshuffle_lz4" else {}
        file.create_dataset("camera/images", data=frames, chunks=(1, 5, 7), **options)
    return path, frames


def test_frames_are_replayed_cyclically_at_the_frame_rate(recording: tuple[Path, np.ndarray]) -> None:
    path, frames = recording
    fake = FakeClock()
    config = Hdf5Camera.load({"source": f"{path}:/camera/images", "source_type": "hdf5", "frame_rate": 20})
    source = Hdf5Source(config, clock=fake, sleep=fake.sleep)
    source.open()
    try:
        start = fake.now
        read = [source.read(1.0) for _ in range(7)]
        assert fake.now == pytest.approx(start + 6 / 20)
        assert [frame.pulse_id for frame in read if frame] == list(range(7))
        for index, frame in enumerate(read):
            assert frame is not None
            np.testing.assert_array_equal(frame.image, frames[index % 3])
            assert frame.image.dtype == np.uint16
        assert source.geometry == (7, 5)
        fake.advance(0.2)  # four periods late: within the buffer, the late frames come in order
        late = [source.read(1.0) for _ in range(4)]
        assert [frame.pulse_id for frame in late if frame] == [7, 8, 9, 10]
        assert source.dropped == 0
        fake.advance(0.5)  # ten periods late: the oldest frames beyond the buffer are dropped
        latest = source.read(1.0)
        assert latest is not None
        assert latest.pulse_id == 16
        assert source.dropped == 5
    finally:
        source.close()


def test_the_registry_makes_an_hdf5_source_that_reads_the_file(recording: tuple[Path, np.ndarray]) -> None:
    path, frames = recording
    source = create_source(CameraConfig.load({"source": f"{path}:/camera/images", "source_type": "hdf5"}))
    source.open()
    try:
        frame = source.read(5.0)
        assert frame is not None
        np.testing.assert_array_equal(frame.image, frames[0])
    finally:
        source.close()
