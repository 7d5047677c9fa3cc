"""``camserver stream``, ``record`` and ``background``: live data from the server's instances."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np

from tests.integration.cli.conftest import Invoke


def test_stream_prints_chosen_channels(camserver: Invoke) -> None:
    streamed = camserver("stream", "sim", "image", "width", "--count", "3", "--camera")
    assert streamed.exit_code == 0
    lines = streamed.stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert re.fullmatch(r"\d+  image=uint16\[48x64\] min=\d+ max=\d+  width=64", line), line
    everything = camserver("stream", "sim", "--count", "1")
    assert everything.exit_code == 0
    assert "x_axis=float" in everything.stdout
    assert "timestamp=" in everything.stdout


def test_stream_errors(camserver: Invoke) -> None:
    missing = camserver("stream", "sim", "nope", "--count", "1")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no channel 'nope' in tcp://127.0.0.1:")
    assert "(channels: image, " in missing.stderr
    unknown = camserver("stream", "nothing", "--count", "1")
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no pipeline instance, pipeline or camera is called 'nothing'\n"
    silent = camserver("stream", "tcp://127.0.0.1:9", "--timeout", "0.2")
    assert silent.exit_code == 1
    assert silent.stderr == "error: no message from tcp://127.0.0.1:9 within 0.2 s\n"
    assert camserver("stream", "sim", "--camera", "--pipeline").exit_code == 2
    assert camserver("stream", "sim", "--count", "0").exit_code == 2


def test_record_writes_hdf5(camserver: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "run" / "sim.h5"
    recorded = camserver("record", "sim", str(target), "--count", "3")
    assert recorded.exit_code == 0
    assert recorded.stdout == f"recorded 3 messages to {target}\n"
    assert "3/3" in recorded.stderr  # the progress bar
    with h5py.File(target, "r") as file:
        images = file["data1/image/value"][:]
        pulse_ids = file["header1/pulse_id"][:]
    assert images.shape == (3, 48, 64)
    assert images.dtype == np.uint16
    assert np.all(np.diff(pulse_ids) > 0)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    unwritable = camserver("record", "sim", str(blocker / "x.h5"), "--count", "1")
    assert unwritable.exit_code == 1
    assert unwritable.stderr.startswith(f"error: cannot create {blocker / 'x.h5'}")


def test_record_chosen_channels_of_a_pipeline(camserver: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "processed.h5"
    recorded = camserver("record", "sim_sp", str(target), "x_center_of_mass", "image", "--count", "2")
    assert recorded.exit_code == 0, recorded.output
    with h5py.File(target, "r") as file:
        assert sorted(file["data1"]) == ["image", "x_center_of_mass"]
        assert file["data1/x_center_of_mass/value"].shape == (2,)
    missing = camserver("record", "sim_sp", str(target), "nope", "--count", "1")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: no channel 'nope' in tcp://")


def test_record_flat_layout_by_seconds(camserver: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "flat.h5"
    recorded = camserver("record", "sim", str(target), "--seconds", "0.5", "--layout", "flat", "--no-localtime")
    assert recorded.exit_code == 0
    with h5py.File(target, "r") as file:
        assert file["data1/image"].shape[1:] == (48, 64)
        assert file["data1/image"].shape[0] == file["header1/pulse_id"].shape[0] >= 1
        assert "image_timestamp" not in file["data1"]


def test_record_bsh5_layout(camserver: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "bsh5.h5"
    recorded = camserver("record", "sim", str(target), "--count", "2", "--layout", "BSH5")
    assert recorded.exit_code == 0
    with h5py.File(target, "r") as file:
        assert file["image/data"].shape == (2, 48, 64)
        assert file["image/timestamp"].shape == (2, 2)
        assert file["pulse_id"].shape == (2,)


def test_background_collect_and_list(camserver: Invoke) -> None:
    collected = camserver("background", "collect", "sim", "-n", "2")
    assert collected.exit_code == 0
    background_id = collected.stdout.strip()
    assert re.fullmatch(r"sim_\d{8}_\d{6}_\d{6}", background_id)
    listed = camserver("background", "list", "sim")
    assert background_id in listed.stdout.splitlines()
    unknown = camserver("background", "collect", "nothing")
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: Camera 'nothing' does not exist.\n"
    assert camserver("background", "collect", "sim", "-n", "0").exit_code == 2
