"""Port allocation. The allocator probes ports with local sockets, so this file (and only this one
among the unit tests) binds sockets, always on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from camserver.errors import Conflict
from camserver.service import ports as ports_module
from camserver.service.ports import PortAllocator

HOST = "127.0.0.1"
EXHAUSTED = "All ports are used. Stop some instances before opening a new stream."


def bound_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def held_ports(count: int) -> Iterator[list[socket.socket]]:
    """Sockets bound to ``count`` consecutive ports of 127.0.0.1; a test closes those it wants the
    allocator to find free (all are closed at the end)."""
    for _ in range(50):
        with bound_socket(0) as probe:
            first = probe.getsockname()[1]
        if first + count > 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                held.append(bound_socket(port))
        except OSError:
            for sock in held:
                sock.close()
            continue
        try:
            yield held
        finally:
            for sock in held:
                sock.close()
        return
    pytest.fail(f"found no {count} consecutive free ports on {HOST}")


def port_of(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def allocator_over_free_ports(count: int) -> tuple[PortAllocator, list[int]]:
    """An allocator over ``count`` consecutive ports that were free a moment ago."""
    with held_ports(count) as held:
        ports = [port_of(sock) for sock in held]
    return PortAllocator(ports[0], ports[0] + count, host=HOST), ports


def test_allocation_stays_in_the_range() -> None:
    allocator, ports = allocator_over_free_ports(4)

    given = [allocator.allocate(f"camera/{index}") for index in range(4)]

    assert sorted(given) == ports
    assert all(ports[0] <= port < ports[0] + 4 for port in given)


def test_owners_get_different_ports() -> None:
    allocator, _ = allocator_over_free_ports(3)

    first = allocator.allocate("camera/a")
    second = allocator.allocate("camera/b")

    assert first != second


def test_exhausted_range_gives_camservers_message() -> None:
    allocator, _ = allocator_over_free_ports(2)
    allocator.allocate("camera/a")
    allocator.allocate("camera/b")

    with pytest.raises(Conflict) as raised:
        allocator.allocate("camera/c")

    assert str(raised.value) == EXHAUSTED
    assert isinstance(raised.value, RuntimeError)


def test_a_port_something_listens_on_is_skipped() -> None:
    with held_ports(2) as (busy, free):
        allocator = PortAllocator(port_of(busy), port_of(busy) + 2, host=HOST)
        free_port = port_of(free)
        free.close()
        busy.listen(1)

        given = allocator.allocate("camera/a")

        assert given == free_port
        with pytest.raises(Conflict, match=EXHAUSTED):
            allocator.allocate("camera/b")


def test_a_port_bound_without_listening_is_skipped_too() -> None:
    with held_ports(1) as (bound,):
        allocator = PortAllocator(port_of(bound), port_of(bound) + 1, host=HOST)

        with pytest.raises(Conflict, match=EXHAUSTED):
            allocator.allocate("camera/a")


def test_the_whole_range_is_searched() -> None:
    # CamServer tried as many candidates as the pipeline range has, whatever the range searched
    with held_ports(6) as held:
        allocator = PortAllocator(port_of(held[0]), port_of(held[0]) + 6, host=HOST)
        last = port_of(held[-1])
        held[-1].close()

        assert allocator.allocate("camera/a") == last


def test_release_frees_the_port_for_others() -> None:
    allocator, ports = allocator_over_free_ports(1)
    assert allocator.allocate("camera/a") == ports[0]

    allocator.release("camera/a")

    assert allocator.allocate("camera/b") == ports[0]


def test_release_of_an_unknown_owner_is_harmless() -> None:
    allocator, _ = allocator_over_free_ports(1)
    port = allocator.allocate("camera/a")

    allocator.release("camera/nobody")

    with pytest.raises(Conflict):
        allocator.allocate("camera/b")
    allocator.release("camera/a")
    assert allocator.allocate("camera/b") == port


def test_an_owner_asking_again_gets_its_port_back() -> None:
    allocator, _ = allocator_over_free_ports(3)
    first = allocator.allocate("camera/a")

    again = allocator.allocate("camera/a")

    assert again == first
    assert allocator.allocate("camera/b") != first


def test_an_owner_holds_one_port_at_a_time() -> None:
    allocator, ports = allocator_over_free_ports(2)
    allocator.allocate("camera/a")
    held = allocator.allocate("camera/a")

    other = allocator.allocate("camera/b")  # room left: a's second request took no second port

    assert {held, other} == set(ports)


def test_the_previous_port_is_reused_after_a_release() -> None:
    allocator, _ = allocator_over_free_ports(4)
    previous = allocator.allocate("camera/a")
    allocator.release("camera/a")
    other = allocator.allocate("camera/b")  # the cyclic search moves on

    again = allocator.allocate("camera/a")

    assert other != previous
    assert again == previous


def test_the_previous_port_is_not_taken_from_another_owner() -> None:
    allocator, ports = allocator_over_free_ports(2)
    previous = allocator.allocate("camera/a")
    allocator.release("camera/a")
    allocator.allocate("camera/b", preferred=previous)

    again = allocator.allocate("camera/a")

    assert again != previous
    assert again in ports


def test_a_preferred_port_is_used_when_free() -> None:
    allocator, ports = allocator_over_free_ports(3)

    assert allocator.allocate("camera/a", preferred=ports[2]) == ports[2]
    assert allocator.allocate("camera/b", preferred=ports[2]) != ports[2]


def test_a_busy_preferred_port_is_passed_over() -> None:
    with held_ports(2) as (free, busy):
        allocator = PortAllocator(port_of(free), port_of(free) + 2, host=HOST)
        free_port = port_of(free)
        free.close()
        busy.listen(1)

        assert allocator.allocate("camera/a", preferred=port_of(busy)) == free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ports_module, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


def test_reclaim_frees_ports_of_ended_owners_after_the_grace_period(clock: Clock) -> None:
    allocator, _ = allocator_over_free_ports(2)
    ended = allocator.allocate("pipeline/ended")
    allocator.allocate("pipeline/running")
    running = {"pipeline/running"}

    clock.now += 30.0
    allocator.reclaim(running.__contains__, grace=60.0)

    with pytest.raises(Conflict):
        allocator.allocate("pipeline/new")

    clock.now += 31.0
    allocator.reclaim(running.__contains__, grace=60.0)

    assert allocator.allocate("pipeline/new") == ended


def test_reclaim_keeps_ports_of_active_owners(clock: Clock) -> None:
    allocator, _ = allocator_over_free_ports(1)
    allocator.allocate("camera/a")
    clock.now += 3600.0

    allocator.reclaim(lambda owner: owner == "camera/a", grace=60.0)

    with pytest.raises(Conflict):
        allocator.allocate("camera/b")


def test_reclaim_asks_only_about_owners_past_their_grace(clock: Clock) -> None:
    allocator, _ = allocator_over_free_ports(2)
    allocator.allocate("camera/old")
    clock.now += 100.0
    allocator.allocate("camera/young")
    clock.now += 10.0
    asked: list[str] = []

    def is_active(owner: str) -> bool:
        asked.append(owner)
        return False

    allocator.reclaim(is_active, grace=60.0)

    assert asked == ["camera/old"]


def test_an_instance_gets_its_port_back_while_its_old_connections_are_in_time_wait() -> None:
    allocator, _ = allocator_over_free_ports(2)
    port = allocator.allocate("camera/a")
    # the instance's stream (ZMQ binds with SO_REUSEADDR) with a client connected; the instance ends
    # first (stopped or killed), so its side of the connection stays in TIME-WAIT for a minute
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(1)
    client = socket.create_connection((HOST, port))
    accepted, _ = listener.accept()
    accepted.close()
    listener.close()
    client.close()
    with pytest.raises(OSError, match="in use"), socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        plain.bind((HOST, port))  # the premise: a bind without SO_REUSEADDR is refused now
    allocator.release("camera/a")
    assert allocator.allocate("camera/a") == port
    assert allocator.allocate("camera/b") != port


def test_a_port_taken_elsewhere_is_not_preferred_again() -> None:
    allocator, ports = allocator_over_free_ports(3)
    first = allocator.allocate("camera/a")
    allocator.taken_elsewhere("camera/a", first)
    second = allocator.allocate("camera/a")
    assert second != first
    allocator.release("camera/a")
    assert allocator.allocate("camera/a") == second  # the last port it had is preferred again
    assert allocator.allocate("camera/b") in ports


def free_range(count: int = 4) -> tuple[int, int]:
    with held_ports(count) as held:
        first = port_of(held[0])
    return first, first + count


def test_ports_are_remembered_across_restarts_of_the_server(tmp_path: Path) -> None:
    memory = tmp_path / "camera_ports.json"
    first, last = free_range()
    before = PortAllocator(first, last, host=HOST, memory=memory)
    given = {owner: before.allocate(owner) for owner in ("camera/b", "camera/a")}
    after = PortAllocator(first, last, host=HOST, memory=memory)  # the next server on the folder
    assert {owner: after.allocate(owner) for owner in ("camera/a", "camera/b")} == given


def test_only_the_newest_assignments_are_remembered(tmp_path: Path) -> None:
    memory = tmp_path / "ports.json"
    allocator = PortAllocator(*free_range(), host=HOST, memory=memory, remembered=2)
    for owner in ("x", "y", "z"):
        allocator.allocate(owner)
    assert sorted(json.loads(memory.read_text())) == ["y", "z"]


def test_a_memory_that_cannot_be_written_costs_only_the_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    allocator = PortAllocator(*free_range(), host=HOST, memory=blocked / "ports.json")  # a file is no folder
    assert allocator.allocate("camera/a") >= allocator.first
