"""warm_up compiles every kernel for every image dtype; the processing benchmark still runs."""

from __future__ import annotations

import numpy as np

from camserver.processing import warm_up
from camserver.processing.good_region import _measure
from camserver.processing.kernels import _pass_dark, _pass_small, _pass_uint16, _pass_wide
from camserver.processing.warmup import IMAGE_DTYPES


def test_warm_up_compiles_the_pixel_kernels_for_every_dtype():
    warm_up()
    # a kernel's first argument is the frame, the second its background
    compiled = {str(signature[0].dtype) for signature in _pass_small.signatures + _pass_wide.signatures}
    assert set(IMAGE_DTYPES) <= compiled
    # uint16 frames with a background or threshold take their own kernel
    assert "uint16" in {str(signature[0].dtype) for signature in _pass_uint16.signatures}
    # a background of 8-bit values, one spread over more than 8 bits, and 8-bit levels above an offset
    assert {"uint8", "uint16"} <= {str(signature[1].dtype) for signature in _pass_uint16.signatures}
    assert _pass_dark.signatures
    # the good region and its slices (one compiled call) for every dtype
    assert set(IMAGE_DTYPES) <= {str(signature[0].dtype) for signature in _measure.signatures}


def test_benchmark_runs_in_smoke_mode():
    from benchmarks import bench_processing

    rows = bench_processing.run(smoke=True)
    assert len(rows) == 5
    assert all(row.value > 0 and np.isfinite(row.value) for row in rows)
    assert rows[1].reference == "naive numpy"
    assert rows[2].reference == rows[3].reference == "dark frame at 100"
