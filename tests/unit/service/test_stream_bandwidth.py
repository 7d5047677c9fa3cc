"""What a stream claims of its node's network: frame size x rate, after compression."""

from __future__ import annotations

import pytest

from camserver.models.camera import CameraConfig
from camserver.models.pipeline import PipelineConfig
from camserver.service.stream_bandwidth import camera_bandwidth, megabits, pipeline_bandwidth

SIMULATION = {"source": "", "source_type": "simulation", "size_x": 1280, "size_y": 960, "frame_rate": 100}


def test_megabits_of_a_stream() -> None:
    assert megabits(1280 * 960 * 2, 100) == pytest.approx(1966.08)
    assert megabits(1000, 1000, compression="bitshuffle_lz4") == pytest.approx(8 / 2.5)


def test_a_simulated_camera_claims_its_frames_times_its_rate() -> None:
    assert camera_bandwidth(CameraConfig.load(SIMULATION)) == pytest.approx(1966.08)
    binned = CameraConfig.load({**SIMULATION, "binning_x": 2, "binning_y": 2, "dtype": "uint8"})
    assert camera_bandwidth(binned) == pytest.approx(1280 * 960 / 4 * 100 * 8 / 1e6)
    cropped = CameraConfig.load({**SIMULATION, "roi": [0, 100, 0, 50]})
    assert camera_bandwidth(cropped) == pytest.approx(100 * 50 * 2 * 100 * 8 / 1e6)
    compressed = CameraConfig.load({**SIMULATION, "image_compression": "bitshuffle_lz4"})
    assert camera_bandwidth(compressed) == pytest.approx(1966.08 / 2.5)


def test_measured_figures_win_and_unknown_cameras_claim_the_default() -> None:
    epics = CameraConfig.load({"source": "X:CAM", "source_type": "epics"})
    assert camera_bandwidth(epics, default=123.0) == 123.0
    assert camera_bandwidth(epics, measured=(100, 100, 2, 10.0), default=123.0) == pytest.approx(1.6)
    assert camera_bandwidth(epics, measured=(100, 100, 2, 0.0), default=123.0) == 123.0  # no rate measured


def test_a_pipeline_claims_its_cameras_stream_unless_it_writes_a_file() -> None:
    assert pipeline_bandwidth(PipelineConfig.load({"camera_name": "c"}), 500.0) == 500.0
    compressed = PipelineConfig.load({"camera_name": "c", "data_compression": "bitshuffle_lz4"})
    assert pipeline_bandwidth(compressed, 500.0) == pytest.approx(200.0)
    to_file = PipelineConfig.load({"camera_name": "c", "mode": "FILE", "file": "x.h5"})
    assert pipeline_bandwidth(to_file, 500.0) == 0.0
