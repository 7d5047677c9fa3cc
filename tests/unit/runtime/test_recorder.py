"""Hdf5Recorder: the documented layouts, readable back with h5py."""

from __future__ import annotations

from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401 - registers the bitshuffle filter for reading
import numpy as np
import pytest

from camserver.errors import ConfigError
from camserver.protocol import Timestamp
from camserver.runtime.recorder import Hdf5Recorder


def record(path: Path, layout: str, count: int = 5, **options: bool) -> Hdf5Recorder:
    recorder = Hdf5Recorder(path, layout=layout, **options)
    for pulse_id in range(count):
        data = {
            "image": np.full((4, 6), pulse_id, np.uint16),
            "x": float(pulse_id),
            "name": f"frame {pulse_id}",
            "maybe": None if pulse_id % 2 else pulse_id,
        }
        assert recorder.send(data, pulse_id=100 + pulse_id, timestamp=Timestamp(1700000000 + pulse_id, 5))
    recorder.close()
    return recorder


def test_default_layout(tmp_path: Path) -> None:
    path = tmp_path / "out.h5"
    record(path, "DEFAULT", count=70)  # more than one growth step
    with h5py.File(path, "r") as file:
        assert file["data/image/value"].shape == (70, 4, 6)
        assert file["data/image/value"][3, 0, 0] == 3
        assert list(file["header/pulse_id"][:3]) == [100, 101, 102]
        assert list(file["header/global_timestamp"][1]) == [1700000001, 5]
        assert file["data/x/timestamp"][2] == pytest.approx(1700000002.000000005)
        assert file["data/name/value"][4].decode() == "frame 4"
        assert list(file["data/maybe/valid"][:4]) == [True, False, True, False]
        assert file.attrs["records"] == 70
        assert "created" in file["general"].attrs


def test_flat_and_bsh5_layouts(tmp_path: Path) -> None:
    record(tmp_path / "flat.h5", "FLAT")
    with h5py.File(tmp_path / "flat.h5", "r") as file:
        assert file["data/image"].shape == (5, 4, 6)
        assert file["data/image_timestamp"].shape == (5,)
    record(tmp_path / "bsh5.h5", "BSH5")
    with h5py.File(tmp_path / "bsh5.h5", "r") as file:
        assert file["image/data"].shape == (5, 4, 6)
        assert list(file["x/pulse_id"][:]) == [100, 101, 102, 103, 104]


def test_shape_change_without_change_is_refused_and_counted(tmp_path: Path) -> None:
    recorder = Hdf5Recorder(tmp_path / "a.h5")
    assert recorder.send({"image": np.zeros((2, 2))}, pulse_id=1)
    assert not recorder.send({"image": np.zeros((3, 3))}, pulse_id=2)
    recorder.close()
    assert recorder.statistics.dropped == 1


def test_shape_change_with_change_opens_a_new_segment(tmp_path: Path) -> None:
    recorder = Hdf5Recorder(tmp_path / "b.h5", change=True)
    assert recorder.send({"image": np.zeros((2, 2))}, pulse_id=1)
    assert recorder.send({"image": np.ones((3, 3))}, pulse_id=2)
    recorder.close()
    with h5py.File(tmp_path / "b.h5", "r") as file:
        assert file["data/image/value"].shape == (1, 2, 2)
        assert file["data1/image/value"].shape == (1, 3, 3)
        assert list(file["header1/pulse_id"][:]) == [2]


def test_bad_layout_and_unwritable_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layout"):
        Hdf5Recorder(tmp_path / "c.h5", layout="NESTED")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot create"):
        Hdf5Recorder(blocker / "x.h5")
