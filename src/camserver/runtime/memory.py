"""How an instance process asks the C allocator to keep the memory its frames used.

An instance allocates and frees a frame-sized buffer for every frame (a new image, the copy out of
a camera's ring, processing results). glibc returns freed memory above the top of its heap to the
kernel as soon as more than about two frames' worth is free, and serves buffers above its mmap
threshold with fresh mappings; either way the next frames write to pages the process never
touched, and every page is faulted in and zeroed again. On a virtual machine whose host backs
guest memory lazily, a 2560x2160 uint16 frame in fresh memory costs 20-30 ms of CPU instead of
1-2 ms: a camera that has to hold a few more frames for a slow client overran its frame clock
for that reason alone. Keeping freed memory for reuse (up to :data:`KEEP_BYTES`) makes the
steady state of an instance free of page faults, whatever its clients do. Two limits: glibc gives
back only free memory at the top of its heap, and only beyond :data:`KEEP_BYTES`; and a buffer
larger than :data:`MMAP_THRESHOLD_BYTES` (glibc's maximum, e.g. a float64 copy of a 2560x2160
frame) still gets a fresh mapping each time.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["KEEP_BYTES", "MMAP_THRESHOLD_BYTES", "keep_frame_memory"]

#: free memory at the top of the heap the allocator keeps instead of returning it to the kernel
KEEP_BYTES = 256 * 1024 * 1024
#: buffers up to this size come from the heap, where freed memory is reused (glibc's maximum)
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_frame_memory() -> bool:
    """Tell glibc's allocator to keep freed frame memory; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter already runs on
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1 and mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES) == 1)
