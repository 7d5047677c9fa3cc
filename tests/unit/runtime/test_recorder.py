"""Hdf5Recorder: CamServer's writer layouts (DEFAULT, FLAT, BSH5), read back with plain h5py."""

from __future__ import annotations

import getpass
import json
import os
import re
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from camserver.errors import ConfigError
from camserver.protocol import Timestamp
from camserver.runtime.recorder import Hdf5Recorder


def message(pulse_id: int) -> dict[str, Any]:
    return {
        "image": np.full((4, 6), pulse_id, np.uint16),
        "x": float(pulse_id),
        "count": pulse_id,
        "ok": pulse_id % 2 == 0,
        "gain": np.float32(0.5),
        "name": f"frame {pulse_id}",
    }


def record(path: Path, layout: str, count: int = 5, **options: Any) -> Hdf5Recorder:
    recorder = Hdf5Recorder(path, layout=layout, **options)
    for index in range(count):
        assert recorder.send(message(index), pulse_id=100 + index, timestamp=Timestamp(1700000000 + index, 5))
    recorder.close()
    return recorder


def datasets(file: h5py.File) -> set[str]:
    found: set[str] = set()
    file.visititems(lambda name, item: found.add(name) if isinstance(item, h5py.Dataset) else None)
    return found


CHANNELS = ("image", "x", "count", "ok", "gain", "name")


def test_default_layout_is_camservers(tmp_path: Path) -> None:
    path = tmp_path / "out.h5"
    record(path, "DEFAULT", count=70)  # more than one growth step
    with h5py.File(path, "r") as file:
        assert datasets(file) == {
            *(f"data1/{channel}/{part}" for channel in CHANNELS for part in ("value", "timestamp")),
            "header1/pulse_id", "header1/global_timestamp",
            "general/created", "general/user", "general/pid", "general/host", "general/datasets",
        }  # fmt: skip
        image = file["data1/image/value"]
        assert (image.shape, image.dtype, image.compression) == ((70, 4, 6), np.uint16, None)
        assert image[3, 0, 0] == 3
        assert file["header1/pulse_id"].dtype == np.uint64
        assert file["header1/pulse_id"][:3].tolist() == [100, 101, 102]
        assert file["header1/global_timestamp"].dtype == np.uint64
        assert file["header1/global_timestamp"][1].tolist() == [1700000001, 5]
        assert file["data1/x/timestamp"].dtype == np.uint64
        assert file["data1/x/timestamp"][2].tolist() == [1700000002, 5]
        assert (file["data1/x/value"].dtype, file["data1/count/value"].dtype) == (np.float64, np.int64)
        assert (file["data1/ok/value"].dtype, file["data1/gain/value"].dtype) == (np.bool_, np.float32)
        assert file["data1/ok/value"][:3].tolist() == [True, False, True]
        assert file["data1/name/value"].dtype == np.dtype("S1000")
        assert file["data1/name/value"][4] == b"frame 4"
        general = file["general"]
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d{6}", general["created"][()].decode())
        assert general["user"][()].decode() == getpass.getuser()
        assert general["pid"][()] == os.getpid()
        assert general["host"][()].decode()
        assert general["datasets"][()] == 1


def test_flat_layout_is_camservers(tmp_path: Path) -> None:
    record(tmp_path / "flat.h5", "FLAT")
    with h5py.File(tmp_path / "flat.h5", "r") as file:
        assert {name for name in datasets(file) if not name.startswith("general")} == {
            *(f"data1/{channel}{suffix}" for channel in CHANNELS for suffix in ("", "_timestamp")),
            "header1/pulse_id", "header1/global_timestamp",
        }  # fmt: skip
        assert file["data1/image"].shape == (5, 4, 6)
        assert file["data1/image_timestamp"].shape == (5, 2)
        assert file["header1/pulse_id"][:].tolist() == [100, 101, 102, 103, 104]


def test_bsh5_layout_is_camservers(tmp_path: Path) -> None:
    record(tmp_path / "bsh5.h5", "BSH5")
    with h5py.File(tmp_path / "bsh5.h5", "r") as file:
        assert {name for name in datasets(file) if not name.startswith("general")} == {
            *(f"{channel}/{part}" for channel in CHANNELS for part in ("data", "timestamp")),
            "pulse_id", "global_timestamp",
        }  # fmt: skip
        assert file["image/data"].shape == (5, 4, 6)
        assert file["pulse_id"][:].tolist() == [100, 101, 102, 103, 104]
        assert file["x/timestamp"][0].tolist() == [1700000000, 5]


def test_without_localtime_no_channel_timestamps_are_written(tmp_path: Path) -> None:
    record(tmp_path / "plain.h5", "DEFAULT", localtime=False)
    with h5py.File(tmp_path / "plain.h5", "r") as file:
        assert not any(name.endswith("/timestamp") for name in datasets(file))
        assert file["header1/global_timestamp"].shape == (5, 2)


def test_a_long_string_widens_its_dataset_and_is_kept_whole(tmp_path: Path) -> None:
    parameters = json.dumps({f"key_{index}": "value" * 10 for index in range(60)})
    assert len(parameters) > 1000
    recorder = Hdf5Recorder(tmp_path / "long.h5")
    assert recorder.send({"processing_parameters": parameters}, pulse_id=1)
    assert recorder.send({"processing_parameters": "short"}, pulse_id=2)
    recorder.close()
    with h5py.File(tmp_path / "long.h5", "r") as file:
        values = file["data1/processing_parameters/value"]
        assert json.loads(values[0]) == json.loads(parameters)
        assert values[1] == b"short"
    assert recorder.statistics.truncated_strings == 0


def test_missing_values_and_late_channels_keep_the_fill_value(tmp_path: Path) -> None:
    recorder = Hdf5Recorder(tmp_path / "late.h5")
    assert recorder.send({"fit": 1.5, "n": 1}, pulse_id=1)
    assert recorder.send({"fit": None, "n": None, "late": 7.0}, pulse_id=2)
    recorder.close()
    with h5py.File(tmp_path / "late.h5", "r") as file:
        fit = file["data1/fit/value"][:]
        assert fit[0] == 1.5
        assert np.isnan(fit[1])
        assert file["data1/n/value"][:].tolist() == [1, 0]
        late = file["data1/late/value"][:]
        assert np.isnan(late[0])
        assert late[1] == 7.0


def test_shape_change_without_change_is_refused_and_counted(tmp_path: Path) -> None:
    recorder = Hdf5Recorder(tmp_path / "a.h5")
    assert recorder.send({"image": np.zeros((2, 2))}, pulse_id=1)
    assert not recorder.send({"image": np.zeros((3, 3))}, pulse_id=2)
    assert recorder.send({"image": np.zeros((2, 2))}, pulse_id=3)
    recorder.close()
    assert recorder.statistics.dropped == 1
    with h5py.File(tmp_path / "a.h5", "r") as file:
        assert file["header1/pulse_id"][:].tolist() == [1, 3]


@pytest.mark.parametrize(
    ("layout", "first", "second"),
    [
        ("DEFAULT", ("data1/image/value", "header1/pulse_id"), ("data2/image/value", "header2/pulse_id")),
        ("FLAT", ("data1/image", "header1/pulse_id"), ("data2/image", "header2/pulse_id")),
        ("BSH5", ("image/data", "pulse_id"), ("image2/data", "pulse_id2")),
    ],
)
def test_shape_change_with_change_opens_a_new_segment(
    tmp_path: Path, layout: str, first: tuple[str, str], second: tuple[str, str]
) -> None:
    recorder = Hdf5Recorder(tmp_path / "b.h5", layout=layout, change=True)
    assert recorder.send({"image": np.zeros((2, 2))}, pulse_id=1)
    assert recorder.send({"image": np.ones((3, 3))}, pulse_id=2)
    assert recorder.send({"image": np.ones((3, 3))}, pulse_id=3)
    recorder.close()
    with h5py.File(tmp_path / "b.h5", "r") as file:
        assert file[first[0]].shape == (1, 2, 2)
        assert file[first[1]][:].tolist() == [1]
        assert file[second[0]].shape == (2, 3, 3)
        assert file[second[1]][:].tolist() == [2, 3]
        assert file["general/datasets"][()] == 2


def test_bad_layout_and_unwritable_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layout"):
        Hdf5Recorder(tmp_path / "c.h5", layout="NESTED")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot create"):
        Hdf5Recorder(blocker / "x.h5")
