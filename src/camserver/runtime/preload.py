"""Imported once by the local backend's fork server: everything an instance needs, ready.

Every instance process is forked from that server, so the modules below are imported (and the
numba kernels compiled or loaded from their cache) once per server, never per instance.
"""

from __future__ import annotations

import contextlib
import gc
import logging

import camserver.runtime.camera_loop
import camserver.runtime.entry
import camserver.sources
from camserver import processing

with contextlib.suppress(ImportError):  # pipelines arrive with their own module
    import camserver.runtime.pipeline_loop  # noqa: F401

try:
    processing.warm_up()
except Exception:
    logging.getLogger("camserver.backend").exception("numba warm-up failed")

# Everything imported so far lives as long as the server: out of the collector's sight, a full
# collection in an instance scans only what the instance made (about 50 ms less per collection
# than scanning the ~150,000 objects above, a pause that would cost a 100 Hz camera its frames).
gc.freeze()

__all__: list[str] = []
