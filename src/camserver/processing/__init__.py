"""camserver's processing engine: CamServer's pre-processing chain and standard beam metrics.

Pure functions on numpy arrays (no I/O, no sockets): per-pixel work runs in fused numba kernels
(``cache=True``, ``nogil=True``; :func:`warm_up` compiles them ahead of the first frame), fits in a
numba Levenberg-Marquardt. :class:`ImageProcessor` runs one pipeline's chain and function; the pieces
are usable on their own. Channels and math follow camserver-reference.md §5-6; see
docs/reference/processing.md.

Deliberate differences from CamServer (each one fixes a bug or removes an ambiguity):

1. ``image_threshold`` is compared as a float (CamServer truncated it with ``int()``: 0.5 did nothing).
2. Averaging buffers belong to each :class:`ImageProcessor` (CamServer: one module-global buffer shared
   by every thread); a frame of another shape restarts the buffer with that frame instead of
   skipping it.
3. The input frame is never modified (CamServer subtracted and thresholded in place when writable).
4. Profiles ignore NaN pixels (numpy's ``sum`` made whole profiles NaN); float frames give float64
   profiles (numpy summed float32 frames in float32). Binning counts NaN pixels as 0.
5. Fits run in float64 on the profile (CamServer cast it to float32 first).
6. FWHM/FW of a flat profile and the centre of mass/RMS of a profile with no signal above the fitted
   offset are NaN (CamServer divided by zero: NaN or inf with a RuntimeWarning, or a meaningless 0);
   a zero slope at a crossing does not interpolate (CamServer: inf).
7. ``slice_amount`` and the ``slice_<i>_*`` keys always use the odd-adjusted count, also when the
   good region fails (CamServer used the raw even count in that case).
8. ``signed`` background subtraction of a float frame stays float (CamServer truncated it to int32).
9. Degenerate frames (empty, flat, all NaN, 1xN) never raise; the channels that cannot be computed
   are None or NaN, and ``processing_parameters`` carries ``processing_warnings`` saying why.
10. ``processing_parameters`` shows the normalised ``rotation``, the good-region/slices sub-defaults
    and ``image_background_ok``; ``copy`` is accepted and needless (inputs are never written).
11. Compiled C user functions (``.c``/``.so``) are not loaded.
12. A user function that raises is reported as :class:`~camserver.errors.ProcessingError`.
"""

from camserver.processing.averaging import FrameAverager
from camserver.processing.background import subtract_background
from camserver.processing.binning import bin_axis, bin_image
from camserver.processing.calibration import camera_axes
from camserver.processing.camera_transform import camera_geometry, transform_camera_image
from camserver.processing.function_loader import FunctionKind, load_function
from camserver.processing.gaussian import GaussianFit, fit_gaussian, gaussian, linear_fit
from camserver.processing.image_processor import ImageProcessor, ProcessingFunction
from camserver.processing.levels import apply_threshold, scale_offset
from camserver.processing.library import (
    merge,
    propagate_stream,
    propagate_stream_with_prefix,
    transparent,
)
from camserver.processing.metrics import process_image, standard_metrics
from camserver.processing.orientation import mirror, rotate, rotate_orthogonal
from camserver.processing.profile import ProfileStatistics, analyse_profile, find_index, full_width
from camserver.processing.roi import clamp_roi, crop
from camserver.processing.settings import (
    BackgroundMode,
    GoodRegionSettings,
    ProcessingSettings,
    Rotation,
    SlicesSettings,
)
from camserver.processing.slices import calculate_slices
from camserver.processing.warmup import warm_up

__all__ = [
    "BackgroundMode",
    "FrameAverager",
    "FunctionKind",
    "GaussianFit",
    "GoodRegionSettings",
    "ImageProcessor",
    "ProcessingFunction",
    "ProcessingSettings",
    "ProfileStatistics",
    "Rotation",
    "SlicesSettings",
    "analyse_profile",
    "apply_threshold",
    "bin_axis",
    "bin_image",
    "calculate_slices",
    "camera_axes",
    "camera_geometry",
    "clamp_roi",
    "crop",
    "find_index",
    "fit_gaussian",
    "full_width",
    "gaussian",
    "linear_fit",
    "load_function",
    "merge",
    "mirror",
    "process_image",
    "propagate_stream",
    "propagate_stream_with_prefix",
    "rotate",
    "rotate_orthogonal",
    "scale_offset",
    "standard_metrics",
    "subtract_background",
    "transform_camera_image",
    "transparent",
    "warm_up",
]
