"""The ``pva`` source against a p4p PV Access server on loopback, plain and codec-compressed arrays."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from camserver.errors import SourceError
from camserver.models import CameraConfig
from camserver.sources import Frame, PvaSource, create_source
from camserver.testing.pva_server import PvaImageServer, compress, ndarray_value

pytestmark = pytest.mark.system

_PV = "TEST:PVA:Image"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[PvaImageServer]:
    with PvaImageServer(_PV) as running:
        for name, value in running.client_environment.items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def source(server: PvaImageServer) -> Iterator[PvaSource]:
    opened = create_source(CameraConfig.load({"source": _PV, "source_type": "pva"}))
    assert isinstance(opened, PvaSource)
    opened.open()
    try:
        yield opened
    finally:
        opened.close()


def _frame_with(source: PvaSource, pulse_id: int) -> Frame:
    """The frame of ``pulse_id`` (the monitor first delivers the PV's current value)."""
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        frame = source.read(0.2)
        if frame is not None and frame.pulse_id == pulse_id:
            return frame
    raise AssertionError(f"no frame {pulse_id} within 20 s")


def _image(dtype: str) -> np.ndarray:
    rows, columns = np.mgrid[0:24, 0:32]
    return ((rows * 32 + columns) * 7 % 250).astype(dtype)


def test_plain_arrays_arrive_with_their_unique_id_and_timestamp(server: PvaImageServer, source: PvaSource) -> None:
    image = _image("uint16") * 200
    server.post(ndarray_value(image, unique_id=11, timestamp=1_700_000_000.25))
    frame = _frame_with(source, 11)
    np.testing.assert_array_equal(frame.image, image)
    assert frame.image.dtype == np.uint16
    assert frame.timestamp is not None and (frame.timestamp.sec, frame.timestamp.ns) == (1_700_000_000, 250_000_000)
    assert source.geometry == (32, 24)


@pytest.mark.parametrize("codec", ["lz4", "bslz4", "blosc"])
@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint16", "int32", "float32", "float64"])
def test_codec_compressed_arrays_are_decoded_bit_for_bit(
    server: PvaImageServer, source: PvaSource, codec: str, dtype: str
) -> None:
    image = _image(dtype)
    server.post(ndarray_value(image, unique_id=21, codec=codec))
    frame = _frame_with(source, 21)
    assert frame.image.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(frame.image, image)
    assert source.dropped == 0


def test_a_jpeg_compressed_array_is_decoded(server: PvaImageServer, source: PvaSource) -> None:
    image = _image("uint8")
    server.post(ndarray_value(image, unique_id=31, codec="jpeg"))
    frame = _frame_with(source, 31)
    assert frame.image.shape == (24, 32) and np.abs(frame.image.astype(int) - image).mean() < 2


def test_an_undecodable_array_is_counted_and_the_next_one_arrives(server: PvaImageServer, source: PvaSource) -> None:
    image = _image("uint16")
    damaged = compress(image, "lz4")[:-10]
    server.post(ndarray_value(image, unique_id=41, codec="lz4", compressed=damaged))
    server.post(ndarray_value(image, unique_id=42, codec="lz4"))
    _frame_with(source, 42)
    assert source.dropped == 1
    assert "lz4 data does not decompress" in source.last_error


def test_a_pv_that_does_not_answer_cannot_open(server: PvaImageServer) -> None:
    source = create_source(CameraConfig.load({"source": "NO:SUCH:PV", "source_type": "pva", "timeout": 0.5}))
    with pytest.raises(SourceError, match=r"PV NO:SUCH:PV does not answer over PV Access within 0.5 s"):
        source.open()
