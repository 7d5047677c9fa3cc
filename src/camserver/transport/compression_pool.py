"""Threads that compress the pieces of one large value at once (the protocol's :class:`Spreader`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["CompressionPool", "default_compression_threads"]


def default_compression_threads() -> int:
    """Threads a publisher compresses a large value on when its config does not say: up to 4, and
    no more than the cores of this host (bitshuffle/LZ4 runs at about 2 GB/s per core)."""
    return max(1, min(4, os.cpu_count() or 1))


class CompressionPool:
    """``workers`` threads; the bitshuffle library releases the GIL while it compresses, so the
    pieces of one frame are compressed in parallel and the frame leaves sooner (the CPU it costs
    stays the same)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="camserver-compression")

    def map(self, function: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return self._executor.map(function, items)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
