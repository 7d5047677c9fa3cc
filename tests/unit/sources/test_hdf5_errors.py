"""Hdf5Source: clear errors for what cannot be replayed."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from camserver.errors import ConfigError, SourceError
from camserver.models import Hdf5Camera
from camserver.sources import Hdf5Source


def _source(source: str) -> Hdf5Source:
    return Hdf5Source(Hdf5Camera.load({"source": source, "source_type": "hdf5"}))


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as file:
        file["images"] = np.zeros((2, 3, 4), np.uint16)
        file["flat"] = np.zeros((3, 4), np.uint16)
        file["empty"] = np.zeros((0, 3, 4), np.uint16)
        file.create_group("group")
    return path


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nothere\.h5' does not exist"):
        _source(f"{tmp_path}/nothere.h5:/images").open()


def test_a_missing_dataset_is_named(data_file: Path) -> None:
    with pytest.raises(SourceError, match="'/absent' in .* does not exist"):
        _source(f"{data_file}:/absent").open()


def test_a_group_is_not_a_dataset(data_file: Path) -> None:
    with pytest.raises(SourceError, match="is not a dataset"):
        _source(f"{data_file}:/group").open()


@pytest.mark.parametrize("dataset", ["/flat", "/empty"])
def test_a_dataset_must_be_3d_with_frames(data_file: Path, dataset: str) -> None:
    with pytest.raises(SourceError, match="needs a 3-D dataset"):
        _source(f"{data_file}:{dataset}").open()


def test_a_file_that_is_not_hdf5_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "text.h5"
    path.write_text("not hdf5")
    with pytest.raises(SourceError, match="cannot open HDF5 file"):
        _source(f"{path}:/images").open()


@pytest.mark.parametrize("source", ["data.h5", "data.h5:images", "data.h5:/", ":/images"])
def test_source_must_be_file_colon_dataset(source: str) -> None:
    with pytest.raises(ConfigError, match="file.h5:/dataset"):
        _source(source)


def test_a_good_dataset_opens_with_its_geometry(data_file: Path) -> None:
    source = _source(f"{data_file}:/images")
    source.open()
    try:
        assert source.geometry == (4, 3)
        assert source.frames == 2
    finally:
        source.close()
