"""Instances keep the memory their frames used: no page faults once the frames in flight have
been allocated (runtime.memory), and a simulated camera allocates them before its first frame."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator (Linux)")


def _faults(body: str) -> list[int]:
    """Run ``body`` in a fresh interpreter; it prints the minor page faults of each round."""
    preamble = """
        import resource
        from camserver.runtime.memory import keep_frame_memory
        if not keep_frame_memory():
            print("unsupported")
            raise SystemExit(0)
        def faults():
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    """
    script = textwrap.dedent(preamble) + textwrap.dedent(body)
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, timeout=60)
    if output.stdout.strip() == "unsupported":
        pytest.skip("this C library has no mallopt (not glibc)")
    return [int(line) for line in output.stdout.split()]


def test_frames_freed_and_allocated_again_reuse_the_memory_of_the_largest_number_in_flight() -> None:
    rounds = _faults("""
        import numpy as np
        for in_flight in (3, 1, 2, 3, 1, 3):
            before = faults()
            frames = [np.ones((2160, 2560), np.uint16) for _ in range(in_flight)]
            del frames
            print(faults() - before)
    """)
    pages_per_frame = 2160 * 2560 * 2 // 4096
    assert rounds[0] > 0  # the first three frames fault their memory in (4 KiB or 2 MiB pages)
    # Without keep_frame_memory, glibc hands the kernel back what lies above two frames: the
    # later rounds fault a whole frame in again (about 650 faults here).
    assert sum(rounds[1:]) < pages_per_frame // 20, rounds


def test_a_simulated_camera_touches_the_memory_of_its_first_frames_before_the_first_is_due() -> None:
    rounds = _faults("""
        from camserver.models import SimulationCamera
        from camserver.sources import SimulationSource
        config = {"source": "", "source_type": "simulation", "size_x": 2560, "size_y": 2160}
        source = SimulationSource(SimulationCamera.load(config), seed=1)
        source.open()
        in_flight = []
        for _ in range(4):
            before = faults()
            frame = source.read(5.0)
            assert frame is not None
            in_flight.append(frame)
            print(faults() - before)
    """)
    pages_per_frame = 2160 * 2560 * 2 // 4096
    assert sum(rounds) < pages_per_frame // 20, rounds
