"""A PV Access server of one areaDetector-style NTNDArray PV, by p4p: for tests, demos and trying ``pva`` cameras.

:func:`ndarray_value` builds an NTNDArray as areaDetector's ``NDPluginPva`` publishes it, optionally
compressed as ``NDPluginCodec`` compresses it (``lz4``, ``bslz4``, ``blosc``, ``jpeg``).
:class:`PvaImageServer` serves one PV on 127.0.0.1 (ports chosen by the system) and posts the
arrays given to :meth:`PvaImageServer.post`; its :attr:`~PvaImageServer.client_environment` points
a PV Access client at it.

Run it with ``python -m camserver.testing.pva_server --pv SIM:PVA:Image --rate 10 --codec lz4``:
it posts a jittering Gaussian beam and prints the client environment, then a ready line.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np

__all__ = ["READY_LINE", "PvaImageServer", "compress", "main", "ndarray_value"]

#: printed on stdout once the server answers
READY_LINE = "camserver-pva-server ready"
#: pvData's ScalarType number of each numpy type (what NDPluginCodec stores in ``codec.parameters``)
_SCALAR_TYPE = {
    "int8": 1, "int16": 2, "int32": 3, "int64": 4, "uint8": 5, "uint16": 6, "uint32": 7, "uint64": 8,
    "float32": 9, "float64": 10,
}  # fmt: skip


def compress(image: np.ndarray[Any, Any], codec: str) -> np.ndarray[Any, Any]:
    """``image``'s values compressed as NDPluginCodec does, as the bytes of the NTNDArray's value."""
    data = np.ascontiguousarray(image)
    if codec == "lz4":
        import lz4.block

        packed: bytes = lz4.block.compress(data.tobytes(), store_size=False)
    elif codec == "bslz4":
        import bitshuffle

        packed = bitshuffle.compress_lz4(data.reshape(-1), 0).tobytes()
    elif codec == "blosc":
        import blosc

        packed = blosc.compress(data.tobytes(), typesize=data.dtype.itemsize, shuffle=blosc.BITSHUFFLE, cname="lz4")
    elif codec == "jpeg":
        import simplejpeg

        if data.dtype != np.uint8:
            raise ValueError("jpeg compresses 8-bit images only")
        packed = simplejpeg.encode_jpeg(data[:, :, np.newaxis], quality=100, colorspace="GRAY")
    else:
        raise ValueError(f"unknown codec {codec!r}")
    return np.frombuffer(packed, np.uint8)


def ndarray_value(
    image: np.ndarray[Any, Any],
    *,
    unique_id: int = 0,
    codec: str = "",
    timestamp: float | None = None,
    compressed: np.ndarray[Any, Any] | None = None,
) -> Any:
    """The NTNDArray ``Value`` of a 2-D image, compressed with ``codec`` (``""``: plain).

    ``compressed`` replaces the compressed bytes (to serve a damaged array)."""
    from p4p.nt import NTNDArray

    height, width = image.shape
    if codec:
        payload = compress(image, codec) if compressed is None else compressed
        value = NTNDArray().wrap(payload)
        value["codec.name"] = codec
        value["codec.parameters"] = _SCALAR_TYPE[image.dtype.name]
        value["compressedSize"] = payload.nbytes
        value["uncompressedSize"] = image.nbytes
        value["dimension"] = [{"size": width, "fullSize": width}, {"size": height, "fullSize": height}]
    else:
        value = NTNDArray().wrap(np.ascontiguousarray(image))
    value["uniqueId"] = unique_id
    now = time.time() if timestamp is None else timestamp
    value["timeStamp.secondsPastEpoch"] = int(now)
    value["timeStamp.nanoseconds"] = round((now % 1) * 1e9) % 1_000_000_000
    return value


class PvaImageServer:
    """One NTNDArray PV served by p4p on 127.0.0.1; a context manager that starts and stops it."""

    def __init__(self, pv: str, initial: np.ndarray[Any, Any] | None = None) -> None:
        from p4p.server.thread import SharedPV

        self.pv_name = pv
        first = np.zeros((4, 4), np.uint16) if initial is None else initial
        self._pv = SharedPV(initial=ndarray_value(first))
        self._server: Any = None

    def start(self) -> None:
        """Serve the PV."""
        from p4p.server import Server

        conf = {
            "EPICS_PVAS_INTF_ADDR_LIST": "127.0.0.1",
            "EPICS_PVAS_BEACON_ADDR_LIST": "127.0.0.1",
            "EPICS_PVAS_AUTO_BEACON_ADDR_LIST": "NO",
            "EPICS_PVAS_SERVER_PORT": "0",
            "EPICS_PVAS_BROADCAST_PORT": "0",
        }
        self._server = Server(providers=[{self.pv_name: self._pv}], conf=conf, useenv=False)

    @property
    def client_environment(self) -> dict[str, str]:
        """The PV Access variables a client needs to find this server (and nothing else)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        conf = self._server.conf()
        return {
            "EPICS_PVA_ADDR_LIST": f"127.0.0.1:{conf['EPICS_PVAS_BROADCAST_PORT']}",
            "EPICS_PVA_AUTO_ADDR_LIST": "NO",
            "EPICS_PVA_NAME_SERVERS": f"127.0.0.1:{conf['EPICS_PVAS_SERVER_PORT']}",
        }

    def post(self, value: Any) -> None:
        """Publish an update (a ``Value`` from :func:`ndarray_value`)."""
        self._pv.post(value)

    def stop(self) -> None:
        """Stop serving."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> PvaImageServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def _beam(width: int, height: int, random: np.random.Generator) -> np.ndarray[Any, Any]:
    x = np.arange(width) - width / 2 - random.uniform(-3, 3)
    y = np.arange(height) - height / 2 - random.uniform(-3, 3)
    beam = np.outer(np.exp(-0.5 * (y / (height / 12)) ** 2), np.exp(-0.5 * (x / (width / 10)) ** 2)) * 3000
    return (beam + random.integers(0, 100, size=(height, width))).astype(np.uint16)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: serve a simulated beam until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m camserver.testing.pva_server", description=__doc__)
    parser.add_argument("--pv", default="SIM:PVA:Image")
    parser.add_argument("--rate", type=float, default=10.0, help="frames per second")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--codec", default="", choices=["", "lz4", "bslz4", "blosc"])
    args = parser.parse_args(argv)
    random = np.random.default_rng()
    with PvaImageServer(args.pv) as server:
        for name, value in server.client_environment.items():
            print(f"{name}={value}", flush=True)
        print(READY_LINE, flush=True)
        period, due, counter = 1.0 / args.rate, time.monotonic(), 1
        try:
            while True:
                server.post(ndarray_value(_beam(args.width, args.height, random), unique_id=counter, codec=args.codec))
                counter += 1
                due = max(due + period, time.monotonic())
                time.sleep(due - time.monotonic())
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
