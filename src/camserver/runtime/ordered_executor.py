"""Process frames on several threads and hand the results back in the order frames arrived."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["Completed", "OrderedExecutor"]

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Completed(Generic[Item]):
    """One item and what processing it gave: ``result``, or the ``error`` it raised."""

    item: Item
    result: Any = None
    error: BaseException | None = None


class OrderedExecutor(Generic[Item]):
    """Runs ``function(item)`` on ``threads`` threads (0: in the caller's thread).

    At most ``capacity`` items are in flight; submitting more waits for the oldest, so a slow
    function holds the receiver back (and ZMQ's queue, whose overflow the receiver counts as missed
    pulse ids) instead of growing memory. Results always leave in submission order. The function
    must release the GIL for threads to help (camserver's numba kernels do).
    """

    def __init__(self, function: Callable[[Item], Any], *, threads: int, capacity: int) -> None:
        self._function = function
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="camserver-processing") if threads else None
        self._capacity = max(capacity, threads, 1)
        self._pending: deque[tuple[Item, Future[Any]]] = deque()

    def submit(self, item: Item) -> list[Completed[Item]]:
        """Start processing ``item``; returns the items completed meanwhile, in order."""
        if self._pool is None:
            return [self._run(item)]
        completed: list[Completed[Item]] = []
        if len(self._pending) >= self._capacity:
            completed.append(self._pop(block=True))
        self._pending.append((item, self._pool.submit(self._function, item)))
        completed += self.ready()
        return completed

    def ready(self) -> list[Completed[Item]]:
        """Items at the head of the line that have completed, in order."""
        completed = []
        while self._pending and self._pending[0][1].done():
            completed.append(self._pop(block=False))
        return completed

    def drain(self) -> list[Completed[Item]]:
        """Wait for every item in flight."""
        return [self._pop(block=True) for _ in range(len(self._pending))]

    def close(self) -> None:
        """Stop the threads after the items in flight."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, item: Item) -> Completed[Item]:
        try:
            return Completed(item, self._function(item))
        except Exception as error:  # noqa: BLE001 - handed to the caller, which counts and logs it
            return Completed(item, error=error)

    def _pop(self, *, block: bool) -> Completed[Item]:
        item, future = self._pending.popleft()
        error = future.exception() if block or future.done() else None
        if error is not None:
            return Completed(item, error=error)
        return Completed(item, future.result())
