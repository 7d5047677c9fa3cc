"""OrderedExecutor: results leave in submission order, whatever order threads finish in."""

from __future__ import annotations

import threading

import pytest

from camserver.runtime.ordered_executor import OrderedExecutor


def test_inline_executor_returns_each_result_at_once() -> None:
    executor = OrderedExecutor(lambda item: item * 2, threads=0, capacity=4)
    assert [done.result for done in executor.submit(3)] == [6]
    assert executor.drain() == []


def test_results_leave_in_order_although_threads_finish_out_of_order() -> None:
    release = {index: threading.Event() for index in range(6)}

    def work(index: int) -> int:
        assert release[index].wait(10)
        return index

    executor = OrderedExecutor(work, threads=3, capacity=10)
    seen: list[int] = []
    for index in range(6):
        seen += [done.result for done in executor.submit(index)]
    for index in reversed(range(6)):  # the last items finish first
        release[index].set()
    seen += [done.result for done in executor.drain()]
    executor.close()
    assert seen == list(range(6))


def test_capacity_makes_submit_wait_for_the_oldest() -> None:
    executor = OrderedExecutor(lambda item: item, threads=2, capacity=2)
    returned: list[int] = []
    for index in range(5):
        returned += [done.result for done in executor.submit(index)]
        assert len(executor._pending) <= 2
    returned += [done.result for done in executor.drain()]
    executor.close()
    assert returned == list(range(5))


@pytest.mark.parametrize("threads", [0, 2])
def test_an_error_is_handed_back_with_its_item(threads: int) -> None:
    def work(item: int) -> int:
        if item == 1:
            raise ValueError("bad frame")
        return item

    executor = OrderedExecutor(work, threads=threads, capacity=4)
    completed = []
    for index in range(3):
        completed += executor.submit(index)
    completed += executor.drain()
    executor.close()
    assert [done.item for done in completed] == [0, 1, 2]
    assert isinstance(completed[1].error, ValueError)
    assert completed[0].error is None
    assert completed[2].result == 2
