"""The simulation camera: CamServer's beam, exact types, and pacing by an injected clock."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from camserver.models import SimulationCamera
from camserver.sources import SimulatedBeam, SimulationSource
from tests.unit.sources.fake_clock import FakeClock


def _source(fake: FakeClock | None = None, **config: Any) -> SimulationSource:
    fake = fake or FakeClock()
    camera = SimulationCamera.load({"source": "sim", "source_type": "simulation", **config})
    source = SimulationSource(camera, clock=fake, sleep=fake.sleep, seed=1)
    source.open()
    return source


def _read(source: SimulationSource) -> np.ndarray[Any, Any]:
    frame = source.read(10.0)
    assert frame is not None
    return frame.image


def test_a_beam_frame_has_the_configured_shape_and_uint16_by_default() -> None:
    source = _source(size_x=320, size_y=200)
    image = _read(source)
    assert image.shape == (200, 320)
    assert image.dtype == np.uint16
    assert source.geometry == (320, 200)


def _beam_centre(image: np.ndarray[Any, Any]) -> tuple[float, float]:
    """Centre of mass of what stands above the noise; isolated dead pixels are left out."""
    signal = np.clip(image.astype(np.float64) - 0.1 * 65535, 0, None)
    beam = signal[:, 1:] * (signal[:, :-1] > 0) * (np.roll(signal, -1, axis=1)[:, 1:] > 0)
    rows, columns = np.indices(beam.shape)
    total = beam.sum()
    return float((rows * beam).sum() / total), float((columns * beam).sum() / total + 1)


def test_the_beam_is_where_camserver_puts_it_and_jitters() -> None:
    source = _source(size_x=640, size_y=480)
    centres = set()
    for _ in range(5):
        row, column = _beam_centre(_read(source))
        # CamServer's grid: the centre moves by up to 1 unit: 16 px in x, 2.4 px in y for this size
        assert 319.5 - 16 - 1 <= column <= 319.5 + 1
        assert 239.5 - 2.4 - 1 <= row <= 239.5 + 1
        centres.add(round(column))
    assert len(centres) > 1


def test_values_are_clipped_at_nine_tenths_of_full_scale_with_noise_below_a_tenth() -> None:
    image = _read(_source(size_x=256, size_y=256))
    assert image.max() == int(0.9 * 65535)
    corner = image[:20, :20].astype(np.int64)  # far from the beam
    assert corner.max() <= int(0.1 * 65535) or (corner == int(0.9 * 65535)).any()  # or a dead pixel
    assert corner.std() > 100  # noise, not a constant


def test_int16_is_scaled_to_its_range_instead_of_overflowing() -> None:
    image = _read(_source(size_x=128, size_y=96, dtype="int16"))
    assert image.dtype == np.int16
    assert image.min() >= 0
    assert image.max() == int(0.9 * 32767)


@pytest.mark.parametrize(("dtype", "top"), [("uint8", 229), ("float32", 0.9 * 65535), ("uint32", 58981)])
def test_other_types_have_their_full_scale(dtype: str, top: float) -> None:
    image = _read(_source(size_x=64, size_y=64, dtype=dtype))
    assert image.dtype == np.dtype(dtype)
    assert float(image.max()) == pytest.approx(top, rel=1e-6)


def test_raw_frames_are_noise_only() -> None:
    image = _read(_source(size_x=200, size_y=100, image_type="raw"))
    assert image.max() <= int(0.1 * 65535)
    assert image.mean() == pytest.approx(0.05 * 65535, rel=0.1)


@pytest.mark.parametrize("image_type", ["static_beam", "static_raw"])
def test_static_types_repeat_one_read_only_image(image_type: str) -> None:
    source = _source(size_x=64, size_y=48, image_type=image_type)
    first, second = _read(source), _read(source)
    assert first is second
    assert not first.flags.writeable


def test_moving_types_make_a_new_image_each_frame() -> None:
    source = _source(size_x=64, size_y=48)
    first, second = _read(source), _read(source)
    assert first is not second
    assert not np.array_equal(first, second)


def test_frames_come_at_the_configured_rate_with_counting_pulse_ids() -> None:
    fake = FakeClock()
    source = _source(fake, size_x=32, size_y=32, frame_rate=25.0)
    start = fake.now
    frames = [source.read(1.0) for _ in range(50)]
    assert [frame.pulse_id for frame in frames if frame] == list(range(50))
    assert fake.now == pytest.approx(start + 49 / 25.0)
    stamps = [frame.timestamp.seconds for frame in frames if frame and frame.timestamp]
    assert np.diff(stamps) == pytest.approx(np.full(49, 0.04), abs=1e-6)


def test_read_returns_none_when_the_next_frame_is_later_than_the_timeout() -> None:
    fake = FakeClock()
    source = _source(fake, size_x=32, size_y=32, frame_rate=1.0)
    assert source.read(0.5) is not None
    assert source.read(0.5) is None
    assert source.read(0.6) is not None  # due 1 s after the first: 0.5 + 0.5 slept


def test_a_reader_that_falls_behind_gets_the_buffered_frames_and_loses_the_rest() -> None:
    fake = FakeClock()
    source = _source(fake, size_x=32, size_y=32, frame_rate=100.0)
    assert source.read(1.0) is not None
    fake.advance(0.0355)  # 3.55 periods: frames 1..3 are due, within the camera's buffer of 4
    assert [frame.pulse_id for frame in (source.read(1.0), source.read(1.0), source.read(1.0)) if frame] == [1, 2, 3]
    assert source.dropped == 0
    fake.advance(0.0955)  # frames 4..13 are due: the newest one and the 4 buffered before it are kept
    frame = source.read(1.0)
    assert frame is not None
    assert frame.pulse_id == 9
    assert source.dropped == 5
    frame = source.read(1.0)
    assert frame is not None
    assert frame.pulse_id == 10


def test_simulated_beam_reports_its_centre_for_given_jitters() -> None:
    beam = SimulatedBeam(1281, 201)
    assert beam.centre(0.0, 0.0) == (100.0, 640.0)
    row, column = beam.centre(1.0, 1.0)
    assert row == pytest.approx(99.0) and column == pytest.approx(608.0)
